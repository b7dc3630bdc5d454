"""The portfolio's timeline as server-drawn SVG geometry: phases as bars, milestones as diamonds.

Pure functions of already-fetched projects, so the page draws it without a query more and without
JavaScript; the template renders the shapes and a text version beside them.
"""

from dataclasses import dataclass
from datetime import date

from reseaux.models import Phase

PHASE_ORDER = list(Phase.Kind.values)
LABEL_WIDTH = 260  # px kept on the left for the project titles
CHART_WIDTH = 720
ROW_HEIGHT = 34
AXIS_HEIGHT = 28
# Half the width of a milestone's diamond: dates are drawn this far inside the chart, so a milestone on
# its first or last day stays within it rather than over the titles or past the edge.
DIAMOND_RADIUS = 7


@dataclass
class Bar:
    x: float
    width: float
    y: float
    kind: str
    label: str
    status: str


@dataclass
class Diamond:
    x: float
    y: float
    label: str
    state: str  # "atteint", "en_retard", "a_venir"
    points: str


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Row:
    title: str
    url: str
    y: float
    bars: list[Bar]
    diamonds: list[Diamond]


@dataclass
class Timeline:
    start: date
    end: date
    width: int
    height: int
    label_width: int
    rows: list[Row]
    ticks: list[Tick]
    today_x: float | None
    phase_kinds: list[tuple[str, str]]  # (kind, label) of the phases drawn, for the legend


def _quarter_starts(start: date, end: date) -> list[date]:
    day = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    starts = []
    while day <= end:
        starts.append(day)
        month = day.month + 3
        day = date(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return starts


def build(projets, today: date, url_of) -> Timeline | None:
    """Lay out the phases and milestones of the projects (prefetched `phases` and `jalons`).

    Returns None when no project has a dated phase or milestone. `url_of(projet)` gives each row's link.
    """
    days = [d for p in projets for phase in p.phases.all() for d in (phase.starts_on, phase.ends_on)]
    days += [j.due_on for p in projets for j in p.jalons.all()]
    if not days:
        return None
    start = date(min(days).year, 3 * ((min(days).month - 1) // 3) + 1, 1)
    last = max(*days, today)
    following_quarter = 3 * ((last.month - 1) // 3) + 4
    end = date(last.year + (following_quarter - 1) // 12, (following_quarter - 1) % 12 + 1, 1)
    span = max((end - start).days, 1)

    drawable = CHART_WIDTH - 2 * DIAMOND_RADIUS

    def x_of(day: date) -> float:
        return round(LABEL_WIDTH + DIAMOND_RADIUS + drawable * (day - start).days / span, 1)

    rows = []
    for index, projet in enumerate(projets):
        y = AXIS_HEIGHT + index * ROW_HEIGHT
        bars = [
            Bar(
                x=x_of(phase.starts_on),
                width=round(max(x_of(phase.ends_on) - x_of(phase.starts_on), 3), 1),
                y=y + 8,
                kind=phase.kind,
                label=f"{phase.get_kind_display()} : {phase.starts_on:%d/%m/%Y} – {phase.ends_on:%d/%m/%Y}",
                status=phase.status,
            )
            for phase in projet.phases.all()
        ]
        diamonds = []
        for jalon in projet.jalons.all():
            x, cy = x_of(jalon.due_on), y + ROW_HEIGHT / 2
            state = "atteint" if jalon.done_on else ("en_retard" if jalon.is_late(today) else "a_venir")
            diamonds.append(
                Diamond(
                    x=x,
                    y=cy,
                    label=f"{jalon.title} : {jalon.due_on:%d/%m/%Y}",
                    state=state,
                    points=(
                        f"{x},{cy - DIAMOND_RADIUS} {x + DIAMOND_RADIUS},{cy} "
                        f"{x},{cy + DIAMOND_RADIUS} {x - DIAMOND_RADIUS},{cy}"
                    ),
                )
            )
        rows.append(Row(title=projet.title, url=url_of(projet), y=y, bars=bars, diamonds=diamonds))
    # The end is the first day of the quarter after the chart: no tick there.
    ticks = [
        Tick(x=x_of(day), label=f"T{(day.month - 1) // 3 + 1} {day.year}")
        for day in _quarter_starts(start, end)
        if day < end
    ]
    return Timeline(
        start=start,
        end=end,
        width=LABEL_WIDTH + CHART_WIDTH + 10,
        height=AXIS_HEIGHT + len(rows) * ROW_HEIGHT + 4,
        label_width=LABEL_WIDTH,
        rows=rows,
        ticks=ticks,
        today_x=x_of(today) if start <= today <= end else None,
        phase_kinds=sorted(
            {(phase.kind, str(phase.get_kind_display())) for p in projets for phase in p.phases.all()},
            key=lambda kind: PHASE_ORDER.index(kind[0]) if kind[0] in PHASE_ORDER else len(PHASE_ORDER),
        ),
    )
