"""The professional networks through the REST API: networks, members, events, resources, exchanges, the
analyses of the graph of ties as JSON; who reads, who writes, what a bad request gets, and how many queries
the lists cost."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from communes import services as communes_services
from communes.models import Collectivite, Membership
from reseaux import graph, services
from reseaux.api.networks_serializers import AnalysisSerializer, EvolutionSerializer
from reseaux.models import Echange, Evenement, MembreReseau, Reseau, Ressource
from tests.conftest import collectivite, import_epci, make_member
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def fresh_cache():
    """The analyses are cached by territory id and data version; a rolled-back test may leave an id reused."""
    cache.clear()
    yield
    cache.clear()


def url(name, territoire, *args):
    return reverse(f"api:{name}", args=[territoire.slug, *args])


def make_reseau(territoire, by, name="Réseau finances", members=(), days_ago=60):
    """A network led by `by`, created `days_ago` days ago, with `members` since the same day."""
    start = TODAY() - timedelta(days=days_ago)
    reseau = services.reseau_create(territoire=territoire, by=by, name=name, kind="metier", created_on=start)
    for agent in members:
        services.membre_add(reseau=reseau, by=by, agent=agent, since=start)
    return reseau


@pytest.fixture
def finances(mortagne, dgs_commune, sg_petite_commune):
    """Led by the DGS of Mortagne-sur-Sèvre; the SG of Mallièvre is a plain member."""
    return make_reseau(mortagne, dgs_commune, members=[sg_petite_commune])


def test_a_member_creates_a_network_leads_it_and_reads_it_back(
    mortagne, dgs_commune, sg_petite_commune, referent, dgs_epci, api_for
):
    response = api_for(dgs_commune).post(
        url("reseau-list", mortagne),
        {"name": "  Réseau des secrétaires de mairie  ", "kind": "fonction", "description": "Un *atelier* par mois."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["name"], created["kind"], created["closed_on"]) == (
        "Réseau des secrétaires de mairie",
        "fonction",
        None,
    )
    assert "<em>atelier</em>" in created["description_html"]
    assert [(m["agent"]["email"], m["role"], m["collectivite"]["name"], m["current"]) for m in created["membres"]] == [
        (dgs_commune.email, "referent", "Mortagne-sur-Sèvre", True)
    ]
    assert (created["members_count"], created["referents_count"], created["collectivites_count"]) == (1, 1, 1)
    assert created["droits"] == {"animer": True} and created["created_by"]["email"] == dgs_commune.email
    reseau_id = created["id"]

    added = api_for(dgs_commune).post(
        url("reseau-membre-list", mortagne), {"reseau": reseau_id, "agent": sg_petite_commune.pk}, format="json"
    )
    assert added.status_code == 201, added.json()
    assert (added.json()["role"], added.json()["since"], added.json()["collectivite"]["name"]) == (
        "membre",
        TODAY().isoformat(),
        "Mallièvre",
    )
    # The EPCI's DGS administers the territory: runs any network.
    by_admin = api_for(dgs_epci).post(
        url("reseau-membre-list", mortagne),
        {"reseau": reseau_id, "agent": referent.pk, "role": "referent"},
        format="json",
    )
    assert by_admin.status_code == 201, by_admin.json()

    listed = api_for(sg_petite_commune).get(url("reseau-list", mortagne)).json()
    assert [
        (r["name"], r["members_count"], r["referents_count"], r["collectivites_count"]) for r in listed["results"]
    ] == [("Réseau des secrétaires de mairie", 3, 2, 3)]
    detail = api_for(sg_petite_commune).get(url("reseau-detail", mortagne, reseau_id)).json()
    assert detail["droits"] == {"animer": False} and len(detail["membres"]) == 3
    assert (detail["members_count"], detail["referents_count"], detail["collectivites_count"]) == (3, 2, 3)


def test_the_creator_names_other_referents(mortagne, dgs_commune, referent, api_for):
    response = api_for(dgs_commune).post(
        url("reseau-list", mortagne),
        {"name": "Réseau RH", "kind": "metier", "referents": [referent.pk, dgs_commune.pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert sorted((m["agent"]["email"], m["role"]) for m in response.json()["membres"]) == sorted(
        [(dgs_commune.email, "referent"), (referent.email, "referent")]
    )


def test_a_project_network_follows_a_project_of_the_territory(mortagne, achards, dgs_commune, outsider, api_for):
    from tests.reseaux.test_api import make_projet

    projet = make_projet(mortagne, dgs_commune)
    foreign = make_projet(achards, outsider, "Projet voisin", pilots=("CC du Pays des Achards",))
    api, base = api_for(dgs_commune), url("reseau-list", mortagne)
    missing = api.post(base, {"name": "Réseau ADS", "kind": "projet"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["projet"] == ["Un réseau projet suit un projet du portefeuille : choisissez-le."]
    other = api.post(base, {"name": "Réseau ADS", "kind": "projet", "projet": foreign.pk}, format="json")
    assert other.status_code == 400 and "n'existe pas" in other.json()["projet"][0]
    assert not Reseau.objects.exists()
    created = api.post(base, {"name": "Réseau ADS", "kind": "projet", "projet": projet.pk}, format="json")
    assert created.status_code == 201 and created.json()["projet"]["title"] == projet.title


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": ""}, "name", "Ce champ ne peut être vide."),
        ({"name": "x" * 151}, "name", "Assurez-vous que ce champ comporte au plus 150"),
        ({"kind": "amicale"}, "kind", "n'est pas un choix valide"),
        ({"kind": None}, "kind", "Ce champ ne peut être nul."),
        ({"name": "réseau FINANCES"}, "name", "Un réseau porte déjà ce nom."),
        ({"created_on": "9999-01-01"}, "created_on", "Choisissez une date entre 1900 et 2199."),
        ({"created_on": "hier"}, "created_on", "La date n'a pas le bon format"),
        ({"referents": ["x"]}, "referents", "Type incorrect"),
    ],
)
def test_a_bad_network_gets_a_400_in_french_and_nothing_is_created(
    mortagne, finances, dgs_commune, body, field, message, api_for
):
    payload = {"name": "Réseau urbanisme", "kind": "metier", **body}
    response = api_for(dgs_commune).post(url("reseau-list", mortagne), payload, format="json")
    assert response.status_code == 400 and message in str(response.json()[field]), response.json()
    assert list(Reseau.objects.values_list("name", flat=True)) == ["Réseau finances"]


def test_a_member_who_is_not_referent_observers_and_the_facilitator_read_but_write_nothing(
    mortagne, finances, dgs_commune, sg_petite_commune, referent, observateur, facilitateur, api_for
):
    membre = finances.membres.get(agent=sg_petite_commune)
    ressource = services.ressource_add(
        reseau=finances, by=dgs_commune, title="Guide M57", url="https://example.org/m57"
    )
    today = TODAY().isoformat()
    writes = [
        (url("reseau-membre-list", mortagne), {"reseau": finances.pk, "agent": referent.pk}),
        (url("reseau-membre-terminer", mortagne, membre.pk), {}),
        (url("reseau-membre-role", mortagne, membre.pk), {"role": "referent"}),
        (url("reseau-evenement-list", mortagne), {"reseau": finances.pk, "title": "Atelier", "held_on": today}),
        (url("reseau-ressource-list", mortagne), {"reseau": finances.pk, "title": "T", "url": "https://example.org"}),
        (url("reseau-ressource-retirer", mortagne, ressource.pk), {}),
        (url("reseau-clore", mortagne, finances.pk), {}),
    ]
    for agent in (sg_petite_commune, observateur, facilitateur):
        api = api_for(agent)
        assert api.get(url("reseau-list", mortagne)).json()["count"] == 1
        detail = api.get(url("reseau-detail", mortagne, finances.pk))
        assert detail.status_code == 200 and detail.json()["droits"] == {"animer": False}
        for target, body in writes:
            assert api.post(target, body, format="json").status_code == 403, (agent, target)
    for agent in (observateur, facilitateur):  # only members who write create networks and exchanges
        api = api_for(agent)
        assert api.post(url("reseau-list", mortagne), {"name": "N", "kind": "metier"}, format="json").status_code == 403
        body = {"kind": "echange", "host": dgs_commune.pk, "guest": sg_petite_commune.pk, "starts_on": today,
                "ends_on": today, "theme": "Budget"}  # fmt: skip
        assert api.post(url("echange-list", mortagne), body, format="json").status_code == 403
        assert api.get(url("reseau-analyses", mortagne)).status_code == 200
    assert Reseau.objects.get().closed_on is None and not Evenement.objects.exists() and not Echange.objects.exists()
    assert [(m.agent_id, m.role, m.until) for m in MembreReseau.objects.order_by("pk")] == [
        (dgs_commune.pk, "referent", None),
        (sg_petite_commune.pk, "membre", None),
    ]
    assert Ressource.objects.get().withdrawn_at is None and Ressource.objects.count() == 1


def test_outsiders_get_404_and_ids_of_another_territory_do_not_exist(
    mortagne, achards, finances, dgs_commune, outsider, api_for
):
    for target in (
        url("reseau-list", mortagne),
        url("reseau-detail", mortagne, finances.pk),
        url("reseau-membre-list", mortagne),
        url("reseau-evenement-list", mortagne),
        url("reseau-ressource-list", mortagne),
        url("echange-list", mortagne),
        url("reseau-analyses", mortagne),
        url("reseau-evolution", mortagne),
    ):
        assert api_for(outsider).get(target).status_code == 404, target
    assert api_for(outsider).post(url("reseau-clore", mortagne, finances.pk)).status_code == 404
    assert api_for(outsider).post(url("reseau-list", mortagne), {"name": "N", "kind": "metier"}).status_code == 404

    voisin = make_reseau(achards, outsider, name="Réseau voisin")
    voisin_membre = voisin.membres.get()
    api = api_for(dgs_commune)
    for target in (url("reseau-detail", mortagne, voisin.pk), url("reseau-clore", mortagne, voisin.pk)):
        assert api.get(target).status_code in (404, 405) and api.post(target).status_code in (404, 405)
    for name in ("reseau-membre-terminer", "reseau-membre-role"):
        assert api.post(url(name, mortagne, voisin_membre.pk), {"role": "membre"}).status_code == 404
    assert api.get(url("reseau-membre-detail", mortagne, voisin_membre.pk)).status_code == 404
    assert api.get(url("reseau-membre-list", mortagne), {"reseau": voisin.pk}).status_code == 400
    today = TODAY().isoformat()
    for name, body, field in [
        ("reseau-membre-list", {"reseau": voisin.pk, "agent": dgs_commune.pk}, "reseau"),
        ("reseau-membre-list", {"reseau": finances.pk, "agent": outsider.pk}, "agent"),
        ("reseau-evenement-list", {"reseau": finances.pk, "title": "A", "held_on": today, "participants": [outsider.pk]}, "participants"),
        ("reseau-ressource-list", {"reseau": voisin.pk, "title": "T", "url": "https://example.org"}, "reseau"),
        ("echange-list", {"kind": "echange", "host": dgs_commune.pk, "guest": outsider.pk, "starts_on": today, "ends_on": today, "theme": "T"}, "guest"),
    ]:  # fmt: skip
        response = api.post(url(name, mortagne), body, format="json")
        assert response.status_code == 400 and "n'existe pas" in str(response.json()[field]), (name, response.json())
    assert finances.membres.count() == 2 and voisin.membres.count() == 1
    assert not Evenement.objects.exists() and not Ressource.objects.exists() and not Echange.objects.exists()


def test_a_non_numeric_id_is_a_404_not_a_500(mortagne, finances, dgs_commune, api_for):
    api = api_for(dgs_commune)
    for name, suffixes in [
        ("reseau-list", ["abc/", "abc/clore/", "1e9/"]),
        ("reseau-membre-list", ["abc/terminer/", "abc/role/"]),
        ("reseau-ressource-list", ["abc/retirer/"]),
        ("echange-list", ["-1/"]),
    ]:
        for suffix in suffixes:
            target = url(name, mortagne) + suffix
            assert api.get(target).status_code in (404, 405) and api.post(target).status_code in (404, 405), target


def test_referents_end_memberships_and_change_roles_and_the_history_stays(
    mortagne, finances, dgs_commune, sg_petite_commune, referent, api_for
):
    api = api_for(dgs_commune)
    added = api.post(url("reseau-membre-list", mortagne), {"reseau": finances.pk, "agent": referent.pk})
    twice = api.post(url("reseau-membre-list", mortagne), {"reseau": finances.pk, "agent": referent.pk})
    assert twice.status_code == 400 and "est déjà membre du réseau" in twice.json()["agent"][0]
    bad_role = api.post(url("reseau-membre-role", mortagne, added.json()["id"]), {"role": "chef"})
    assert bad_role.status_code == 400 and "n'est pas un choix valide" in bad_role.json()["role"][0]
    promoted = api.post(url("reseau-membre-role", mortagne, added.json()["id"]), {"role": "referent"})
    assert promoted.status_code == 200 and promoted.json()["role"] == "referent"
    # The new référent now leads the network.
    membre = finances.membres.get(agent=sg_petite_commune)
    yesterday = (TODAY() - timedelta(days=1)).isoformat()
    ended = api_for(referent).post(url("reseau-membre-terminer", mortagne, membre.pk), {"until": yesterday})
    assert ended.status_code == 200, ended.json()
    assert (ended.json()["until"], ended.json()["current"]) == (yesterday, False)
    again = api_for(referent).post(url("reseau-membre-terminer", mortagne, membre.pk), {})
    assert again.status_code == 400 and again.json()["detail"] == ["Cette personne a déjà quitté le réseau."]
    left_role = api.post(url("reseau-membre-role", mortagne, membre.pk), {"role": "referent"})
    assert left_role.status_code == 400 and left_role.json()["detail"] == ["Cette personne a quitté le réseau."]
    detail = api.get(url("reseau-detail", mortagne, finances.pk)).json()
    assert sorted((m["agent"]["email"], m["until"], m["current"]) for m in detail["membres"]) == sorted(
        [(dgs_commune.email, None, True), (referent.email, None, True), (sg_petite_commune.email, yesterday, False)]
    )
    assert (detail["members_count"], detail["referents_count"]) == (2, 2)
    listed = api.get(url("reseau-membre-list", mortagne), {"reseau": finances.pk}).json()
    assert listed["count"] == 3
    # A member who left may join again: a new period.
    rejoined = api.post(url("reseau-membre-list", mortagne), {"reseau": finances.pk, "agent": sg_petite_commune.pk})
    assert rejoined.status_code == 201 and finances.membres.filter(agent=sg_petite_commune).count() == 2


def test_a_membership_ends_after_it_began(mortagne, finances, dgs_commune, sg_petite_commune, api_for):
    membre = finances.membres.get(agent=sg_petite_commune)
    response = api_for(dgs_commune).post(url("reseau-membre-terminer", mortagne, membre.pk), {"until": "2000-01-01"})
    assert response.status_code == 400
    assert "Un membre quitte le réseau après l'avoir rejoint." in str(response.json())
    assert MembreReseau.objects.get(pk=membre.pk).until is None


def test_events_are_recorded_with_their_participants(
    mortagne, finances, dgs_commune, sg_petite_commune, dgs_epci, api_for
):
    base = url("reseau-evenement-list", mortagne)
    body = {
        "reseau": finances.pk,
        "title": "Atelier M57",
        "held_on": (TODAY() - timedelta(days=3)).isoformat(),
        "place": "Mallièvre",
        "participants": [dgs_commune.pk, sg_petite_commune.pk, dgs_epci.pk],
    }
    undated = api_for(dgs_commune).post(base, {**body, "held_on": None}, format="json")
    assert undated.status_code == 400 and undated.json()["held_on"] == ["Ce champ ne peut être nul."]
    far = api_for(dgs_commune).post(base, {**body, "held_on": "1800-01-01"}, format="json")
    assert far.status_code == 400 and "entre 1900 et 2199" in str(far.json())
    assert not Evenement.objects.exists()
    created = api_for(dgs_commune).post(base, body, format="json")
    assert created.status_code == 201, created.json()
    assert sorted((p["agent"]["email"], p["collectivite"]["name"]) for p in created.json()["participants"]) == sorted(
        [
            (dgs_commune.email, "Mortagne-sur-Sèvre"),
            (sg_petite_commune.email, "Mallièvre"),
            (dgs_epci.email, "CC du Pays de Mortagne"),
        ]
    )
    other = make_reseau(mortagne, dgs_epci, name="Réseau RH")
    services.evenement_create(reseau=other, by=dgs_epci, title="Journée RH", held_on=TODAY())
    listed = api_for(sg_petite_commune).get(base, {"reseau": finances.pk}).json()
    assert [e["title"] for e in listed["results"]] == ["Atelier M57"]
    assert api_for(sg_petite_commune).get(base).json()["count"] == 2
    detail = api_for(sg_petite_commune).get(url("reseau-detail", mortagne, finances.pk)).json()
    assert [(e["title"], len(e["participants"])) for e in detail["evenements"]] == [("Atelier M57", 3)]


def test_resources_are_shared_and_withdrawn(mortagne, finances, dgs_commune, sg_petite_commune, api_for):
    base = url("reseau-ressource-list", mortagne)
    bad = api_for(dgs_commune).post(base, {"reseau": finances.pk, "title": "Guide", "url": "pas une adresse"})
    assert bad.status_code == 400 and bad.json()["url"] == ["Saisissez une URL valide."]
    assert not Ressource.objects.exists()
    created = api_for(dgs_commune).post(base, {"reseau": finances.pk, "title": "Guide M57", "url": "https://e.org/m57"})
    assert created.status_code == 201, created.json()
    assert (created.json()["added_by"]["email"], created.json()["withdrawn_at"]) == (dgs_commune.email, None)
    detail = url("reseau-detail", mortagne, finances.pk)
    assert [r["title"] for r in api_for(sg_petite_commune).get(detail).json()["ressources"]] == ["Guide M57"]
    withdraw = url("reseau-ressource-retirer", mortagne, created.json()["id"])
    withdrawn = api_for(dgs_commune).post(withdraw)
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    again = api_for(dgs_commune).post(withdraw)
    assert again.status_code == 400 and again.json()["detail"] == ["Cette ressource est déjà retirée."]
    assert api_for(sg_petite_commune).get(detail).json()["ressources"] == []
    listed = api_for(sg_petite_commune).get(base, {"reseau": finances.pk}).json()["results"]
    assert [(r["title"], r["withdrawn_at"] is not None) for r in listed] == [("Guide M57", True)]


def test_a_closed_network_keeps_its_history_and_takes_no_new_member(
    mortagne, finances, dgs_commune, sg_petite_commune, referent, dgs_epci, api_for
):
    clore = url("reseau-clore", mortagne, finances.pk)
    before = api_for(dgs_commune).post(clore, {"closed_on": "2000-01-01"}, format="json")
    assert before.status_code == 400 and "Un réseau se clôt après sa création." in str(before.json())
    assert Reseau.objects.get().closed_on is None
    closed = api_for(dgs_commune).post(clore, {}, format="json")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["closed_on"] == TODAY().isoformat()
    assert {m["until"] for m in closed.json()["membres"]} == {TODAY().isoformat()}
    assert closed.json()["droits"] == {"animer": False}  # its référent left it with everybody else
    assert api_for(dgs_commune).post(clore, {}, format="json").status_code == 403
    again = api_for(dgs_epci).post(clore, {}, format="json")  # the administrators still run it
    assert again.status_code == 400 and again.json()["detail"] == ["Ce réseau est déjà clos."]
    late = api_for(dgs_epci).post(url("reseau-membre-list", mortagne), {"reseau": finances.pk, "agent": referent.pk})
    assert late.status_code == 400 and late.json()["detail"] == ["Ce réseau est clos."]
    assert not finances.membres.filter(agent=referent).exists()
    assert api_for(sg_petite_commune).get(url("reseau-list", mortagne)).json()["results"][0]["members_count"] == 2


def test_exchanges_are_recorded_by_the_host_the_guest_or_an_administrator(
    mortagne, dgs_commune, sg_petite_commune, referent, dgs_epci, api_for
):
    base = url("echange-list", mortagne)
    body = {
        "kind": "vis_ma_vie",
        "host": dgs_commune.pk,
        "guest": sg_petite_commune.pk,
        "starts_on": (TODAY() - timedelta(days=10)).isoformat(),
        "ends_on": (TODAY() - timedelta(days=9)).isoformat(),
        "theme": "La préparation budgétaire",
        "learnt": "Le calendrier du débat d'orientation.",
    }
    assert api_for(referent).post(base, body, format="json").status_code == 403  # neither host nor guest
    backwards = api_for(sg_petite_commune).post(base, {**body, "ends_on": "2000-01-01"}, format="json")
    assert backwards.status_code == 400 and backwards.json()["ends_on"] == ["Un échange finit après avoir commencé."]
    itself = api_for(dgs_commune).post(base, {**body, "guest": dgs_commune.pk}, format="json")
    assert itself.status_code == 400 and itself.json()["guest"] == ["Un échange réunit deux personnes."]
    unknown = api_for(dgs_commune).post(base, {**body, "kind": "stage"}, format="json")
    assert unknown.status_code == 400 and "n'est pas un choix valide" in unknown.json()["kind"][0]
    assert not Echange.objects.exists()
    created = api_for(sg_petite_commune).post(base, body, format="json")
    assert created.status_code == 201, created.json()
    echange = created.json()
    assert (echange["host"]["email"], echange["host_collectivite"]["name"], echange["guest_collectivite"]["name"]) == (
        dgs_commune.email,
        "Mortagne-sur-Sèvre",
        "Mallièvre",
    )
    assert echange["recorded_by"]["email"] == sg_petite_commune.email
    by_admin = api_for(dgs_epci).post(base, {**body, "kind": "echange", "theme": "Marchés"}, format="json")
    assert by_admin.status_code == 201
    assert api_for(referent).get(base).json()["count"] == 2
    assert api_for(referent).get(url("echange-detail", mortagne, echange["id"])).json()["theme"] == body["theme"]


# --- Analyses ------------------------------------------------------------------------------------------


def test_the_analyses_show_the_network_linking_two_communes_as_a_cut_point(
    mortagne, dgs_commune, sg_petite_commune, observateur, api_for
):
    api = api_for(dgs_commune)
    created = api.post(url("reseau-list", mortagne), {"name": "Réseau finances", "kind": "metier"}, format="json")
    reseau_id = created.json()["id"]
    api.post(url("reseau-membre-list", mortagne), {"reseau": reseau_id, "agent": sg_petite_commune.pk})
    response = api_for(observateur).get(url("reseau-analyses", mortagne))
    assert response.status_code == 200, response.json()
    analysis = response.json()
    assert set(analysis) == set(AnalysisSerializer().fields)
    assert (analysis["at"], analysis["layers"]) == (TODAY().isoformat(), list(graph.DEFAULT_LAYERS))
    mortagne_key = graph.collectivite_key(collectivite(mortagne, "Mortagne-sur-Sèvre").pk)
    mallievre_key = graph.collectivite_key(collectivite(mortagne, "Mallièvre").pk)
    assert mortagne_key not in analysis["isolated"] and mallievre_key not in analysis["isolated"]
    assert graph.collectivite_key(collectivite(mortagne, "Tiffauges").pk) in analysis["isolated"]
    cut = {point["node"]: point for point in analysis["cut_points"]}[f"r{reseau_id}"]
    assert sorted([*cut["cut_off"], *cut["remaining_with"]]) == sorted([mortagne_key, mallievre_key])
    assert analysis["nodes"][f"r{reseau_id}"] == {"kind": "reseau", "label": "Réseau finances", "reseau_kind": "metier"}
    assert analysis["coverage"][mallievre_key] == {f"r{reseau_id}": 1}
    # Before the network existed, the two communes had no link.
    yesterday = api.get(url("reseau-analyses", mortagne), {"date": (TODAY() - timedelta(days=1)).isoformat()}).json()
    assert mortagne_key in yesterday["isolated"] and yesterday["cut_points"] == []
    layered = api.get(url("reseau-analyses", mortagne), {"couches": "projets, reseaux"}).json()
    assert layered["layers"] == ["reseaux", "projets"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"couches": "inconnue"}, "couches", "Couche inconnue : inconnue."),
        ({"couches": "reseaux,amis"}, "couches", "Couche inconnue : amis."),
        ({"date": "demain"}, "date", "La date n'a pas le bon format"),
        ({"date": "9999-12-31"}, "date", "Choisissez une date entre 1900 et 2199."),
        ({"date": "0001-01-01"}, "date", "Choisissez une date entre 1900 et 2199."),
    ],
)
def test_a_bad_analysis_query_gets_a_400_in_french(mortagne, dgs_commune, params, field, message, api_for):
    response = api_for(dgs_commune).get(url("reseau-analyses", mortagne), params)
    assert response.status_code == 400 and message in response.json()[field][0], response.json()


def test_the_evolution_lists_who_left_between_two_dates(
    mortagne, finances, dgs_commune, sg_petite_commune, dgs_epci, facilitateur, api_for
):
    """The SG of Mallièvre left the network ten days ago, then the territory: gone from the later map."""
    membre = finances.membres.get(agent=sg_petite_commune)
    services.membre_end(membre=membre, by=dgs_commune, until=TODAY() - timedelta(days=10))
    communes_services.membership_deactivate(membership=sg_petite_commune.memberships.get(), by=dgs_epci)
    before, after = TODAY() - timedelta(days=20), TODAY()
    response = api_for(facilitateur).get(
        url("reseau-evolution", mortagne), {"du": before.isoformat(), "au": after.isoformat()}
    )
    assert response.status_code == 200, response.json()
    evolution = response.json()
    assert set(evolution) == set(EvolutionSerializer().fields)
    assert (evolution["du"], evolution["au"], evolution["layers"]) == (
        before.isoformat(),
        after.isoformat(),
        list(graph.DEFAULT_LAYERS),
    )
    assert graph.agent_key(sg_petite_commune.pk) in evolution["agents_left"]
    assert graph.agent_key(dgs_commune.pk) not in evolution["agents_left"]
    assert evolution["networks_weakened"] == [[f"r{finances.pk}", 2, 1]]
    mallievre_key = graph.collectivite_key(collectivite(mortagne, "Mallièvre").pk)
    assert mallievre_key in evolution["newly_isolated"]
    assert [graph.agent_key(sg_petite_commune.pk), f"r{finances.pk}"] in evolution["ties_lost"]
    # By default, the year before today.
    default = api_for(facilitateur).get(url("reseau-evolution", mortagne)).json()
    assert (default["du"], default["au"]) == ((TODAY() - timedelta(days=365)).isoformat(), TODAY().isoformat())
    for params, field, message in [
        ({"du": after.isoformat(), "au": before.isoformat()}, "du", "La date « du » précède la date « au »."),
        ({"du": "hier"}, "du", "La date n'a pas le bon format"),
        ({"couches": "inconnue"}, "couches", "Couche inconnue : inconnue."),
    ]:
        bad = api_for(facilitateur).get(url("reseau-evolution", mortagne), params)
        assert bad.status_code == 400 and message in bad.json()[field][0], bad.json()


# --- Generated input ------------------------------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.dates().map(str),
    st.lists(st.integers(min_value=-3, max_value=10**6), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
DROP = object()


def valid_bodies(reseau, agents) -> dict[str, dict]:
    """A body each write endpoint accepts from an administrator; the test spoils it."""
    today, (first, second, third) = str(TODAY()), agents
    return {
        "reseau-list": {"name": "Réseau N", "kind": "metier", "description": "D", "referents": [first.pk]},
        "reseau-clore": {"closed_on": today},
        "reseau-membre-list": {"reseau": reseau.pk, "agent": third.pk, "role": "membre", "since": today},
        "reseau-membre-terminer": {"until": today},
        "reseau-membre-role": {"role": "referent"},
        "reseau-evenement-list": {"reseau": reseau.pk, "title": "A", "held_on": today, "participants": [first.pk]},
        "reseau-ressource-list": {"reseau": reseau.pk, "title": "R", "url": "https://example.org/r"},
        "echange-list": {"kind": "echange", "host": first.pk, "guest": second.pk, "starts_on": today,
                         "ends_on": today, "theme": "T", "learnt": "L"},
    }  # fmt: skip


def plausible(reseau, agents) -> dict[str, list]:
    """Other values a client could well send: edge dates, other ids, every choice."""
    today = TODAY()
    days = [str(today - timedelta(days=400)), str(today + timedelta(days=3)), "9999-12-31", "0001-01-01", None]
    ids = [agent.pk for agent in agents]
    return {
        "reseau": [reseau.pk, 10**30], "agent": ids, "host": ids, "guest": ids, "referents": [ids, [ids[0], ids[0]]],
        "participants": [ids, [ids[0]] * 2], "kind": [*Reseau.Kind.values, *Echange.Kind.values],
        "role": MembreReseau.Role.values, "name": [" ", "x" * 150, "Réseau finances"], "title": [" ", "t" * 200],
        "url": ["ftp://x", "https://" + "x" * 500], "created_on": days, "closed_on": days, "since": days,
        "until": days, "held_on": days, "starts_on": days, "ends_on": days, "projet": [None, 1],
    }  # fmt: skip


DETAIL = {"reseau-clore": "reseau", "reseau-membre-terminer": "membre", "reseau-membre-role": "membre"}


@pytest.mark.parametrize("name", sorted(["reseau-list", "reseau-membre-list", "reseau-evenement-list", "reseau-ressource-list", "echange-list", *DETAIL]))  # fmt: skip
@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_input_never_gets_a_500(name, data, mortagne, dgs_epci, dgs_commune, sg_petite_commune, api_for):
    """A valid body with up to two fields spoiled (another plausible value, anything, or nothing)."""
    agents = [dgs_commune, sg_petite_commune, dgs_epci]
    # A fresh network each time (the previous example may have closed it), beside one named "Réseau finances".
    Reseau.objects.filter(name="Réseau finances").exists() or make_reseau(mortagne, dgs_epci)
    reseau = make_reseau(mortagne, dgs_epci, name=f"Réseau {Reseau.objects.count()}", members=agents[:2])
    objects = {"reseau": reseau, "membre": reseau.membres.get(agent=sg_petite_commune)}
    payload = valid_bodies(reseau, agents)[name]
    alternatives = plausible(reseau, agents)
    for key in data.draw(st.sets(st.sampled_from([*payload, *alternatives]), max_size=2)):
        value = data.draw(st.one_of(st.sampled_from(alternatives.get(key, [None])), JUNK, st.just(DROP)))
        if value is DROP:
            payload.pop(key, None)
        else:
            payload[key] = value
    target = url(name, mortagne, objects[DETAIL[name]].pk) if name in DETAIL else url(name, mortagne)
    response = api_for(dgs_epci).post(target, payload, format="json")
    assert response.status_code < 500, (payload, response.content)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(date=st.one_of(st.dates().map(str), st.text(max_size=12)), couches=st.text(max_size=20))
def test_generated_analysis_queries_never_get_a_500(date, couches, mortagne, dgs_commune, api_for):
    for name, params in (("reseau-analyses", {"date": date, "couches": couches}), ("reseau-evolution", {"du": date})):
        response = api_for(dgs_commune).get(url(name, mortagne), params)
        assert response.status_code in (200, 400), (params, response.content)


# --- Query counts ---------------------------------------------------------------------------------------


def build_networks(territoire, size: int):
    """`size` agents in `size` networks, each network with `size` events attended by all, `size` resources,
    and `size` exchanges between agents of two collectivités."""
    collectivites = list(Collectivite.objects.for_territoire(territoire).order_by("-kind", "pk"))
    admin = make_member(territoire, collectivites[0].name, f"dgs@{territoire.slug}.test", Membership.Role.DGS)
    agents = [
        make_member(territoire, c.name, f"agent{i}@{territoire.slug}.test", Membership.Role.SG)
        for i, c in enumerate(collectivites[1 : size + 1])
    ]
    start = TODAY() - timedelta(days=90)
    reseaux = []
    for index in range(size):
        reseau = services.reseau_create(
            territoire=territoire, by=admin, name=f"Réseau {index:02}", kind="metier", created_on=start
        )
        for agent in agents:
            services.membre_add(reseau=reseau, by=admin, agent=agent, since=start)
        for n in range(size):
            services.evenement_create(
                reseau=reseau, by=admin, title=f"Atelier {n}", held_on=start + timedelta(days=n), participants=agents
            )
            services.ressource_add(reseau=reseau, by=admin, title=f"Ressource {n}", url=f"https://e.org/{n}")
        reseaux.append(reseau)
    for n in range(size):
        host, guest = agents[n % len(agents)], agents[(n + 1) % len(agents)]
        services.echange_record(
            territoire=territoire, by=admin, kind="echange", host=host, guest=guest,
            starts_on=start + timedelta(days=n), ends_on=start + timedelta(days=n + 1), theme=f"Thème {n}",
        )  # fmt: skip
    return admin, reseaux[0]


# name: (url builder, max queries). Every API call: session, agent, the membership with its territory and
# the object permissions on it (3); then a list's count and page, or the network and its prefetches.
PAGES = {
    "api_reseaux": (lambda t, r: url("reseau-list", t), 7),
    # + the network, its members, events, participations, resources and who shared them (an administrator
    # asks: the rights need no object permission)
    "api_reseau": (lambda t, r: url("reseau-detail", t, r.pk), 11),
    "api_membres": (lambda t, r: url("reseau-membre-list", t), 7),
    "api_membres_filtered": (lambda t, r: url("reseau-membre-list", t) + f"?reseau={r.pk}", 8),  # + the network
    "api_evenements": (lambda t, r: url("reseau-evenement-list", t), 8),  # + participations
    "api_ressources": (lambda t, r: url("reseau-ressource-list", t), 7),
    "api_echanges": (lambda t, r: url("echange-list", t), 7),
    # + twice the graph of the default layers: collectivités, memberships, networks, members, events, exchanges
    "api_evolution": (lambda t, r: url("reseau-evolution", t), 17),
}


def test_network_query_counts_do_not_grow_with_the_networks(client, django_assert_max_num_queries, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 1000}  # lists show every row
    small = import_epci("248500662")  # Pays de Mortagne
    small_admin, small_reseau = build_networks(small, size=2)
    large = import_epci("248500530")  # Pays des Achards
    large_admin, large_reseau = build_networks(large, size=6)
    assert Evenement.objects.filter(reseau__territoire=large).count() == 36
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_reseau)),
        (large_admin, (large, large_reseau)),
    )
