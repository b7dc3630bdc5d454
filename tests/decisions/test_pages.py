import csv
import html
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from decisions import services
from decisions.models import Action, Position, Proposition

pytestmark = pytest.mark.django_db


def url(name, proposition=None, **kwargs):
    args = [proposition.territoire.slug, proposition.pk] if proposition else [kwargs.pop("territoire").slug]
    return reverse(f"decisions:{name}", args=args)


def test_a_member_writes_a_draft_then_opens_it(mortagne, dgs_commune, client_for):
    client = client_for(dgs_commune)
    form = client.get(reverse("decisions:create", args=[mortagne.slug])).content.decode()
    assert 'value="consentement" selected' in form and 'value="50"' in form  # defaults from the rules in force
    data = {
        "title": "Groupement de commandes pour les fournitures de bureau",
        "kind": "projet",
        "body": "Un groupement piloté par **Mortagne-sur-Sèvre**.",
        "mode": "consentement",
        "majority": "simple",
        "quorum_percent": 50,
    }
    response = client.post(reverse("decisions:create", args=[mortagne.slug]), data, follow=True)
    proposition = Proposition.objects.get()
    assert proposition.status == "brouillon" and "<strong>Mortagne-sur-Sèvre</strong>" in response.content.decode()
    closes_at = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("open", proposition), {"closes_at": closes_at}, follow=True)
    assert "La proposition est ouverte" in response.content.decode()
    assert Proposition.objects.get().status == "ouverte"


def test_bad_input_gets_french_errors_and_creates_nothing(mortagne, dgs_commune, client_for):
    client = client_for(dgs_commune)
    response = client.post(
        reverse("decisions:create", args=[mortagne.slug]),
        {
            "title": "",
            "body": "",
            "kind": "inconnu",
            "mode": "tirage_au_sort",
            "majority": "simple",
            "quorum_percent": 150,
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in page and "Sélectionnez un choix valide" in page
    assert "inférieure ou égale à 100" in page
    assert not Proposition.objects.exists()


def test_a_draft_is_its_authors_alone(open_proposition, mortagne, dgs_epci, dgs_commune, client_for):
    draft = services.proposition_create(territoire=mortagne, author=dgs_epci, title="Brouillon", body="B")
    assert client_for(dgs_commune).get(url("proposition", draft)).status_code == 404


def test_the_list_says_whether_my_collectivite_has_expressed(open_proposition, dgs_commune, sg_petite_commune, client):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=dgs_commune, choice="pour")
    client.force_login(dgs_commune)
    page = html.unescape(client.get(url("list", territoire=proposition.territoire)).content.decode())
    assert "Votre collectivité s'est exprimée" in page
    client.force_login(sg_petite_commune)
    page = html.unescape(client.get(url("list", territoire=proposition.territoire)).content.decode())
    assert "Votre collectivité ne s'est pas exprimée" in page


def test_a_titulaire_expresses_and_the_live_tally_shows_it(open_proposition, sg_petite_commune, client_for):
    proposition = open_proposition()
    client = client_for(sg_petite_commune)
    response = client.post(url("express", proposition), {"choice": "objection", "motive": ""})
    assert response.status_code == 400 and "Une objection doit être motivée" in response.content.decode()
    response = client.post(
        url("express", proposition), {"choice": "objection", "motive": "Pas d'agent pour numériser."}, follow=True
    )
    assert "Position de Mallièvre enregistrée : objection motivée." in response.content.decode()
    fragment = client.get(url("tally", proposition), HTTP_HX_REQUEST="true").content.decode()
    assert "Pas d&#x27;agent pour numériser." in fragment and 'hx-trigger="every 20s"' in fragment
    assert "<h1>" not in fragment


def test_someone_without_a_seat_sees_no_form_and_is_refused(open_proposition, referent, client_for):
    proposition = open_proposition()
    client = client_for(referent)
    assert "Enregistrer la position" not in client.get(url("proposition", proposition)).content.decode()
    response = client.post(url("express", proposition), {"choice": "pour"})
    assert response.status_code == 400 and "Seul·e le ou la titulaire" in response.content.decode()
    assert not Position.objects.exists()


@pytest.mark.parametrize("persona", ["dgs_commune", "observateur", "facilitateur"])
def test_only_the_author_or_the_epci_dgs_steers(persona, open_proposition, request, client):
    proposition = open_proposition()  # by the EPCI's DGS
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url("close", proposition)).status_code == 403
    assert client.post(url("withdraw", proposition), {"reason": "x"}).status_code == 403
    assert client.get(url("amend", proposition)).status_code == 403
    assert Proposition.objects.get().is_open


def test_observers_and_facilitators_do_not_propose(mortagne, observateur, facilitateur, client):
    for agent in (observateur, facilitateur):
        client.force_login(agent)
        assert client.get(reverse("decisions:create", args=[mortagne.slug])).status_code == 403
        assert client.get(reverse("decisions:list", args=[mortagne.slug])).status_code == 200


