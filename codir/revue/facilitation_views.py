"""The facilitator's own space, across the territories they accompany (/facilitation/): their territories
side by side, their campaigns of annual reviews, and the comparison of what each territory shares.

Nobody else has anything here: someone who accompanies no territory gets 404 on every page, and a
campaign answers 404 to anyone but the facilitator who opened it (`access_campagne`). Every value shown
beside another territory's comes from `selectors.comparison`, which already hides what a territory
keeps to itself; the templates only say "non partagé" where it gave nothing.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.http import require_safe

from codir.models import Campagne, RevueAnnuelle
from codir.revue import indicators, questionnaire, selectors, services
from codir.revue.access import access_campagne
from codir.revue.forms import QuestionnaireForm
from codir.revue.questionnaire import items_of
from communes.exports import csv_response
from communes.forms import form_add_service_error
from communes.models import Territoire

QUESTIONNAIRE_FAMILY = "questionnaire"

# Every scalar figure of `indicators.indicators_for`, family by family, then the questionnaire's two
# (added by `selectors.comparison` once a review reaches its séminaire). Written out rather than read from
# one territory's figures, which would cost that territory's queries again; a test checks that it lists
# every scalar key the indicators produce.
COMPARED_KEYS = [
    "reunions.tenues",
    "reunions.annulees",
    "ponctualite.part_a_temps",
    "ponctualite.a_temps",
    "ponctualite.en_retard",
    "ponctualite.non_envoyes",
    "ponctualite.avance_moyenne",
    "ponctualite.points_hors_delai",
    "participation.taux_moyen",
    "participation.reunions_sans_presences",
    "parite.points_epci",
    "parite.points_communes",
    "parite.part_points_communes",
    "parite.pilotages_epci",
    "parite.pilotages_communes",
    "decisions.closes",
    "decisions.objections",
    "decisions.objections_levees",
    "decisions.actions",
    "decisions.actions_faites",
    "charte.versions",
    "charte.amendements",
    "charte.amendements_adoptes",
    "charte.signatures",
    "charte.ratifications",
    "portefeuille.projets",
    "jalons.echus",
    "jalons.a_temps",
    "jalons.part_a_temps",
    "portefeuille.revues_tenues",
    "reseaux.reseaux",
    "reseaux.agents",
    "reseaux.densite",
    "reseaux.isolees",
    "reseaux.points_fragiles",
    "questionnaire.reponses",
    "questionnaire.taux",
]


def family_title(key: str) -> str:
    if key == QUESTIONNAIRE_FAMILY:
        return _("Questionnaire de maturité")
    return indicators.family_label(key)


@dataclass
class Cell:
    """One territory's value of one figure: `shared` False means the territory keeps it to itself."""

    label: str
    unit: str
    value: float | int | None
    shared: bool


@dataclass
class TerritoireCard:
    territoire: Territoire
    revue: RevueAnnuelle | None
    cells: list[Cell]


@dataclass
class Line:
    """One figure across the territories, with the mean of those that keep it to themselves (or None)."""

    label: str
    unit: str
    cells: list[Cell]
    aggregate: float | None


@dataclass
class FamilyTable:
    key: str
    title: str
    not_sharing: int
    rows: list[Line]

    @property
    def aggregate_possible(self) -> bool:
        return self.not_sharing >= selectors.MIN_GROUP


def _cards(comparison: selectors.Comparison) -> list[TerritoireCard]:
    return [
        TerritoireCard(
            territoire=territoire,
            revue=comparison.revues.get(territoire.pk),
            cells=[Cell(row.label, row.unit, row.values[index], row.shared[index]) for row in comparison.rows],
        )
        for index, territoire in enumerate(comparison.territoires)
    ]


def _tables(comparison: selectors.Comparison) -> list[FamilyTable]:
    order = [*indicators.FAMILIES, QUESTIONNAIRE_FAMILY]
    tables = []
    for family in order:
        rows = [
            Line(
                row.label,
                row.unit,
                [
                    Cell(row.label, row.unit, value, shared)
                    for value, shared in zip(row.values, row.shared, strict=True)
                ],
                row.aggregate,
            )
            for row in comparison.rows
            if row.family == family
        ]
        if rows:
            tables.append(FamilyTable(family, family_title(family), comparison.not_sharing.get(family, 0), rows))
    return tables


