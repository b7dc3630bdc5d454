"""The review's reading pages: results (never below three answers), indicators, the printable report, the
CSV exports, who reads them, and the figures frozen at closure."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from codir import services as meeting_services
from codir.models import RevueAnnuelle
from codir.revue import indicators, services
from codir.revue.selectors import scalar
from communes import services as communes_services
from communes.models import Collectivite
from tests.communes.test_query_counts import PAYS_BASQUE, populate
from tests.conftest import collectivite, import_epci
from tests.querycounts import assert_counts_do_not_grow

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SECRET = "Un verbatim qui ne doit jamais paraître seul"
PAGES = ["resultats", "indicateurs", "rapport", "indicateurs_csv"]


def url(name: str, territoire, year: int = 2026) -> str:
    return reverse(f"revue:{name}", args=[territoire.slug, year])


def set_clock(monkeypatch, moment: datetime) -> None:
    # The services read timezone.now(): moving it is how a meeting gets held, after it was planned ahead.
    monkeypatch.setattr(timezone, "now", lambda: moment)


def open_review(territoire, facilitateur, year: int = 2026) -> RevueAnnuelle:
    revue = services.revue_create(territoire=territoire, year=year, by=facilitateur)
    return services.revue_open_questionnaire(revue=revue, by=facilitateur)


def answer(revue, agents, level: int = 4, text: str = "") -> None:
    for agent in agents:
        answers = {"se_connaitre_1": level, "se_connaitre_2": 5}
        if text:
            answers["se_connaitre_libre"] = text
        services.reponse_submit(revue=revue, agent=agent, answers=answers)


def close(revue, facilitateur, *, engagement: tuple[str, Collectivite] | None = None) -> RevueAnnuelle:
    place = "Salle des fêtes de Mallièvre"
    revue = services.revue_start_seminar(revue=revue, by=facilitateur, seminar_on=date(2026, 12, 10), place=place)
    services.seminaire_save(
        revue=revue, by=facilitateur, bilan="Une année **utile**.", perspectives="Continuer.", place=place
    )
    if engagement:
        services.engagement_add(
            revue=revue,
            by=facilitateur,
            title=engagement[0],
            owner_collectivite=engagement[1],
            due_date=date(2027, 6, 30),
        )
    return services.revue_close(revue=revue, by=facilitateur)


@pytest.fixture
def members(dgs_epci, dgs_commune, sg_petite_commune, referent):
    return [dgs_epci, dgs_commune, sg_petite_commune, referent]


# --- Who reads ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_members_observers_and_the_facilitator_read_every_page_and_an_outsider_gets_404(
    page, mortagne, facilitateur, members, observateur, outsider, client_for
):
    revue = open_review(mortagne, facilitateur)
    answer(revue, members[:3])
    services.revue_start_seminar(revue=revue, by=facilitateur)
    for agent in [*members, observateur, facilitateur]:
        assert client_for(agent).get(url(page, mortagne)).status_code == 200, (page, agent)
    assert client_for(outsider).get(url(page, mortagne)).status_code == 404


def test_the_history_csv_is_for_the_territory_only(mortagne, facilitateur, dgs_epci, observateur, outsider, client_for):
    history = reverse("revue:historique_csv", args=[mortagne.slug])
    for agent in [dgs_epci, observateur, facilitateur]:
        assert client_for(agent).get(history).status_code == 200
    assert client_for(outsider).get(history).status_code == 404


def test_a_year_without_review_is_not_found(mortagne, dgs_epci, client_for):
    assert client_for(dgs_epci).get(url("rapport", mortagne, 2025)).status_code == 404


# --- The report --------------------------------------------------------------------------------------------


def test_the_report_has_its_cover_and_its_sections_in_order(mortagne, facilitateur, members, client_for):
    revue = open_review(mortagne, facilitateur)
    answer(revue, members[:3])
    revue = close(revue, facilitateur, engagement=("Tenir le délai de 48 h", collectivite(mortagne, "Mallièvre")))
    html = client_for(members[0]).get(url("rapport", mortagne)).content.decode()
    headings = re.findall(r"<h2 id=\"[^\"]+\">(.*?)</h2>", html)
    assert headings == [
        "1. Synthèse",
        "2. Réunions, participation et ponctualité",
        "3. Parité EPCI / communes",
        "4. Décisions",
        "5. Charte",
        "6. Portefeuille de projets",
        "7. Réseaux professionnels",
        "8. Questionnaire",
        "9. Bilan et perspectives",
        "10. Évolution sur les années précédentes",
    ]
    assert html.count("<h1") == 1
    assert "Anne Lebrun" in html and "Salle des fêtes de Mallièvre" in html and "Clôturée" in html
    assert "Imprimer ou enregistrer en PDF" in html
    assert "Une année <strong>utile</strong>." in html
    assert "Tenir le délai de 48 h" in html
    action_link = reverse("decisions:proposition", args=[mortagne.slug, revue.proposition_id])
    assert f'href="{action_link}"' in html
    assert "<svg" in html and 'role="img"' in html  # the charts, and the frozen map
    assert (
        'style="' not in html.split('<main id="contenu"', 1)[1].split("</svg>")[-1]
    )  # no inline style outside the map


def test_the_synthesis_says_how_each_headline_moved_in_an_arrow_digits_and_words(
    mortagne, facilitateur, members, client_for, monkeypatch
):
    last_year = open_review(mortagne, facilitateur, 2025)
    answer(last_year, members[:3])
    close(last_year, facilitateur)
    set_clock(monkeypatch, datetime(2026, 11, 1, 9, tzinfo=PARIS))
    reunion = meeting_services.reunion_create(
        territoire=mortagne, by=members[0], title="CoDir",
        starts_at=datetime(2026, 11, 10, 9, tzinfo=PARIS), ends_at=datetime(2026, 11, 10, 11, tzinfo=PARIS),
    )  # fmt: skip
    set_clock(monkeypatch, datetime(2026, 12, 1, 9, tzinfo=PARIS))
    assert reunion.cancelled_at is None
    open_review(mortagne, facilitateur)
    html = client_for(members[0]).get(url("rapport", mortagne)).content.decode()
    synthesis = html.split('id="synthese"', 1)[1].split("</section>", 1)[0]
    row = re.search(r"Réunions du CoDir tenues</th>(.*?)</tr>", synthesis, re.S).group(1)
    assert re.findall(r'<td class="number">(.*?)</td>', row) == ["1", "0"]
    assert '<span aria-hidden="true">↑</span> +1 (en hausse)' in row
    history = html.split('id="historique"', 1)[1]
    assert '<th scope="col" class="number">2025</th>' in history and "2026 <span" in history


def test_a_closed_review_keeps_its_frozen_figures_when_the_data_change(
    mortagne, facilitateur, members, client_for, monkeypatch
):
    set_clock(monkeypatch, datetime(2026, 11, 1, 9, tzinfo=PARIS))
    meeting_services.reunion_create(
        territoire=mortagne, by=members[0], title="CoDir de novembre",
        starts_at=datetime(2026, 11, 10, 9, tzinfo=PARIS), ends_at=datetime(2026, 11, 10, 11, tzinfo=PARIS),
    )  # fmt: skip
    set_clock(monkeypatch, datetime(2026, 12, 1, 9, tzinfo=PARIS))
    revue = open_review(mortagne, facilitateur)
    answer(revue, members[:3])
    close(revue, facilitateur)
    # After the closure, another meeting of the same year is held.
    meeting_services.reunion_create(
        territoire=mortagne, by=members[0], title="CoDir de décembre",
        starts_at=datetime(2026, 12, 15, 9, tzinfo=PARIS), ends_at=datetime(2026, 12, 15, 11, tzinfo=PARIS),
    )  # fmt: skip
    set_clock(monkeypatch, datetime(2026, 12, 20, 9, tzinfo=PARIS))
    live = [figure.as_dict() for figure in indicators.indicators_for(mortagne, 2026)]
    assert scalar(live, "reunions.tenues")["value"] == 2
    client = client_for(members[0])
    for page in ("rapport", "indicateurs"):
        html = client.get(url(page, mortagne)).content.decode()
        row = re.search(r"Réunions du CoDir tenues</th>\s*<td class=\"number\">(.*?)</td>", html).group(1)
        assert row == "1", page
        assert "figés à la clôture" in html
    csv = client.get(url("indicateurs_csv", mortagne)).content.decode("utf-8-sig")
    assert "reunions.tenues;Réunions du CoDir tenues;;1;;" in csv


def test_the_report_of_an_open_review_draws_the_network_map_of_today(mortagne, facilitateur, dgs_epci, client_for):
    open_review(mortagne, facilitateur)
    html = client_for(dgs_epci).get(url("rapport", mortagne)).content.decode()
    assert "Carte des réseaux au 1 décembre 2026" in html
    assert "provisoires, calculés le 1 décembre 2026" in html


def test_the_indicators_page_groups_the_figures_by_family_and_draws_each_breakdown_beside_its_table(
    mortagne, facilitateur, dgs_epci, client_for, monkeypatch
):
    set_clock(monkeypatch, datetime(2026, 11, 1, 9, tzinfo=PARIS))
    reunion = meeting_services.reunion_create(
        territoire=mortagne, by=dgs_epci, title="CoDir",
        starts_at=datetime(2026, 11, 10, 9, tzinfo=PARIS), ends_at=datetime(2026, 11, 10, 11, tzinfo=PARIS),
    )  # fmt: skip
    set_clock(monkeypatch, datetime(2026, 11, 10, 9, 5, tzinfo=PARIS))
    statuses = {c.pk: ("absent", "") for c in Collectivite.objects.for_territoire(mortagne)}
    statuses[collectivite(mortagne, "Mallièvre").pk] = ("present", "")
    meeting_services.presence_record(reunion=reunion, by=dgs_epci, statuses=statuses)
    set_clock(monkeypatch, datetime(2026, 12, 1, 9, tzinfo=PARIS))
    open_review(mortagne, facilitateur)
    html = client_for(dgs_epci).get(url("indicateurs", mortagne)).content.decode()
    assert re.findall(r'<h2 id="famille-[a-z]+">(.*?)</h2>', html) == [
        str(indicators.family_label(key)) for key in indicators.FAMILIES
    ]
    assert "Chiffres calculés à l'instant" in html
    assert reverse("revue:indicateurs_csv", args=[mortagne.slug, 2026]) in html
    chart = html.split("<h3>Participation par collectivité</h3>", 1)[1].split("<h3>", 1)[0]
    assert 'role="img" aria-label="Graphique : Participation par collectivité' in chart
    assert "<title>Mallièvre : 100\u00a0%</title>" in chart  # the one bar drawn, full scale
    assert '<th scope="row">Mallièvre</th><td class="number">100\u00a0%</td>' in chart
    assert '<th scope="row">Tiffauges</th><td class="number">0\u00a0%</td>' in chart


# --- Results: three answers or nothing ---------------------------------------------------------------------


def test_below_three_answers_nothing_but_their_count_is_shown(mortagne, facilitateur, members, client_for):
    revue = open_review(mortagne, facilitateur)
    answer(revue, members[:2], level=2, text=SECRET)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    client = client_for(members[0])
    for page in ("resultats", "rapport"):
        html = client.get(url(page, mortagne)).content.decode()
        assert "2 réponses : les résultats ne sont montrés qu'à partir de trois réponses." in html, page
        for hidden in (SECRET, "Synthèse par dimension", "Se connaître", "Je connais les DGS", "Moyenne"):
            assert hidden not in html, (page, hidden)


def test_at_three_answers_means_distributions_and_verbatims_appear(mortagne, facilitateur, members, client_for):
    revue = open_review(mortagne, facilitateur)
    answer(revue, members[:2], level=4, text=SECRET)
    answer(revue, members[2:3], level=1, text="Se voir plus souvent")
    services.revue_start_seminar(revue=revue, by=facilitateur)
    html = client_for(members[0]).get(url("resultats", mortagne)).content.decode()
    assert "Synthèse par dimension" in html and "Se connaître" in html
    # Se connaître: each person's mean of items 1 and 2 is 4.5, 4.5 and 3 → 4.
    dimension = re.search(r"Se connaître</th>\s*<td class=\"number\">(.*?)</td>", html).group(1)
    assert dimension == "4"
    item = re.search(r"Je connais les DGS.*?</th>(.*?)</tr>", html, re.S).group(1)
    assert re.findall(r'<td class="number">(.*?)</td>', item) == ["1", "0", "0", "2", "0", "3", "3"]
    assert 'aria-label="Répartition des réponses : 1 « pas du tout d&#x27;accord » ;' in item
    assert SECRET in html and "Se voir plus souvent" in html
    assert html.index("Se voir plus souvent") < html.index(SECRET)  # alphabetical, not in the order given


def test_nobody_reads_the_results_while_answers_still_come_in(mortagne, facilitateur, members, observateur, client_for):
    # Reading at three answers then at four would give the fourth person's answers away: the facilitator
    # waits like everyone (codir.revue.access.results_visible).
    revue = open_review(mortagne, facilitateur)
    answer(revue, members[:3], text=SECRET)
    for agent in (members[0], observateur, facilitateur):
        for page in ("resultats", "rapport"):
            html = client_for(agent).get(url(page, mortagne)).content.decode()
            assert "Le questionnaire est en cours" in html, (agent, page)
            assert SECRET not in html and "Synthèse par dimension" not in html, (agent, page)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    for agent in (members[0], observateur, facilitateur):
        assert SECRET in client_for(agent).get(url("resultats", mortagne)).content.decode()


def test_before_the_questionnaire_opens_there_is_nothing_even_for_the_facilitator(mortagne, facilitateur, client_for):
    services.revue_create(territoire=mortagne, year=2026, by=facilitateur)
    html = client_for(facilitateur).get(url("resultats", mortagne)).content.decode()
    assert "pas encore ouvert" in html and "Synthèse par dimension" not in html


# --- CSV ---------------------------------------------------------------------------------------------------


def test_the_indicators_csv_has_every_figure_with_last_year_beside_it(mortagne, facilitateur, dgs_epci, client_for):
    # A name typed as a formula must reach the spreadsheet as text.
    Collectivite.objects.filter(pk=collectivite(mortagne, "Mallièvre").pk).update(name="=SOMME(A1:A9)")
    open_review(mortagne, facilitateur)
    response = client_for(dgs_epci).get(url("indicateurs_csv", mortagne))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="revue-cc-du-pays-de-mortagne-2026-indicateurs.csv"' in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "famille;indicateur;libellé;détail;valeur;unité;année précédente"
    assert "Réunions, participation et ponctualité;reunions.tenues;Réunions du CoDir tenues;;0;;0" in lines
    assert any(line.startswith("Réseaux professionnels;reseaux.reseaux;Réseaux actifs;;0;;0") for line in lines)
    formula = [line for line in lines if "SOMME" in line]
    assert formula and all(";'=SOMME(A1:A9);" in line for line in formula)
    assert len(lines) == 1 + len(indicators.indicators_for(mortagne, 2026))


def test_the_history_csv_has_every_figure_of_every_closed_year(mortagne, facilitateur, members, client_for):
    for year in (2024, 2025):
        revue = open_review(mortagne, facilitateur, year)
        answer(revue, members[:3])
        close(revue, facilitateur)
    open_review(mortagne, facilitateur, 2026)  # still open: not in the history
    response = client_for(members[0]).get(reverse("revue:historique_csv", args=[mortagne.slug]))
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "année;famille;indicateur;libellé;détail;valeur;unité"
    years = {line.split(";", 1)[0] for line in lines[1:]}
    assert years == {"2024", "2025"}
    frozen = RevueAnnuelle.objects.get(territoire=mortagne, year=2024).indicators
    assert sum(line.startswith("2024;") for line in lines) == len(frozen)
    assert "2025;Décisions;decisions.closes;Décisions closes;;0;" in lines


# --- Queries -----------------------------------------------------------------------------------------------


def build(territoire, facilitateur, *, engagements: int):
    """A closed review last year and this year's at the séminaire, answered by every member."""
    if not facilitateur.has_perm("communes.facilitate_territoire", territoire):
        communes_services.facilitator_grant(territoire=territoire, agent=facilitateur, by=None)
    agents = [m.agent for m in territoire.memberships.select_related("agent")]
    last_year = open_review(territoire, facilitateur, 2025)
    answer(last_year, agents, text="L'an dernier")
    close(last_year, facilitateur)
    revue = open_review(territoire, facilitateur, 2026)
    answer(revue, agents, text="Cette année")
    revue = services.revue_start_seminar(revue=revue, by=facilitateur)
    owner = Collectivite.objects.for_territoire(territoire).get(kind="epci")
    for n in range(engagements):
        services.engagement_add(
            revue=revue, by=facilitateur, title=f"Engagement {n}", owner_collectivite=owner, due_date=date(2027, 6, 30)
        )
    return territoire


