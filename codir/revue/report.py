"""What the review's reading pages show, built from the figures and the results: rows and charts by family,
the questionnaire's results laid out, last year beside, the history of the closed years, the frozen network
map. Plain functions and dataclasses, no request: `report_views` renders them.
"""

import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from codir.models import RevueAnnuelle
from codir.revue import charts, indicators
from codir.revue.access import results_visible
from codir.revue.questionnaire import LIKERT, LIKERT_SCALE, TEXTE
from codir.revue.selectors import HEADLINES, MIN_GROUP, Results, figures_of, results_of, scalar
from communes.models import Territoire


def network_snapshot(territoire: Territoire, at) -> str:
    """The network map of the territory on that day, as standalone SVG (frozen into the review at closure);
    cached with the analysis it draws, under the same version of the network data."""
    from reseaux import cartography

    version = cartography.graph_version(territoire.pk)

    def render() -> str:
        drawing = cartography.draw(cartography.analysis_of(territoire, at, version=version), width=720, height=520)
        return render_to_string("reseaux/_carte_svg.html", {"drawing": drawing, "at": at, "standalone": True})

    key = f"codir:revue:carte:{territoire.pk}:{version}:{at.isoformat()}"
    return cache.get_or_set(key, render, cartography.CACHE_SECONDS)


def svg_for_page(svg: str) -> str:
    """A standalone map, to be drawn inside a page: without its own <style> element, which the page's
    Content-Security-Policy refuses (style-src 'self') and its stylesheet makes useless (same classes)."""
    return re.sub(r"<style>.*?</style>", "", svg, flags=re.S)


# Breakdowns shown as a list of names rather than bars: each is worth 1.
LISTED = {"reseaux.isolee"}
# What the first column of a breakdown's table holds.
DETAIL_HEADERS = {
    "participation.taux": gettext_lazy("Collectivité"),
    "participation.taux_classe": gettext_lazy("Strate"),
    "parite.points_classe": gettext_lazy("Strate"),
    "parite.positions_classe": gettext_lazy("Strate"),
    "decisions.par_mode": gettext_lazy("Mode de décision"),
    "decisions.par_resultat": gettext_lazy("Résultat"),
    "portefeuille.par_etat": gettext_lazy("État"),
    "portefeuille.par_pilotage": gettext_lazy("Mode de pilotage"),
    "reseaux.passeur": gettext_lazy("Agent"),
}
# Scalar pairs compared in a chart of their own: the EPCI against the communes.
COMPARED = {
    "parite": [
        (gettext_lazy("Points présentés : EPCI et communes"), ("parite.points_epci", "parite.points_communes")),
        (
            gettext_lazy("Pilotages de projet : EPCI et communes"),
            ("parite.pilotages_epci", "parite.pilotages_communes"),
        ),
    ],
}
# In the printed report, these families start a new page; the short ones follow the previous section.
PAGE_BREAKS = {"reunions", "decisions", "portefeuille", "reseaux"}


# --- Questionnaire results -------------------------------------------------------------------------------


@dataclass
class LikertRow:
    key: str
    text: str
    n: int
    mean_text: str
    distribution: list[int]
    bar: charts.StackedBar | None
    summary: str  # the distribution in words, the chart's accessible name


@dataclass
class DimensionView:
    key: str
    title: str
    kind: str
    n: int
    mean_text: str  # "" below three answers
    previous_text: str  # "" without last year's mean
    trend: charts.Trend | None
    likert: list[LikertRow] = field(default_factory=list)
    questions: list = field(default_factory=list)  # free-text ItemResults, their verbatims sorted


def _distribution_words(distribution: list[int]) -> str:
    return " ; ".join(
        f"{count} « {label.lower()} »" for count, label in zip(distribution, LIKERT_SCALE.values(), strict=False)
    )


def _mean_text(mean: float | None) -> str:
    return charts.format_value(mean) if mean is not None else ""


def questionnaire_context(revue: RevueAnnuelle) -> dict:
    """What the results page and the report's questionnaire section show to this reader."""
    if not results_visible(revue):
        return {"results_visible": False}
    results: Results = results_of(revue)
    context = {"results_visible": True, "results": results, "min_group": MIN_GROUP}
    if not results.shown:
        # Below three answers, the count is all there is: no dimension, no item, no verbatim.
        return context
    dimensions = []
    for dimension in results.dimensions:
        view = DimensionView(
            key=dimension.key,
            title=dimension.title,
            kind=dimension.kind,
            n=dimension.n,
            mean_text=_mean_text(dimension.mean),
            previous_text=_mean_text(dimension.previous_mean),
            trend=charts.trend(dimension.mean, dimension.previous_mean),
        )
        for item in dimension.items:
            if item.type == LIKERT:
                shown = bool(item.distribution)
                view.likert.append(
                    LikertRow(
                        key=item.key,
                        text=item.text,
                        n=item.n,
                        mean_text=_mean_text(item.mean),
                        distribution=item.distribution,
                        bar=charts.stacked_bar(item.distribution) if shown else None,
                        summary=_distribution_words(item.distribution) if shown else "",
                    )
                )
            elif item.type == TEXTE:
                view.questions.append(item)
        dimensions.append(view)
    context.update(
        dimensions=dimensions,
        profile_columns=[(d.key, d.title) for d in results.dimensions],
        profile_rows=[
            (profile.label, profile.n, [_mean_text(profile.means.get(d.key)) for d in results.dimensions])
            for profile in results.profiles
        ],
        levels=[(level, label, charts.LIKERT_COLOURS[level]) for level, label in LIKERT_SCALE.items()],
    )
    return context


