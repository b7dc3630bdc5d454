"""The annual review's pages: who sees and does what, what a refusal says, and that answers stay anonymous.

The clock is frozen on 1 December 2026 (tests/codir/conftest.py): the current review is 2026's.
"""

import html
import re
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import strip_tags

from codir.models import Engagement, Partage, Participation, Reponse, RevueAnnuelle
from codir.revue import services
from codir.revue.questionnaire import default_questionnaire
from communes import services as communes_services
from communes.models import Agent, Collectivite
from decisions.models import Action
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import PASSWORD, collectivite, import_epci
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

YEAR = 2026


def plain(response) -> str:
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def url(name, territoire, *args) -> str:
    return reverse(f"revue:{name}", args=[territoire.slug, *args])


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


@pytest.fixture
def revue(mortagne, facilitateur):
    return services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)


@pytest.fixture
def open_revue(revue, facilitateur):
    return services.revue_open_questionnaire(revue=revue, by=facilitateur)


@pytest.fixture
def seminar_revue(open_revue, facilitateur, dgs_epci, dgs_commune, sg_petite_commune):
    for level, agent in enumerate([dgs_epci, dgs_commune, sg_petite_commune], start=3):
        services.reponse_submit(revue=open_revue, agent=agent, answers={"se_connaitre_1": level})
    return services.revue_start_seminar(revue=open_revue, by=facilitateur)


def reload(revue) -> RevueAnnuelle:
    return RevueAnnuelle.objects.get(pk=revue.pk)


# Isolation and roles ------------------------------------------------------------------------------------


PAGES_OF_A_REVIEW = [
    ("get", "revues", False),
    ("post", "ouvrir", False),
    ("get", "partage", False),
    ("get", "revue", True),
    ("post", "etape", True),
    ("get", "questionnaire", True),
    ("get", "repondre", True),
    ("get", "seminaire", True),
]


@pytest.mark.parametrize("method,name,with_year", PAGES_OF_A_REVIEW)
def test_an_agent_of_another_territory_gets_404_everywhere(
    method, name, with_year, mortagne, revue, outsider, client_for
):
    client = client_for(outsider)
    target = url(name, mortagne, YEAR) if with_year else url(name, mortagne)
    response = getattr(client, method)(
        target, {"action": "ouvrir_questionnaire", "year": YEAR} if method == "post" else {}
    )
    assert response.status_code == 404
    assert reload(revue).stage == RevueAnnuelle.Stage.PREPARATION
    assert RevueAnnuelle.objects.count() == 1


def test_an_outsider_cannot_withdraw_a_commitment(mortagne, seminar_revue, facilitateur, outsider, client_for):
    engagement = services.engagement_add(
        revue=seminar_revue,
        by=facilitateur,
        title="Tenir le délai",
        owner_collectivite=collectivite(mortagne, "Mallièvre"),
    )
    response = client_for(outsider).post(url("engagement_retirer", mortagne, YEAR, engagement.pk))
    assert response.status_code == 404
    assert Engagement.objects.get().withdrawn_at is None


def test_an_unknown_year_is_404(mortagne, revue, dgs_commune, client_for):
    assert client_for(dgs_commune).get(url("revue", mortagne, 2019)).status_code == 404


@pytest.mark.parametrize("name", ["etape", "questionnaire", "seminaire"])
def test_a_member_cannot_run_the_review(name, mortagne, revue, dgs_commune, client_for):
    response = client_for(dgs_commune).post(
        url(name, mortagne, YEAR), {"action": "ouvrir_questionnaire", "bilan": "Pris en main", "reset": "1"}
    )
    assert response.status_code == 403
    revue = reload(revue)
    assert revue.stage == RevueAnnuelle.Stage.PREPARATION and not revue.bilan
    assert client_for(dgs_commune).get(url("questionnaire", mortagne, YEAR)).status_code == 403


# The list of reviews ------------------------------------------------------------------------------------


