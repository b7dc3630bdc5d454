"""The portfolio as a whole: dashboard and CSV, parity, systemic links, axes, priorisation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.access import require_admin
from communes.exports import csv_response
from communes.forms import form_add_service_error
from reseaux import selectors, services, systemic, timeline
from reseaux.access import (
    require_contributor,
)
from reseaux.forms import (
    AxeForm,
    PortfolioFilterForm,
    PriorisationForm,
)
from reseaux.models import Axe, Projet
from reseaux.services.liens import LAUNCHABLE
from reseaux.views.base import PortfolioBase

PAGE_SIZE = 50


def _filters(form: PortfolioFilterForm) -> selectors.PortfolioFilters:
    if not form.is_valid():
        return selectors.PortfolioFilters()
    data = form.cleaned_data
    return selectors.PortfolioFilters(
        axe=data["axe"].pk if data.get("axe") else None,
        status=data.get("status") or "",
        health=data.get("health") or "",
        pilotage=data.get("pilotage") or "",
        pilote=data["pilote"].pk if data.get("pilote") else None,
        participant=data["participant"].pk if data.get("participant") else None,
    )


class PortfolioView(PortfolioBase):
    def get(self, request, territoire_slug):
        today = timezone.localdate()
        form = PortfolioFilterForm(request.GET or None, territoire=self.territoire)
        projets = selectors.portfolio(self.territoire, _filters(form), on=today)
        page = Paginator(projets, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [(projet, selectors.current_pilots(projet, today), selectors.review_due_on(projet)) for projet in page]
        query = request.GET.copy()
        query.pop("page", None)
        return self.page(
            "portfolio.html",
            form=form,
            page=page,
            rows=rows,
            today=today,
            query=query.urlencode(),
            timeline=timeline.build(
                list(page), today, lambda p: reverse("reseaux:projet", args=[self.territoire.slug, p.pk])
            ),
        )


class PortfolioCsvView(PortfolioBase):
    def get(self, request, territoire_slug):
        today = timezone.localdate()
        form = PortfolioFilterForm(request.GET or None, territoire=self.territoire)
        projets = selectors.portfolio(self.territoire, _filters(form), on=today)
        header = [
            _("Projet"), _("Axe"), _("État"), _("Santé"), _("Pilotage"), _("Pilotes actuels"), _("Participants"),
            _("Co-financement total (€)"), _("Début"), _("Fin prévue"), _("Dernière revue"), _("Prochaine revue"),
            _("Jalons en retard"),
        ]  # fmt: skip
        rows = (
            [
                projet.title,
                projet.axe.name if projet.axe else "",
                projet.get_status_display(),
                projet.get_health_display(),
                projet.get_pilotage_display(),
                ", ".join(p.collectivite.name for p in selectors.current_pilots(projet, today)),
                ", ".join(c.collectivite.name for c in projet.contributions.all()),
                sum(c.amount for c in projet.contributions.all()),
                projet.starts_on or "",
                projet.ends_on or "",
                projet.last_held or "",
                selectors.review_due_on(projet) or "",
                projet.late_count,
            ]
            for projet in projets
        )
        return csv_response(f"portefeuille-{self.territoire.slug}.csv", header, rows)


class ParityView(PortfolioBase):
    def get(self, request, territoire_slug):
        return self.page("parity.html", parity=selectors.parity(self.territoire))


class SystemicView(PortfolioBase):
    def get(self, request, territoire_slug):
        return self.page("systemic.html", **selectors.systemic_view(self.territoire))


class AxesView(PortfolioBase):
    def get(self, request, territoire_slug):
        return self._render(AxeForm())

    def post(self, request, territoire_slug):
        require_admin(self.access)
        form = AxeForm(request.POST)
        if form.is_valid():
            try:
                services.axe_create(territoire=self.territoire, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Axe ajouté."))
                return redirect("reseaux:axes", self.territoire.slug)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        axes = Axe.objects.filter(territoire=self.territoire).order_by("position", "name")
        return self.page("axes.html", status=status, form=form, axes=axes)


class PriorisationView(PortfolioBase):
    def get(self, request, territoire_slug):
        self._require()
        return self._render(self._form())

    def post(self, request, territoire_slug):
        self._require()
        form = self._form(request.POST)
        if form.is_valid():
            try:
                proposition = services.priorisation_create(
                    territoire=self.territoire,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    intro=form.cleaned_data["intro"],
                    projets=list(form.cleaned_data["projets"]),
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Proposition de priorisation créée en brouillon : ouvrez-la aux positions.")
                )
                return redirect("decisions:proposition", self.territoire.slug, proposition.pk)
        return self._render(form, status=400)

    def _require(self):
        require_contributor(self.access)

    def _scores(self) -> dict[int, float]:
        if not hasattr(self, "_cached_scores"):
            self._cached_scores = dict(systemic.systemic_ranking(systemic.link_graph(self.territoire)))
        return self._cached_scores

    def _form(self, data=None):
        candidates = Projet.objects.for_territoire(self.territoire).filter(status__in=LAUNCHABLE).order_by("title")
        return PriorisationForm(
            data,
            candidates=candidates,
            scores=self._scores(),
            initial={
                "title": _("Priorisation des projets à lancer — %(annee)s") % {"annee": timezone.localdate().year}
            },
        )

    def _render(self, form, status=200):
        scores = self._scores()
        candidates = sorted(form.fields["projets"].queryset, key=lambda p: (-scores.get(p.pk, 0), p.title))
        return self.page(
            "priorisation.html",
            status=status,
            form=form,
            ranked=[(projet, scores.get(projet.pk, 0)) for projet in candidates],
        )
