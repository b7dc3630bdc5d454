"""Geometry of the annual review's small charts, which the templates draw as SVG.

Pure functions of numbers already computed (figures, answer counts): no query, no plotting library and
no script, as the portfolio's timeline (`reseaux.timeline`). Every chart is drawn beside a table of the
same numbers, its text alternative (RGAA 1.3), and writes its values in words or digits, never by
colour alone (RGAA 3.1).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

LABEL_CHARS = 40  # what fits in LABEL_WIDTH at 12 px; the table beside the chart keeps the full label
LABEL_WIDTH = 300
PLOT_WIDTH = 360
VALUE_WIDTH = 100  # room for the value written after the longest bar
ROW_HEIGHT = 26
BAR_HEIGHT = 16
MARGIN = 4

# The answers' levels, from "pas du tout d'accord" (1) to "tout à fait d'accord" (5): red, grey, blue.
# Each reads on white at 4.6:1 or more, so white digits inside a segment and the segment against the page
# both pass (RGAA 3.2 and 3.3); segments are separated by a white gap, so two neighbours never touch.
LIKERT_COLOURS = {1: "#8e1b14", 2: "#c0392b", 3: "#6b7685", 4: "#3a78b0", 5: "#123553"}
BAR_COLOUR = "#1d4f7c"  # 8.5:1 on white
TRACK_COLOUR = "#e6e9ee"  # the whole scale behind each bar, decorative: the value is written beside it
STACK_WIDTH = 200
STACK_HEIGHT = 18
MIN_SEGMENT_FOR_DIGITS = 16  # narrower segments keep their count in the table only


def format_value(value: float | int | None, unit: str = "") -> str:
    """A figure as read in the page, localised ("12,5 %"); "non mesuré" when it could not be computed."""
    if value is None:
        return _("non mesuré")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = number_format(value)
    return f"{text}\u00a0{unit}" if unit else text


def truncate(label: str, limit: int = LABEL_CHARS) -> str:
    """The label cut to `limit` characters, an ellipsis marking the cut."""
    label = " ".join(str(label).split())
    if len(label) <= limit:
        return label
    return label[: max(limit - 1, 0)].rstrip() + "…"


@dataclass
class Bar:
    label: str  # in full, for the tooltip and the table
    short: str  # as drawn
    value: float | int | None  # None: not measured (no bar, "non mesuré" written)
    text: str  # the value as written after the bar
    x: float
    y: float
    width: float
    height: float
    label_y: float  # baseline of the label and of the value
    value_x: float  # values are written in a column after the scale, as in a table


@dataclass
class BarChart:
    width: int
    height: int
    axis_x: int
    label_x: int  # where the labels end (they are right-aligned against the axis)
    maximum: float
    unit: str
    bars: list[Bar]
    plot_width: int = PLOT_WIDTH
    colour: str = BAR_COLOUR
    track_colour: str = TRACK_COLOUR


def bar_chart(
    rows: Iterable[tuple[str, float | int | None]], *, unit: str = "", maximum: float | None = None
) -> BarChart | None:
    """Horizontal bars, one per (label, value), on a scale from 0 to `maximum` (100 for percentages, the
    largest value otherwise). None when there is nothing to draw."""
    rows = list(rows)
    if not rows:
        return None
    values = [value for _label, value in rows if value is not None]
    if maximum is None:
        maximum = 100 if unit == "%" else max(values, default=0)
    scale = PLOT_WIDTH / maximum if maximum and maximum > 0 else 0
    bars = []
    for index, (label, value) in enumerate(rows):
        y = MARGIN + index * ROW_HEIGHT
        width = round(min(max(value, 0) * scale, PLOT_WIDTH), 1) if value is not None else 0
        bars.append(
            Bar(
                label=str(label),
                short=truncate(label),
                value=value,
                text=format_value(value, unit),
                x=LABEL_WIDTH,
                y=y + (ROW_HEIGHT - BAR_HEIGHT) / 2,
                width=width,
                height=BAR_HEIGHT,
                label_y=y + ROW_HEIGHT / 2 + 4,
                value_x=LABEL_WIDTH + PLOT_WIDTH + MARGIN,
            )
        )
    return BarChart(
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH,
        height=2 * MARGIN + len(rows) * ROW_HEIGHT,
        axis_x=LABEL_WIDTH,
        label_x=LABEL_WIDTH - 2 * MARGIN,
        maximum=maximum,
        unit=unit,
        bars=bars,
    )


@dataclass
class Segment:
    level: int  # 1…5
    count: int
    x: float
    width: float
    colour: str
    text_x: float  # the middle of the segment, where its count is written if it fits
    shows_count: bool


@dataclass
class StackedBar:
    width: int
    height: int
    total: int
    segments: list[Segment]


def stacked_bar(counts: Sequence[int | None], *, width: int = STACK_WIDTH, height: int = STACK_HEIGHT) -> StackedBar:
    """One horizontal bar split by the answers at each level (`counts[0]` answers at 1, …): each level's
    share of the width, in order; levels nobody chose get no segment. The edges are computed from the
    running total, so rounding never leaves a gap or overflows the width."""
    counts = [max(count or 0, 0) for count in counts]
    total = sum(counts)
    segments = []
    if total:
        before = 0
        for level, count in enumerate(counts, start=1):
            if not count:
                continue
            start = round(width * before / total, 1)
            before += count
            end = round(width * before / total, 1)
            segments.append(
                Segment(
                    level=level,
                    count=count,
                    x=start,
                    width=round(end - start, 1),
                    colour=LIKERT_COLOURS.get(level, BAR_COLOUR),
                    text_x=round((start + end) / 2, 1),
                    shows_count=end - start >= MIN_SEGMENT_FOR_DIGITS,
                )
            )
    return StackedBar(width=width, height=height, total=total, segments=segments)


@dataclass
class Trend:
    arrow: str  # "↑", "↓" or "="
    text: str  # the signed difference, localised: "+3", "-0,5", "0"
    unit: str  # "points" for a percentage, else the figure's unit
    words: str  # "en hausse", "en baisse", "stable"

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.arrow} {self.text}{unit} ({self.words})"


def trend(value: float | int | None, previous: float | int | None, *, unit: str = "", digits: int = 2) -> Trend | None:
    """How a figure moved since the year before, as text: an arrow, the signed difference and words (the
    arrow alone would be a symbol to guess). None when either year has no value."""
    if value is None or previous is None:
        return None
    delta = round(value - previous, digits)
    if delta == int(delta):
        delta = int(delta)
    if delta > 0:
        arrow, sign, words = "↑", "+", _("en hausse")
    elif delta < 0:
        arrow, sign, words = "↓", "-", _("en baisse")
    else:
        arrow, sign, words = "=", "", _("stable")
    return Trend(
        arrow=arrow,
        text=sign + number_format(abs(delta)),
        unit=_("points") if unit == "%" else unit,
        words=words,
    )