def test_members_see_the_reviews_year_over_year(mortagne, facilitateur, dgs_epci, dgs_commune, client_for):
    services.revue_create(territoire=mortagne, year=2025, by=facilitateur)
    current = services.revue_open_questionnaire(
        revue=services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur), by=facilitateur
    )
    services.reponse_submit(revue=current, agent=dgs_epci, answers={"se_connaitre_1": 4})
    response = client_for(dgs_commune).get(url("revues", mortagne))
    assert response.status_code == 200
    page = plain(response)
    assert "Un tiers neutre" in page and "bilan de l'année et les perspectives" in page
    assert re.search(r"Revue 2026 Questionnaire ouvert Anne Lebrun 1 Rapport 2026", page)
    assert re.search(r"Revue 2025 Préparation Anne Lebrun 0 Rapport 2025", page)
    assert page.index("Revue 2026") < page.index("Revue 2025")
    content = response.content.decode()
    assert url("rapport", mortagne, 2025) in content
    assert url("ouvrir", mortagne) not in content  # only the facilitator opens a review
    assert url("partage", mortagne) not in content  # only admins choose what is shared


def test_admins_find_the_sharing_settings_from_the_list(mortagne, dgs_epci, client_for):
    response = client_for(dgs_epci).get(url("revues", mortagne))
    assert url("partage", mortagne) in response.content.decode()
    assert "Aucune revue annuelle pour l'instant" in plain(response)


def test_the_facilitator_opens_the_review_of_a_year(mortagne, facilitateur, client_for):
    client = client_for(facilitateur)
    page = client.get(url("revues", mortagne)).content.decode()
    assert 'name="year"' in page and 'value="2026"' in page
    response = client.post(url("ouvrir", mortagne), {"year": "2026"}, follow=True)
    assert response.redirect_chain[-1][0] == url("revue", mortagne, YEAR)
    assert "Revue 2026 ouverte en préparation" in plain(response)
    revue = RevueAnnuelle.objects.get(territoire=mortagne, year=YEAR)
    assert revue.facilitator == facilitateur and revue.stage == RevueAnnuelle.Stage.PREPARATION


@pytest.mark.parametrize(
    "year,error",
    [
        ("2026", "La revue 2026 de CC du Pays de Mortagne existe déjà."),
        ("2019", "Choisissez une année entre 2021 et 2027."),
        ("deux mille", "Saisissez un nombre entier."),
    ],
)
def test_a_refused_opening_says_why_and_changes_nothing(year, error, mortagne, revue, facilitateur, client_for):
    response = client_for(facilitateur).post(url("ouvrir", mortagne), {"year": year}, follow=True)
    assert response.redirect_chain[-1][0] == url("revues", mortagne)
    assert error in messages_of(response)
    assert RevueAnnuelle.objects.count() == 1


def test_only_the_facilitator_opens_a_review(mortagne, dgs_epci, client_for):
    response = client_for(dgs_epci).post(url("ouvrir", mortagne), {"year": "2026"})
    assert response.status_code == 403
    assert not RevueAnnuelle.objects.exists()
    assert client_for(dgs_epci).get(url("ouvrir", mortagne)).status_code == 405


# What the territory shares -------------------------------------------------------------------------------


def test_an_admin_chooses_what_the_territory_shares(mortagne, dgs_epci, client_for):
    client = client_for(dgs_epci)
    response = client.get(url("partage", mortagne))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<fieldset" in page and "<legend>" in page
    assert 'value="questionnaire"' in page and "Participation au questionnaire" in page
    assert "au moins trois territoires qui ne la partagent pas" in plain(response)
    assert "lit, comme ses membres, toutes ses pages" in plain(response)
    response = client.post(url("partage", mortagne), {"families": ["questionnaire", "reunions"]}, follow=True)
    assert "Vos choix de partage sont enregistrés." in plain(response)
    partage = Partage.objects.get(territoire=mortagne)
    assert partage.families == ["reunions", "questionnaire"] and partage.updated_by == dgs_epci
    assert 'value="reunions" id="id_families_0" checked' in client.get(url("partage", mortagne)).content.decode()


def test_an_unknown_family_is_refused(mortagne, dgs_epci, client_for):
    response = client_for(dgs_epci).post(url("partage", mortagne), {"families": ["salaires"]})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in plain(response)
    assert not Partage.objects.exists()


