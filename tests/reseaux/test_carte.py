"""The map page of the networks: the drawing, the analyses explained, the table alternative, the exports."""

import html
from datetime import timedelta

import networkx as nx
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from communes.models import Membership
from reseaux import cartography, services
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import collectivite, import_epci, make_member
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db


def plain(response):
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def url(name, territoire, **kwargs):
    return reverse(f"reseaux_net:{name}", kwargs={"territoire_slug": territoire.slug, **kwargs})


@pytest.fixture
def finances(mortagne, referent, dgs_commune, sg_petite_commune):
    """The finances network links Mortagne-sur-Sèvre and Mallièvre (and the EPCI, its référent's)."""
    reseau = services.reseau_create(territoire=mortagne, by=referent, name="Réseau finances", kind="metier")
    for agent in (dgs_commune, sg_petite_commune):
        services.membre_add(reseau=reseau, by=referent, agent=agent)
    return reseau


def test_the_map_explains_weak_points_and_isolated_communes_and_lists_them_in_tables(
    mortagne, finances, observateur, client_for
):
    response = client_for(observateur).get(url("carte", mortagne))
    assert response.status_code == 200
    page = plain(response)
    isolated = page[page.index("Collectivités sans lien avec un réseau") : page.index("Points de fragilité")]
    assert "Tiffauges" in isolated and "Mallièvre" not in isolated and "Mortagne-sur-Sèvre" not in isolated
    weak = page[page.index("Points de fragilité") : page.index("Ponts")]
    assert "Si Réseau finances part" in weak
    # Mallièvre hangs from the network by its only agent in it.
    assert "Si Élodie Martineau (Mallièvre) part, Mallièvre perd son seul lien avec les autres." in weak
    matrix = response.context["matrix"]
    row = {name: counts for name, _url, counts in matrix}
    assert row["Mallièvre"] == [1] and row["Tiffauges"] == [0]
    assert response.content.decode().count("<svg") >= 1 and 'aria-label="Mallièvre' in response.content.decode()


def test_the_map_at_an_earlier_date_and_focused_on_a_network(mortagne, finances, referent, client_for):
    client = client_for(referent)
    before = timezone.localdate() - timedelta(days=1)
    page = plain(client.get(url("carte", mortagne), {"date": before.isoformat()}))
    # Yesterday the network did not exist yet: every commune was without a link.
    isolated = page[page.index("Collectivités sans lien avec un réseau") : page.index("Points de fragilité")]
    assert "Mallièvre" in isolated and "Mortagne-sur-Sèvre" in isolated
    focused = client.get(url("carte", mortagne), {"reseau": finances.pk, "couleur": "communaute"})
    drawing = focused.context["drawing"]
    faded = {node.label: node.faded for node in drawing["nodes"]}
    assert faded["Tiffauges"] and not faded["Mallièvre"]
    bad = client.get(url("carte", mortagne), {"date": "31/02/2026", "couches": ["inconnue"]})
    assert bad.status_code == 200 and "Sélectionnez un choix valide" in plain(bad)  # the defaults are drawn


def test_the_exports_open_in_gephi_and_spreadsheets(mortagne, finances, dgs_commune, client_for, tmp_path):
    client = client_for(dgs_commune)
    graphml = client.get(url("carte_export", mortagne, fmt="graphml"))
    path = tmp_path / "carte.graphml"
    path.write_bytes(graphml.content)
    graph = nx.read_graphml(path)
    assert f"r{finances.pk}" in graph and graph.nodes[f"r{finances.pk}"]["label"] == "Réseau finances"
    gexf = client.get(url("carte_export", mortagne, fmt="gexf"))
    assert b"<gexf" in gexf.content and gexf["Content-Type"].startswith("application/gexf+xml")
    nodes = client.get(url("carte_export", mortagne, fmt="noeuds.csv")).content.decode("utf-8-sig").splitlines()
    assert nodes[0].startswith("Identifiant;Nature;Nom") and any(";Réseau finances;" in line for line in nodes)
    ties = client.get(url("carte_export", mortagne, fmt="liens.csv")).content.decode("utf-8-sig").splitlines()
    assert any(line.endswith(";reseaux;1.0") for line in ties)
    svg = client.get(url("carte_export", mortagne, fmt="svg"))
    assert svg["Content-Type"].startswith("image/svg+xml") and b"<circle" in svg.content
    assert client.get(f"/t/{mortagne.slug}/reseaux/carte/export.exe").status_code == 404


