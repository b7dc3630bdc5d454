"""The facilitator's own space (/facilitation/): their territories side by side, their campaigns, the
campaign's questionnaire, and the comparison that shows each territory only as far as it shares.

The clock is frozen on 1 December 2026 (tests/codir/conftest.py): the current year is 2026, and a
campaign may be opened for 2021 to 2027.
"""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from codir import services as codir_services
from codir.models import Campagne, RevueAnnuelle
from codir.revue import indicators, selectors, services
from codir.revue.facilitation_views import COMPARED_KEYS
from codir.revue.questionnaire import items_of
from communes import services as communes_services
from communes.models import Membership
from tests.codir.conftest import TODAY, paris
from tests.conftest import PASSWORD, import_epci, make_member
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

CAMARGUE = "243000650"  # CC Terre de Camargue, 3 communes
JALLE = "243301165"  # CC Jalle-Eau-Bourde, 3 communes
MEETINGS_ROW = "Réunions du CoDir tenues"


def url(name: str, *args) -> str:
    return reverse(f"facilitation:{name}", args=args)


def grant(agent, *territoires):
    for territoire in territoires:
        communes_services.facilitator_grant(territoire=territoire, agent=agent, by=None)


def another_facilitator(*territoires):
    agent = communes_services.agent_create(
        email="paul.morin@conseil.test", first_name="Paul", last_name="Morin", password=PASSWORD
    )
    grant(agent, *territoires)
    return agent


def hold_meetings(monkeypatch, territoire, by, count: int) -> None:
    """`count` meetings held in 2026 before today: planned in January, when they were still ahead."""
    monkeypatch.setattr(timezone, "now", lambda: paris(2026, 1, 5))
    for month in range(2, 2 + count):
        codir_services.reunion_create(
            territoire=territoire,
            by=by,
            title=f"CoDir {month}",
            starts_at=paris(2026, month, 10),
            ends_at=paris(2026, month, 10, 11),
        )
    monkeypatch.setattr(timezone, "now", lambda: TODAY)


def row_of(page: str, label: str) -> str:
    """The HTML of the table row (or card entry) whose header is `label`."""
    match = re.search(rf"<tr>\s*<th scope=\"row\">{re.escape(label)}.*?</tr>", page, re.S)
    assert match, label
    return match.group(0)


def card_value(page: str, label: str) -> str:
    """In the home page's cards, the first value given for `label`."""
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", page, re.S)
    assert match, label
    return match.group(1)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


# --- Home ------------------------------------------------------------------------------------------------


def test_the_home_page_shows_each_accompanied_territory_with_this_years_review(
    mortagne, achards, facilitateur, client_for
):
    grant(facilitateur, achards)
    campagne = services.campagne_create(
        facilitator=facilitateur, year=2026, title="Revues 2026 du bocage", territoires=[mortagne]
    )
    response = client_for(facilitateur).get(url("accueil"))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1>") == 1 and "Mes territoires accompagnés" in page
    for territoire in (mortagne, achards):
        assert reverse("communes:territoire", args=[territoire.slug]) in page
    assert reverse("revue:revue", args=[mortagne.slug, 2026]) in page
    assert reverse("revue:revue", args=[achards.slug, 2026]) not in page
    assert "Revue annuelle 2026 : pas encore ouverte." in page
    assert "Préparation" in page
    # Nothing is shared yet: every headline reads "non partagé".
    assert "non partagé" in card_value(page, MEETINGS_ROW)
    # The campaigns, with their reviews counted by stage, and the ways onwards.
    assert reverse("facilitation:campagne", args=[campagne.pk]) in page
    [shown] = response.context["campagnes"]
    assert (shown.title, shown.year, shown.n_revues, shown.stage_counts) == (
        "Revues 2026 du bocage",
        2026,
        1,
        [1, 0, 0, 0],
    )
    assert url("campagne_creer") in page and url("comparaison") in page