@pytest.mark.parametrize("persona", ["dgs_commune", "facilitateur", "observateur"])
def test_only_admins_choose_what_is_shared(persona, mortagne, request, client_for):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url("partage", mortagne)).status_code == 403
    assert client.post(url("partage", mortagne), {"families": ["reunions"]}).status_code == 403
    assert not Partage.objects.exists()


# One review and its stages ----------------------------------------------------------------------------


def test_the_review_shows_its_stages_and_the_facilitators_next_step(mortagne, revue, facilitateur, client_for):
    response = client_for(facilitateur).get(url("revue", mortagne, YEAR))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('aria-current="step"') == 1
    assert re.search(r'<li aria-current="step"><strong>Préparation</strong>', page)
    assert 'name="action" value="ouvrir_questionnaire"' in page
    assert "envoie un courriel d'invitation à chaque membre" in html.unescape(page)
    assert url("questionnaire", mortagne, YEAR) in page
    assert "Anne Lebrun" in plain(response)


def test_members_read_the_review_but_have_no_step_to_take(mortagne, revue, dgs_commune, client_for):
    page = client_for(dgs_commune).get(url("revue", mortagne, YEAR)).content.decode()
    assert 'name="action"' not in page
    assert url("questionnaire", mortagne, YEAR) not in page
    assert url("repondre", mortagne, YEAR) not in page  # not open yet


