"""Pages of a territory's annual review: the list over the years, one review and its stages, the
questionnaire (adapted by the facilitator, answered anonymously by members), the séminaire and its
commitments, and what the territory shares with its facilitator's comparison.

Views are thin: they resolve the territory (TerritoireMixin) and the review (`access_revue`), call one
service, and show its French errors; the rules live in `codir.revue.services`.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from codir.models import Engagement, Partage, Participation, RevueAnnuelle
from codir.revue import questionnaire, selectors, services
from codir.revue.access import access_revue, can_answer, can_run
from codir.revue.forms import (
    EngagementForm,
    PartageForm,
    QuestionnaireForm,
    ReponseForm,
    RevueOpenForm,
    SeminaireForm,
    SeminarStartForm,
)
from communes.access import TerritoireMixin
from communes.forms import form_add_service_error
from decisions.models import Action

Stage = RevueAnnuelle.Stage


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_errors_text(form) -> str:
    return " ".join(str(message) for messages_ in form.errors.values() for message in messages_)


class RevueBase(TerritoireMixin, View):
    def page(self, template: str, status: int = 200, **context):
        context.update(territoire=self.territoire, access=self.access)
        return render(self.request, f"codir/revue/{template}", context, status=status)

    def to_revue(self, revue: RevueAnnuelle):
        return redirect("revue:revue", self.territoire.slug, revue.year)


class RevuesView(RevueBase):
    def get(self, request, territoire_slug):
        # One query for every year, however many reviews and answers: the answers are counted in SQL.
        revues = (
            RevueAnnuelle.objects.for_territoire(self.territoire)
            .select_related("facilitator")
            .annotate(answers_count=Count("reponses"))
            .order_by("-year")
        )
        return self.page(
            "revues.html",
            revues=revues,
            can_run=can_run(self.access),
            open_form=RevueOpenForm() if can_run(self.access) else None,
        )


class RevueOpenView(RevueBase):
    http_method_names = ["post"]

    def post(self, request, territoire_slug):
        if not can_run(self.access):
            raise PermissionDenied
        form = RevueOpenForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, _("La revue n'a pas été ouverte : %(errors)s") % {"errors": _form_errors_text(form)}
            )
            return redirect("revue:revues", self.territoire.slug)
        try:
            revue = services.revue_create(territoire=self.territoire, year=form.cleaned_data["year"], by=request.user)
        except ValidationError as error:
            messages.error(request, _("La revue n'a pas été ouverte : %(errors)s") % {"errors": _error_text(error)})
            return redirect("revue:revues", self.territoire.slug)
        messages.success(
            request,
            _("Revue %(year)s ouverte en préparation : adaptez le questionnaire si besoin, puis ouvrez-le aux membres.")
            % {"year": revue.year},
        )
        return self.to_revue(revue)


class PartageView(RevueBase):
    admin_required = True

    def get(self, request, territoire_slug):
        partage = Partage.objects.filter(territoire=self.territoire).select_related("updated_by").first()
        form = PartageForm(initial={"families": partage.families if partage else []})
        return self.page("partage.html", form=form, partage=partage)

    def post(self, request, territoire_slug):
        form = PartageForm(request.POST)
        if form.is_valid():
            try:
                services.partage_set(
                    territoire=self.territoire, by=request.user, families=form.cleaned_data["families"]
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Vos choix de partage sont enregistrés."))
                return redirect("revue:partage", self.territoire.slug)
        partage = Partage.objects.filter(territoire=self.territoire).select_related("updated_by").first()
        return self.page("partage.html", status=400, form=form, partage=partage)


def _stages(revue: RevueAnnuelle) -> list[dict]:
    values = [stage.value for stage in Stage]
    current = values.index(revue.stage)
    return [
        {"value": stage.value, "label": stage.label, "done": index < current, "current": index == current}
        for index, stage in enumerate(Stage)
    ]


class RevueView(RevueBase):
    def get(self, request, territoire_slug, year):
        revue = access_revue(self.access, year)
        participation = None
        if can_answer(self.access):
            participation = Participation.objects.filter(revue=revue, agent=request.user).first()
        actions = []
        if revue.proposition_id:
            actions = Action.objects.filter(proposition_id=revue.proposition_id).select_related("owner_collectivite")
        return self.page(
            "revue.html",
            revue=revue,
            stages=_stages(revue),
            can_run=can_run(self.access),
            can_answer=can_answer(self.access),
            participation=participation,
            answers=revue.reponses.count(),
            eligible=selectors.eligible_count(self.territoire),
            # Counted only where the closing step is offered, which is where it is said.
            engagements_count=(
                revue.engagements.filter(withdrawn_at__isnull=True).count()
                if can_run(self.access) and revue.stage == Stage.SEMINAIRE
                else None
            ),
            seminar_form=SeminarStartForm(
                initial={"seminar_on": revue.seminar_on, "place": revue.seminar_place}, auto_id="etape_%s"
            ),
            actions=actions,
        )


class RevueStageView(RevueBase):
    """The facilitator moves the review one stage on; a refusal changes nothing and says why."""

    http_method_names = ["post"]

    def post(self, request, territoire_slug, year):
        revue = access_revue(self.access, year, run=True)
        action = request.POST.get("action", "")
        try:
            if action == "ouvrir_questionnaire":
                services.revue_open_questionnaire(revue=revue, by=request.user)
                messages.success(
                    request, _("Le questionnaire est ouvert ; les membres reçoivent l'invitation à y répondre.")
                )
            elif action == "seminaire":
                form = SeminarStartForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_form_errors_text(form))
                services.revue_start_seminar(
                    revue=revue,
                    by=request.user,
                    seminar_on=form.cleaned_data["seminar_on"],
                    place=form.cleaned_data["place"],
                )
                messages.success(request, _("Le questionnaire est clos : place au séminaire."))
            elif action == "cloturer":
                services.revue_close(revue=revue, by=request.user)
                messages.success(
                    request, _("La revue est clôturée ; ses engagements sont inscrits au registre des décisions.")
                )
            else:
                raise ValidationError(_("Action inconnue."))
        except ValidationError as error:
            messages.error(request, _("Rien n'a changé : %(errors)s") % {"errors": _error_text(error)})
        return self.to_revue(revue)


class QuestionnaireView(RevueBase):
    """The facilitator adapts the questionnaire while the review is in préparation."""

    def _revue(self, year) -> RevueAnnuelle | None:
        revue = access_revue(self.access, year, run=True)
        if revue.stage != Stage.PREPARATION:
            messages.warning(
                self.request,
                _("Le questionnaire ne se modifie plus une fois ouvert : les réponses doivent rester comparables."),
            )
            return None
        return revue

    def get(self, request, territoire_slug, year):
        revue = self._revue(year)
        if revue is None:
            return redirect("revue:revue", self.territoire.slug, year)
        return self.page("questionnaire.html", revue=revue, form=QuestionnaireForm(questionnaire=revue.questionnaire))

    def post(self, request, territoire_slug, year):
        revue = self._revue(year)
        if revue is None:
            return redirect("revue:revue", self.territoire.slug, year)
        if "reset" in request.POST:
            try:
                services.revue_questionnaire_set(
                    revue=revue, by=request.user, questionnaire_data=questionnaire.default_questionnaire()
                )
            except ValidationError as error:
                messages.error(request, _error_text(error))
            else:
                messages.success(request, _("Le questionnaire est revenu au modèle."))
            return redirect("revue:questionnaire", self.territoire.slug, year)
        form = QuestionnaireForm(request.POST, questionnaire=revue.questionnaire)
        if form.is_valid():
            try:
                data = questionnaire.adapted(revue.questionnaire, **form.changes())
                services.revue_questionnaire_set(revue=revue, by=request.user, questionnaire_data=data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Le questionnaire adapté est enregistré."))
                return redirect("revue:questionnaire", self.territoire.slug, year)
        return self.page("questionnaire.html", status=400, revue=revue, form=form)


class RepondreView(RevueBase):
    """A member answers once, anonymously; observers and facilitators do not answer."""

    def _prepare(self, year):
        revue = access_revue(self.access, year)
        if not can_answer(self.access):
            raise PermissionDenied
        participation = Participation.objects.filter(revue=revue, agent=self.request.user).first()
        return revue, participation

    def _closed_page(self, revue, participation, status=200):
        return self.page("repondre.html", status=status, revue=revue, participation=participation, form=None)

    def get(self, request, territoire_slug, year):
        revue, participation = self._prepare(year)
        if participation is not None or not revue.accepts_answers:
            return self._closed_page(revue, participation)
        return self.page("repondre.html", revue=revue, form=ReponseForm(questionnaire=revue.questionnaire))

    def post(self, request, territoire_slug, year):
        revue, participation = self._prepare(year)
        if participation is not None or not revue.accepts_answers:
            return self._closed_page(revue, participation, status=400)
        form = ReponseForm(request.POST, questionnaire=revue.questionnaire)
        if form.is_valid():
            try:
                services.reponse_submit(revue=revue, agent=request.user, answers=form.answers())
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Merci : votre réponse anonyme est enregistrée."))
                return self.to_revue(revue)
        return self.page("repondre.html", status=400, revue=revue, form=form)


class SeminaireView(RevueBase):
    """The séminaire's bilan, perspectives and commitments: written by the facilitator at the séminaire
    stage, read by everyone with access to the territory."""

    def get(self, request, territoire_slug, year):
        return self._render(access_revue(self.access, year))

    def post(self, request, territoire_slug, year):
        revue = access_revue(self.access, year, run=True)
        if revue.stage != Stage.SEMINAIRE:
            # The services refuse it too; saying so here keeps the page from showing a form it no longer offers.
            messages.error(
                request,
                _("Le séminaire s'écrit à l'étape « %(stage)s » ; la revue est à l'étape « %(current)s ».")
                % {"stage": Stage.SEMINAIRE.label, "current": revue.get_stage_display()},
            )
            return redirect("revue:seminaire", self.territoire.slug, year)
        if request.POST.get("form") == "engagement":
            form = EngagementForm(request.POST, territoire=self.territoire)
            if form.is_valid():
                try:
                    services.engagement_add(revue=revue, by=request.user, **form.cleaned_data)
                except ValidationError as error:
                    form_add_service_error(form, error)
                else:
                    messages.success(request, _("Engagement ajouté."))
                    return redirect("revue:seminaire", self.territoire.slug, year)
            return self._render(revue, engagement_form=form, status=400)
        form = SeminaireForm(request.POST)
        if form.is_valid():
            try:
                services.seminaire_save(
                    revue=revue,
                    by=request.user,
                    bilan=form.cleaned_data["bilan"],
                    perspectives=form.cleaned_data["perspectives"],
                    seminar_on=form.cleaned_data["seminar_on"],
                    place=form.cleaned_data["place"],
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Le bilan et les perspectives du séminaire sont enregistrés."))
                return redirect("revue:seminaire", self.territoire.slug, year)
        return self._render(revue, seminaire_form=form, status=400)

    def _render(self, revue, seminaire_form=None, engagement_form=None, status=200):
        editable = can_run(self.access) and revue.stage == Stage.SEMINAIRE
        engagements = list(revue.engagements.select_related("owner_collectivite").order_by("position", "pk"))
        if editable:
            seminaire_form = seminaire_form or SeminaireForm(
                initial={
                    "seminar_on": revue.seminar_on,
                    "place": revue.seminar_place,
                    "bilan": revue.bilan,
                    "perspectives": revue.perspectives,
                }
            )
            engagement_form = engagement_form or EngagementForm(territoire=self.territoire)
        return self.page(
            "seminaire.html",
            status=status,
            revue=revue,
            editable=editable,
            engagements=engagements,
            seminaire_form=seminaire_form if editable else None,
            engagement_form=engagement_form if editable else None,
        )


class EngagementWithdrawView(RevueBase):
    http_method_names = ["post"]

    def post(self, request, territoire_slug, year, engagement_id):
        revue = access_revue(self.access, year, run=True)
        engagement = get_object_or_404(Engagement.objects.filter(revue=revue), pk=engagement_id)
        try:
            services.engagement_withdraw(engagement=engagement, by=request.user)
        except ValidationError as error:
            messages.error(request, _("Rien n'a changé : %(errors)s") % {"errors": _error_text(error)})
        else:
            messages.success(request, _("Engagement « %(title)s » retiré.") % {"title": engagement.title})
        return redirect("revue:seminaire", self.territoire.slug, year)