def test_a_shared_family_shows_its_figures_and_a_kept_one_never_does(
    mortagne, facilitateur, dgs_epci, client_for, monkeypatch
):
    hold_meetings(monkeypatch, mortagne, dgs_epci, 7)
    client = client_for(facilitateur)

    services.partage_set(territoire=mortagne, by=dgs_epci, families=["reunions"])
    assert card_value(client.get(url("accueil")).content.decode(), MEETINGS_ROW).strip() == "7"
    page = client.get(url("comparaison")).content.decode()
    assert '<td class="number">7</td>' in row_of(page, MEETINGS_ROW)
    assert "non partagé" in row_of(page, "Projets au portefeuille")
    rows = csv_rows(client.get(url("comparaison_csv")))
    [meetings] = [row for row in rows if row[1] == MEETINGS_ROW]
    assert meetings[3] == "7"
    [projets] = [row for row in rows if row[1] == "Projets au portefeuille"]
    assert projets[3] == ""

    services.partage_set(territoire=mortagne, by=dgs_epci, families=["portefeuille"])
    home = client.get(url("accueil")).content.decode()
    assert "non partagé" in card_value(home, MEETINGS_ROW) and "7" not in card_value(home, MEETINGS_ROW)
    page = client.get(url("comparaison")).content.decode()
    row = row_of(page, MEETINGS_ROW)
    assert "non partagé" in row and "7" not in row
    assert '<td class="number">7' not in page  # nor in the family's other rows ("sans ordre du jour envoyé")
    assert '<td class="number">0</td>' in row_of(page, "Projets au portefeuille")
    rows = csv_rows(client.get(url("comparaison_csv")))
    [meetings] = [row for row in rows if row[1] == MEETINGS_ROW]
    assert meetings[3] == "" and "7" not in meetings


# --- Campaigns -------------------------------------------------------------------------------------------


def test_the_campaign_form_offers_this_year_and_only_the_accompanied_territories(
    mortagne, achards, facilitateur, client_for
):
    page = client_for(facilitateur).get(url("campagne_creer")).content.decode()
    assert 'name="year" value="2026"' in page
    assert "<fieldset" in page and "<legend>Territoires dont la revue s&#x27;ouvre" in page
    assert f'value="{mortagne.pk}"' in page and f'value="{achards.pk}"' not in page


def test_a_campaign_opens_one_review_per_chosen_territory(mortagne, achards, facilitateur, client_for):
    grant(facilitateur, achards)
    client = client_for(facilitateur)
    response = client.post(
        url("campagne_creer"), {"year": "2026", "title": "Bocage 2026", "territoires": [mortagne.pk, achards.pk]}
    )
    campagne = Campagne.objects.get()
    assert response.status_code == 302 and response["Location"] == url("campagne", campagne.pk)
    assert (campagne.facilitator, campagne.year, campagne.title) == (facilitateur, 2026, "Bocage 2026")
    revues = RevueAnnuelle.objects.filter(campagne=campagne)
    assert {r.territoire for r in revues} == {mortagne, achards}
    assert {r.stage for r in revues} == {RevueAnnuelle.Stage.PREPARATION}

    page = client.get(url("campagne", campagne.pk)).content.decode()
    assert "Campagne ouverte : une revue en préparation pour chacun des 2 territoires." in page
    for territoire in (mortagne, achards):
        assert reverse("revue:revue", args=[territoire.slug, 2026]) in page
    assert url("campagne_questionnaire", campagne.pk) in page


def test_the_campaign_page_counts_answers_and_members_called_to_answer(
    mortagne, facilitateur, dgs_epci, dgs_commune, sg_petite_commune, observateur, client_for
):
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne])
    revue = campagne.revues.get()
    services.revue_open_questionnaire(revue=revue, by=facilitateur)
    services.reponse_submit(revue=revue, agent=dgs_epci, answers={"se_connaitre_1": 4})
    response = client_for(facilitateur).get(url("campagne", campagne.pk))
    [shown] = response.context["revues"]
    # Observers do not answer: the same count as the selectors give.
    assert (shown.answers, shown.eligible) == (1, selectors.eligible_count(mortagne)) == (1, 3)
    assert "Questionnaire ouvert" in response.content.decode()


def test_a_territory_that_revoked_its_facilitator_keeps_only_its_name_on_the_campaign(
    mortagne, achards, facilitateur, client_for
):
    grant(facilitateur, achards)
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne, achards])
    communes_services.facilitator_revoke(territoire=achards, agent=facilitateur, by=None)
    page = client_for(facilitateur).get(url("campagne", campagne.pk)).content.decode()
    assert "Vous n'accompagnez plus ce territoire" in page
    assert reverse("revue:revue", args=[achards.slug, 2026]) not in page
    assert reverse("revue:revue", args=[mortagne.slug, 2026]) in page


