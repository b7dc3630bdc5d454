"""Professional networks: services, and the dated graph built from the application's data."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from codir import services as meetings
from codir.models import Presence
from communes.models import Agent, Membership
from reseaux import analyses, graph, services
from reseaux.models import MembreReseau
from tests.conftest import collectivite, make_member

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


@pytest.fixture
def chanverrie_dgs(mortagne):
    return make_member(mortagne, "Chanverrie", "dgs@chanverrie.test", Membership.Role.DGS)


@pytest.fixture
def finances(mortagne, referent, dgs_commune, sg_petite_commune):
    reseau = services.reseau_create(
        territoire=mortagne, by=referent, name="Réseau finances", kind="metier", created_on=DAY - timedelta(days=60)
    )
    for agent in (dgs_commune, sg_petite_commune):
        services.membre_add(reseau=reseau, by=referent, agent=agent, since=DAY - timedelta(days=30))
    return reseau


def test_the_creator_is_the_referent_and_leads_the_network(mortagne, referent, dgs_commune, finances):
    assert Agent.objects.get(pk=referent.pk).has_perm("reseaux.lead_reseau", finances)
    assert not Agent.objects.get(pk=dgs_commune.pk).has_perm("reseaux.lead_reseau", finances)
    membre = finances.membres.get(agent=dgs_commune)
    services.membre_set_role(membre=membre, by=referent, role="referent")
    assert Agent.objects.get(pk=dgs_commune.pk).has_perm("reseaux.lead_reseau", finances)
    assert membre.collectivite.name == "Mortagne-sur-Sèvre"


def test_members_are_agents_of_the_territory_once_at_a_time(finances, referent, dgs_commune, outsider):
    with pytest.raises(ValidationError, match="déjà membre"):
        services.membre_add(reseau=finances, by=referent, agent=dgs_commune)
    with pytest.raises(ValidationError, match="n'est pas membre du territoire"):
        services.membre_add(reseau=finances, by=referent, agent=outsider)
    with pytest.raises(ValidationError, match="Un réseau porte déjà ce nom"):
        services.reseau_create(territoire=finances.territoire, by=referent, name="réseau FINANCES", kind="metier")


def test_a_project_network_follows_a_project_of_the_portfolio(mortagne, referent):
    with pytest.raises(ValidationError, match="suit un projet"):
        services.reseau_create(territoire=mortagne, by=referent, name="Réseau ADS", kind="projet")


def test_a_tie_that_ended_is_absent_after_its_end_date(mortagne, finances, referent, sg_petite_commune):
    membre = finances.membres.get(agent=sg_petite_commune)
    services.membre_end(membre=membre, by=referent, until=DAY)
    reseau_key, agent_key = f"r{finances.pk}", graph.agent_key(sg_petite_commune.pk)
    assert graph.build_graph(mortagne, DAY).has_edge(agent_key, reseau_key)  # still a member on its last day
    assert not graph.build_graph(mortagne, DAY + timedelta(days=1)).has_edge(agent_key, reseau_key)
    assert not graph.build_graph(mortagne, DAY - timedelta(days=31)).has_edge(agent_key, reseau_key)  # not yet


def test_the_bridge_and_the_isolated_communes_of_a_real_territory(mortagne, finances, referent, dgs_commune):
    successor = finances.membres.get(agent=dgs_commune)
    services.membre_set_role(membre=successor, by=referent, role="referent")  # the last référent cannot just leave
    services.membre_end(membre=finances.membres.get(agent=referent), by=referent, until=DAY - timedelta(days=1))
    snapshot = graph.build_graph(mortagne, DAY)
    mortagne_key = graph.collectivite_key(collectivite(mortagne, "Mortagne-sur-Sèvre").pk)
    mallievre_key = graph.collectivite_key(collectivite(mortagne, "Mallièvre").pk)
    isolated = analyses.isolated_collectivites(snapshot)
    assert mortagne_key not in isolated and mallievre_key not in isolated
    assert graph.collectivite_key(collectivite(mortagne, "Tiffauges").pk) in isolated
    # The finances network is the only link between Mortagne-sur-Sèvre and Mallièvre.
    cut = {point.node: point for point in analyses.articulation_points(snapshot)}[f"r{finances.pk}"]
    assert sorted([*cut.cut_off, *cut.remaining_with]) == sorted([mortagne_key, mallievre_key])


def test_events_and_exchanges_are_ties_for_a_while(mortagne, finances, referent, dgs_commune, chanverrie_dgs):
    services.evenement_create(
        reseau=finances, by=referent, title="Journée réseau finances", held_on=DAY, participants=[chanverrie_dgs]
    )
    echange = services.echange_record(
        territoire=mortagne, by=dgs_commune, kind="vis_ma_vie", host=dgs_commune, guest=chanverrie_dgs,
        starts_on=DAY, ends_on=DAY + timedelta(days=1), theme="Préparation budgétaire",
    )  # fmt: skip
    host, guest = graph.agent_key(dgs_commune.pk), graph.agent_key(chanverrie_dgs.pk)
    now = graph.build_graph(mortagne, DAY + timedelta(days=10))
    assert now.has_edge(host, guest) and now.edges[host, guest]["layers"] == ["echanges"]
    assert now.edges[guest, f"r{finances.pk}"]["weight"] == 0.5  # attended, not a member
    later = graph.build_graph(mortagne, echange.ends_on + graph.EXCHANGE_MEMORY + timedelta(days=1))
    assert not later.has_edge(host, guest) and not later.has_edge(guest, f"r{finances.pk}")
    with pytest.raises(ValidationError, match="deux collectivités différentes"):
        services.echange_record(
            territoire=mortagne, by=dgs_commune, kind="echange", host=dgs_commune,
            guest=make_member(mortagne, "Mortagne-sur-Sèvre", "dga@mortagne.test", Membership.Role.DGA),
            starts_on=DAY, ends_on=DAY, theme="Interne",
        )  # fmt: skip


def test_the_codir_and_projects_are_layers_added_on_demand(mortagne, dgs_epci, dgs_commune, finances):
    from django.utils import timezone

    start = timezone.now() + timedelta(days=10)
    reunion = meetings.reunion_create(
        territoire=mortagne, by=dgs_epci, title="CoDir", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    after = timezone.localdate() + timedelta(days=11)
    Presence.objects.create(
        reunion=reunion, collectivite=collectivite(mortagne, "Tiffauges"), status="present", recorded_by=dgs_epci
    )
    services.projet_create(
        territoire=mortagne, by=dgs_commune, title="Groupement de commandes", pilotage="copilotage",
        rotation=[(collectivite(mortagne, "Mortagne-sur-Sèvre"), DAY), (collectivite(mortagne, "Chanverrie"), DAY)],
    )  # fmt: skip
    tiffauges = graph.collectivite_key(collectivite(mortagne, "Tiffauges").pk)
    assert "codir" not in graph.build_graph(mortagne, after)
    full = graph.build_graph(mortagne, after, layers=("reseaux", "echanges", "projets", "codir"))
    assert full.has_edge(tiffauges, "codir")
    chanverrie = graph.collectivite_key(collectivite(mortagne, "Chanverrie").pk)
    assert any(full.nodes[n]["kind"] == "projet" for n in full.neighbors(chanverrie))


def test_building_the_graph_takes_the_same_queries_whatever_the_size(mortagne, finances, referent):
    layers = ("reseaux", "echanges", "projets", "codir")
    with CaptureQueriesContext(connection) as small:
        graph.build_graph(mortagne, DAY, layers)
    for index in range(30):
        agent = make_member(mortagne, "Tiffauges", f"agent{index}@tiffauges.test", Membership.Role.REFERENT)
        services.membre_add(reseau=finances, by=referent, agent=agent, since=DAY - timedelta(days=1))
    with CaptureQueriesContext(connection) as large:
        snapshot = graph.build_graph(mortagne, DAY, layers)
    assert len(large) == len(small) and MembreReseau.objects.filter(reseau=finances).count() > 30
    assert snapshot.degree(f"r{finances.pk}") > 30


def test_who_leaves_the_territory_leaves_its_networks_and_its_map(
    mortagne, dgs_epci, finances, sg_petite_commune, django_capture_on_commit_callbacks
):
    from communes import services as communes_services

    with django_capture_on_commit_callbacks(execute=True):
        communes_services.membership_deactivate(membership=sg_petite_commune.memberships.get(), by=dgs_epci)
    membre = finances.membres.get(agent=sg_petite_commune)
    assert membre.until is not None
    assert graph.agent_key(sg_petite_commune.pk) not in graph.build_graph(mortagne)
    # Earlier maps still show the tie she had then.
    assert graph.build_graph(mortagne, DAY).has_edge(graph.agent_key(sg_petite_commune.pk), f"r{finances.pk}")


def test_observers_do_not_join_networks(mortagne, finances, referent, observateur):
    with pytest.raises(ValidationError, match="n'est pas membre du territoire"):
        services.membre_add(reseau=finances, by=referent, agent=observateur)


def test_a_network_keeps_a_referent_and_closes_after_its_last_arrival(finances, referent, dgs_commune):
    with pytest.raises(ValidationError, match="au moins un·e référent·e"):
        services.membre_end(membre=finances.membres.get(agent=referent), by=referent)
    with pytest.raises(ValidationError, match="se clôt ce jour-là au plus tôt"):
        services.reseau_close(reseau=finances, by=referent, on=DAY - timedelta(days=45))
    closed = services.reseau_close(reseau=finances, by=referent, on=DAY)
    assert closed.closed_on == DAY and not finances.membres.filter(until__isnull=True).exists()


def test_a_cancelled_meeting_leaves_the_codir_layer(
    mortagne, dgs_epci, dgs_commune, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from reseaux import cartography

    start = timezone.now() + timedelta(days=10)
    reunion = meetings.reunion_create(
        territoire=mortagne, by=dgs_epci, title="CoDir", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    Presence.objects.create(
        reunion=reunion, collectivite=collectivite(mortagne, "Tiffauges"), status="present", recorded_by=dgs_epci
    )
    after = timezone.localdate() + timedelta(days=11)
    tiffauges = graph.collectivite_key(collectivite(mortagne, "Tiffauges").pk)
    layers = ("reseaux", "codir")
    assert any(
        e["a"] == tiffauges or e["b"] == tiffauges for e in cartography.analysis_of(mortagne, after, layers).edges
    )
    with django_capture_on_commit_callbacks(execute=True):
        meetings.reunion_cancel(reunion=reunion, by=dgs_epci, reason="Report")
    assert not any(tiffauges in (e["a"], e["b"]) for e in cartography.analysis_of(mortagne, after, layers).edges)


def test_a_commune_that_leaves_the_epci_takes_its_members_out_of_the_networks_and_off_the_map(
    mortagne, finances, sg_petite_commune, django_capture_on_commit_callbacks
):
    from communes.importer import find_epci, territoires_import
    from reseaux import cartography
    from tests.conftest import _records

    before = cartography.analysis_of(mortagne)
    assert graph.agent_key(sg_petite_commune.pk) in before.nodes
    record = find_epci(_records(), mortagne.siren)[0]
    without_mallievre = record.__class__(
        siren=record.siren, nature=record.nature, name=record.name, population=record.population,
        communes=tuple(c for c in record.communes if c.name != "Mallièvre"),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        territoires_import([without_mallievre])
    assert finances.membres.get(agent=sg_petite_commune).until is not None
    after = cartography.analysis_of(mortagne)  # not the cached one: the import invalidated it
    assert graph.agent_key(sg_petite_commune.pk) not in after.nodes
    assert graph.collectivite_key(collectivite(mortagne, "Mallièvre").pk) not in after.nodes