def _year_asked(request) -> int:
    """The year of `?annee=`, or the current one when it is missing or not a plausible review year."""
    current = timezone.localdate().year
    raw = request.GET.get("annee", "")
    if raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= current + 1:
        return int(raw)
    return current


def _require_facilitated(facilitated) -> None:
    """This space is for facilitators: someone who accompanies no territory finds nothing here (404)."""
    if not facilitated:
        raise Http404


class FacilitationBase(LoginRequiredMixin, View):
    def page(self, template: str, status: int = 200, **context):
        return render(self.request, f"codir/facilitation/{template}", context, status=status)


class AccueilView(FacilitationBase):
    """ "Mes territoires accompagnés": each territory with this year's review and a few shared headlines."""

    def get(self, request):
        year = timezone.localdate().year
        comparison = selectors.comparison(request.user, year)
        _require_facilitated(comparison.territoires)
        # Reviews of territories they no longer accompany are not theirs to count.
        still = Q(revues__territoire__in=[t.pk for t in comparison.territoires])
        stages = {
            f"n_{stage}": Count("revues", filter=still & Q(revues__stage=stage)) for stage in RevueAnnuelle.Stage.values
        }
        # One query, whatever the number of campaigns and reviews.
        campagnes = list(
            Campagne.objects.filter(facilitator=request.user).annotate(n_revues=Count("revues", filter=still), **stages)
        )
        for campagne in campagnes:
            campagne.stage_counts = [getattr(campagne, f"n_{stage}") for stage in RevueAnnuelle.Stage.values]
        return self.page(
            "accueil.html",
            year=year,
            cards=_cards(comparison),
            campagnes=campagnes,
            stages=RevueAnnuelle.Stage.labels,
        )


class CampagneForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Année"))
    title = forms.CharField(
        label=gettext_lazy("Intitulé"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Par exemple « Revues annuelles 2026 » ; laissé vide, il est écrit pour vous."),
    )
    territoires = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Territoires dont la revue s'ouvre"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": gettext_lazy("Choisissez au moins un territoire."),
            "invalid_choice": gettext_lazy("Vous n'accompagnez pas l'un des territoires choisis."),
            "invalid_pk_value": gettext_lazy("Vous n'accompagnez pas l'un des territoires choisis."),
        },
    )

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the territories the agent accompanies are offered, and only they are accepted when posted.
        self.fields["territoires"].queryset = selectors.facilitated_territoires(agent)