QUERY_PAGES = {
    # Every page: session, agent, membership with its object permissions, the review (4). Then:
    # results: the answers, the eligible count, last year's review with its frozen results (3);
    # indicators: whether the year is frozen, the live figures (16 queries whatever the data, the network
    # analyses from the cache), last year's frozen figures (1);
    # report: the closed reviews, then as the indicators, the engagements, and as the results (22).
    "resultats": (lambda t: url("resultats", t), 8),
    "indicateurs": (lambda t: url("indicateurs", t), 23),
    "rapport": (lambda t: url("rapport", t), 27),
}


def test_query_counts_do_not_grow_with_the_territory_its_answers_or_its_commitments(
    client, django_assert_max_num_queries, mortagne, facilitateur
):
    small = mortagne  # 12 collectivités, 12 answers, one commitment
    small_admin = populate(small, members_per_commune=1)
    build(small, facilitateur, engagements=1)
    large = import_epci(PAYS_BASQUE)  # 159 collectivités, 318 answers, eight commitments
    large_admin = populate(large, members_per_commune=2)
    build(large, facilitateur, engagements=8)
    # The network analyses are cached per territory; the helper warms the small territory's only.
    client.force_login(large_admin)
    for url_for, _maximum in QUERY_PAGES.values():
        assert client.get(url_for(large)).status_code == 200
    assert_counts_do_not_grow(
        client, django_assert_max_num_queries, QUERY_PAGES, (small_admin, (small,)), (large_admin, (large,))
    )
