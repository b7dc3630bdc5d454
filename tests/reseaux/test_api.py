"""The portfolio through the REST API: who reads, who writes, what a bad request gets, and how many
queries the lists and the project's page cost."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from communes.models import Collectivite, JournalEntry, Membership
from decisions import services as decision_services
from reseaux import services
from reseaux.models import (
    Axe,
    Contribution,
    HealthChange,
    Indicateur,
    Jalon,
    Lien,
    Phase,
    Pilote,
    Projet,
    Referent,
    Revue,
)
from reseaux.services.axes import axe_create
from tests.conftest import collectivite, import_epci, make_member
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def url(name, territoire, *args):
    return reverse(f"api:{name}", args=[territoire.slug, *args])


def make_projet(
    territoire, by, title="Groupement de commandes de fournitures", pilots=("Mortagne-sur-Sèvre",), **fields
):
    """A project piloted by one collectivité, or co-piloted when several are named, started a month ago."""
    start = TODAY() - timedelta(days=30)
    fields.setdefault("starts_on", start)
    rotation = [(collectivite(territoire, name), start) for name in pilots]
    if len(rotation) > 1:
        pilotage = Projet.Pilotage.COPILOTAGE
    else:
        pilotage = Projet.Pilotage.EPCI if rotation[0][0].is_epci else Projet.Pilotage.COMMUNE
    return services.projet_create(
        territoire=territoire, by=by, title=title, pilotage=pilotage, rotation=rotation, **fields
    )


@pytest.fixture
def projet(mortagne, dgs_commune):
    """Piloted by Mortagne-sur-Sèvre (dgs_commune); Mallièvre (sg_petite_commune) does not pilot it."""
    return make_projet(mortagne, dgs_commune)


def test_a_member_creates_a_copiloted_project_and_reads_it_back(mortagne, dgs_epci, dgs_commune, api_for):
    axe = axe_create(territoire=mortagne, by=dgs_epci, name="Ressources humaines")
    mortagne_sur_sevre, mallievre = collectivite(mortagne, "Mortagne-sur-Sèvre"), collectivite(mortagne, "Mallièvre")
    response = api_for(dgs_commune).post(
        url("projet-list", mortagne),
        {
            "title": "  Plan de formation mutualisé  ",
            "description": "Cinq sessions *communes*.",
            "axe": axe.pk,
            "status": "en_cours",
            "pilotage": "copilotage",
            "pilotes": [{"collectivite": mortagne_sur_sevre.pk}, {"collectivite": mallievre.pk}],
            "starts_on": "2026-01-05",
            "ends_on": "2026-12-31",
            "review_every_months": 6,
            "objectives": "- former 40 agents",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["title"], created["axe"]["name"], created["status"]) == (
        "Plan de formation mutualisé",
        "Ressources humaines",
        "en_cours",
    )
    assert [(p["collectivite"]["name"], p["starts_on"], p["active"]) for p in created["pilotes"]] == [
        ("Mallièvre", "2026-01-05", True),
        ("Mortagne-sur-Sèvre", "2026-01-05", True),
    ]
    assert "<em>communes</em>" in created["description_html"] and "<li>" in created["objectives_html"]
    assert created["created_by"]["email"] == dgs_commune.email
    assert created["droits"] == {"piloter": True, "suivre": True}
    assert created["review_due_on"] == "2026-07-05"  # six months after its start, no review held yet
    listed = api_for(dgs_epci).get(url("projet-list", mortagne)).json()
    assert [p["title"] for p in listed["results"]] == ["Plan de formation mutualisé"]
    detail = api_for(dgs_epci).get(url("projet-detail", mortagne, created["id"])).json()
    assert detail["droits"] == {"piloter": False, "suivre": False}  # the EPCI does not pilot it


def test_the_portfolio_is_filtered_by_query_parameters(mortagne, achards, dgs_epci, dgs_commune, api_for):
    axe = axe_create(territoire=mortagne, by=dgs_epci, name="Mutualisation")
    ads = make_projet(mortagne, dgs_commune, "Service commun ADS", axe=axe, status=Projet.Status.EN_COURS)
    formation = make_projet(mortagne, dgs_commune, "Plan de formation", pilots=("Mortagne-sur-Sèvre", "Mallièvre"))
    velo = make_projet(mortagne, dgs_commune, "Fête du vélo", pilots=("Tiffauges",))
    services.health_set(projet=velo, by=dgs_commune, health="rouge", reason="Plus de bénévoles.")
    services.contribution_set(
        projet=ads, by=dgs_commune, collectivite=collectivite(mortagne, "Tiffauges"), amount=Decimal(100), staff_days=0
    )
    api, base = api_for(dgs_epci), url("projet-list", mortagne)

    def titles(**params):
        response = api.get(base, params)
        assert response.status_code == 200, response.json()
        return [p["title"] for p in response.json()["results"]]

    assert titles() == ["Service commun ADS", "Fête du vélo", "Plan de formation"]  # without an axe: last
    assert titles(axe=axe.pk) == ["Service commun ADS"]
    assert titles(status="en_cours") == ["Service commun ADS"]
    assert titles(health="rouge") == ["Fête du vélo"]
    assert titles(pilotage="copilotage") == ["Plan de formation"]
    assert titles(pilote=collectivite(mortagne, "Mallièvre").pk) == ["Plan de formation"]
    assert titles(participant=collectivite(mortagne, "Tiffauges").pk) == ["Service commun ADS"]
    assert titles(status="", axe="") == titles()  # empty means everything
    assert formation.pk  # (used above through its pilots)

    foreign_epci = achards.collectivites.get(kind="epci")
    for params, field, message in [
        ({"status": "fini"}, "status", "n'est pas un choix valide"),
        ({"health": "bleu"}, "health", "n'est pas un choix valide"),
        ({"pilotage": "seul"}, "pilotage", "n'est pas un choix valide"),
        ({"axe": "abc"}, "axe", "Type incorrect"),
        ({"pilote": foreign_epci.pk}, "pilote", "n'existe pas"),  # another territory's: does not exist here
        ({"participant": 10**30}, "participant", "n'existe pas"),
    ]:
        response = api.get(base, params)
        assert response.status_code == 400 and message in response.json()[field][0], (params, response.json())


def test_the_project_shows_its_pilots_shares_referents_phases_late_milestones_indicators_and_next_review(
    mortagne, dgs_commune, referent, api_for
):
    projet = make_projet(mortagne, dgs_commune, status=Projet.Status.EN_COURS, review_every_months=3)
    for name, amount in (("Mortagne-sur-Sèvre", 3000), ("Tiffauges", 1000)):
        services.contribution_set(
            projet=projet, by=dgs_commune, collectivite=collectivite(mortagne, name), amount=Decimal(amount),
            staff_days=Decimal("2.5"),
        )  # fmt: skip
    services.referent_add(projet=projet, by=dgs_commune, agent=referent)
    today = TODAY()
    services.phase_set(
        projet=projet, by=dgs_commune, kind="co_diagnostic", starts_on=today - timedelta(days=20), ends_on=today,
        status="en_cours",
    )  # fmt: skip
    services.jalon_add(projet=projet, by=dgs_commune, title="Cahier des charges", due_on=today - timedelta(days=3))
    services.jalon_add(projet=projet, by=dgs_commune, title="Attribution", due_on=today + timedelta(days=30))
    services.indicateur_set(projet=projet, by=dgs_commune, name="Économies", unit="€", target=Decimal(5000))
    services.revue_record(
        projet=projet, by=dgs_commune, held_on=today - timedelta(days=1), progress="Lancement", health="vert"
    )
    detail = api_for(referent).get(url("projet-detail", mortagne, projet.pk)).json()
    assert [(c["collectivite"]["name"], c["amount"], c["share"]) for c in detail["contributions"]] == [
        ("Mortagne-sur-Sèvre", "3000.00", "75.0"),
        ("Tiffauges", "1000.00", "25.0"),
    ]
    assert [r["agent"]["email"] for r in detail["referents"]] == [referent.email]
    assert [(p["kind"], p["status"]) for p in detail["phases"]] == [("co_diagnostic", "en_cours")]
    assert [(j["title"], j["late"]) for j in detail["jalons"]] == [("Cahier des charges", True), ("Attribution", False)]
    assert detail["late_jalons"] == 1
    assert [(i["name"], i["target"]) for i in detail["indicateurs"]] == [("Économies", "5000.00")]
    assert detail["last_review_on"] == (today - timedelta(days=1)).isoformat()
    assert detail["review_due_on"] is not None and detail["health"] == "vert"
    assert detail["droits"] == {"piloter": False, "suivre": True}  # a référent follows, does not pilot
    assert api_for(referent).get(url("projet-detail", mortagne, 10**30)).status_code == 404


def test_only_the_pilots_edit_a_project_and_a_refusal_changes_nothing(
    mortagne, projet, dgs_commune, sg_petite_commune, observateur, facilitateur, api_for
):
    detail = url("projet-detail", mortagne, projet.pk)
    for agent in (sg_petite_commune, observateur, facilitateur):
        assert api_for(agent).get(detail).status_code == 200
        assert api_for(agent).patch(detail, {"title": "Repris"}, format="json").status_code == 403
        sante = api_for(agent).post(url("projet-sante", mortagne, projet.pk), {"health": "rouge", "reason": "x"})
        assert sante.status_code == 403
    assert Projet.objects.get(pk=projet.pk).title == "Groupement de commandes de fournitures"
    assert not HealthChange.objects.exists()
    response = api_for(dgs_commune).patch(detail, {"title": "Groupement de commandes 2027", "axe": None}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Groupement de commandes 2027"
    assert JournalEntry.objects.filter(action="reseaux.projet.updated").count() == 1


def test_observers_and_the_facilitator_read_but_create_nothing(mortagne, projet, observateur, facilitateur, api_for):
    for agent in (observateur, facilitateur):
        api = api_for(agent)
        assert api.get(url("projet-list", mortagne)).json()["count"] == 1
        assert api.get(url("projet-systemique", mortagne)).status_code == 200
        created = api.post(
            url("projet-list", mortagne),
            {"title": "X", "pilotage": "epci", "pilotes": [{"collectivite": 1}]},
            format="json",
        )
        assert created.status_code == 403
        for name, body in [
            ("jalon-list", {"projet": projet.pk, "title": "J", "due_on": "2026-01-01"}),
            ("indicateur-list", {"projet": projet.pk, "name": "I"}),
            ("revue-list", {"projet": projet.pk, "held_on": "2026-01-01", "progress": "P", "health": "vert"}),
            ("axe-list", {"name": "Axe"}),
        ]:
            assert api.post(url(name, mortagne), body, format="json").status_code == 403, name
    assert Projet.objects.count() == 1 and not Jalon.objects.exists() and not Indicateur.objects.exists()
    assert not Revue.objects.exists() and not Axe.objects.exists()


def test_after_a_pilotage_change_the_new_pilot_edits_and_the_former_one_no_longer(
    mortagne, projet, dgs_commune, sg_petite_commune, api_for
):
    detail = url("projet-detail", mortagne, projet.pk)
    assert api_for(sg_petite_commune).patch(detail, {"status": "en_cours"}, format="json").status_code == 403
    change = url("projet-pilotage", mortagne, projet.pk)
    refused = api_for(sg_petite_commune).post(
        change, {"pilotage": "commune", "pilotes": [{"collectivite": collectivite(mortagne, "Mallièvre").pk}]},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 403
    response = api_for(dgs_commune).post(
        change, {"pilotage": "commune", "pilotes": [{"collectivite": collectivite(mortagne, "Mallièvre").pk}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert [(p["collectivite"]["name"], p["active"]) for p in response.json()["pilotes"]] == [
        ("Mortagne-sur-Sèvre", False),
        ("Mallièvre", True),
    ]
    assert api_for(sg_petite_commune).patch(detail, {"status": "en_cours"}, format="json").status_code == 200
    assert api_for(dgs_commune).patch(detail, {"status": "suspendu"}, format="json").status_code == 403
    assert Projet.objects.get(pk=projet.pk).status == "en_cours"


def test_health_changes_with_a_reason(mortagne, projet, dgs_commune, api_for):
    sante = url("projet-sante", mortagne, projet.pk)
    response = api_for(dgs_commune).post(sante, {"health": "orange", "reason": "   "})
    assert response.status_code == 400 and response.json()["reason"] == ["Ce champ ne peut être vide."]
    response = api_for(dgs_commune).post(sante, {"health": "noir", "reason": "Retard"})
    assert response.status_code == 400 and "n'est pas un choix valide" in response.json()["health"][0]
    assert not HealthChange.objects.exists() and Projet.objects.get(pk=projet.pk).health == "vert"
    response = api_for(dgs_commune).post(sante, {"health": "orange", "reason": "Le marché est infructueux."})
    assert response.status_code == 200 and response.json()["health"] == "orange"
    assert HealthChange.objects.get().reason == "Le marché est infructueux."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"title": ""}, "title", "ne peut être vide"),
        ({"pilotage": "seul"}, "pilotage", "n'est pas un choix valide"),
        ({"pilotes": "Mallièvre"}, "pilotes", "Attendait une liste"),
        ({"pilotes": []}, "pilotes", "au moins une collectivité pilote"),
        ({"pilotes": [{"collectivite": "foreign"}]}, "pilotes", "n'existe pas"),
        ({"pilotage": "epci"}, "pilotes", "l'EPCI pour seul pilote"),
        ({"pilotes": [{"collectivite": "Mallièvre"}, {"collectivite": "Mallièvre"}]}, "pilotes", "deux fois"),
        (
            {"pilotage": "alterne", "pilotes": [{"collectivite": "Mallièvre"}, {"collectivite": "Tiffauges"}]},
            "pilotes",
            "date de début",
        ),  # fmt: skip
        ({"review_every_months": 30}, "review_every_months", "inférieure ou égale à 24"),
        ({"starts_on": "2026-06-01", "ends_on": "2026-01-01"}, "__all__", "La fin prévue suit le début"),
        ({"axe": "foreign"}, "axe", "n'existe pas"),
        ({"starts_on": "demain"}, "starts_on", "n'a pas le bon format"),
    ],
)
def test_bad_project_input_gets_a_french_400_and_creates_nothing(
    body, field, message, mortagne, achards, outsider, dgs_commune, api_for
):
    foreign_axe = axe_create(territoire=achards, by=outsider, name="Voisin")
    names = {"foreign": achards.collectivites.get(kind="epci").pk}

    def resolve(value):
        return names.get(value) or collectivite(mortagne, value).pk

    data = {"title": "Projet", "pilotage": "commune", "pilotes": [{"collectivite": "Mallièvre"}], **body}
    if isinstance(data["pilotes"], list):
        data["pilotes"] = [{"collectivite": resolve(p["collectivite"])} for p in data["pilotes"]]
    if data.get("axe") == "foreign":
        data["axe"] = foreign_axe.pk
    response = api_for(dgs_commune).post(url("projet-list", mortagne), data, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()[field]
    text = str(errors)
    assert message in text, errors
    assert not Projet.objects.filter(territoire=mortagne).exists() and not Pilote.objects.exists()


def test_dates_outside_the_calendar_the_pages_draw_are_refused_in_french(mortagne, projet, dgs_commune, api_for):
    """A year 9999 would break the timeline and the review dates: 1900 to 2199 only."""
    api = api_for(dgs_commune)
    pilotes = [{"collectivite": collectivite(mortagne, "Mallièvre").pk, "starts_on": "9999-12-01"}]
    response = api.post(
        url("projet-list", mortagne),
        {"title": "Très lointain", "status": "en_cours", "pilotage": "commune", "pilotes": pilotes},
        format="json",
    )
    assert response.status_code == 400 and "entre 1900 et 2199" in str(response.json())
    response = api.post(
        url("jalon-list", mortagne), {"projet": projet.pk, "title": "Lointain", "due_on": "9999-12-31"}, format="json"
    )
    assert response.status_code == 400 and "entre 1900 et 2199" in str(response.json())
    assert not Projet.objects.filter(title="Très lointain").exists() and not projet.jalons.exists()


def test_contributions_are_set_and_removed_by_the_pilots(mortagne, projet, dgs_commune, sg_petite_commune, api_for):
    base, tiffauges = url("contribution-list", mortagne), collectivite(mortagne, "Tiffauges")
    body = {"projet": projet.pk, "collectivite": tiffauges.pk, "amount": "1500.00", "staff_days": "4.5"}
    assert api_for(sg_petite_commune).post(base, body).status_code == 403
    created = api_for(dgs_commune).post(base, body)
    assert created.status_code == 201 and created.json()["collectivite"]["name"] == "Tiffauges"
    updated = api_for(dgs_commune).post(base, {**body, "amount": "2000"})
    assert updated.status_code == 200 and updated.json()["amount"] == "2000.00"
    negative = api_for(dgs_commune).post(base, {**body, "amount": "-5"})
    assert negative.status_code == 400 and "supérieure ou égale" in negative.json()["amount"][0]
    assert Contribution.objects.get().amount == Decimal(2000)
    other = make_projet(mortagne, dgs_commune, "Autre projet")
    services.contribution_set(projet=other, by=dgs_commune, collectivite=tiffauges, amount=1, staff_days=1)
    listed = api_for(sg_petite_commune).get(base, {"projet": projet.pk}).json()
    assert [c["amount"] for c in listed["results"]] == ["2000.00"]
    detail = url("contribution-detail", mortagne, created.json()["id"])
    assert api_for(sg_petite_commune).delete(detail).status_code == 403
    assert api_for(dgs_commune).delete(detail).status_code == 204
    assert list(Contribution.objects.values_list("projet_id", flat=True)) == [other.pk]


def test_phases_are_planned_and_replanned_by_the_pilots(mortagne, projet, dgs_commune, sg_petite_commune, api_for):
    base = url("phase-list", mortagne)
    body = {"projet": projet.pk, "kind": "co_diagnostic", "starts_on": "2026-01-01", "ends_on": "2026-03-31"}
    assert api_for(sg_petite_commune).post(base, body).status_code == 403
    assert api_for(dgs_commune).post(base, body).status_code == 201
    replanned = api_for(dgs_commune).post(base, {**body, "ends_on": "2026-04-30", "status": "en_cours"})
    assert replanned.status_code == 200 and replanned.json()["ends_on"] == "2026-04-30"
    backwards = api_for(dgs_commune).post(base, {**body, "ends_on": "2025-12-01"})
    assert backwards.status_code == 400 and backwards.json()["ends_on"] == ["La phase finit après avoir commencé."]
    assert [(p.kind, str(p.ends_on), p.status) for p in Phase.objects.all()] == [
        ("co_diagnostic", "2026-04-30", "en_cours")
    ]


def test_milestones_are_set_by_the_pilots_and_reached_by_the_followers(
    mortagne, projet, dgs_commune, sg_petite_commune, referent, api_for
):
    late_day = TODAY() - timedelta(days=2)
    body = {"projet": projet.pk, "title": "Cahier des charges", "due_on": late_day.isoformat()}
    assert api_for(sg_petite_commune).post(url("jalon-list", mortagne), body).status_code == 403
    created = api_for(dgs_commune).post(url("jalon-list", mortagne), body)
    assert created.status_code == 201 and created.json()["late"] is True
    jalon_id = created.json()["id"]
    # The référent is added by a pilot; then follows the project up but does not pilot it.
    added = api_for(dgs_commune).post(url("referent-list", mortagne), {"projet": projet.pk, "agent": referent.pk})
    assert added.status_code == 201, added.json()
    assert api_for(referent).post(url("jalon-list", mortagne), body).status_code == 403
    detail = url("jalon-detail", mortagne, jalon_id)
    assert api_for(referent).patch(detail, {"title": "CCTP"}, format="json").status_code == 403
    moved = api_for(dgs_commune).patch(detail, {"due_on": (TODAY() + timedelta(days=5)).isoformat()}, format="json")
    assert moved.status_code == 200 and (moved.json()["title"], moved.json()["late"]) == ("Cahier des charges", False)
    reach = url("jalon-atteint", mortagne, jalon_id)
    assert api_for(sg_petite_commune).post(reach, {"done_on": TODAY().isoformat()}).status_code == 403
    future = api_for(referent).post(reach, {"done_on": (TODAY() + timedelta(days=1)).isoformat()})
    assert future.status_code == 400 and future.json()["done_on"] == [
        "Un jalon ne peut pas être atteint dans le futur."
    ]
    assert api_for(referent).post(reach, {}).json()["done_on"] == ["Ce champ est obligatoire."]
    assert Jalon.objects.get().done_on is None
    reached = api_for(referent).post(reach, {"done_on": TODAY().isoformat()}, format="json")
    assert reached.status_code == 200 and reached.json()["done_on"] == TODAY().isoformat()
    reopened = api_for(referent).post(reach, {"done_on": None}, format="json")
    assert reopened.status_code == 200 and reopened.json()["done_on"] is None
    other = make_projet(mortagne, dgs_commune, "Autre projet")
    services.jalon_add(projet=other, by=dgs_commune, title="Autre", due_on=TODAY())
    listed = api_for(sg_petite_commune).get(url("jalon-list", mortagne), {"projet": projet.pk}).json()
    assert [j["id"] for j in listed["results"]] == [jalon_id]


def test_indicators_are_kept_by_the_followers(mortagne, projet, dgs_commune, sg_petite_commune, referent, api_for):
    services.referent_add(projet=projet, by=dgs_commune, agent=referent)
    base = url("indicateur-list", mortagne)
    body = {"projet": projet.pk, "name": "Agents formés", "unit": "agents", "target": "40"}
    assert api_for(sg_petite_commune).post(base, body).status_code == 403
    created = api_for(referent).post(base, body)
    assert created.status_code == 201 and created.json()["measured"] is None
    detail = url("indicateur-detail", mortagne, created.json()["id"])
    assert api_for(sg_petite_commune).patch(detail, {"measured": "12"}, format="json").status_code == 403
    measured = api_for(referent).patch(detail, {"measured": "12"}, format="json").json()
    # A measure without its date is today's; the fields not sent keep their values.
    assert (measured["measured"], measured["measured_on"], measured["target"], measured["unit"]) == (
        "12.00",
        TODAY().isoformat(),
        "40.00",
        "agents",
    )
    bad = api_for(referent).patch(detail, {"target": "beaucoup"}, format="json")
    assert bad.status_code == 400 and "nombre" in bad.json()["target"][0]
    assert api_for(sg_petite_commune).delete(detail).status_code == 403
    assert api_for(referent).delete(detail).status_code == 204
    assert not Indicateur.objects.exists()
    assert JournalEntry.objects.filter(action="reseaux.indicateur.removed").get().data["measured"] == "12.00"


def test_referents_are_added_and_ended_by_the_pilots(
    mortagne, projet, dgs_commune, sg_petite_commune, referent, outsider, api_for
):
    base = url("referent-list", mortagne)
    assert api_for(sg_petite_commune).post(base, {"projet": projet.pk, "agent": referent.pk}).status_code == 403
    foreign = api_for(dgs_commune).post(base, {"projet": projet.pk, "agent": outsider.pk})
    assert foreign.status_code == 400 and "n'existe pas" in foreign.json()["agent"][0]
    created = api_for(dgs_commune).post(base, {"projet": projet.pk, "agent": referent.pk})
    assert created.status_code == 201 and created.json()["until"] is None
    twice = api_for(dgs_commune).post(base, {"projet": projet.pk, "agent": referent.pk})
    assert twice.status_code == 400 and twice.json()["agent"] == ["Cette personne suit déjà le projet."]
    end = url("referent-terminer", mortagne, created.json()["id"])
    assert api_for(referent).post(end).status_code == 403
    assert api_for(dgs_commune).post(end).json()["until"] == TODAY().isoformat()
    again = api_for(dgs_commune).post(end)
    assert again.status_code == 400 and again.json()["detail"] == ["Cette personne ne suit déjà plus le projet."]
    assert Referent.objects.get().until == TODAY()


def test_reviews_are_recorded_by_the_followers_with_the_collectivites_and_the_decision(
    mortagne, achards, projet, dgs_commune, dgs_epci, sg_petite_commune, open_proposition, api_for
):
    proposition = open_proposition(title="Lancer le groupement")
    base = url("revue-list", mortagne)
    represented = [collectivite(mortagne, "Mortagne-sur-Sèvre").pk, collectivite(mortagne, "Mallièvre").pk]
    body = {
        "projet": projet.pk,
        "held_on": TODAY().isoformat(),
        "progress": "Le cahier des charges est prêt.",
        "health": "vert",
        "collectivites": represented,
        "proposition": proposition.pk,
    }
    assert api_for(sg_petite_commune).post(base, body, format="json").status_code == 403
    unexplained = api_for(dgs_commune).post(base, {**body, "health": "orange"}, format="json")
    assert unexplained.status_code == 400
    assert unexplained.json()["health_reason"] == ["Dites pourquoi la santé du projet change."]
    foreign = api_for(dgs_commune).post(
        base, {**body, "collectivites": [achards.collectivites.get(kind="epci").pk]}, format="json"
    )
    assert foreign.status_code == 400 and "n'existe pas" in foreign.json()["collectivites"][0]
    assert not Revue.objects.exists()
    created = api_for(dgs_commune).post(
        base, {**body, "health": "orange", "health_reason": "Un marché infructueux."}, format="json"
    )
    assert created.status_code == 201, created.json()
    revue = created.json()
    assert (sorted(revue["collectivites"]), revue["proposition"], revue["recorded_by"]["email"]) == (
        sorted(represented),
        proposition.pk,
        dgs_commune.email,
    )
    assert Projet.objects.get(pk=projet.pk).health == "orange"
    assert api_for(dgs_epci).get(url("revue-detail", mortagne, revue["id"])).json()["progress"] == (
        "Le cahier des charges est prêt."
    )
    assert [r["id"] for r in api_for(dgs_epci).get(base, {"projet": projet.pk}).json()["results"]] == [revue["id"]]


def test_links_are_made_by_a_pilot_of_either_project_and_feed_the_systemic_view(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, api_for
):
    ads = make_projet(mortagne, dgs_commune, "Service commun ADS")
    schema = make_projet(mortagne, dgs_commune, "Schéma de mutualisation", pilots=("Mallièvre",))
    velo = make_projet(mortagne, dgs_commune, "Fête du vélo", pilots=("Tiffauges",))
    base = url("lien-list", mortagne)
    body = {"source": schema.pk, "target": ads.pk, "kind": "renforce", "justification": "Le schéma prévoit le service."}
    assert api_for(dgs_epci).post(base, body).status_code == 403  # pilots neither
    created = api_for(dgs_commune).post(base, body)  # pilots the target only
    assert created.status_code == 201 and created.json()["source"]["title"] == "Schéma de mutualisation"
    assert api_for(dgs_commune).post(base, body).json()["detail"] == ["Ce lien existe déjà."]
    itself = api_for(dgs_commune).post(base, {**body, "source": ads.pk})
    assert itself.status_code == 400 and itself.json()["detail"] == ["Un projet ne se lie pas à lui-même."]
    back = {"source": ads.pk, "target": schema.pk, "kind": "renforce", "justification": "Le service nourrit le schéma."}
    assert api_for(sg_petite_commune).post(base, back).status_code == 201
    view = api_for(dgs_epci).get(url("projet-systemique", mortagne)).json()
    assert [(r["projet"]["title"], r["score"]) for r in view["ranking"]] == [
        ("Service commun ADS", 4.0),
        ("Schéma de mutualisation", 4.0),
        ("Fête du vélo", 0.0),
    ]
    assert [sorted(p["title"] for p in loop) for loop in view["loops"]] == [
        ["Schéma de mutualisation", "Service commun ADS"]
    ]
    assert [p["id"] for p in view["isolated"]] == [velo.pk] and len(view["links"]) == 2
    assert api_for(dgs_epci).get(base, {"projet": velo.pk}).json()["count"] == 0
    assert api_for(dgs_epci).get(base, {"projet": ads.pk}).json()["count"] == 2
    detail = url("lien-detail", mortagne, created.json()["id"])
    assert api_for(dgs_epci).delete(detail).status_code == 403
    assert api_for(sg_petite_commune).delete(detail).status_code == 204  # pilots the source
    assert Lien.objects.count() == 1


def test_axes_are_the_administrators(mortagne, dgs_epci, dgs_commune, api_for):
    base = url("axe-list", mortagne)
    assert api_for(dgs_commune).post(base, {"name": "Mobilités"}).status_code == 403
    created = api_for(dgs_epci).post(base, {"name": "Mobilités", "position": 2})
    assert created.status_code == 201 and created.json()["name"] == "Mobilités"
    twice = api_for(dgs_epci).post(base, {"name": "Mobilités"})
    assert twice.status_code == 400 and twice.json()["name"] == ["Cet axe existe déjà."]
    assert [a["name"] for a in api_for(dgs_commune).get(base).json()["results"]] == ["Mobilités"]
    assert JournalEntry.objects.filter(action="reseaux.axe.created").count() == 1


def test_ids_of_another_territory_in_a_body_do_not_exist(mortagne, achards, outsider, dgs_commune, projet, api_for):
    foreign = make_projet(achards, outsider, "Projet voisin", pilots=("CC du Pays des Achards",))
    api = api_for(dgs_commune)
    for name, body, field in [
        ("jalon-list", {"projet": foreign.pk, "title": "J", "due_on": "2026-01-01"}, "projet"),
        ("lien-list", {"source": projet.pk, "target": foreign.pk, "kind": "renforce", "justification": "x"}, "target"),
        ("contribution-list", {"projet": projet.pk, "collectivite": foreign.pilotes.get().collectivite_id}, "collectivite"),
    ]:  # fmt: skip
        response = api.post(url(name, mortagne), body, format="json")
        assert response.status_code == 400 and "n'existe pas" in response.json()[field][0], (name, response.json())
    assert api.get(url("jalon-list", mortagne), {"projet": foreign.pk}).status_code == 400
    for name in ("projet-detail", "projet-sante", "projet-pilotage"):
        assert api.post(url(name, mortagne, foreign.pk), {}, format="json").status_code in (404, 405)
        assert api.patch(url(name, mortagne, foreign.pk), {}, format="json").status_code in (404, 405)
    assert api.get(url("projet-detail", mortagne, foreign.pk)).status_code == 404
    assert not Jalon.objects.exists() and not Lien.objects.exists() and not Contribution.objects.exists()


def test_a_non_numeric_id_is_a_404_not_a_500(mortagne, projet, dgs_commune, api_for):
    api = api_for(dgs_commune)
    for name, suffixes in [
        ("projet-list", ["abc/", "abc/sante/", "abc/pilotage/", "1e9/"]),
        ("jalon-list", ["abc/", "abc/atteint/"]),
        ("referent-list", ["abc/terminer/"]),
        ("lien-list", ["-1/"]),
    ]:
        for suffix in suffixes:
            target = url(name, mortagne) + suffix
            assert api.get(target).status_code in (404, 405) and api.post(target).status_code in (404, 405), target


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


def valid_bodies(mortagne, projet, autre, referent) -> dict[str, dict]:
    """A body each write endpoint accepts from the pilot of `projet`; the test spoils it."""
    epci, tiffauges = mortagne.collectivites.get(kind="epci").pk, collectivite(mortagne, "Tiffauges").pk
    today = str(TODAY())
    return {
        "projet-list": {"title": "T", "pilotage": "epci", "pilotes": [{"collectivite": epci}], "starts_on": today},
        "projet-detail": {"title": "T", "status": "en_cours", "ends_on": today},
        "projet-sante": {"health": "orange", "reason": "R"},
        "projet-pilotage": {"pilotage": "copilotage", "pilotes": [{"collectivite": epci}, {"collectivite": tiffauges}]},
        "contribution-list": {"projet": projet.pk, "collectivite": tiffauges, "amount": "10", "staff_days": "1"},
        "phase-list": {"projet": projet.pk, "kind": "co_diagnostic", "starts_on": today, "ends_on": today},
        "jalon-list": {"projet": projet.pk, "title": "J", "due_on": today},
        "jalon-detail": {"title": "J", "due_on": today},
        "jalon-atteint": {"done_on": today},
        "indicateur-list": {"projet": projet.pk, "name": "I", "target": "3", "measured": "1"},
        "indicateur-detail": {"measured": "2"},
        "referent-list": {"projet": projet.pk, "agent": referent.pk},
        "revue-list": {"projet": projet.pk, "held_on": today, "progress": "P", "health": "vert", "collectivites": [epci]},
        "lien-list": {"source": projet.pk, "target": autre.pk, "kind": "renforce", "justification": "J"},
        "axe-list": {"name": "Axe", "position": 1},
    }  # fmt: skip


def plausible(projet, autre, mortagne) -> dict[str, list]:
    """Other values a client could well send: edge dates, other ids, every choice."""
    today = TODAY()
    days = [str(today - timedelta(days=40)), str(today + timedelta(days=3)), "9999-12-31", "0001-01-01"]
    communes = list(mortagne.collectivites.values_list("pk", flat=True)[:4])
    return {
        "projet": [autre.pk], "source": [autre.pk, projet.pk], "target": [projet.pk, "1e3"], "collectivite": communes,
        "collectivites": [communes, [communes[0], communes[0]]], "axe": [None], "title": [" ", "x" * 200],
        "pilotage": Projet.Pilotage.values, "health": Projet.Health.values, "reason": [" ", "r" * 300],
        "status": [*Projet.Status.values, *Phase.Status.values], "kind": [*Phase.Kind.values, *Lien.Kind.values],
        "starts_on": days, "ends_on": days, "due_on": days, "done_on": [None, *days], "held_on": days,
        "from_day": days, "measured_on": days, "amount": ["-1", "9999999999.99"],
        "review_every_months": [0, 24, 25], "handover": [True], "position": [-1, 40000],
        "pilotes": [[{"collectivite": c, "starts_on": d} for c, d in zip(communes, days, strict=False)], []],
    }  # fmt: skip


DETAIL = {"projet-detail": "projet", "projet-sante": "projet", "projet-pilotage": "projet"}
DETAIL |= {"jalon-detail": "jalon", "jalon-atteint": "jalon", "indicateur-detail": "indicateur"}


@pytest.mark.parametrize("name", sorted(["projet-list", "contribution-list", "phase-list", "jalon-list", "indicateur-list", "referent-list", "revue-list", "lien-list", "axe-list", *DETAIL]))  # fmt: skip
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_input_never_gets_a_500(name, data, mortagne, dgs_epci, referent, api_for):
    """A valid body with up to two fields spoiled (another plausible value, anything, or nothing)."""
    projet = Projet.objects.filter(title="Cible").first() or make_projet(
        mortagne, dgs_epci, "Cible", pilots=("CC du Pays de Mortagne",)
    )
    autre = Projet.objects.filter(title="Autre").first() or make_projet(
        mortagne, dgs_epci, "Autre", pilots=("Tiffauges",)
    )
    objects = {
        "projet": projet,
        "jalon": projet.jalons.first() or services.jalon_add(projet=projet, by=dgs_epci, title="J", due_on=TODAY()),
        "indicateur": projet.indicateurs.first() or services.indicateur_set(projet=projet, by=dgs_epci, name="I"),
    }
    payload = valid_bodies(mortagne, projet, autre, referent)[name]
    alternatives = plausible(projet, autre, mortagne)
    for key in data.draw(st.sets(st.sampled_from([*payload, *alternatives]), max_size=2)):
        value = data.draw(st.one_of(st.sampled_from(alternatives.get(key, [None])), JUNK, st.just(DROP)))
        if value is DROP:
            payload.pop(key, None)
        else:
            payload[key] = value
    target = url(name, mortagne, objects[DETAIL[name]].pk) if name in DETAIL else url(name, mortagne)
    method = "patch" if name.endswith("-detail") else "post"
    response = getattr(api_for(dgs_epci), method)(target, payload, format="json")
    assert response.status_code < 500, (payload, response.content)


# --- Query counts ---------------------------------------------------------------------------------------


def build_portfolio(territoire, size: int):
    """`size` projects, each with `size` contributions, milestones and indicators, three référents, the
    six phases (or fewer), reviews, and links from each project to the next."""
    collectivites = list(Collectivite.objects.for_territoire(territoire).order_by("-kind", "pk"))
    epci, communes = collectivites[0], collectivites[1:]
    admin = make_member(territoire, epci.name, f"dgs@{territoire.slug}.test", Membership.Role.DGS)
    followers = [
        make_member(territoire, c.name, f"sg{i}@{territoire.slug}.test", Membership.Role.SG)
        for i, c in enumerate(communes[:3])
    ]
    axe = axe_create(territoire=territoire, by=admin, name="Axe 1")
    proposition = decision_services.proposition_create(territoire=territoire, author=admin, title="Go", body="B")
    today, start = TODAY(), TODAY() - timedelta(days=90)
    projets = []
    for index in range(size):
        projet = services.projet_create(
            territoire=territoire, by=admin, title=f"Projet {index:02}", pilotage="copilotage", axe=axe,
            rotation=[(epci, start), (communes[index % len(communes)], start)], status="en_cours", starts_on=start,
        )  # fmt: skip
        for n, target in enumerate(communes[:size]):
            services.contribution_set(projet=projet, by=admin, collectivite=target, amount=n + 1, staff_days=n)
            services.jalon_add(projet=projet, by=admin, title=f"J{n}", due_on=today + timedelta(days=n - size // 2))
            services.indicateur_set(projet=projet, by=admin, name=f"I{n}", target=n, measured=n)
        for n, kind in enumerate(Phase.Kind.values[: min(size, 6)]):
            day = start + timedelta(days=30 * n)
            services.phase_set(
                projet=projet, by=admin, kind=kind, starts_on=day, ends_on=day + timedelta(days=29), status="a_venir"
            )
        for agent in followers[: min(size, 3)]:
            services.referent_add(projet=projet, by=admin, agent=agent)
        for n in range(min(size, 3)):
            services.revue_record(
                projet=projet, by=admin, held_on=start + timedelta(days=30 * n), progress="Avancement",
                health="vert", collectivites=communes[:size], proposition=proposition,
            )  # fmt: skip
        projets.append(projet)
    for source, target in zip(projets, projets[1:], strict=False):
        services.lien_create(source=source, target=target, kind="renforce", justification="x", by=admin)
    services.lien_create(source=projets[-1], target=projets[0], kind="depend_de", justification="x", by=admin)
    return admin, projets[0]


# name: (url builder, max queries). Every API call: session, agent, the membership with its territory and
# the object permissions on it (3); then a list's count and page, or the project and its prefetches.
PAGES = {
    "api_projets": (lambda t, p: url("projet-list", t), 11),  # + pilots, contributions, phases, milestones
    "api_projets_filtered": (lambda t, p: url("projet-list", t) + f"?axe={p.axe_id}&status=en_cours", 12),  # + axe
    # + the project (with the reader's pilot permission), its prefetches, its reviews' collectivités, its links
    "api_projet": (lambda t, p: url("projet-detail", t, p.pk), 15),
    "api_systemique": (lambda t, p: url("projet-systemique", t), 9),  # + graph nodes and edges, projects, links
    "api_pilotes": (lambda t, p: url("pilote-list", t), 7),
    "api_contributions": (lambda t, p: url("contribution-list", t) + f"?projet={p.pk}", 8),  # + the project
    "api_phases": (lambda t, p: url("phase-list", t), 7),
    "api_jalons": (lambda t, p: url("jalon-list", t), 7),
    "api_indicateurs": (lambda t, p: url("indicateur-list", t), 7),
    "api_referents": (lambda t, p: url("referent-list", t), 7),
    "api_revues": (lambda t, p: url("revue-list", t), 8),  # + represented collectivités
    "api_liens": (lambda t, p: url("lien-list", t), 7),
    "api_axes": (lambda t, p: url("axe-list", t), 7),
}


def test_portfolio_query_counts_do_not_grow_with_the_portfolio(client, django_assert_max_num_queries, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 1000}  # lists show every row
    small = import_epci("248500662")  # Pays de Mortagne
    small_admin, small_projet = build_portfolio(small, size=2)
    large = import_epci("248500530")  # Pays des Achards
    large_admin, large_projet = build_portfolio(large, size=8)
    assert Jalon.objects.filter(projet__territoire=large).count() == 64
    assert_counts_do_not_grow(
        client,
        django_assert_max_num_queries,
        PAGES,
        (small_admin, (small, small_projet)),
        (large_admin, (large, large_projet)),
    )