def test_opening_the_questionnaire_mails_the_members_who_may_answer(
    mortagne, revue, facilitateur, dgs_epci, dgs_commune, observateur, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(facilitateur).post(
            url("etape", mortagne, YEAR), {"action": "ouvrir_questionnaire"}, follow=True
        )
    assert "Le questionnaire est ouvert" in plain(response)
    assert reload(revue).stage == RevueAnnuelle.Stage.QUESTIONNAIRE
    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients == {dgs_epci.email, dgs_commune.email}
    page = response.content.decode()
    assert re.search(r'<li aria-current="step"><strong>Questionnaire ouvert</strong>', page)
    assert 'name="action" value="seminaire"' in page and "plus personne ne pourra y répondre" in html.unescape(page)


def test_a_member_is_invited_to_answer_then_told_they_did(
    mortagne, open_revue, dgs_epci, dgs_commune, sg_petite_commune, observateur, client_for
):
    client = client_for(dgs_commune)
    response = client.get(url("revue", mortagne, YEAR))
    assert f'href="{url("repondre", mortagne, YEAR)}"' in response.content.decode()
    assert re.search(r"0 réponses? sur 3 membres", plain(response))  # the observer does not count
    services.reponse_submit(revue=open_revue, agent=dgs_commune, answers={"se_connaitre_1": 5})
    response = client.get(url("revue", mortagne, YEAR))
    assert "Vous avez répondu le 1 décembre 2026" in plain(response)
    assert "1 réponse sur 3 membres" in plain(response)
    assert f'href="{url("repondre", mortagne, YEAR)}"' not in response.content.decode()
    observer_page = client_for(observateur).get(url("revue", mortagne, YEAR)).content.decode()
    assert url("repondre", mortagne, YEAR) not in observer_page


def test_the_facilitator_moves_to_the_seminar_with_its_date_and_place(mortagne, open_revue, facilitateur, client_for):
    response = client_for(facilitateur).post(
        url("etape", mortagne, YEAR),
        {"action": "seminaire", "seminar_on": "2027-01-15", "place": "Salle des fêtes de Mallièvre"},
        follow=True,
    )
    assert "place au séminaire" in plain(response)
    revue = reload(open_revue)
    assert revue.stage == RevueAnnuelle.Stage.SEMINAIRE and revue.questionnaire_closed_at
    assert revue.seminar_on == date(2027, 1, 15) and revue.seminar_place == "Salle des fêtes de Mallièvre"
    assert "vendredi 15 janvier 2027, Salle des fêtes de Mallièvre" in plain(response)


@pytest.mark.parametrize(
    "data,error",
    [
        ({"action": "seminaire", "seminar_on": "15 janvier"}, "Saisissez une date valide."),
        ({"action": "cloturer"}, "cette action est possible à l'étape Séminaire"),
        ({"action": "ouvrir_questionnaire"}, "cette action est possible à l'étape Préparation"),
        ({"action": "effacer"}, "Action inconnue."),
    ],
)
def test_a_refused_step_says_why_and_changes_nothing(data, error, mortagne, open_revue, facilitateur, client_for):
    response = client_for(facilitateur).post(url("etape", mortagne, YEAR), data, follow=True)
    assert response.redirect_chain[-1][0] == url("revue", mortagne, YEAR)
    assert "Rien n'a changé" in messages_of(response) and error in messages_of(response)
    assert reload(open_revue).stage == RevueAnnuelle.Stage.QUESTIONNAIRE


def test_closing_needs_the_bilan_then_writes_the_commitments_to_the_register(
    mortagne, seminar_revue, facilitateur, dgs_commune, client_for
):
    client = client_for(facilitateur)
    page = client.get(url("revue", mortagne, YEAR))
    assert "Écrivez d'abord le bilan du séminaire" in plain(page)
    response = client.post(url("etape", mortagne, YEAR), {"action": "cloturer"}, follow=True)
    assert "Écrivez le bilan du séminaire avant de clôturer la revue." in messages_of(response)
    assert reload(seminar_revue).stage == RevueAnnuelle.Stage.SEMINAIRE
    services.seminaire_save(revue=seminar_revue, by=facilitateur, bilan="Une année **dense**.", perspectives="")
    services.engagement_add(
        revue=seminar_revue,
        by=facilitateur,
        title="Envoyer l'ordre du jour 48 h avant",
        owner_collectivite=collectivite(mortagne, "CC du Pays de Mortagne"),
        due_date=date(2027, 6, 30),
    )
    assert "1 engagement sera inscrit." in plain(client.get(url("revue", mortagne, YEAR)))
    response = client.post(url("etape", mortagne, YEAR), {"action": "cloturer"}, follow=True)
    assert "La revue est clôturée" in plain(response)
    revue = reload(seminar_revue)
    assert revue.is_closed
    member_page = client_for(dgs_commune).get(url("revue", mortagne, YEAR))
    content = member_page.content.decode()
    assert reverse("decisions:proposition", args=[mortagne.slug, revue.proposition_id]) in content
    assert "Envoyer l'ordre du jour 48 h avant CC du Pays de Mortagne 30/06/2027 À faire" in plain(member_page)
    assert 'name="action"' not in client.get(url("revue", mortagne, YEAR)).content.decode()
    assert Action.objects.get().title == "Envoyer l'ordre du jour 48 h avant"


def test_a_stage_cannot_be_changed_by_a_get(mortagne, revue, facilitateur, client_for):
    assert client_for(facilitateur).get(url("etape", mortagne, YEAR)).status_code == 405


# Adapting the questionnaire ------------------------------------------------------------------------------


def test_the_facilitator_adapts_the_questionnaire(mortagne, revue, facilitateur, client_for):
    client = client_for(facilitateur)
    response = client.get(url("questionnaire", mortagne, YEAR))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<legend>Se connaître" in page
    assert 'name="text_se_connaitre_1"' in page and 'name="remove_se_connaitre_1"' in page
    assert 'name="add_legitimer"' in page and 'name="addtype_legitimer"' in page
    response = client.post(
        url("questionnaire", mortagne, YEAR),
        {
            "text_se_connaitre_1": "Je connais mes collègues des autres communes.",
            "remove_se_connaitre_2": "on",
            "add_legitimer": "Quel soutien attendez-vous de vos élus ?",
            "addtype_legitimer": "texte",
            "add_decider": "",
            "addtype_decider": "likert",
        },
        follow=True,
    )
    assert "Le questionnaire adapté est enregistré." in plain(response)
    items = {item["key"]: item for d in reload(revue).questionnaire["dimensions"] for item in d["items"]}
    assert items["se_connaitre_1"]["text"] == "Je connais mes collègues des autres communes."
    assert "se_connaitre_2" not in items
    assert items["legitimer_ajout_1"] == {
        "key": "legitimer_ajout_1",
        "text": "Quel soutien attendez-vous de vos élus ?",
        "type": "texte",
    }
    assert items["se_connaitre_3"]["text"] == default_questionnaire()["dimensions"][0]["items"][2]["text"]


def test_removing_every_scale_question_is_refused(mortagne, revue, facilitateur, client_for):
    data = {
        f"remove_{item['key']}": "on"
        for d in revue.questionnaire["dimensions"]
        for item in d["items"]
        if item["type"] == "likert"
    }
    response = client_for(facilitateur).post(url("questionnaire", mortagne, YEAR), data)
    assert response.status_code == 400
    assert "Le questionnaire doit garder au moins une question à échelle d'accord." in plain(response)
    assert 'name="remove_se_connaitre_1" id="id_remove_se_connaitre_1" checked' in response.content.decode()
    assert reload(revue).questionnaire == default_questionnaire()


def test_the_facilitator_goes_back_to_the_template(mortagne, revue, facilitateur, client_for):
    services.revue_questionnaire_set(
        revue=revue,
        by=facilitateur,
        questionnaire_data={"dimensions": [{"key": "x", "title": "X", "items": [{"key": "x_1", "text": "Q", "type": "likert"}]}]},
    )  # fmt: skip
    response = client_for(facilitateur).post(url("questionnaire", mortagne, YEAR), {"reset": "1"}, follow=True)
    assert "Le questionnaire est revenu au modèle." in plain(response)
    assert reload(revue).questionnaire == default_questionnaire()


def test_the_questionnaire_is_frozen_once_open(mortagne, open_revue, facilitateur, client_for):
    client = client_for(facilitateur)
    response = client.get(url("questionnaire", mortagne, YEAR), follow=True)
    assert response.redirect_chain[-1][0] == url("revue", mortagne, YEAR)
    assert "ne se modifie plus une fois ouvert" in messages_of(response)
    client.post(url("questionnaire", mortagne, YEAR), {"reset": "1", "remove_se_connaitre_1": "on"})
    assert reload(open_revue).questionnaire == default_questionnaire()
    assert url("questionnaire", mortagne, YEAR) not in client.get(url("revue", mortagne, YEAR)).content.decode()


# Answering -----------------------------------------------------------------------------------------------


def test_a_member_answers_anonymously(mortagne, open_revue, sg_petite_commune, client_for):
    client = client_for(sg_petite_commune)
    response = client.get(url("repondre", mortagne, YEAR))
    assert response.status_code == 200
    page = response.content.decode()
    text = plain(response)
    assert "Ni votre nom ni la date de votre réponse ne sont enregistrés" in text
    assert "au moins trois réponses" in text and "ne peut plus être modifiée" in text
    assert re.search(r"<h2[^>]*>Se connaître</h2>", page)
    assert re.search(r"<legend>Je connais les DGS et secrétaires de mairie", page)
    assert page.count('type="radio" name="se_connaitre_1"') == 6
    assert re.search(r'<input type="radio" name="se_connaitre_1" value=""[^>]*checked', page)
    assert "Je ne sais pas / sans avis" in text and "Tout à fait d&#x27;accord" in page
    assert 'maxlength="2000"' in page
    response = client.post(
        url("repondre", mortagne, YEAR),
        {"se_connaitre_1": "4", "se_connaitre_2": "", "se_connaitre_libre": "Des visites croisées."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url("revue", mortagne, YEAR)
    assert "votre réponse anonyme est enregistrée" in plain(response)
    row = Reponse.objects.values().get()
    # Nothing on the answer can lead back to the person: no agent, no date, a random key.
    assert set(row) == {"id", "revue_id", "profile", "answers"}
    assert row["answers"] == {"se_connaitre_1": 4, "se_connaitre_libre": "Des visites croisées."}
    assert row["profile"] == "moins_1000"
    assert str(sg_petite_commune.pk) not in str(row["answers"]) and sg_petite_commune.email not in str(row)
    assert Participation.objects.get().agent == sg_petite_commune


def test_an_answer_off_the_scale_is_refused_next_to_its_question(mortagne, open_revue, dgs_commune, client_for):
    response = client_for(dgs_commune).post(
        url("repondre", mortagne, YEAR), {"se_connaitre_1": "7", "se_connaitre_libre": "Mon idée", "legitimer_1": "2"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_se_connaitre_1_error"' in page and "Choisissez une réponse entre 1 et 5." in plain(response)
    assert "Mon idée</textarea>" in page  # what was typed is kept
    assert re.search(r'name="legitimer_1" value="2"[^>]*checked', page)
    assert not Reponse.objects.exists() and not Participation.objects.exists()


def test_an_empty_submission_is_refused(mortagne, open_revue, dgs_commune, client_for):
    response = client_for(dgs_commune).post(url("repondre", mortagne, YEAR), {"se_connaitre_1": ""})
    assert response.status_code == 400
    assert "Répondez à au moins une question avant d'envoyer." in plain(response)
    assert not Reponse.objects.exists() and not Participation.objects.exists()


def test_a_member_answers_only_once(mortagne, open_revue, dgs_commune, client_for):
    client = client_for(dgs_commune)
    client.post(url("repondre", mortagne, YEAR), {"se_connaitre_1": "4"})
    response = client.get(url("repondre", mortagne, YEAR))
    assert response.status_code == 200
    assert "Vous avez déjà répondu à ce questionnaire, le 1 décembre 2026" in plain(response)
    assert '<form method="post" class="form"' not in response.content.decode()
    response = client.post(url("repondre", mortagne, YEAR), {"se_connaitre_1": "1"})
    assert response.status_code == 400 and "Vous avez déjà répondu" in plain(response)
    assert Reponse.objects.get().answers == {"se_connaitre_1": 4}


@pytest.mark.parametrize("persona", ["observateur", "facilitateur"])
def test_observers_and_facilitators_do_not_answer(persona, mortagne, open_revue, request, client_for):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url("repondre", mortagne, YEAR)).status_code == 403
    assert client.post(url("repondre", mortagne, YEAR), {"se_connaitre_1": "5"}).status_code == 403
    assert not Reponse.objects.exists()


def test_nothing_to_answer_before_the_opening_nor_after_the_close(
    mortagne, revue, facilitateur, dgs_commune, client_for
):
    client = client_for(dgs_commune)
    response = client.get(url("repondre", mortagne, YEAR))
    assert "n'est pas encore ouvert" in plain(response) and 'type="radio"' not in response.content.decode()
    services.revue_open_questionnaire(revue=revue, by=facilitateur)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    response = client.get(url("repondre", mortagne, YEAR))
    assert "Le questionnaire est clos" in plain(response)
    assert client.post(url("repondre", mortagne, YEAR), {"se_connaitre_1": "5"}).status_code == 400
    assert not Reponse.objects.exists()


# The séminaire ------------------------------------------------------------------------------------------


def test_the_facilitator_writes_the_seminar_and_members_read_it(
    mortagne, seminar_revue, facilitateur, dgs_commune, client_for
):
    client = client_for(facilitateur)
    page = client.get(url("seminaire", mortagne, YEAR)).content.decode()
    assert 'name="bilan"' in page and 'name="engagement-owner_collectivite"' in page
    select = re.search(r'<select name="engagement-owner_collectivite".*?</select>', page, re.S).group()
    assert select.count("<option") == 1 + Collectivite.objects.for_territoire(mortagne).count()
    response = client.post(
        url("seminaire", mortagne, YEAR),
        {"form": "seminaire", "seminar_on": "2027-01-15", "place": "Mallièvre", "bilan": "Un an **dense**.",
         "perspectives": "- Tourner les lieux"},
        follow=True,
    )  # fmt: skip
    assert "sont enregistrés" in plain(response)
    revue = reload(seminar_revue)
    assert revue.bilan_html == "<p>Un an <strong>dense</strong>.</p>" and revue.seminar_on == date(2027, 1, 15)
    response = client.post(
        url("seminaire", mortagne, YEAR),
        {"form": "engagement", "engagement-title": "Tourner les lieux de réunion",
         "engagement-owner_collectivite": collectivite(mortagne, "Mallièvre").pk,
         "engagement-due_date": "2027-06-30", "engagement-description": "Une commune par trimestre."},
        follow=True,
    )  # fmt: skip
    assert "Engagement ajouté." in plain(response)
    engagement = Engagement.objects.get()
    assert engagement.owner_collectivite.name == "Mallièvre" and engagement.due_date == date(2027, 6, 30)
    response = client.post(url("engagement_retirer", mortagne, YEAR, engagement.pk), follow=True)
    assert "retiré" in plain(response) and "<del>Tourner les lieux de réunion</del>" in response.content.decode()
    assert Engagement.objects.get().withdrawn_at is not None
    member = client_for(dgs_commune).get(url("seminaire", mortagne, YEAR))
    assert member.status_code == 200
    content = member.content.decode()
    assert "Un an <strong>dense</strong>." in content and "<li>Tourner les lieux</li>" in content
    assert 'name="bilan"' not in content and url("engagement_retirer", mortagne, YEAR, engagement.pk) not in content
    assert "Tourner les lieux de réunion retiré" in plain(member)


def test_the_seminar_page_says_when_nothing_is_written_yet(mortagne, open_revue, facilitateur, dgs_commune, client_for):
    response = client_for(dgs_commune).get(url("seminaire", mortagne, YEAR))
    assert response.status_code == 200 and "pas encore écrit" in plain(response)
    response = client_for(facilitateur).get(url("seminaire", mortagne, YEAR))
    assert "Il s'écrit à l'étape « Séminaire »" in plain(response) and 'name="bilan"' not in response.content.decode()


def test_the_seminar_is_written_only_at_its_stage(mortagne, open_revue, facilitateur, client_for):
    response = client_for(facilitateur).post(
        url("seminaire", mortagne, YEAR), {"form": "seminaire", "bilan": "Trop tôt"}, follow=True
    )
    assert "Le séminaire s'écrit à l'étape « Séminaire »" in messages_of(response)
    assert reload(open_revue).bilan == ""


@pytest.mark.parametrize(
    "data,error",
    [
        ({"engagement-title": "", "engagement-owner_collectivite": "MALLIEVRE"}, "Ce champ est obligatoire."),
        ({"engagement-title": "Hier", "engagement-owner_collectivite": "MALLIEVRE",
          "engagement-due_date": "2026-11-30"}, "L'échéance d'un engagement est dans le futur."),
        ({"engagement-title": "Ailleurs", "engagement-owner_collectivite": "ACHARDS"},
         "Sélectionnez un choix valide."),
    ],
)  # fmt: skip
def test_a_bad_commitment_is_refused_with_its_reason(
    data, error, mortagne, achards, seminar_revue, facilitateur, client_for
):
    owners = {"MALLIEVRE": collectivite(mortagne, "Mallièvre").pk, "ACHARDS": achards.collectivites.first().pk}
    data = {
        **data,
        "form": "engagement",
        "engagement-owner_collectivite": owners[data["engagement-owner_collectivite"]],
    }
    response = client_for(facilitateur).post(url("seminaire", mortagne, YEAR), data)
    assert response.status_code == 400
    assert error in plain(response)
    assert not Engagement.objects.exists()


def test_a_member_cannot_withdraw_a_commitment(mortagne, seminar_revue, facilitateur, dgs_epci, client_for):
    engagement = services.engagement_add(
        revue=seminar_revue,
        by=facilitateur,
        title="Tenir le délai",
        owner_collectivite=collectivite(mortagne, "Mallièvre"),
    )
    assert client_for(dgs_epci).post(url("engagement_retirer", mortagne, YEAR, engagement.pk)).status_code == 403
    assert Engagement.objects.get().withdrawn_at is None


def test_a_commitment_of_another_review_is_404(mortagne, seminar_revue, facilitateur, client_for):
    other = services.revue_create(territoire=mortagne, year=2025, by=facilitateur)
    engagement = services.engagement_add(
        revue=seminar_revue,
        by=facilitateur,
        title="Tenir le délai",
        owner_collectivite=collectivite(mortagne, "Mallièvre"),
    )
    response = client_for(facilitateur).post(url("engagement_retirer", mortagne, other.year, engagement.pk))
    assert response.status_code == 404
    assert Engagement.objects.get().withdrawn_at is None


# Query counts --------------------------------------------------------------------------------------------


def run_reviews(territoire, admin, facilitator, scale: int):
    """2026 open with answers from every member but the admin; 2025 at the séminaire and 2024 closed, each
    with `scale` commitments (one withdrawn); on the large side, earlier years in préparation."""
    communes_services.facilitator_grant(territoire=territoire, agent=facilitator, by=None)
    current = services.revue_open_questionnaire(
        revue=services.revue_create(territoire=territoire, year=YEAR, by=facilitator), by=facilitator
    )
    members = Agent.objects.filter(memberships__territoire=territoire).exclude(pk=admin.pk)
    for index, agent in enumerate(members):
        services.reponse_submit(revue=current, agent=agent, answers={"se_connaitre_1": index % 5 + 1})
    owners = list(Collectivite.objects.for_territoire(territoire)[:scale])
    for year in (2025, 2024):
        seminar = services.revue_create(territoire=territoire, year=year, by=facilitator)
        services.revue_open_questionnaire(revue=seminar, by=facilitator)
        services.revue_start_seminar(revue=seminar, by=facilitator)
        services.seminaire_save(revue=seminar, by=facilitator, bilan="Bilan", perspectives="Perspectives")
        for index in range(scale):
            engagement = services.engagement_add(
                revue=seminar, by=facilitator, title=f"Engagement {index}", owner_collectivite=owners[index],
                due_date=date(2027, 6, 30),
            )  # fmt: skip
        services.engagement_withdraw(engagement=engagement, by=facilitator)
    services.revue_close(revue=seminar, by=facilitator)
    for year in range(2021, 2021 + min(scale // 6, 3)):
        services.revue_create(territoire=territoire, year=year, by=facilitator)


# Expected queries: session, agent, membership (with its collectivité, territory and object permissions; a
# facilitator, who has none, then reads the territory and the permissions); then the page's own: the review (with its facilitator
# and decision); for `revues` the reviews with their answers counted in SQL; for `revue` the participation
# (members), the answer count and the eligible members, and the follow-up actions once closed; for `repondre`
# the participation; for `seminaire` the commitments with their collectivités, and the collectivités of the
# select for the facilitator.
MEMBER_PAGES = {
    "revues": (lambda t: url("revues", t), 5),
    "revue": (lambda t: url("revue", t, YEAR), 8),
    "revue_cloturee": (lambda t: url("revue", t, 2024), 9),
    "repondre": (lambda t: url("repondre", t, YEAR), 6),
    "seminaire": (lambda t: url("seminaire", t, 2025), 6),
}
FACILITATOR_PAGES = {
    "revues": (lambda t: url("revues", t), 6),
    "revue": (lambda t: url("revue", t, YEAR), 8),
    "revue_seminaire": (lambda t: url("revue", t, 2025), 9),
    "seminaire": (lambda t: url("seminaire", t, 2025), 8),
}


def test_review_pages_answer_in_the_same_number_of_queries_whatever_the_size(client, django_assert_max_num_queries):
    facilitator = communes_services.agent_create(
        email="facilitatrice@cnfpt.test", first_name="Inès", last_name="Roy", password=PASSWORD
    )
    small = import_epci("248500662")
    small_admin = populate(small, members_per_commune=1)
    run_reviews(small, small_admin, facilitator, scale=3)
    large = import_epci(PAYS_BASQUE)  # 159 collectivités: 158 answers, 18 commitments a review, 6 reviews
    large_admin = populate(large, members_per_commune=1)
    run_reviews(large, large_admin, facilitator, scale=18)
    assert Reponse.objects.filter(revue__territoire=large).count() == 158
    assert_counts_do_not_grow(
        client, django_assert_max_num_queries, MEMBER_PAGES, (small_admin, (small,)), (large_admin, (large,))
    )
    assert_counts_do_not_grow(
        client, django_assert_max_num_queries, FACILITATOR_PAGES, (facilitator, (small,)), (facilitator, (large,))
    )
