"""Pages of instances and CoDir meetings: calendar, meeting page with its agenda and dispatch log."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.http import require_safe

from codir import avis, dispatch, feeds, portfolio, selectors, services
from codir.access import (
    access_document,
    access_instance,
    access_point,
    access_reunion,
    can_animate,
    require_animation,
    require_contributor,
    require_convener,
)
from codir.calendar import CONSEIL_CLEAR_DAYS, URGENCE_CLEAR_DAYS, latest_sending_day
from codir.forms import (
    AvisOpenForm,
    CancelForm,
    DeliberationForm,
    IcsImportForm,
    InstanceForm,
    MinutesForm,
    PointForm,
    RescheduleForm,
    ReunionForm,
)
from codir.models import CalendarToken, Deliberation, Instance, Presence
from communes.access import TerritoireMixin
from communes.forms import form_add_service_error
from communes.uploads import download_response
from communes.views import MesTerritoiresView
from reseaux.models import Projet


class CodirBase(TerritoireMixin, View):
    def page(self, template: str, status: int = 200, **context):
        context.update(territoire=self.territoire, access=self.access)
        return render(self.request, f"codir/{template}", context, status=status)


class CalendarView(CodirBase):
    def get(self, request, territoire_slug):
        today = timezone.localdate()
        try:
            year, month = (int(part) for part in request.GET.get("mois", "").split("-"))
            if not 1900 <= year <= 2999:
                raise ValueError
            shown = date(year, month, 1)
        except (ValueError, OverflowError):
            shown = today.replace(day=1)
        previous = (shown - timedelta(days=1)).replace(day=1)
        following = (shown + timedelta(days=32)).replace(day=1)
        return self.page(
            "calendar.html",
            reunions=selectors.upcoming_reunions(self.territoire),
            past=selectors.past_reunions(self.territoire)[:10],
            instances=selectors.instances_of(self.territoire).filter(starts_at__gte=timezone.now()),
            month=shown,
            weeks=selectors.month_grid(self.territoire, shown.year, shown.month),
            previous_month=previous.strftime("%Y-%m"),
            next_month=following.strftime("%Y-%m"),
            today=today,
        )


class InstanceCreateView(CodirBase):
    def get(self, request, territoire_slug):
        require_convener(self.access)
        return self.page("instance_form.html", form=InstanceForm())

    def post(self, request, territoire_slug):
        require_convener(self.access)
        form = InstanceForm(request.POST)
        if form.is_valid():
            try:
                instance = services.instance_create(territoire=self.territoire, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Instance enregistrée : planifiez le CoDir qui la prépare."))
                return redirect("codir:instance", self.territoire.slug, instance.pk)
        return self.page("instance_form.html", status=400, form=form)


class InstanceView(CodirBase):
    def get(self, request, territoire_slug, instance_id):
        instance = access_instance(self.access, instance_id)
        day = timezone.localtime(instance.starts_at).date()
        return self.page(
            "instance.html",
            instance=instance,
            convocation=latest_sending_day(day, CONSEIL_CLEAR_DAYS) if instance.kind == Instance.Kind.CONSEIL else None,
            urgence=latest_sending_day(day, URGENCE_CLEAR_DAYS) if instance.kind == Instance.Kind.CONSEIL else None,
            reunions=instance.reunions.select_related("host", "animateur").order_by("starts_at"),
        )


class ReunionCreateView(CodirBase):
    def get(self, request, territoire_slug):
        require_convener(self.access)
        instance = None
        if request.GET.get("instance", "").isascii() and request.GET.get("instance", "").isdigit():
            instance = access_instance(self.access, int(request.GET["instance"]))
        proposal = services.reunion_proposal(self.territoire, instance)
        initial = {"instance": instance, "host": proposal.host, "animateur": proposal.animateur}
        if instance is not None:
            initial["title"] = _("CoDir préparatoire — %(instance)s") % {"instance": instance}
        if proposal.starts_at:
            initial["starts_at"] = timezone.localtime(proposal.starts_at)
            initial["ends_at"] = timezone.localtime(proposal.starts_at) + timedelta(hours=2)
        if proposal.host is not None:
            initial["place"] = (
                _("Mairie de %(commune)s") % {"commune": proposal.host.name} if not proposal.host.is_epci else ""
            )
        form = ReunionForm(initial=initial, territoire=self.territoire)
        return self.page("reunion_form.html", form=form, proposal=proposal)

    def post(self, request, territoire_slug):
        require_convener(self.access)
        form = ReunionForm(request.POST, territoire=self.territoire)
        if form.is_valid():
            try:
                reunion = services.reunion_create(territoire=self.territoire, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Réunion planifiée ; son ordre du jour partira automatiquement à l'échéance.")
                )
                return redirect("codir:reunion", self.territoire.slug, reunion.pk)
        return self.page("reunion_form.html", status=400, form=form, proposal=None)


class ReunionView(CodirBase):
    def get(self, request, territoire_slug, reunion_id):
        return self._render(access_reunion(self.access, reunion_id))

    def _render(
        self, reunion, point_form=None, status=200, reschedule_form=None, minutes_form=None, posted_presences=None
    ):
        now = timezone.now()
        points = list(selectors.agenda_of(reunion))
        for point in points:
            point.avis_differs = avis.avis_differs(point)
        started = now >= reunion.starts_at - timedelta(hours=1)
        return self.page(
            "reunion.html",
            status=status,
            reunion=reunion,
            deadline=dispatch.dispatch_deadline(reunion),
            warnings=services.reunion_warnings(reunion),
            points=points,
            versions=selectors.dispatch_summary(reunion, self.request.user),
            point_form=point_form or PointForm(territoire=self.territoire),
            reschedule_form=reschedule_form
            or RescheduleForm(
                initial={
                    "starts_at": timezone.localtime(reunion.starts_at),
                    "ends_at": timezone.localtime(reunion.ends_at),
                    "place": reunion.place,
                }
            ),
            cancel_form=CancelForm(),
            minutes_form=minutes_form or MinutesForm(initial={"text": reunion.minutes}),
            minutes_deadline=services.minutes_deadline(reunion),
            presences=_with_posted(selectors.presence_table(reunion) if started else [], posted_presences or {}),
            presence_statuses=Presence.Status.choices,
            can_animate=can_animate(self.access, reunion),
            started=started,
            avis_form=AvisOpenForm(initial={"closes_at": timezone.localtime(now) + timedelta(days=2)}),
            deliberation_outcomes=Deliberation.Outcome.choices,
            now=now,
        )


ENVOIS_PAGE = 50


class EnvoisView(CodirBase):
    """The dispatch log of one agenda version, recipient by recipient, paged: a métropole's CoDir sends
    each version to hundreds of members."""

    def get(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        versions = selectors.agenda_versions(reunion)
        if not versions:
            return self.page("envois.html", reunion=reunion, versions=[], version=None)
        wanted = request.GET.get("version", "")
        # A link's number, or the latest version for a number the meeting has not (the API says 400).
        number = int(wanted) if wanted.isdecimal() else None
        version = selectors.version_numbered(versions, number) or versions[-1]
        page = Paginator(selectors.envois_of(version), ENVOIS_PAGE).get_page(request.GET.get("page"))
        query = f"version={version.number}"
        return self.page("envois.html", reunion=reunion, versions=versions, version=version, page=page, query=query)


class PointAddView(ReunionView):
    http_method_names = ["post"]  # the page itself is ReunionView's

    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        require_contributor(self.access)
        form = PointForm(request.POST, request.FILES, territoire=self.territoire)
        if form.is_valid():
            try:
                point = services.point_add(reunion=reunion, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                if point.late:
                    messages.warning(
                        request,
                        _(
                            "Point ajouté hors délai : l'ordre du jour mis à jour part aux membres, et le collectif dira en début de séance s'il l'examine."
                        ),
                    )
                else:
                    messages.success(request, _("Point ajouté à l'ordre du jour."))
                return redirect("codir:reunion", self.territoire.slug, reunion.pk)
        return self._render(reunion, point_form=form, status=400)


class AcknowledgeView(CodirBase):
    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        if dispatch.acknowledge(reunion=reunion, agent=request.user):
            messages.success(request, _("Merci : votre prise de connaissance est enregistrée."))
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)


class DocumentView(CodirBase):
    def get(self, request, territoire_slug, document_id):
        document = access_document(self.access, document_id)
        return download_response(document.file, document.name)


class ReunionActionView(CodirBase):
    """POST-only actions on a meeting, each answering with a redirect to its page."""

    def back(self, reunion):
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)

    def run(self, request, reunion, call, success: str):
        try:
            call()
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, success)
        return self.back(reunion)


class CancelView(ReunionActionView):
    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        require_convener(self.access)
        form = CancelForm(request.POST)
        reason = form.data.get("reason", "")
        return self.run(
            request,
            reunion,
            lambda: services.reunion_cancel(reunion=reunion, by=request.user, reason=reason),
            _("Réunion annulée ; les membres qui avaient reçu l'ordre du jour sont prévenus."),
        )


class RescheduleView(ReunionView):
    http_method_names = ["post"]  # the page itself is ReunionView's

    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        require_convener(self.access)
        form = RescheduleForm(request.POST)
        if form.is_valid():
            try:
                services.reunion_reschedule(reunion=reunion, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Réunion déplacée ; si l'ordre du jour était parti, une mise à jour suit."))
                return redirect("codir:reunion", self.territoire.slug, reunion.pk)
        return self._render(reunion, reschedule_form=form, status=400)


class PointMoveView(ReunionActionView):
    def post(self, request, territoire_slug, reunion_id, point_id):
        reunion = access_reunion(self.access, reunion_id)
        require_convener(self.access)
        point = access_point(reunion, point_id)
        offset = -1 if request.POST.get("sens") == "monter" else 1
        services.point_move(point=point, by=request.user, offset=offset)
        return self.back(reunion)


class LateConsentView(ReunionActionView):
    def post(self, request, territoire_slug, reunion_id, point_id):
        reunion = access_reunion(self.access, reunion_id)
        require_animation(self.access, reunion)
        point = access_point(reunion, point_id)
        accepted = request.POST.get("decision") == "accepte"
        return self.run(
            request,
            reunion,
            lambda: services.point_late_consent(point=point, by=request.user, accepted=accepted),
            _("Réponse du collectif enregistrée pour le point hors délai."),
        )


class PresencesView(ReunionView):
    http_method_names = ["post"]  # the page itself is ReunionView's

    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        require_animation(self.access, reunion)
        statuses = {}
        for key, value in request.POST.items():
            if key.startswith("presence-") and value:
                collectivite_id = key.removeprefix("presence-")
                if collectivite_id.isascii() and collectivite_id.isdigit():
                    statuses[int(collectivite_id)] = (value, request.POST.get(f"represente-{collectivite_id}", ""))
        try:
            services.presence_record(reunion=reunion, by=request.user, statuses=statuses)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            # Show back what was typed, and which row needs a name; nothing was saved.
            posted = {
                cid: (
                    Presence(status=status, represented_by=name),
                    status == Presence.Status.REPRESENTE and not name.strip(),
                )
                for cid, (status, name) in statuses.items()
            }
            return self._render(reunion, status=400, posted_presences=posted)
        messages.success(request, _("Présences enregistrées."))
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)


class MinutesView(ReunionView):
    http_method_names = ["post"]  # the page itself is ReunionView's

    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        require_animation(self.access, reunion)
        form = MinutesForm(request.POST)
        if form.is_valid():
            try:
                services.minutes_save(
                    reunion=reunion, by=request.user, text=form.cleaned_data["text"], publish="diffuser" in request.POST
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Compte rendu enregistré."))
                return redirect("codir:reunion", self.territoire.slug, reunion.pk)
        return self._render(reunion, minutes_form=form, status=400)


class AvisOpenView(ReunionActionView):
    def post(self, request, territoire_slug, reunion_id, point_id):
        reunion = access_reunion(self.access, reunion_id)
        require_animation(self.access, reunion)
        point = access_point(reunion, point_id)
        form = AvisOpenForm(request.POST)
        if form.is_valid():
            try:
                proposition = avis.avis_open(point=point, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("L'avis technique est soumis au CoDir."))
                return redirect("decisions:proposition", self.territoire.slug, proposition.pk)
        else:
            messages.error(request, _("Indiquez une date de clôture valide pour l'avis."))
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)


class AvisDocumentView(CodirBase):
    """The printable "Avis du CoDir de territoire" on an item."""

    def get(self, request, territoire_slug, reunion_id, point_id):
        reunion = access_reunion(self.access, reunion_id)
        point = access_point(reunion, point_id)
        if point.proposition is None:
            raise Http404
        return self.page(
            "avis.html", point=point, proposition=point.proposition, instance=reunion.instance, reunion=reunion
        )


class AvisSendView(ReunionActionView):
    def post(self, request, territoire_slug, reunion_id, point_id):
        reunion = access_reunion(self.access, reunion_id)
        require_convener(self.access)
        point = access_point(reunion, point_id)
        return self.run(
            request,
            reunion,
            lambda: avis.avis_send(point=point, by=request.user),
            _("Avis transmis à l'autorité qui convoque l'instance."),
        )


class DeliberationView(ReunionActionView):
    def post(self, request, territoire_slug, reunion_id, point_id):
        reunion = access_reunion(self.access, reunion_id)
        require_convener(self.access)
        point = access_point(reunion, point_id)
        form = DeliberationForm(request.POST)
        if form.is_valid():
            try:
                avis.deliberation_record(point=point, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Délibération enregistrée."))
        else:
            messages.error(request, _("La délibération est incomplète : date, numéro et décision sont obligatoires."))
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)


class IcsImportView(CodirBase):
    def get(self, request, territoire_slug):
        require_convener(self.access)
        return self.page("ics_import.html", form=IcsImportForm())

    def post(self, request, territoire_slug):
        require_convener(self.access)
        form = IcsImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.instances_import_ics(
                    territoire=self.territoire, by=request.user, content=form.cleaned_data["file"].read()
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Import terminé : %(created)s instance(s) créée(s), %(updated)s mise(s) à jour, %(unchanged)s inchangée(s)."
                    )
                    % report,
                )
                return redirect("codir:calendar", self.territoire.slug)
        return self.page("ics_import.html", status=400, form=form)


class CalendarLinkView(LoginRequiredMixin, View):
    """The agent's private calendar link: shown, renewed or revoked (not scoped to a territory)."""

    def get(self, request):
        token = CalendarToken.objects.filter(agent=request.user, revoked_at__isnull=True).first()
        link = request.build_absolute_uri(reverse("calendar_feed", args=[token.token])) if token else None
        return render(request, "codir/calendar_link.html", {"link": link})

    def post(self, request):
        if request.POST.get("action") == "revoquer":
            feeds.calendar_token_revoke(agent=request.user)
            messages.success(request, _("Lien d'abonnement révoqué : il ne fonctionne plus."))
        else:
            feeds.calendar_token_renew(agent=request.user)
            messages.success(request, _("Nouveau lien d'abonnement créé ; l'ancien ne fonctionne plus."))
        return redirect("calendar_link")


