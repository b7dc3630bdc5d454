"""The server-drawn timeline: pure geometry of already-fetched phases and milestones."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

from reseaux import selectors, services, timeline
from reseaux.models import Jalon, Phase
from reseaux.timeline import AXIS_HEIGHT, CHART_WIDTH, LABEL_WIDTH, ROW_HEIGHT
from tests.reseaux.builders import epci_projet


class _Related:
    def __init__(self, items):
        self.items = items

    def all(self):
        return list(self.items)


@dataclass
class FakeProjet:
    """What `build` reads of a project: its title, prefetched phases and milestones."""

    title: str
    phase_list: list = field(default_factory=list)
    jalon_list: list = field(default_factory=list)

    @property
    def phases(self):
        return _Related(self.phase_list)

    @property
    def jalons(self):
        return _Related(self.jalon_list)


def phase(kind, start, end, status="a_venir"):
    return Phase(kind=kind, starts_on=start, ends_on=end, status=status)


def jalon(title, due, done=None):
    return Jalon(title=title, due_on=due, done_on=done)


def url_of(projet):
    return f"/projets/{projet.title}/"


TODAY = date(2026, 5, 15)


@pytest.fixture
def projets():
    return [
        FakeProjet(
            "Service commun ADS",
            [
                phase("co_diagnostic", date(2026, 1, 1), date(2026, 3, 31), "terminee"),
                phase("co_elaboration", date(2026, 4, 1), date(2026, 9, 30), "en_cours"),
            ],
            [
                jalon("Convention", date(2026, 2, 1), date(2026, 2, 10)),
                jalon("Recrutement", date(2026, 5, 1)),
                jalon("Logiciel", date(2026, 11, 30)),
            ],
        ),  # fmt: skip
        FakeProjet("Fête du vélo"),
        FakeProjet("Plan de formation", [phase("co_production", date(2026, 6, 15), date(2026, 6, 15))]),
    ]


def test_nothing_dated_draws_nothing():
    assert timeline.build([], TODAY, url_of) is None
    assert timeline.build([FakeProjet("Idée"), FakeProjet("Autre idée")], TODAY, url_of) is None


def test_the_chart_spans_whole_quarters_with_a_tick_at_each(projets):
    result = timeline.build(projets, TODAY, url_of)
    assert (result.start, result.end) == (date(2026, 1, 1), date(2027, 1, 1))
    assert [tick.label for tick in result.ticks] == ["T1 2026", "T2 2026", "T3 2026", "T4 2026"]
    xs = [tick.x for tick in result.ticks]
    assert xs == sorted(xs) and xs[0] >= LABEL_WIDTH and xs[-1] < LABEL_WIDTH + CHART_WIDTH
    assert (result.width, result.label_width) == (LABEL_WIDTH + CHART_WIDTH + 10, LABEL_WIDTH)
    assert result.height == AXIS_HEIGHT + 3 * ROW_HEIGHT + 4


def test_a_span_across_years_ends_at_the_next_quarter(projets):
    result = timeline.build(
        [FakeProjet("X", [phase("co_diagnostic", date(2025, 11, 20), date(2026, 2, 3))])], date(2025, 12, 1), url_of
    )
    assert (result.start, result.end) == (date(2025, 10, 1), date(2026, 4, 1))
    assert [tick.label for tick in result.ticks] == ["T4 2025", "T1 2026"]


def test_today_extends_the_chart_and_is_drawn_when_inside(projets):
    later = date(2027, 2, 10)
    result = timeline.build(projets, later, url_of)
    assert result.end == date(2027, 4, 1) and result.ticks[-1].label == "T1 2027"
    assert result.today_x is not None and LABEL_WIDTH < result.today_x < LABEL_WIDTH + CHART_WIDTH
    # A portfolio planned entirely in the future starts after today: no line for today.
    future = timeline.build([FakeProjet("X", [], [jalon("J", date(2027, 6, 1))])], TODAY, url_of)
    assert future.start == date(2027, 4, 1) and future.today_x is None


def test_every_shape_is_inside_the_chart(projets):
    # Milestones on the first and the last day of the chart are the edge cases.
    projets.append(
        FakeProjet("Bords", [], [jalon("Premier jour", date(2026, 1, 1)), jalon("Dernier", date(2026, 12, 31))])
    )
    result = timeline.build(projets, TODAY, url_of)
    left, right = LABEL_WIDTH, LABEL_WIDTH + CHART_WIDTH
    for index, row in enumerate(result.rows):
        assert row.y == AXIS_HEIGHT + index * ROW_HEIGHT
        for bar in row.bars:
            assert left <= bar.x and bar.x + bar.width <= right and bar.width >= 3
            assert row.y <= bar.y and bar.y + 18 <= row.y + ROW_HEIGHT  # the template draws bars 18 px high
        for diamond in row.diamonds:
            corners = [tuple(map(float, point.split(","))) for point in diamond.points.split()]
            assert len(corners) == 4
            assert all(left <= x <= right for x, _y in corners), diamond
            assert all(row.y <= y <= row.y + ROW_HEIGHT for _x, y in corners)
            assert row.y + ROW_HEIGHT <= result.height
    # The first day of the chart is its left edge (no more than a diamond's half-width in).
    first = result.rows[0].bars[0]
    assert left <= first.x <= left + timeline.DIAMOND_RADIUS


def test_bars_and_diamonds_follow_the_dates(projets):
    result = timeline.build(projets, TODAY, url_of)
    ads, velo, formation = result.rows
    assert (ads.title, ads.url) == ("Service commun ADS", "/projets/Service commun ADS/")
    diagnostic, elaboration = ads.bars
    assert diagnostic.x < elaboration.x and diagnostic.x + diagnostic.width <= elaboration.x + 1
    assert (diagnostic.kind, diagnostic.status) == ("co_diagnostic", "terminee")
    assert diagnostic.label == "Co-diagnostic : 01/01/2026 – 31/03/2026"
    assert [d.x for d in ads.diamonds] == sorted(d.x for d in ads.diamonds)
    assert velo.bars == [] and velo.diamonds == []
    one_day = formation.bars[0]
    assert one_day.width == 3  # a one-day phase stays visible
    assert one_day.x == pytest.approx(LABEL_WIDTH + (CHART_WIDTH * 165 / 365), abs=9)


def test_milestone_states(projets):
    result = timeline.build(projets, TODAY, url_of)
    assert [(d.label, d.state) for d in result.rows[0].diamonds] == [
        ("Convention : 01/02/2026", "atteint"),  # reached, after its date
        ("Recrutement : 01/05/2026", "en_retard"),
        ("Logiciel : 30/11/2026", "a_venir"),
    ]
    due_today = timeline.build([FakeProjet("X", [], [jalon("J", TODAY)])], TODAY, url_of)
    assert due_today.rows[0].diamonds[0].state == "a_venir"  # late only once its day has passed


@pytest.mark.django_db
def test_build_reads_the_portfolio_without_more_queries(mortagne, dgs_epci, django_assert_num_queries):
    projet = epci_projet(mortagne, dgs_epci)
    services.phase_set(
        projet=projet,
        by=dgs_epci,
        kind="co_diagnostic",
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 2, 5),
        status="en_cours",
    )
    services.jalon_add(projet=projet, by=dgs_epci, title="Convention", due_on=date(2026, 3, 1))
    epci_projet(mortagne, dgs_epci, title="Autre")
    projets = list(selectors.portfolio(mortagne, on=date(2026, 2, 1)))
    with django_assert_num_queries(0):
        result = timeline.build(projets, date(2026, 2, 1), lambda p: f"/p/{p.pk}/")
    assert [(row.title, len(row.bars), len(row.diamonds)) for row in result.rows] == [
        ("Autre", 0, 0),
        ("Service commun ADS", 1, 1),
    ]
    assert result.start == date(2026, 1, 1) and result.end == date(2026, 4, 1)
    assert result.today_x is not None and timedelta(0) < date(2026, 2, 1) - result.start