def test_the_map_page_takes_the_same_queries_whatever_the_size(client, django_assert_max_num_queries):
    def territory(siren, members):
        territoire = import_epci(siren)
        admin = populate(territoire, members_per_commune=1)
        reseau = services.reseau_create(territoire=territoire, by=admin, name="Réseau RH", kind="metier")
        for index in range(members):
            home = territoire.collectivites.filter(kind="commune").order_by("pk")[index % 5]
            agent = make_member(territoire, home.name, f"rh{index}@{siren}.test", Membership.Role.REFERENT)
            services.membre_add(reseau=reseau, by=admin, agent=agent)
        # Both maps are compared once their analyses are cached, as a visitor after the first finds them.
        cartography.analysis_of(territoire)
        cartography.analysis_of(territoire, layers=("reseaux", "projets", "codir"))
        return admin, (territoire,)

    pages = {
        "carte": (lambda t: url("carte", t), 16),
        "carte_layers": (lambda t: url("carte", t) + "?couches=reseaux&couches=projets&couches=codir", 16),
    }
    assert_counts_do_not_grow(
        client, django_assert_max_num_queries, pages, territory("248500662", 3), territory(PAYS_BASQUE, 40)
    )


def test_the_commune_links_of_the_map_lead_to_their_pages(mortagne, finances, dgs_commune, client_for):
    response = client_for(dgs_commune).get(url("carte", mortagne))
    mallievre = collectivite(mortagne, "Mallièvre")
    assert reverse("communes:collectivite", args=[mortagne.slug, mallievre.pk]) in response.content.decode()
    assert reverse("reseaux_net:reseau", args=[mortagne.slug, finances.pk]) in response.content.decode()


def test_who_can_help_finds_colleagues_of_other_collectivites(
    mortagne, finances, dgs_commune, referent, sg_petite_commune, client_for
):
    from communes.models import Agent

    Agent.objects.filter(pk=referent.pk).update(job_title="Responsable des finances et de la commande publique")
    colleague = make_member(mortagne, "Mortagne-sur-Sèvre", "dga@mortagne.test", Membership.Role.DGA)
    Agent.objects.filter(pk=colleague.pk).update(job_title="Directrice adjointe, finances")
    client = client_for(dgs_commune)
    page = plain(client.get(url("qui", mortagne), {"q": "finances"}))
    assert "1 personne trouvée" in page and referent.get_full_name() in page
    assert "Réseau finances (référent·e)" in page
    assert colleague.email not in page  # same collectivité as the one asking
    by_network = client.get(url("qui", mortagne), {"reseau": finances.pk}).context["agents"]
    assert {agent.pk for agent in by_network} == {referent.pk, sg_petite_commune.pk}  # not the one asking
    assert "personne trouvée" not in plain(client.get(url("qui", mortagne)))  # nothing asked yet


def test_the_map_compares_two_dates(mortagne, finances, referent, sg_petite_commune, client_for):
    today = timezone.localdate()
    # The network and its members date from ten days ago; Mallièvre's SG left it yesterday.
    type(finances).objects.filter(pk=finances.pk).update(created_on=today - timedelta(days=10))
    finances.membres.update(since=today - timedelta(days=10))
    membre = finances.membres.get(agent=sg_petite_commune)
    services.membre_end(membre=membre, by=referent, until=today - timedelta(days=1))
    response = client_for(referent).get(
        url("carte", mortagne), {"depuis": (today - timedelta(days=1)).isoformat(), "date": today.isoformat()}
    )
    page = plain(response)
    change = page[page.index("Ce qui a changé") : page.index("Ce que montre la carte")]
    assert "Réseau finances (3 → 2 membres)" in change
    assert response.context["change"]["newly_isolated"] == ["Mallièvre"]
    assert "1 perdu(s)" in change and "Élodie Martineau (Mallièvre) — Réseau finances" in change


def test_who_can_help_finds_a_former_colleague_now_elsewhere(mortagne, dgs_epci, dgs_commune, client_for):
    from communes import services as communes_services

    moved = make_member(mortagne, "Mortagne-sur-Sèvre", "urbanisme@mortagne.test", Membership.Role.REFERENT)
    communes_services.membership_deactivate(membership=moved.memberships.get(), by=dgs_epci)
    communes_services.membership_add(
        territoire=mortagne, agent=moved, collectivite=collectivite(mortagne, "Tiffauges"), role="referent", by=None
    )
    type(moved).objects.filter(pk=moved.pk).update(job_title="Instructeur urbanisme")
    found = client_for(dgs_commune).get(url("qui", mortagne), {"q": "urbanisme"}).context["agents"]
    assert [agent.pk for agent in found] == [moved.pk]


def test_odd_dates_on_the_map_fall_back_to_today_and_the_comparison_has_its_own_cache(
    mortagne, finances, referent, client_for
):
    client = client_for(referent)
    for params in ({"date": "0001-06-01"}, {"depuis": "0001-06-01"}):
        assert client.get(url("carte", mortagne), params).status_code == 200
        assert client.get(url("carte_export", mortagne, fmt="liens.csv"), params).status_code == 200
    client.get(url("carte", mortagne))  # caches the plain map
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert "Ce qui a changé" in plain(client.get(url("carte", mortagne), {"depuis": yesterday}))
