"""Benchmark of the map of the networks on the largest EPCI of France by number of communes.

Builds, in a throwaway SQLite database, the CA du Pays Basque (158 communes) with 3,000 agents spread over
its collectivités, 40 networks (each agent in one to three), journées réseau and exchanges; then prints how
long the graph and all its analyses take cold, and how long the map page answers once they are cached.

    DEBUG=true python scripts/bench_reseaux.py

Not a test: it prints numbers (targets: analyses under 1 s cold, the map page under 100 ms cached).
"""

import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = Path(tempfile.mkdtemp()) / "bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codir.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

PAYS_BASQUE = "200067106"
AGENTS, NETWORKS = 3000, 40


def populate():
    from communes.models import Agent, Collectivite, Membership, Territoire
    from reseaux.models import Echange, Evenement, MembreReseau, Participation, Reseau

    call_command("import_territoire", PAYS_BASQUE, verbosity=0)
    territoire = Territoire.objects.get(siren=PAYS_BASQUE)
    places = list(Collectivite.objects.for_territoire(territoire))
    rng = random.Random(2026)
    # Larger collectivités have more agents; every commune has at least its secretary.
    weights = [max(1.0, place.population**0.5) for place in places]
    homes = places + rng.choices(places, weights=weights, k=AGENTS - len(places))
    agents = Agent.objects.bulk_create(
        Agent(email=f"agent{i}@bench.test", first_name=f"Agent{i}", last_name=home.name[:30], collectivite=home)
        for i, home in enumerate(homes)
    )
    Membership.objects.bulk_create(
        Membership(agent=agent, territoire=territoire, collectivite=home, role="referent")
        for agent, home in zip(agents, homes, strict=True)
    )
    admin = agents[0]
    Membership.objects.filter(agent=admin).update(role="dgs")
    start = date(2024, 1, 1)
    reseaux = Reseau.objects.bulk_create(
        Reseau(territoire=territoire, name=f"Réseau {n:02}", kind="metier", created_on=start, created_by=admin)
        for n in range(NETWORKS)
    )
    membres, seen = [], set()
    for agent, home in zip(agents, homes, strict=True):
        # Most agents in one network, some in two or three: the brokers.
        for reseau in rng.sample(reseaux, k=rng.choices([1, 2, 3], weights=[70, 22, 8])[0]):
            if (reseau.pk, agent.pk) not in seen:
                seen.add((reseau.pk, agent.pk))
                left = start + timedelta(days=rng.randint(100, 900)) if rng.random() < 0.1 else None
                membres.append(MembreReseau(reseau=reseau, agent=agent, collectivite=home, since=start, until=left))
    MembreReseau.objects.bulk_create(membres)
    evenements = Evenement.objects.bulk_create(
        Evenement(reseau=reseau, title="Journée réseau", held_on=date.today() - timedelta(days=60), created_by=admin)
        for reseau in reseaux
    )
    by_network = {}
    for membre in membres:
        by_network.setdefault(membre.reseau_id, []).append(membre)
    Participation.objects.bulk_create(
        Participation(evenement=evenement, agent_id=m.agent_id, collectivite_id=m.collectivite_id)
        for evenement in evenements
        for m in rng.sample(by_network[evenement.reseau_id], k=min(20, len(by_network[evenement.reseau_id])))
    )
    pairs = [rng.sample(range(AGENTS), 2) for _ in range(150)]
    Echange.objects.bulk_create(
        Echange(
            territoire=territoire, kind="vis_ma_vie", host=agents[a], host_collectivite=homes[a], guest=agents[b],
            guest_collectivite=homes[b], starts_on=date.today() - timedelta(days=90),
            ends_on=date.today() - timedelta(days=89), theme="Vis ma vie", recorded_by=admin,
        )
        for a, b in pairs
        if homes[a].pk != homes[b].pk
    )  # fmt: skip
    return territoire, admin, len(places), len(membres)


def main():
    from reseaux import cartography, graph

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    territoire, admin, collectivites, memberships = populate()
    print(f"Données : {collectivites} collectivités, {AGENTS} agents, {NETWORKS} réseaux, {memberships} adhésions "
          f"({time.perf_counter() - started:.1f} s pour les créer).")  # fmt: skip
    today = timezone.localdate()
    started = time.perf_counter()
    snapshot = graph.build_graph(territoire, today)
    built = time.perf_counter() - started
    print(
        f"Graphe : {snapshot.number_of_nodes()} nœuds, {snapshot.number_of_edges()} liens, construit en {built:.3f} s."
    )
    started = time.perf_counter()
    analysis = cartography.compute(territoire, today, graph.DEFAULT_LAYERS)
    cold = time.perf_counter() - started
    print(f"Analyses à froid (graphe compris) : {cold:.3f} s — cible : moins de 1 s.")
    print(f"  pivots {len(analysis.hubs)}, passeurs {len(analysis.brokers)}, points de fragilité "
          f"{len(analysis.cut_points)}, ponts {len(analysis.bridges)}, collectivités sans lien {len(analysis.isolated)}, "
          f"communautés {len(analysis.communities)}, maillage {analysis.density:.1%}")  # fmt: skip
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(admin)
        url = reverse("reseaux_net:carte", args=[territoire.slug])
        client.get(url)  # computes and caches
        timings = []
        for _ in range(10):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    timings.sort()
    print(f"Page de la carte, analyses en cache : médiane {timings[5] * 1000:.0f} ms, "
          f"meilleure {timings[0] * 1000:.0f} ms — cible : moins de 100 ms.")  # fmt: skip


if __name__ == "__main__":
    main()