class CampagneCreateView(FacilitationBase):
    """Open one review per chosen territory, for one year, with one questionnaire: all or nothing."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_facilitated(selectors.facilitated_territoires(request.user).exists())
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = CampagneForm(initial={"year": timezone.localdate().year}, agent=request.user)
        return self.page("campagne_form.html", form=form)

    def post(self, request):
        form = CampagneForm(request.POST, agent=request.user)
        if form.is_valid():
            try:
                territoires = list(form.cleaned_data["territoires"])
                campagne = services.campagne_create(
                    facilitator=request.user,
                    year=form.cleaned_data["year"],
                    title=form.cleaned_data["title"],
                    territoires=territoires,
                )
            except (ValidationError, PermissionDenied) as error:
                if isinstance(error, PermissionDenied):
                    error = ValidationError({"territoires": str(error)})
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Campagne ouverte : la revue du territoire est en préparation.",
                        "Campagne ouverte : une revue en préparation pour chacun des %(count)s territoires.",
                        len(territoires),
                    )
                    % {"count": len(territoires)},
                )
                return redirect("facilitation:campagne", campagne.pk)
        return self.page("campagne_form.html", status=400, form=form)


def _eligible_subquery():
    """Members who may answer, per territory (as `selectors.eligible_count` counts them), as a subquery so
    that a campaign's page costs the same queries for one review or fifty."""
    eligible = (
        selectors.answerers()
        .filter(territoire=OuterRef("territoire"))
        .order_by()
        .values("territoire")
        .annotate(n=Count("agent", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(eligible, output_field=IntegerField()), Value(0))


class CampagneView(FacilitationBase):
    """A campaign's reviews: stage and answers of each, links to the reviews and to the questionnaire."""

    def get(self, request, campagne_id):
        campagne = access_campagne(request.user, campagne_id)
        facilitated = set(selectors.facilitated_territoires(request.user).values_list("pk", flat=True))
        revues = list(
            campagne.revues.select_related("territoire")
            .annotate(answers=Count("reponses"), eligible=_eligible_subquery())
            .order_by("territoire__name")
        )
        for revue in revues:
            # A territory that revoked the facilitator since: its name stays, its review is no longer theirs to see.
            revue.still_facilitated = revue.territoire_id in facilitated
        in_preparation = sum(1 for r in revues if r.still_facilitated and r.stage == RevueAnnuelle.Stage.PREPARATION)
        return self.page(
            "campagne.html",
            campagne=campagne,
            revues=revues,
            in_preparation=in_preparation,
            questions=sum(1 for _pair in items_of(campagne.questionnaire)),
        )


class CampagneQuestionnaireView(FacilitationBase):
    """Adapt the campaign's questionnaire; reviews still in préparation take it, the others keep theirs."""

    def get(self, request, campagne_id):
        campagne = access_campagne(request.user, campagne_id)
        return self._render(campagne, QuestionnaireForm(questionnaire=campagne.questionnaire))

    def post(self, request, campagne_id):
        campagne = access_campagne(request.user, campagne_id)
        form = QuestionnaireForm(request.POST, questionnaire=campagne.questionnaire)
        if form.is_valid():
            try:
                data = questionnaire.adapted(campagne.questionnaire, **form.changes())
                services.campagne_questionnaire_set(campagne=campagne, by=request.user, questionnaire_data=data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Questionnaire de la campagne enregistré ; les revues en préparation le reprennent.")
                )
                return redirect("facilitation:campagne", campagne.pk)
        return self._render(campagne, form, status=400)

    def _render(self, campagne, form, status=200):
        stages = {row["stage"]: row["n"] for row in campagne.revues.order_by().values("stage").annotate(n=Count("pk"))}
        preparation = stages.get(RevueAnnuelle.Stage.PREPARATION, 0)
        return self.page(
            "campagne_questionnaire.html",
            status=status,
            campagne=campagne,
            form=form,
            in_preparation=preparation,
            already_open=sum(stages.values()) - preparation,
        )


class ComparaisonView(FacilitationBase):
    """Every scalar figure of the year, territory beside territory, as far as each one shares it."""

    def get(self, request):
        year = _year_asked(request)
        comparison = selectors.comparison(request.user, year, keys=COMPARED_KEYS)
        _require_facilitated(comparison.territoires)
        current = timezone.localdate().year
        years = sorted({*range(current - 5, current + 2), year}, reverse=True)
        return self.page(
            "comparaison.html",
            year=year,
            years=years,
            comparison=comparison,
            tables=_tables(comparison),
            min_group=selectors.MIN_GROUP,
        )


@require_safe  # a download: any other method answers 405, like every other read-only URL
@login_required
def comparaison_csv(request):
    """The comparison as CSV: shared values only, empty cells for the rest, the aggregate where it exists."""
    year = _year_asked(request)
    comparison = selectors.comparison(request.user, year, keys=COMPARED_KEYS)
    _require_facilitated(comparison.territoires)
    header = [
        _("Famille"),
        _("Indicateur"),
        _("Unité"),
        *(territoire.name for territoire in comparison.territoires),
        _("Moyenne des territoires qui ne partagent pas"),
        _("Territoires qui ne partagent pas"),
    ]
    rows = [
        [
            table.title,
            row.label,
            row.unit,
            *("" if cell.value is None or not cell.shared else cell.value for cell in row.cells),
            "" if row.aggregate is None else row.aggregate,
            table.not_sharing,
        ]
        for table in _tables(comparison)
        for row in table.rows
    ]
    return csv_response(f"comparaison-{year}.csv", header, rows)
