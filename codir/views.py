"""Pages of instances and CoDir meetings: calendar, meeting page with its agenda and dispatch log."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from codir import selectors, services
from codir.access import access_document, access_instance, access_reunion, require_contributor, require_convener
from codir.calendar import CONSEIL_CLEAR_DAYS, URGENCE_CLEAR_DAYS, latest_sending_day
from codir.forms import InstanceForm, PointForm, ReunionForm
from codir.models import Instance
from communes.access import TerritoireMixin
from communes.forms import form_add_service_error


class CodirBase(TerritoireMixin, View):
    def page(self, template: str, status: int = 200, **context):
        context.update(territoire=self.territoire, access=self.access)
        return render(self.request, f"codir/{template}", context, status=status)


class CalendarView(CodirBase):
    def get(self, request, territoire_slug):
        return self.page(
            "calendar.html",
            reunions=selectors.upcoming_reunions(self.territoire),
            past=selectors.past_reunions(self.territoire)[:10],
            instances=selectors.instances_of(self.territoire).filter(starts_at__gte=timezone.now()),
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
        if request.GET.get("instance", "").isdigit():
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

    def _render(self, reunion, point_form=None, status=200):
        return self.page(
            "reunion.html",
            status=status,
            reunion=reunion,
            deadline=services.dispatch_deadline(reunion),
            warnings=services.reunion_warnings(reunion),
            points=selectors.agenda_of(reunion),
            versions=selectors.dispatch_log(reunion),
            point_form=point_form or PointForm(territoire=self.territoire),
            now=timezone.now(),
        )


class PointAddView(ReunionView):
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
        if services.acknowledge(reunion=reunion, agent=request.user):
            messages.success(request, _("Merci : votre prise de connaissance est enregistrée."))
        return redirect("codir:reunion", self.territoire.slug, reunion.pk)


class DocumentView(CodirBase):
    def get(self, request, territoire_slug, document_id):
        document = access_document(self.access, document_id)
        return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)