@require_safe  # a feed is read: any other method answers 405, like every other read-only URL
def calendar_feed(request, token: str):
    """The private feed itself: the token is the only credential (calendar apps cannot log in)."""
    content = feeds.agent_feed(token)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


class HomeView(MesTerritoiresView):
    """ "Mes territoires" with the agent's next meetings, across all their territories."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["next_reunions"] = selectors.my_next_reunions(self.request.user)
        # The list holds the territories one facilitates without a membership: no query more.
        context["facilitates"] = any(t.my_membership is None for t in context["territoires"])
        return context


def _with_posted(rows, posted):
    """Attendance rows showing what was just posted (and flagging the faulty ones) instead of the saved values."""
    for row in rows:
        row.invalid = False
        if row.collectivite.pk in posted:
            row.presence, row.invalid = posted[row.collectivite.pk]
    return rows


class PortfolioReviewView(CodirBase):
    """The portfolio review of a meeting: projects due for review, late milestones, health changes; the
    chosen ones go on the agenda in one action."""

    def get(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        return self._render(reunion)

    def post(self, request, territoire_slug, reunion_id):
        reunion = access_reunion(self.access, reunion_id)
        require_contributor(self.access)
        ids = [v for v in request.POST.getlist("projets") if v.isascii() and v.isdigit() and len(v) <= 18]
        projets = list(Projet.objects.for_territoire(self.territoire).filter(pk__in=ids))
        try:
            points = portfolio.portfolio_review_add(reunion=reunion, by=request.user, projets=projets)
        except ValidationError as error:
            return self._render(reunion, errors=error.messages, status=400)
        messages.success(
            request,
            ngettext(
                "%(count)d revue de projet ajoutée à l'ordre du jour.",
                "%(count)d revues de projet ajoutées à l'ordre du jour.",
                len(points),
            )
            % {"count": len(points)},
        )
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)

    def _render(self, reunion, errors=(), status=200):
        return self.page(
            "portfolio_review.html",
            status=status,
            reunion=reunion,
            candidates=portfolio.portfolio_review_of(reunion),
            since=portfolio.review_since(reunion),
            errors=errors,
            closed=reunion.cancelled_at is not None or reunion.ends_at <= timezone.now(),
        )