@pytest.mark.parametrize(
    ("year", "chosen", "message"),
    [
        ("2026", [], "Choisissez au moins un territoire."),
        ("2019", ["mortagne"], "Choisissez une année entre 2021 et 2027."),
        ("2031", ["mortagne"], "Choisissez une année entre 2021 et 2027."),
        ("deux mille", ["mortagne"], "Saisissez un nombre entier."),
        ("2026", ["achards"], "Vous n&#x27;accompagnez pas l&#x27;un des territoires choisis."),
        ("2026", ["mortagne", "achards"], "Vous n&#x27;accompagnez pas l&#x27;un des territoires choisis."),
    ],
)
def test_a_refused_campaign_says_why_and_opens_nothing(
    mortagne, achards, facilitateur, client_for, year, chosen, message
):
    territoires = {"mortagne": mortagne, "achards": achards}  # achards is not accompanied
    response = client_for(facilitateur).post(
        url("campagne_creer"), {"year": year, "title": "", "territoires": [territoires[n].pk for n in chosen]}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campagne.objects.exists() and not RevueAnnuelle.objects.exists()


def test_a_campaign_including_a_territory_with_its_review_already_open_opens_nothing(
    mortagne, achards, facilitateur, client_for
):
    grant(facilitateur, achards)
    services.revue_create(territoire=achards, year=2026, by=facilitateur)
    response = client_for(facilitateur).post(
        url("campagne_creer"), {"year": "2026", "title": "", "territoires": [mortagne.pk, achards.pk]}
    )
    assert response.status_code == 400
    assert "Ces territoires ont déjà leur revue 2026" in response.content.decode()
    assert not Campagne.objects.exists() and RevueAnnuelle.objects.get().territoire == achards


# --- The campaign's questionnaire ------------------------------------------------------------------------


def test_the_facilitator_adapts_the_campaign_questionnaire_and_only_reviews_in_preparation_take_it(
    mortagne, achards, facilitateur, client_for
):
    grant(facilitateur, achards)
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne, achards])
    opened = campagne.revues.get(territoire=achards)
    services.revue_open_questionnaire(revue=opened, by=facilitateur)
    client = client_for(facilitateur)
    page = client.get(url("campagne_questionnaire", campagne.pk)).content.decode()
    assert "<legend>Se connaître" in page and 'name="text_se_connaitre_1"' in page
    assert 'name="remove_se_connaitre_2"' in page and 'name="add_rythme"' in page
    assert "1 revue a déjà ouvert son questionnaire : elle garde le sien" in page

    response = client.post(
        url("campagne_questionnaire", campagne.pk),
        {
            "text_se_connaitre_1": "Je connais mes homologues de chaque commune.",
            "remove_se_connaitre_2": "on",
            "add_rythme": "Que faudrait-il arrêter de faire ensemble ?",
            "addtype_rythme": "texte",
        },
    )
    assert response.status_code == 302 and response["Location"] == url("campagne", campagne.pk)
    campagne.refresh_from_db()
    items = {item["key"]: item for _d, item in items_of(campagne.questionnaire)}
    assert items["se_connaitre_1"]["text"] == "Je connais mes homologues de chaque commune."
    assert "se_connaitre_2" not in items
    assert items["rythme_ajout_1"] == {
        "key": "rythme_ajout_1",
        "text": "Que faudrait-il arrêter de faire ensemble ?",
        "type": "texte",
    }
    assert campagne.revues.get(territoire=mortagne).questionnaire == campagne.questionnaire
    opened.refresh_from_db()
    assert "se_connaitre_2" in {item["key"] for _d, item in items_of(opened.questionnaire)}


def test_a_refused_questionnaire_keeps_what_was_typed_and_changes_nothing(mortagne, facilitateur, client_for):
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne])
    before = campagne.questionnaire
    posted = {f"remove_{item['key']}": "on" for _d, item in items_of(before) if item["type"] == "likert"}
    posted["text_se_connaitre_libre"] = "Une question reformulée."
    response = client_for(facilitateur).post(url("campagne_questionnaire", campagne.pk), posted)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Le questionnaire doit garder au moins une question à échelle d&#x27;accord." in page
    assert (
        "Une question reformulée." in page
        and 'name="remove_se_connaitre_1" id="id_remove_se_connaitre_1" checked' in page
    )
    campagne.refresh_from_db()
    assert campagne.questionnaire == before == campagne.revues.get().questionnaire


