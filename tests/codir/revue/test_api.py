"""The REST API of annual reviews: the facilitator runs them, members answer once and anonymously, everyone
with access reads them, outsiders see nothing; and no endpoint ever gives an answer away."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from codir.models import Campagne, Engagement, Partage, Participation, Reponse, RevueAnnuelle
from codir.revue import questionnaire, services
from communes import services as communes_services
from communes.models import Membership
from decisions.models import Proposition
from reseaux.models import Projet
from tests.conftest import PASSWORD, collectivite, import_epci, make_member

pytestmark = pytest.mark.django_db

YEAR = 2026  # the frozen clock of tests/codir says 1 December 2026
NOT_MINE = "La revue est à l'étape"  # the start of the services' message for a step done at the wrong stage


def revue_url(territoire, name, year=YEAR, *more):
    if name == "list":
        return reverse("api:revue-annuelle-list", args=[territoire.slug])
    return reverse(f"api:revue-annuelle-{name}", args=[territoire.slug, year, *more])


def partage_url(territoire):
    return reverse("api:partage-revue", args=[territoire.slug])


@pytest.fixture
def members(dgs_epci, dgs_commune, sg_petite_commune, referent):
    """The four members who may answer (the observer may not)."""
    return [dgs_epci, dgs_commune, sg_petite_commune, referent]


@pytest.fixture
def revue(mortagne, facilitateur, members, observateur):
    return services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)


@pytest.fixture
def open_revue(revue, facilitateur):
    return services.revue_open_questionnaire(revue=revue, by=facilitateur)


def answer(revue, agent, **answers):
    services.reponse_submit(revue=revue, agent=agent, answers=answers)


# --- The whole review, through the API ---------------------------------------------------------------


def test_the_facilitator_runs_a_review_from_creation_to_closure(mortagne, facilitateur, members, observateur, api_for):
    runner = api_for(facilitateur)
    created = runner.post(revue_url(mortagne, "list"), {"year": YEAR}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["year"], body["stage"], body["answers_count"], body["eligible_count"]) == (YEAR, "preparation", 0, 4)
    assert body["facilitator_name"] == "Anne Lebrun" and body["engagements"] == [] and body["proposition"] is None
    assert body["questionnaire"] == questionnaire.default_questionnaire()

    adapted = questionnaire.default_questionnaire()
    adapted["dimensions"] = adapted["dimensions"][:2]
    put = runner.put(revue_url(mortagne, "questionnaire"), {"questionnaire": adapted}, format="json")
    assert put.status_code == 200, put.json()
    assert [d["key"] for d in put.json()["questionnaire"]["dimensions"]] == ["se_connaitre", "legitimer"]

    opened = runner.post(revue_url(mortagne, "ouvrir-questionnaire"))
    assert opened.status_code == 200 and opened.json()["stage"] == "questionnaire"
    assert opened.json()["questionnaire_opened_at"]

    for level, agent in enumerate(members[:3], start=3):
        response = api_for(agent).post(
            revue_url(mortagne, "reponses"), {"answers": {"se_connaitre_1": level, "legitimer_1": "4"}}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert response.json() == {"detail": "Merci : votre réponse anonyme est enregistrée."}
    assert Reponse.objects.count() == 3 and Participation.objects.count() == 3

    # While answers come in nobody reads the results, the facilitator included: two readings a few
    # answers apart would give the last respondents away.
    for reader in (members[0], facilitateur):
        assert api_for(reader).get(revue_url(mortagne, "resultats")).status_code == 403

    seminar = runner.post(
        revue_url(mortagne, "seminaire"), {"seminar_on": "2026-12-10", "place": "Mairie de Mallièvre"}, format="json"
    )
    assert seminar.status_code == 200, seminar.json()
    assert (seminar.json()["stage"], seminar.json()["seminar_on"]) == ("seminaire", "2026-12-10")
    for agent in (members[3], observateur, facilitateur):
        results = api_for(agent).get(revue_url(mortagne, "resultats"))
        assert results.status_code == 200 and results.json()["dimensions"][0]["mean"] == 4.0
    live = runner.get(revue_url(mortagne, "resultats")).json()
    assert (live["answers"], live["eligible"], live["rate"], live["shown"]) == (3, 4, 75.0, True)
    assert live["dimensions"][0]["items"][0]["distribution"] == [0, 0, 1, 1, 1]

    bilan = runner.post(
        revue_url(mortagne, "bilan"), {"bilan": "Une **bonne** année.", "perspectives": "Continuer."}, format="json"
    )
    assert bilan.status_code == 200, bilan.json()
    assert "<strong>bonne</strong>" in bilan.json()["bilan_html"] and bilan.json()["perspectives"] == "Continuer."
    assert bilan.json()["seminar_place"] == "Mairie de Mallièvre"  # left out, so kept
    only_place = runner.post(revue_url(mortagne, "bilan"), {"place": "Salle des fêtes"}, format="json").json()
    assert (only_place["seminar_place"], only_place["bilan"]) == ("Salle des fêtes", "Une **bonne** année.")

    mallievre = collectivite(mortagne, "Mallièvre")
    kept = runner.post(
        revue_url(mortagne, "engagements"),
        {"title": "Tenir le délai de 48 h", "owner_collectivite": mallievre.pk, "due_date": "2027-06-30"},
        format="json",
    )
    assert kept.status_code == 201, kept.json()
    assert kept.json()["owner_collectivite"]["name"] == "Mallièvre" and kept.json()["withdrawn_at"] is None
    dropped = runner.post(
        revue_url(mortagne, "engagements"),
        {"title": "Un séminaire par trimestre", "owner_collectivite": mallievre.pk},
        format="json",
    ).json()
    withdrawn = runner.post(revue_url(mortagne, "engagement-retirer", YEAR, dropped["id"]))
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]

    closed = runner.post(revue_url(mortagne, "cloturer"))
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert body["stage"] == "cloturee" and body["closed_at"] and body["proposition"]
    assert [(e["title"], e["action"] is not None) for e in body["engagements"]] == [
        ("Tenir le délai de 48 h", True),
        ("Un séminaire par trimestre", False),
    ]
    figures = api_for(observateur).get(revue_url(mortagne, "indicateurs"))
    assert figures.status_code == 200 and figures.json()["frozen"] is True
    tenues = next(f for f in figures.json()["figures"] if f["key"] == "reunions.tenues")
    assert tenues == {**tenues, "family": "reunions", "value": 0, "detail": ""}
    listed = api_for(observateur).get(revue_url(mortagne, "list")).json()
    assert (
        listed["count"] == 1 and listed["results"][0] == api_for(observateur).get(revue_url(mortagne, "detail")).json()
    )


def test_everyone_with_access_reads_the_reviews_and_the_live_figures(
    mortagne, revue, facilitateur, dgs_commune, observateur, api_for
):
    for agent in (facilitateur, dgs_commune, observateur):
        api = api_for(agent)
        assert [r["year"] for r in api.get(revue_url(mortagne, "list")).json()["results"]] == [YEAR]
        assert api.get(revue_url(mortagne, "detail")).json()["stage"] == "preparation"
        figures = api.get(revue_url(mortagne, "indicateurs")).json()
        assert figures["year"] == YEAR and figures["frozen"] is False and figures["figures"]
    assert api_for(dgs_commune).get(revue_url(mortagne, "detail", 2025)).status_code == 404
    assert api_for(dgs_commune).get(revue_url(mortagne, "resultats", 2025)).status_code == 404


# --- Who may do what ----------------------------------------------------------------------------------


def test_only_the_facilitator_runs_the_review(mortagne, revue, facilitateur, dgs_epci, dgs_commune, api_for):
    mallievre = collectivite(mortagne, "Mallièvre")
    engagement_id = 999999
    writes = [
        ("post", revue_url(mortagne, "list"), {"year": 2025}),
        ("put", revue_url(mortagne, "questionnaire"), {"questionnaire": questionnaire.default_questionnaire()}),
        ("post", revue_url(mortagne, "ouvrir-questionnaire"), {}),
        ("post", revue_url(mortagne, "seminaire"), {}),
        ("post", revue_url(mortagne, "bilan"), {"bilan": "Pris la main"}),
        ("post", revue_url(mortagne, "engagements"), {"title": "T", "owner_collectivite": mallievre.pk}),
        ("post", revue_url(mortagne, "engagement-retirer", YEAR, engagement_id), {}),
        ("post", revue_url(mortagne, "cloturer"), {}),
    ]
    for agent in (dgs_epci, dgs_commune):  # the EPCI's DGS administers the territory, and still may not
        api = api_for(agent)
        for method, url, data in writes:
            response = getattr(api, method)(url, data, format="json")
            assert response.status_code == 403, (url, response.status_code)
    revue.refresh_from_db()
    assert revue.stage == "preparation" and RevueAnnuelle.objects.count() == 1 and not Engagement.objects.exists()
    # The facilitator's own writes at the wrong stage are 400s in French, not 500s.
    runner = api_for(facilitateur)
    refused = runner.post(revue_url(mortagne, "cloturer"))
    assert refused.status_code == 400 and refused.json()["detail"][0].startswith(NOT_MINE)
    again = runner.post(revue_url(mortagne, "list"), {"year": YEAR}, format="json")
    assert again.status_code == 400 and again.json() == {
        "detail": [f"La revue {YEAR} de CC du Pays de Mortagne existe déjà."]
    }
    too_old = runner.post(revue_url(mortagne, "list"), {"year": 2010}, format="json")
    assert too_old.status_code == 400 and too_old.json() == {"year": ["Choisissez une année entre 2021 et 2027."]}
    assert runner.post(revue_url(mortagne, "bilan"), {}, format="json").status_code == 400


def test_observers_and_facilitators_do_not_answer(mortagne, open_revue, facilitateur, observateur, api_for):
    for agent in (facilitateur, observateur):
        response = api_for(agent).post(
            revue_url(mortagne, "reponses"), {"answers": {"se_connaitre_1": 4}}, format="json"
        )
        assert response.status_code == 403
    assert not Reponse.objects.exists() and not Participation.objects.exists()


def test_the_facilitator_reads_the_territory_but_writes_nothing_else_in_it(mortagne, facilitateur, dgs_epci, api_for):
    api = api_for(facilitateur)
    assert api.get(reverse("api:proposition-list", args=[mortagne.slug])).status_code == 200
    assert api.get(reverse("api:projet-list", args=[mortagne.slug])).status_code == 200
    proposition = api.post(
        reverse("api:proposition-list", args=[mortagne.slug]), {"title": "T", "body": "B"}, format="json"
    )
    epci = mortagne.collectivites.get(kind="epci")
    projet = api.post(
        reverse("api:projet-list", args=[mortagne.slug]),
        {"title": "T", "pilotage": "epci", "pilotes": [{"collectivite": epci.pk}]},
        format="json",
    )
    partage = api.put(partage_url(mortagne), {"families": ["reunions"]}, format="json")
    assert [proposition.status_code, projet.status_code, partage.status_code] == [403, 403, 403]
    assert not Proposition.objects.exists() and not Projet.objects.exists() and not Partage.objects.exists()


def test_outsiders_get_404_on_every_review_endpoint(mortagne, revue, outsider, api_for):
    api = api_for(outsider)
    urls = [
        revue_url(mortagne, "list"),
        *(
            revue_url(mortagne, name)
            for name in (
                "detail", "ouvrir-questionnaire", "seminaire", "bilan", "cloturer", "questionnaire", "engagements",
                "reponses", "resultats", "indicateurs",
            )
        ),
        revue_url(mortagne, "engagement-retirer", YEAR, 1),
        partage_url(mortagne),
    ]  # fmt: skip
    for url in urls:
        statuses = [api.get(url).status_code, api.post(url, {}, format="json").status_code]
        statuses.append(api.put(url, {}, format="json").status_code)
        assert statuses == [404, 404, 404], (url, statuses)
    assert RevueAnnuelle.objects.get().stage == "preparation" and not Partage.objects.exists()


# --- Anonymity ----------------------------------------------------------------------------------------

FORBIDDEN_KEYS = {"agent", "agent_id", "agents", "respondent", "respondents", "participations", "email", "reponses"}


def keys_of(payload):
    if isinstance(payload, dict):
        for key, value in payload.items():
            yield key
            yield from keys_of(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from keys_of(value)


def assert_nothing_personal(payload, respondents, secrets):
    text = json.dumps(payload, ensure_ascii=False)
    for agent in respondents:
        assert agent.email not in text and agent.full_name not in text
    for secret in [*secrets, *(str(pk) for pk in Reponse.objects.values_list("pk", flat=True))]:
        assert secret not in text
    assert not FORBIDDEN_KEYS & set(keys_of(payload))


def every_get(mortagne, facilitateur, member, api_for, campagne):
    """Every GET endpoint of reviews, as the facilitator and as a member, with its JSON."""
    as_facilitator, as_member = api_for(facilitateur), api_for(member)
    urls = [revue_url(mortagne, name) for name in ("detail", "indicateurs", "resultats")]
    urls += [revue_url(mortagne, "list"), partage_url(mortagne)]
    payloads = []
    for url in urls:
        for api in (as_facilitator, as_member):
            response = api.get(url)
            if response.status_code == 200:
                payloads.append(response.json())
            else:  # the results, while the questionnaire is open
                assert response.status_code == 403 and url.endswith("/resultats/")
    for url in (
        reverse("api:campagne-list"),
        reverse("api:campagne-detail", args=[campagne.pk]),
        reverse("api:comparaison") + f"?annee={YEAR}",
    ):
        response = as_facilitator.get(url)
        assert response.status_code == 200, url
        payloads.append(response.json())
    return payloads


def test_no_endpoint_gives_an_answer_or_a_respondent_away(mortagne, facilitateur, members, api_for):
    campagne = services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne])
    revue = services.revue_open_questionnaire(revue=campagne.revues.get(), by=facilitateur)
    secrets = ["Zanzibar-alpha", "Zanzibar-bravo", "Zanzibar-charlie"]
    answer(revue, members[0], se_connaitre_1=5, se_connaitre_libre=secrets[0])
    answer(revue, members[1], se_connaitre_1=1, se_connaitre_libre=secrets[1])
    reader = members[3]

    # Two, then three answers while the questionnaire is open: nothing but the counts, anywhere.
    for payload in every_get(mortagne, facilitateur, reader, api_for, campagne):
        assert_nothing_personal(payload, members[:2], secrets)
    answer(revue, members[2], se_connaitre_1=3)
    for payload in every_get(mortagne, facilitateur, reader, api_for, campagne):
        assert_nothing_personal(payload, members[:3], secrets)

    # A third free text: the three appear together, in alphabetical order, never in the order given.
    answer(revue, reader, se_connaitre_libre=secrets[2])
    services.revue_start_seminar(revue=revue, by=facilitateur)
    for agent in (facilitateur, reader):
        results = api_for(agent).get(revue_url(mortagne, "resultats")).json()
        verbatims = {i["key"]: i for i in results["dimensions"][0]["items"]}["se_connaitre_libre"]["verbatims"]
        assert verbatims == sorted(secrets)
    for payload in every_get(mortagne, facilitateur, reader, api_for, campagne):
        assert_nothing_personal(payload, members, [])


def test_under_three_answers_the_results_are_only_counts(mortagne, facilitateur, members, api_for):
    campagne = services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne])
    revue = services.revue_open_questionnaire(revue=campagne.revues.get(), by=facilitateur)
    answer(revue, members[0], se_connaitre_1=5, se_connaitre_libre="Zanzibar-alpha")
    answer(revue, members[1], se_connaitre_1=1)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    results = api_for(facilitateur).get(revue_url(mortagne, "resultats")).json()
    assert results == {
        "answers": 2, "eligible": 4, "rate": 50.0, "shown": False, "dimensions": [], "profiles": [],
        "previous_year": None,
    }  # fmt: skip


def test_two_free_texts_never_show_even_beside_three_answers(mortagne, facilitateur, members, api_for):
    campagne = services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne])
    revue = services.revue_open_questionnaire(revue=campagne.revues.get(), by=facilitateur)
    answer(revue, members[0], se_connaitre_1=5, se_connaitre_libre="Zanzibar-alpha")
    answer(revue, members[1], se_connaitre_1=1, se_connaitre_libre="Zanzibar-bravo")
    answer(revue, members[2], se_connaitre_1=3)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    response = api_for(members[3]).get(revue_url(mortagne, "resultats"))
    results = response.json()
    item = {i["key"]: i for i in results["dimensions"][0]["items"]}
    assert results["shown"] and item["se_connaitre_1"]["mean"] == 3.0
    assert (item["se_connaitre_libre"]["n"], item["se_connaitre_libre"]["verbatims"]) == (2, [])
    assert "Zanzibar" not in response.content.decode()


def test_bad_answers_get_french_400s_and_nothing_is_stored(mortagne, revue, facilitateur, dgs_commune, api_for):
    api = api_for(dgs_commune)
    url = revue_url(mortagne, "reponses")
    early = api.post(url, {"answers": {"se_connaitre_1": 4}}, format="json")
    assert early.status_code == 400 and early.json() == {"detail": ["Le questionnaire n'est pas ouvert."]}
    services.revue_open_questionnaire(revue=revue, by=facilitateur)
    cases = [
        ({"answers": {"se_connaitre_1": 9}}, {"se_connaitre_1": ["Choisissez une réponse entre 1 et 5."]}),
        ({"answers": {"se_connaitre_1": "beaucoup"}}, {"se_connaitre_1": ["Choisissez une réponse entre 1 et 5."]}),
        (
            {"answers": {"se_connaitre_1": 4, "question_inventee": 3}},
            {"question_inventee": ["Cette question ne fait pas partie du questionnaire."]},
        ),
        ({"answers": {}}, {"detail": ["Répondez à au moins une question avant d'envoyer."]}),
        ({"answers": {"se_connaitre_1": "", "se_connaitre_libre": "  "}}, {"detail": ["Répondez à au moins une question avant d'envoyer."]}),
        (
            {"answers": {"se_connaitre_1": [4]}},
            {"answers": ["Réponse invalide à « se_connaitre_1 » : un niveau de 1 à 5 ou un texte."]},
        ),
        ({"answers": {"se_connaitre_1": True}}, None),
        ({"answers": {"se_connaitre_libre": "nul\x00"}}, {"answers": ["Le caractère nul n’est pas autorisé."]}),
        ({"answers": "4"}, None),
        ({}, {"answers": ["Ce champ est obligatoire."]}),
        ({"answers": {"se_connaitre_libre": "x" * 2001}}, {"se_connaitre_libre": ["2000 caractères au plus."]}),
    ]  # fmt: skip
    for data, expected in cases:
        response = api.post(url, data, format="json")
        assert response.status_code == 400, (data, response.json())
        if expected is not None:
            assert response.json() == expected, data
    assert not Reponse.objects.exists() and not Participation.objects.exists()

    assert api.post(url, {"answers": {"se_connaitre_1": 4}}, format="json").status_code == 201
    second = api.post(url, {"answers": {"se_connaitre_1": 2}}, format="json")
    assert second.status_code == 400 and second.json() == {
        "detail": ["Vous avez déjà répondu à ce questionnaire : une réponse anonyme ne se modifie pas."]
    }
    assert Reponse.objects.count() == 1 and Participation.objects.count() == 1
    assert Reponse.objects.get().answers == {"se_connaitre_1": 4}


def test_bad_questionnaires_and_engagements_get_french_400s(mortagne, revue, facilitateur, api_for):
    runner = api_for(facilitateur)
    url = revue_url(mortagne, "questionnaire")
    bad = [
        ({"questionnaire": {"dimensions": "non"}}, "Le questionnaire doit contenir une liste de dimensions."),
        ({"questionnaire": {"dimensions": [{"key": "a", "title": "A", "items": 5}]}}, "Chaque dimension doit avoir une liste de questions."),
        ({"questionnaire": {"dimensions": [{"key": "a", "title": "A\x00", "items": []}]}}, "Le caractère nul n’est pas autorisé."),
        ({"questionnaire": {"dimensions": [{"key": "a", "title": "A", "items": [{"key": "b", "text": "B", "type": "x"}]}]}}, "Une question est soit une échelle d'accord, soit une réponse libre."),
    ]  # fmt: skip
    for data, message in bad:
        response = runner.put(url, data, format="json")
        assert response.status_code == 400, response.json()
        assert message in json.dumps(response.json(), ensure_ascii=False)
    revue.refresh_from_db()
    assert revue.questionnaire == questionnaire.default_questionnaire()

    services.revue_open_questionnaire(revue=revue, by=facilitateur)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    epci = mortagne.collectivites.get(kind="epci")
    foreign = import_epci("244400503").collectivites.get(kind="epci")  # Erdre et Gesvres
    url = revue_url(mortagne, "engagements")
    cases = [
        ({"title": " ", "owner_collectivite": epci.pk}, {"title": ["Dites en une phrase à quoi le collectif s'engage."]}),
        ({"title": "T", "owner_collectivite": epci.pk, "due_date": "2026-11-30"}, {"due_date": ["L'échéance d'un engagement est dans le futur."]}),
        ({"title": "T", "owner_collectivite": foreign.pk}, None),
        ({"title": "T"}, {"owner_collectivite": ["Ce champ est obligatoire."]}),
    ]  # fmt: skip
    for data, expected in cases:
        response = runner.post(url, data, format="json")
        assert response.status_code == 400, response.json()
        if expected is not None:
            assert response.json() == expected
    assert not Engagement.objects.exists()
    assert runner.post(revue_url(mortagne, "engagement-retirer", YEAR, 123456)).status_code == 404


def test_the_list_costs_the_same_queries_for_one_review_or_many(
    mortagne, facilitateur, members, api_for, django_assert_max_num_queries
):
    api = api_for(members[1])
    url = revue_url(mortagne, "list")
    epci = mortagne.collectivites.get(kind="epci")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200
        return len(queries)

    services.revue_create(territoire=mortagne, year=2022, by=facilitateur)
    api.get(url)  # warm the per-process caches (content types)
    with django_assert_max_num_queries(7):
        one = count()
    for year in (2023, 2024, 2025, 2026):
        revue = services.revue_create(territoire=mortagne, year=year, by=facilitateur)
        services.revue_open_questionnaire(revue=revue, by=facilitateur)
        answer(revue, members[0], se_connaitre_1=4)
        services.revue_start_seminar(revue=revue, by=facilitateur)
        for n in range(2):
            services.engagement_add(
                revue=revue,
                by=facilitateur,
                title=f"Engagement {n}",
                owner_collectivite=epci,
                due_date=date(2027, 6, 30),
            )
    services.seminaire_save(revue=revue, by=facilitateur, bilan="Bilan", perspectives="")
    services.revue_close(revue=revue, by=facilitateur)
    with django_assert_max_num_queries(7):
        many = count()
    # The membership with its territory, the agent's permissions on it, the page's count, the reviews with
    # their facilitator and answer count, their engagements with their collectivité, the eligible members.
    assert one == many, (one, many)
    assert len(api.get(url).json()["results"]) == 5


# --- Sharing with the facilitator --------------------------------------------------------------------


def test_members_read_what_is_shared_and_only_admins_change_it(
    mortagne, facilitateur, dgs_epci, dgs_commune, observateur, api_for
):
    for agent in (facilitateur, dgs_commune, observateur):
        body = api_for(agent).get(partage_url(mortagne)).json()
        assert body["families"] == [] and body["updated_at"] is None
        assert [f["key"] for f in body["available"]] == [
            "reunions", "parite", "decisions", "charte", "portefeuille", "reseaux", "questionnaire",
        ]  # fmt: skip
    for agent in (facilitateur, dgs_commune, observateur):
        assert api_for(agent).put(partage_url(mortagne), {"families": ["reunions"]}, format="json").status_code == 403
    admin = api_for(dgs_epci)
    put = admin.put(partage_url(mortagne), {"families": ["questionnaire", "reunions"]}, format="json")
    assert put.status_code == 200, put.json()
    assert put.json()["families"] == ["reunions", "questionnaire"] and put.json()["updated_at"]
    assert api_for(facilitateur).get(partage_url(mortagne)).json()["families"] == ["reunions", "questionnaire"]
    bad = admin.put(partage_url(mortagne), {"families": ["salaires"]}, format="json")
    assert bad.status_code == 400 and bad.json() == {"families": ["Famille d'indicateurs inconnue : salaires."]}
    assert admin.put(partage_url(mortagne), {}, format="json").json() == {"families": ["Ce champ est obligatoire."]}
    assert Partage.objects.get().families == ["reunions", "questionnaire"]


# --- The facilitator's space --------------------------------------------------------------------------


@pytest.fixture
def other_facilitator(achards):
    agent = communes_services.agent_create(
        email="paul.morin@conseil.test", first_name="Paul", last_name="Morin", password=PASSWORD
    )
    communes_services.facilitator_grant(territoire=achards, agent=agent, by=None)
    return agent


def test_a_facilitator_opens_a_campaign_and_adapts_its_questionnaire(
    mortagne, achards, facilitateur, other_facilitator, dgs_epci, members, api_for
):
    communes_services.facilitator_grant(territoire=achards, agent=facilitateur, by=None)
    api = api_for(facilitateur)
    created = api.post(
        reverse("api:campagne-list"),
        {"year": YEAR, "title": "Revues 2026", "territoires": [mortagne.slug, achards.slug]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["title"] == "Revues 2026" and body["questionnaire"] == questionnaire.default_questionnaire()
    assert [(r["territoire"]["slug"], r["stage"]) for r in body["revues"]] == [
        (mortagne.slug, "preparation"),
        (achards.slug, "preparation"),
    ]
    campagne_id = body["id"]
    assert [c["id"] for c in api.get(reverse("api:campagne-list")).json()["results"]] == [campagne_id]

    services.revue_open_questionnaire(revue=RevueAnnuelle.objects.get(territoire=achards), by=facilitateur)
    adapted = questionnaire.default_questionnaire()
    adapted["dimensions"] = adapted["dimensions"][:1]
    put = api.put(reverse("api:campagne-questionnaire", args=[campagne_id]), {"questionnaire": adapted}, format="json")
    assert put.status_code == 200 and put.json()["questionnaire"] == adapted
    # The review still in préparation takes it; the one whose questionnaire is open keeps its own.
    assert RevueAnnuelle.objects.get(territoire=mortagne).questionnaire == adapted
    assert RevueAnnuelle.objects.get(territoire=achards).questionnaire == questionnaire.default_questionnaire()
    bad = api.put(reverse("api:campagne-questionnaire", args=[campagne_id]), {"questionnaire": []}, format="json")
    assert bad.status_code == 400 and bad.json() == {
        "detail": ["Le questionnaire doit contenir une liste de dimensions."]
    }

    # Another facilitator (or a member) does not see it: 404, like a campaign that does not exist.
    for agent in (other_facilitator, dgs_epci):
        other = api_for(agent)
        assert other.get(reverse("api:campagne-list")).json()["results"] == []
        assert other.get(reverse("api:campagne-detail", args=[campagne_id])).status_code == 404
        assert (
            other.put(
                reverse("api:campagne-questionnaire", args=[campagne_id]), {"questionnaire": adapted}, format="json"
            ).status_code
            == 404
        )
    assert api.get(reverse("api:campagne-detail", args=[campagne_id + 1])).status_code == 404
    assert Campagne.objects.get().questionnaire == adapted


def test_campaigns_are_for_the_territories_one_accompanies(
    mortagne, achards, facilitateur, other_facilitator, dgs_epci, api_for
):
    url = reverse("api:campagne-list")
    refused = api_for(dgs_epci).post(url, {"year": YEAR, "territoires": [mortagne.slug]}, format="json")
    assert refused.status_code == 403
    api = api_for(facilitateur)
    for slugs in ([achards.slug], ["cc-inexistante"], [mortagne.slug, achards.slug]):
        response = api.post(url, {"year": YEAR, "territoires": slugs}, format="json")
        assert response.status_code == 400, response.json()
        assert response.json()["territoires"][0].startswith("Territoires inconnus ou que vous n'accompagnez pas")
    empty = api.post(url, {"year": YEAR, "territoires": []}, format="json")
    assert empty.json() == {"territoires": ["Choisissez au moins un territoire."]}
    services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)
    twice = api.post(url, {"year": YEAR, "territoires": [mortagne.slug]}, format="json")
    assert twice.status_code == 400 and "ont déjà leur revue 2026" in twice.json()["territoires"][0]
    assert not Campagne.objects.exists() and RevueAnnuelle.objects.count() == 1


def test_the_comparison_shows_a_territory_only_where_it_shares(mortagne, achards, facilitateur, dgs_epci, api_for):
    erdre, petite_terre = import_epci("244400503"), import_epci("200050532")
    for territoire in (achards, erdre, petite_terre):
        communes_services.facilitator_grant(territoire=territoire, agent=facilitateur, by=None)
    services.partage_set(territoire=mortagne, by=dgs_epci, families=["reunions"])
    services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)

    response = api_for(facilitateur).get(reverse("api:comparaison"), {"annee": YEAR})
    assert response.status_code == 200, response.json()
    body = response.json()
    slugs = [t["slug"] for t in body["territoires"]]
    assert sorted(slugs) == sorted([mortagne.slug, achards.slug, erdre.slug, petite_terre.slug])
    assert {t["slug"]: t["stage"] for t in body["territoires"]}[mortagne.slug] == "preparation"
    rows = {row["key"]: row for row in body["rows"]}
    tenues = rows["reunions.tenues"]
    mine = slugs.index(mortagne.slug)
    assert tenues["shared"] == [i == mine for i in range(4)]
    assert tenues["values"] == [0 if i == mine else None for i in range(4)]
    assert tenues["aggregate"] == 0.0  # three territories keep it to themselves: only their mean shows
    assert all(value is None for value in rows["decisions.closes"]["values"])
    assert body["not_sharing"]["reunions"] == 3 and body["not_sharing"]["decisions"] == 4

    # Two territories that do not share: no mean, which would be nearly one of them.
    for territoire in (erdre, petite_terre):
        member = make_member(
            territoire,
            territoire.collectivites.get(kind="epci").name,
            f"dgs@{territoire.slug}.test",
            Membership.Role.DGS,
        )
        services.partage_set(territoire=territoire, by=member, families=["reunions"])
    rows = {row["key"]: row for row in api_for(facilitateur).get(reverse("api:comparaison")).json()["rows"]}
    assert rows["reunions.tenues"]["aggregate"] is None
    assert api_for(facilitateur).get(reverse("api:comparaison"), {"annee": "demain"}).status_code == 400
    assert api_for(dgs_epci).get(reverse("api:comparaison")).status_code == 403


# --- The schema ---------------------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_review_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    prefix = "/api/v1/t/{territoire_slug}/revues-annuelles/"
    expected = [
        prefix,
        f"{prefix}{{year}}/",
        *(
            f"{prefix}{{year}}/{action}/"
            for action in (
                "ouvrir-questionnaire", "seminaire", "bilan", "cloturer", "questionnaire", "engagements", "reponses",
                "resultats", "indicateurs",
            )
        ),
        f"{prefix}{{year}}/engagements/{{engagement_id}}/retirer/",
        "/api/v1/t/{territoire_slug}/partage-revue/",
        "/api/v1/facilitation/campagnes/",
        "/api/v1/facilitation/campagnes/{id}/",
        "/api/v1/facilitation/campagnes/{id}/questionnaire/",
        "/api/v1/facilitation/comparaison/",
    ]  # fmt: skip
    assert [path for path in expected if path not in paths] == []
    assert set(paths[f"{prefix}{{year}}/reponses/"]) == {"post"}  # no way to read answers back
    assert set(paths[f"{prefix}{{year}}/questionnaire/"]) == {"get", "put"}
    assert set(paths["/api/v1/t/{territoire_slug}/partage-revue/"]) == {"get", "put"}
    year = next(p for p in paths[f"{prefix}{{year}}/"]["get"]["parameters"] if p["name"] == "year")
    assert year["schema"]["type"] == "integer"