def test_the_author_amends_from_the_page_and_the_previous_round_stays_viewable(
    open_proposition, dgs_epci, sg_petite_commune, client_for
):
    proposition = open_proposition()
    objection = services.position_express(
        proposition=proposition, agent=sg_petite_commune, choice="objection", motive="Trop tôt pour Mallièvre."
    )
    client = client_for(dgs_epci)
    form = client.get(url("amend", proposition)).content.decode()
    assert "Réponse à l&#x27;objection de Mallièvre" in form and "Trop tôt pour Mallièvre." in form
    closes_at = (timezone.localtime() + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url("amend", proposition), {"body": "Nouveau calendrier", "closes_at": closes_at})
    assert response.status_code == 400 and "Ce champ est obligatoire" in response.content.decode()
    response = client.post(
        url("amend", proposition),
        {"body": "Report au 1er juillet.", "closes_at": closes_at, f"response_{objection.pk}": "Report de trois mois."},
        follow=True,
    )
    page = response.content.decode()
    assert "le tour 2 est ouvert" in page
    assert "Tours précédents" in page and "Trop tôt pour Mallièvre." in page and "Report de trois mois." in page


def test_closing_early_proclaims_the_result_and_actions_follow(open_proposition, dgs_epci, voices, client_for):
    proposition = open_proposition()
    for agent in voices:
        services.position_express(proposition=proposition, agent=agent, choice="pour")
    client = client_for(dgs_epci)
    page = client.post(url("close", proposition), follow=True).content.decode()
    assert "Proposition close : Adoptée." in page
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        url("action_create", proposition),
        {"title": "Rédiger la convention", "owner_agent": dgs_epci.pk, "due_date": due},
        follow=True,
    )
    assert "Action de suivi ajoutée." in response.content.decode()
    action = Action.objects.get()
    response = client.post(
        reverse("decisions:action_status", args=[proposition.territoire.slug, action.pk]), {"status": "faite"}
    )
    assert response.status_code == 302 and Action.objects.get().status == "faite"


def test_the_register_filters_and_exports_to_csv(open_proposition, dgs_epci, voices, client_for):
    adopted = open_proposition(title="Charte graphique commune", kind="libre")
    for agent in voices:
        services.position_express(proposition=adopted, agent=agent, choice="pour")
    services.proposition_close(proposition=adopted, by=dgs_epci)
    silent = open_proposition(title="Avis sur le schéma de mutualisation", kind="avis_technique")
    services.proposition_close(proposition=silent, by=dgs_epci)
    client = client_for(voices[1])
    register = reverse("decisions:register", args=[adopted.territoire.slug])
    page = client.get(register).content.decode()
    assert "2 décisions closes" in page
    page = client.get(register, {"result": "sans_quorum"}).content.decode()
    assert "1 décision close" in page and "schéma de mutualisation" in page and "Charte graphique" not in page
    page = client.get(register, {"q": "graphique", "kind": "libre"}).content.decode()
    assert "Charte graphique" in page and "schéma" not in page
    page = client.get(register, {"since": "pas-une-date"}).content.decode()
    assert "Saisissez une date valide." in page
    export = client.get(reverse("decisions:register_csv", args=[adopted.territoire.slug]), {"result": "adoptee"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == ["Numéro", "Intitulé"] and [r[1] for r in rows[1:]] == ["Charte graphique commune"]
    assert rows[1][5] == "Adoptée"


def test_the_actions_page_lists_late_actions_and_exports_them(open_proposition, dgs_epci, voices, client_for):
    proposition = open_proposition()
    for agent in voices:
        services.position_express(proposition=proposition, agent=agent, choice="pour")
    services.proposition_close(proposition=proposition, by=dgs_epci)
    services.action_create(
        proposition=proposition,
        by=dgs_epci,
        title="Signer la convention",
        owner_agent=dgs_epci,
        due_date=timezone.localdate() - timedelta(days=1),
    )
    client = client_for(voices[2])
    page = client.get(reverse("decisions:actions", args=[proposition.territoire.slug])).content.decode()
    assert "Signer la convention" in page and "en retard" in page
    # Not hers to update: the SG of Mallièvre sees the state, not the form.
    assert "Mettre à jour" not in page
    export = client.get(reverse("decisions:actions_csv", args=[proposition.territoire.slug])).content.decode(
        "utf-8-sig"
    )
    assert "Signer la convention" in export


def test_an_author_who_became_an_observer_no_longer_steers(mortagne, dgs_commune, client_for):
    proposition = services.proposition_create(territoire=mortagne, author=dgs_commune, title="T", body="B")
    Membership = dgs_commune.memberships.model
    Membership.objects.filter(agent=dgs_commune).update(role="observateur")
    assert client_for(dgs_commune).post(url("withdraw", proposition), {"reason": "x"}).status_code in (403, 404)
    assert Proposition.objects.get(pk=proposition.pk).status == "brouillon"