# --- Isolation -------------------------------------------------------------------------------------------


def every_page(campagne) -> list[tuple[str, str]]:
    return [
        ("get", url("accueil")),
        ("get", url("campagne_creer")),
        ("post", url("campagne_creer")),
        ("get", url("campagne", campagne.pk)),
        ("get", url("campagne_questionnaire", campagne.pk)),
        ("post", url("campagne_questionnaire", campagne.pk)),
        ("get", url("comparaison")),
        ("get", url("comparaison_csv")),
    ]


def test_a_member_who_accompanies_no_territory_gets_404_everywhere(
    mortagne, facilitateur, dgs_epci, outsider, client_for
):
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne])
    for agent in (dgs_epci, outsider):
        client = client_for(agent)
        for method, path in every_page(campagne):
            assert getattr(client, method)(path).status_code == 404, (agent, method, path)
    assert Campagne.objects.count() == 1


def test_another_facilitator_gets_404_on_someone_elses_campaign(mortagne, achards, facilitateur, client_for):
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne])
    before = campagne.questionnaire
    other = another_facilitator(achards, mortagne)  # even one who accompanies the same territory
    client = client_for(other)
    assert client.get(url("campagne", campagne.pk)).status_code == 404
    assert client.get(url("campagne_questionnaire", campagne.pk)).status_code == 404
    response = client.post(url("campagne_questionnaire", campagne.pk), {"remove_se_connaitre_1": "on"})
    assert response.status_code == 404
    campagne.refresh_from_db()
    assert campagne.questionnaire == before
    # Their own home shows their territories, not the other facilitator's campaigns.
    page = client.get(url("accueil")).content.decode()
    assert url("campagne", campagne.pk) not in page


def test_anonymous_visitors_are_sent_to_the_login_page(mortagne, facilitateur, client):
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne])
    for method, path in every_page(campagne):
        response = getattr(client, method)(path)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), path


# --- Comparison ------------------------------------------------------------------------------------------


def test_the_comparison_lists_every_scalar_figure_family_by_family(mortagne, facilitateur, client_for):
    response = client_for(facilitateur).get(url("comparaison"), {"annee": "2025"})
    page = response.content.decode()
    assert response.context["year"] == 2025 and "Comparer les territoires accompagnés — 2025" in page
    produced = [f for f in indicators.indicators_for(mortagne, 2026) if not f.detail]
    assert {f.key for f in produced} <= set(COMPARED_KEYS)
    for figure in produced:
        assert f'<th scope="row">{figure.label}' in page.replace("&#x27;", "'"), figure.key
    for key in indicators.FAMILIES:
        assert f"<h2>{indicators.family_label(key)}</h2>" in page.replace("&#x27;", "'")
    assert "Revue annuelle → Partage" in page
    assert "Moyenne des territoires qui ne partagent pas (1)" in page
    assert "1 territoire seulement garde cette famille pour lui" in page


def test_a_year_out_of_range_falls_back_to_this_year(mortagne, facilitateur, client_for):
    for asked in ("1999", "2999", "abc", "२०२५"):
        assert client_for(facilitateur).get(url("comparaison"), {"annee": asked}).context["year"] == 2026


