from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from decisions import services
from decisions.models import Action, Position, Proposition

pytestmark = pytest.mark.django_db


def test_a_proposition_goes_through_the_api_from_draft_to_register(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, voices, api_for
):
    api = api_for(dgs_epci)
    base = reverse("api:proposition-list", args=[mortagne.slug])
    response = api.post(base, {"title": "Plan de formation mutualisé 2027", "body": "Cinq sessions *communes*."})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["status"], created["mode"], created["quorum_percent"]) == ("brouillon", "consentement", 50)
    pk = created["id"]
    closes_at = (timezone.now() + timedelta(days=3)).isoformat()
    assert (
        api.post(reverse("api:proposition-ouvrir", args=[mortagne.slug, pk]), {"closes_at": closes_at}).status_code
        == 200
    )

    positions = reverse("api:proposition-positions", args=[mortagne.slug, pk])
    objection = api_for(sg_petite_commune).post(positions, {"choice": "objection", "motive": "Calendrier trop serré."})
    assert objection.status_code == 201 and objection.json()["collectivite"]["name"] == "Mallièvre"
    response = api.post(
        reverse("api:proposition-amender", args=[mortagne.slug, pk]),
        {
            "body": "Quatre sessions.",
            "closes_at": closes_at,
            "responses": [{"position": objection.json()["id"], "response": "Une session de moins."}],
        },
        format="json",
    )
    assert response.status_code == 200 and [r["number"] for r in response.json()["rounds"]] == [1, 2]
    for agent in voices:
        assert api_for(agent).post(positions, {"choice": "pour"}).status_code == 201
    assert len(api.get(positions).json()) == len(voices)
    closed = api.post(reverse("api:proposition-cloturer", args=[mortagne.slug, pk])).json()
    assert (closed["status"], closed["result"]) == ("close", "adoptee")
    register = api.get(base, {"etat": "close", "resultat": "adoptee", "q": "formation"}).json()
    assert [p["id"] for p in register["results"]] == [pk]
    assert api.get(base, {"etat": "close", "resultat": "rejetee"}).json()["count"] == 0


def test_bad_api_input_gets_french_400s_and_changes_nothing(open_proposition, dgs_commune, referent, api_for):
    proposition = open_proposition()
    positions = reverse("api:proposition-positions", args=[proposition.territoire.slug, proposition.pk])
    response = api_for(dgs_commune).post(positions, {"choice": "peut-être"})
    assert response.status_code == 400 and "n'est pas un choix valide" in response.json()["choice"][0]
    response = api_for(dgs_commune).post(positions, {"choice": "objection"})
    assert response.status_code == 400 and "motivée" in response.json()["motive"][0]
    response = api_for(referent).post(positions, {"choice": "pour"})
    assert response.status_code == 400 and "titulaire" in response.json()["detail"][0]
    response = api_for(dgs_commune).post(
        reverse("api:proposition-list", args=[proposition.territoire.slug]), {"title": "", "quorum_percent": 140}
    )
    assert response.status_code == 400 and {"title", "body", "quorum_percent"} <= set(response.json())
    assert not Position.objects.exists() and Proposition.objects.count() == 1


def test_only_the_author_or_the_epci_dgs_steers_through_the_api(open_proposition, dgs_commune, observateur, api_for):
    proposition = open_proposition()
    for agent in (dgs_commune, observateur):
        api = api_for(agent)
        for name in ("cloturer", "retirer"):
            assert (
                api.post(
                    reverse(f"api:proposition-{name}", args=[proposition.territoire.slug, proposition.pk]),
                    {"reason": "x"},
                ).status_code
                == 403
            )
    assert (
        api_for(observateur)
        .post(reverse("api:proposition-list", args=[proposition.territoire.slug]), {"title": "T", "body": "B"})
        .status_code
        == 403
    )
    # Refused before validation: an invalid change from a non-author is a 403, not a list of what to fix.
    detail = reverse("api:proposition-detail", args=[proposition.territoire.slug, proposition.pk])
    assert api_for(dgs_commune).patch(detail, {"title": ""}).status_code == 403
    assert api_for(dgs_commune).patch(detail, {"title": "Autre titre"}).status_code == 403
    assert Proposition.objects.get().is_open


def test_drafts_of_others_do_not_exist_in_the_api(mortagne, dgs_epci, dgs_commune, api_for):
    draft = services.proposition_create(territoire=mortagne, author=dgs_epci, title="Brouillon", body="B")
    api = api_for(dgs_commune)
    assert api.get(reverse("api:proposition-detail", args=[mortagne.slug, draft.pk])).status_code == 404
    assert api.get(reverse("api:proposition-list", args=[mortagne.slug])).json()["count"] == 0
    assert (
        api.patch(reverse("api:proposition-detail", args=[mortagne.slug, draft.pk]), {"title": "X"}).status_code == 404
    )
    response = api_for(dgs_epci).patch(
        reverse("api:proposition-detail", args=[mortagne.slug, draft.pk]), {"title": "Nouveau titre"}
    )
    assert response.status_code == 200 and response.json()["title"] == "Nouveau titre"


def test_follow_up_actions_through_the_api(open_proposition, dgs_epci, dgs_commune, voices, achards, api_for):
    proposition = open_proposition()
    for agent in voices:
        services.position_express(proposition=proposition, agent=agent, choice="pour")
    services.proposition_close(proposition=proposition, by=dgs_epci)
    api = api_for(dgs_epci)
    base = reverse("api:action-list", args=[proposition.territoire.slug])
    foreign = achards.collectivites.first()
    bad = api.post(base, {"proposition": proposition.pk, "title": "X", "owner_collectivite": foreign.pk})
    assert bad.status_code == 400 and "owner_collectivite" in bad.json()
    response = api.post(
        base,
        {
            "proposition": proposition.pk,
            "title": "Signer la convention",
            "owner_agent": dgs_commune.pk,
            "due_date": "2027-01-15",
        },
    )
    assert response.status_code == 201, response.json()
    action_id = response.json()["id"]
    detail = reverse("api:action-detail", args=[proposition.territoire.slug, action_id])
    assert api_for(dgs_commune).patch(detail, {"status": "en_cours"}).json()["status"] == "en_cours"
    assert api_for(voices[2]).patch(detail, {"status": "faite"}).status_code == 403
    assert api.get(base, {"etat": "en_cours"}).json()["count"] == 1
    assert Action.objects.get().status == "en_cours"
