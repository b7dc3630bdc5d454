"""The follow-up of a project: phases, milestones, indicators, documents, reviews."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from communes.uploads import download_response
from reseaux import services
from reseaux.access import (
    access_projet,
    can_follow,
    require_follower,
)
from reseaux.forms import (
    DocumentForm,
    IndicateurForm,
    JalonForm,
    JalonReachForm,
    PhaseForm,
    RevueForm,
)
from reseaux.views.base import ItemActionView, PortfolioBase, ProjetFormView


class PhaseView(ProjetFormView):
    form_class = PhaseForm
    title = gettext_lazy("Planifier une phase de coopération")
    success_message = gettext_lazy("Phase enregistrée.")

    def perform(self, form, projet):
        services.phase_set(projet=projet, by=self.request.user, **form.cleaned_data)


class JalonAddView(ProjetFormView):
    form_class = JalonForm
    title = gettext_lazy("Ajouter un jalon")
    success_message = gettext_lazy("Jalon ajouté.")

    def perform(self, form, projet):
        services.jalon_add(projet=projet, by=self.request.user, **form.cleaned_data)


class JalonEditView(ProjetFormView):
    form_class = JalonForm
    title = gettext_lazy("Modifier le jalon")
    success_message = gettext_lazy("Jalon modifié.")

    def get_item(self, item_id):
        return get_object_or_404(self.projet.jalons.all(), pk=item_id)

    def initial(self):
        return {"title": self.item.title, "due_on": self.item.due_on}

    def perform(self, form, projet):
        services.jalon_update(jalon=self.item, by=self.request.user, **form.cleaned_data)


class JalonReachView(ProjetFormView):
    form_class = JalonReachForm
    title = gettext_lazy("Jalon atteint")
    requirement = staticmethod(require_follower)
    success_message = gettext_lazy("Jalon mis à jour.")

    def get_item(self, item_id):
        return get_object_or_404(self.projet.jalons.all(), pk=item_id)

    def initial(self):
        return {"done_on": self.item.done_on or timezone.localdate()}

    def perform(self, form, projet):
        services.jalon_reach(jalon=self.item, by=self.request.user, done_on=form.cleaned_data["done_on"])


class IndicateurAddView(ProjetFormView):
    form_class = IndicateurForm
    title = gettext_lazy("Ajouter un indicateur")
    requirement = staticmethod(require_follower)
    success_message = gettext_lazy("Indicateur enregistré.")

    def perform(self, form, projet):
        services.indicateur_set(projet=projet, by=self.request.user, indicateur=self.item, **form.cleaned_data)


class IndicateurEditView(IndicateurAddView):
    title = gettext_lazy("Mettre à jour l'indicateur")

    def get_item(self, item_id):
        return get_object_or_404(self.projet.indicateurs.all(), pk=item_id)

    def initial(self):
        return {name: getattr(self.item, name) for name in ("name", "unit", "target", "measured", "measured_on")}


class IndicateurRemoveView(ItemActionView):
    related = "indicateurs"
    requirement = staticmethod(require_follower)
    message = gettext_lazy("Indicateur retiré.")

    def perform(self, item):
        services.indicateur_remove(indicateur=item, by=self.request.user)


class DocumentAddView(ProjetFormView):
    form_class = DocumentForm
    title = gettext_lazy("Joindre un document")
    requirement = staticmethod(require_follower)
    success_message = gettext_lazy("Document joint.")
    submit_label = gettext_lazy("Joindre")

    def perform(self, form, projet):
        services.document_add(projet=projet, by=self.request.user, upload=form.cleaned_data["file"])


class DocumentView(PortfolioBase):
    """Documents are the territory's: served through this check, never from a public folder. A withdrawn
    document is kept for the project's pilots and référents, not shown to the others any more."""

    def get(self, request, territoire_slug, projet_id, item_id):
        projet = access_projet(self.access, projet_id)
        document = get_object_or_404(projet.documents.all(), pk=item_id)
        if document.withdrawn_at is not None and not can_follow(self.access, projet):
            raise Http404
        return download_response(document.file, document.name)


class DocumentWithdrawView(ItemActionView):
    related = "documents"
    requirement = staticmethod(require_follower)
    message = gettext_lazy("Document retiré de la page du projet (il reste conservé).")

    def perform(self, item):
        services.document_withdraw(document=item, by=self.request.user)


class RevueAddView(ProjetFormView):
    form_class = RevueForm
    title = gettext_lazy("Enregistrer une revue de projet")
    requirement = staticmethod(require_follower)
    success_message = gettext_lazy("Revue enregistrée.")

    def form_kwargs(self):
        return {"territoire": self.territoire}

    def initial(self):
        pending = self.projet.revues.filter(held=False).order_by("held_on").first()
        initial = {"held_on": timezone.localdate(), "health": self.projet.health}
        if pending is not None:
            initial.update(handover=True, progress=pending.progress)
        return initial

    def perform(self, form, projet):
        services.revue_record(projet=projet, by=self.request.user, **form.cleaned_data)