def test_the_mean_of_the_territories_that_keep_a_family_shows_from_three_of_them(
    mortagne, achards, facilitateur, dgs_epci, client_for, monkeypatch
):
    camargue = import_epci(CAMARGUE)
    grant(facilitateur, achards, camargue)
    hold_meetings(monkeypatch, mortagne, dgs_epci, 7)
    client = client_for(facilitateur)

    # Three territories keep their meetings to themselves: 7, 0 and 0 give a mean of 2.3.
    page = client.get(url("comparaison")).content.decode()
    row = row_of(page, MEETINGS_ROW)
    assert row.count("non partagé") == 3 and "7" not in row
    assert '<td class="number">2,3</td>' in row
    assert "Moyenne des territoires qui ne partagent pas (3)" in page
    [meetings] = [r for r in csv_rows(client.get(url("comparaison_csv"))) if r[1] == MEETINGS_ROW]
    assert meetings[3:] == ["", "", "", "2.3", "3"]

    # One of them shares: two are left, too few for a mean that would not give them away.
    camargue_dgs = make_member(camargue, camargue.name, "dgs@camargue.test", Membership.Role.DGS)
    services.partage_set(territoire=camargue, by=camargue_dgs, families=["reunions"])
    page = client.get(url("comparaison")).content.decode()
    row = row_of(page, MEETINGS_ROW)
    assert "2,3" not in row and "non affichée" in row
    assert "2 territoires seulement gardent cette famille pour eux" in page
    [meetings] = [r for r in csv_rows(client.get(url("comparaison_csv"))) if r[1] == MEETINGS_ROW]
    assert "7" not in meetings and meetings[-2:] == ["", "2"]


def test_the_csv_is_a_french_spreadsheet_with_one_column_per_territory(mortagne, achards, facilitateur, client_for):
    grant(facilitateur, achards)
    response = client_for(facilitateur).get(url("comparaison_csv"), {"annee": "2026"})
    assert response["Content-Disposition"] == 'attachment; filename="comparaison-2026.csv"'
    header, *rows = csv_rows(response)
    assert header == [
        "Famille",
        "Indicateur",
        "Unité",
        mortagne.name,
        achards.name,
        "Moyenne des territoires qui ne partagent pas",
        "Territoires qui ne partagent pas",
    ]
    assert rows and all(len(row) == len(header) for row in rows)


# --- Query counts ----------------------------------------------------------------------------------------


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(context)


def test_campaign_pages_cost_the_same_queries_for_one_review_or_three(client, django_assert_max_num_queries):
    mortagne, achards = import_epci("248500662"), import_epci("248500530")
    camargue, jalle = import_epci(CAMARGUE), import_epci(JALLE)
    for territoire in (mortagne, achards):
        make_member(territoire, territoire.name, f"dgs@{territoire.slug}.test", Membership.Role.DGS)
    small_agent = another_facilitator(mortagne)
    large_agent = communes_services.agent_create(
        email="lea.roux@cnfpt.test", first_name="Léa", last_name="Roux", password=PASSWORD
    )
    grant(large_agent, achards, camargue, jalle)
    small = services.campagne_create(facilitator=small_agent, year=2026, title="", territoires=[mortagne])
    large = services.campagne_create(
        facilitator=large_agent, year=2026, title="", territoires=[achards, camargue, jalle]
    )
    pages = {
        # session, agent, campaign, facilitated territories (guardian), reviews with their counts
        "campagne": (lambda c: url("campagne", c.pk), 6),
        # session, agent, campaign, reviews by stage
        "campagne_questionnaire": (lambda c: url("campagne_questionnaire", c.pk), 5),
    }
    assert_counts_do_not_grow(
        client, django_assert_max_num_queries, pages, (small_agent, (small,)), (large_agent, (large,))
    )


def test_side_by_side_pages_cost_a_fixed_number_of_queries_per_territory(client, mortagne, facilitateur):
    """The home page and the comparison compute each territory's figures once (cached a quarter of an hour;
    frozen ones come with the closed reviews). With the cache warm, a territory more costs no query more:
    reviews, answer counts and members called to answer are read for all territories at once."""
    others = [import_epci(siren) for siren in ("248500530", CAMARGUE)]
    client.force_login(facilitateur)
    # accueil: session, agent, facilitated territories, sharing settings, reviews of the year with their
    # answers, members called to answer, campaigns with their stage counts; comparaison: the same without
    # the campaigns.
    for path, first in ((url("accueil"), 7), (url("comparaison"), 6)):
        counts = []
        for n in range(3):
            if n:
                grant(facilitateur, others[n - 1])
            client.get(path)  # warms the figures' cache
            counts.append(count_queries(client, path))
        for territoire in others:
            communes_services.facilitator_revoke(territoire=territoire, agent=facilitateur, by=None)
        increments = {counts[1] - counts[0], counts[2] - counts[1]}
        assert increments == {0}, (path, counts)
        assert counts[0] <= first, (path, counts)