# --- Figures ---------------------------------------------------------------------------------------------


@dataclass
class ScalarRow:
    figure: dict
    previous: float | int | None
    trend: charts.Trend | None
    value_text: str
    previous_text: str


@dataclass
class BreakdownView:
    key: str
    label: str
    unit: str
    figures: list[dict]
    chart: charts.BarChart | None = None  # None for the breakdowns shown as a list
    listed: bool = False
    detail_header: str = ""
    measured: bool = True  # False when no value could be computed (no attendance recorded…)


@dataclass
class ComparisonView:
    title: str
    chart: charts.BarChart | None


@dataclass
class FamilyView:
    key: str
    label: str
    scalars: list[ScalarRow]
    breakdowns: list[BreakdownView]
    comparisons: list[ComparisonView]
    number: int = 0  # its section's number in the report
    page_break: bool = False


def previous_value(figure: dict, previous_figures: list[dict]) -> float | int | None:
    """The same figure a year before: as computed with it (networks), else last year's scalar figure."""
    if figure.get("previous") is not None:
        return figure["previous"]
    if figure["detail"]:
        return None
    before = scalar(previous_figures, figure["key"])
    return before["value"] if before else None


def scalar_row(figure: dict, previous_figures: list[dict]) -> ScalarRow:
    previous = previous_value(figure, previous_figures)
    return ScalarRow(
        figure=figure,
        previous=previous,
        trend=charts.trend(figure["value"], previous, unit=figure["unit"]),
        value_text=charts.format_value(figure["value"], figure["unit"]),
        previous_text=charts.format_value(previous, figure["unit"]) if previous is not None else "—",
    )


def family_views(figures: list[dict], previous_figures: list[dict]) -> list[FamilyView]:
    """The figures grouped by family (in the order of `indicators.FAMILIES`), scalars apart from the
    breakdowns, each breakdown with its chart."""
    order = list(indicators.FAMILIES)
    families = sorted(
        dict.fromkeys(f["family"] for f in figures), key=lambda k: order.index(k) if k in order else len(order)
    )
    views = []
    for family in families:
        members = [f for f in figures if f["family"] == family]
        scalars = [scalar_row(f, previous_figures) for f in members if not f["detail"]]
        breakdowns: dict[str, BreakdownView] = {}
        for figure in members:
            if not figure["detail"]:
                continue
            view = breakdowns.setdefault(
                figure["key"],
                BreakdownView(
                    key=figure["key"],
                    label=figure["label"],
                    unit=figure["unit"],
                    figures=[],
                    listed=figure["key"] in LISTED,
                    detail_header=str(DETAIL_HEADERS.get(figure["key"], _("Détail"))),
                ),
            )
            view.figures.append(figure)
        for view in breakdowns.values():
            view.measured = any(f["value"] is not None for f in view.figures)
            if not view.listed and view.measured:
                view.chart = charts.bar_chart([(f["detail"], f["value"]) for f in view.figures], unit=view.unit)
        comparisons = []
        for title, keys in COMPARED.get(family, []):
            rows = [figure for key in keys if (figure := scalar(members, key))]
            # Nothing to compare when both are nought (or unmeasured): the table above says so.
            if any(f["value"] for f in rows):
                chart = charts.bar_chart([(f["label"], f["value"]) for f in rows], unit=rows[0]["unit"])
                comparisons.append(ComparisonView(str(title), chart))
        views.append(
            FamilyView(
                key=family,
                label=indicators.family_label(family),
                scalars=scalars,
                breakdowns=list(breakdowns.values()),
                comparisons=comparisons,
                number=len(views) + 2,  # the report's first section is the synthesis
                page_break=family in PAGE_BREAKS,
            )
        )
    return views


def closed_figures(revue: RevueAnnuelle) -> dict[int, list[dict]]:
    """The frozen figures of the territory's closed reviews up to this one's year, by year (one query)."""
    rows = (
        RevueAnnuelle.objects.for_territoire(revue.territoire)
        .filter(stage=RevueAnnuelle.Stage.CLOTUREE, year__lte=revue.year)
        .order_by("year")
        .values_list("year", "indicators")
    )
    return {year: figures for year, figures in rows}


def previous_figures(
    revue: RevueAnnuelle, closed: dict[int, list[dict]] | None = None, *, cached: bool = False
) -> list[dict]:
    """Last year's figures: frozen if that review closed, else computed now (or from the short cache)."""
    if closed and closed.get(revue.year - 1):
        return closed[revue.year - 1]
    return figures_of(revue.territoire, revue.year - 1, cached=cached)


@dataclass
class HistoryRow:
    label: str
    values: list[str]


def history(
    closed: dict[int, list[dict]], revue: RevueAnnuelle, current: list[dict]
) -> tuple[list[int], list[HistoryRow]]:
    """Each headline figure for every closed year up to this review's, and this year's if still open."""
    years = {**closed, revue.year: current}
    ordered = sorted(years)
    rows = []
    for key in HEADLINES:
        found = [scalar(years[year], key) for year in ordered]
        sample = next((f for f in found if f), None)
        if sample is None:
            continue
        rows.append(
            HistoryRow(sample["label"], [charts.format_value(f["value"], f["unit"]) if f else "—" for f in found])
        )
    return ordered, rows


def number_cell(value: float | int | None) -> str:
    # Semicolon-separated files are read by French spreadsheets, which expect a decimal comma: "12.5"
    # would become the 12th of May.
    return "" if value is None else number_format(value)
