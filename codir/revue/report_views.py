"""The pages that read a territory's annual review: the questionnaire's results, the year's indicators, the
printable report, and the CSV exports of this year and of every closed year.

Everyone with access to the territory reads them (members, observers, its facilitators). The results
wait for the questionnaire to end, for everyone alike (`access.results_visible`); below three answers
they are never shown at all (`selectors.results_of`). Every page runs the same number of queries
whatever the number of reviews, answers or commitments: the figures are one frozen list or a computation
with a fixed number of queries, and the history is one query over the closed reviews.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from codir.models import RevueAnnuelle
from codir.revue import indicators
from codir.revue.access import access_revue
from codir.revue.report import (
    closed_figures,
    family_views,
    history,
    network_snapshot,
    number_cell,
    previous_figures,
    previous_value,
    questionnaire_context,
    scalar_row,
    svg_for_page,
)
from codir.revue.selectors import HEADLINES, figures_of, scalar
from communes.access import TerritoireMixin
from communes.exports import csv_response

# --- Pages -----------------------------------------------------------------------------------------------


class RevueReadMixin(TerritoireMixin):
    """A page of one year's review, readable by everyone with access to the territory."""

    def get_revue(self) -> RevueAnnuelle:
        return access_revue(self.access, self.kwargs["year"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.revue = self.get_revue()
        context.update(revue=self.revue)
        return context


class ResultatsView(RevueReadMixin, TemplateView):
    template_name = "codir/revue/resultats.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(questionnaire_context(self.revue))
        return context


class IndicateursView(RevueReadMixin, TemplateView):
    template_name = "codir/revue/indicateurs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        revue = self.revue
        figures = figures_of(revue.territoire, revue.year)
        context.update(
            families=family_views(figures, previous_figures(revue)),
            frozen=revue.is_closed and bool(revue.indicators),
            previous_year=revue.year - 1,
        )
        return context


class RapportView(RevueReadMixin, TemplateView):
    """The printable report the facilitator brings to the séminaire and leaves to the élus."""

    template_name = "codir/revue/rapport.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        revue = self.revue
        closed = closed_figures(revue)
        # Figures of an open review are provisional (the page says so): from the facilitator's short cache,
        # the report of a large territory computes them once per quarter of an hour, not at each print.
        figures = closed.get(revue.year) or figures_of(revue.territoire, revue.year, cached=True)
        before = previous_figures(revue, closed, cached=True)
        years, history_rows = history(closed, revue, figures)
        if revue.is_closed and revue.network_svg:
            network_svg, network_at = revue.network_svg, None
        else:
            # The same day as the live network figures: the end of the year, or today within it.
            end = min(indicators.year_bounds(revue.year)[1], timezone.now())
            network_at = timezone.localdate(end - timedelta(microseconds=1))
            network_svg = network_snapshot(revue.territoire, network_at)
        network_svg = svg_for_page(network_svg)
        engagements = list(
            revue.engagements.filter(withdrawn_at__isnull=True).select_related("owner_collectivite", "action")
        )
        headlines = [scalar_row(f, before) for key in HEADLINES if (f := scalar(figures, key))]
        families = family_views(figures, before)
        after = len(families) + 2
        context.update(
            questionnaire_context(revue),
            headlines=headlines,
            families=families,
            numbers={"questionnaire": after, "bilan": after + 1, "historique": after + 2},
            frozen=revue.is_closed and bool(revue.indicators),
            previous_year=revue.year - 1,
            network_svg=network_svg,
            network_at=network_at,
            engagements=engagements,
            history_years=years,
            history_rows=history_rows,
            today=timezone.localdate(),
        )
        return context


# --- CSV -------------------------------------------------------------------------------------------------


class IndicateursCsvView(RevueReadMixin, View):
    def get(self, request, territoire_slug, year):
        revue = self.get_revue()
        figures = figures_of(revue.territoire, revue.year)
        before = previous_figures(revue)
        header = [
            _("famille"),
            _("indicateur"),
            _("libellé"),
            _("détail"),
            _("valeur"),
            _("unité"),
            _("année précédente"),
        ]
        rows = (
            [
                indicators.family_label(f["family"]),
                f["key"],
                f["label"],
                f["detail"],
                number_cell(f["value"]),
                f["unit"],
                number_cell(previous_value(f, before)),
            ]
            for f in figures
        )
        return csv_response(f"revue-{self.territoire.slug}-{revue.year}-indicateurs.csv", header, rows)


class HistoriqueCsvView(TerritoireMixin, View):
    """Every frozen figure of every closed review of the territory, year over year."""

    def get(self, request, territoire_slug):
        closed = (
            RevueAnnuelle.objects.for_territoire(self.territoire)
            .filter(stage=RevueAnnuelle.Stage.CLOTUREE)
            .order_by("year")
            .values_list("year", "indicators")
        )
        header = [_("année"), _("famille"), _("indicateur"), _("libellé"), _("détail"), _("valeur"), _("unité")]
        rows = (
            [
                year,
                indicators.family_label(f["family"]),
                f["key"],
                f["label"],
                f["detail"],
                number_cell(f["value"]),
                f["unit"],
            ]
            for year, figures in closed
            for f in figures
        )
        return csv_response(f"revues-{self.territoire.slug}-historique.csv", header, rows)


indicateurs_csv = IndicateursCsvView.as_view()
historique_csv = HistoriqueCsvView.as_view()
