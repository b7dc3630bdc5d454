"""One project: creation, page and fiche action, its description, pilots, health, participants, référents and links."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communes.forms import form_add_service_error
from reseaux import selectors, services, timeline
from reseaux.access import (
    access_projet,
    can_follow,
    can_pilot,
    require_contributor,
    require_pilot,
)
from reseaux.forms import (
    ContributionForm,
    HealthForm,
    LienForm,
    PilotageChangeForm,
    PilotageForm,
    PiloteFormSet,
    ProjetFieldsForm,
    ReferentForm,
)
from reseaux.models import Lien, Projet
from reseaux.views.base import ItemActionView, PortfolioBase, ProjetFormView


class ProjetCreateView(PortfolioBase):
    def get(self, request, territoire_slug):
        self._require()
        return self._render(
            ProjetFieldsForm(territoire=self.territoire),
            PilotageForm(),
            PiloteFormSet(prefix="pilotes", form_kwargs={"territoire": self.territoire}),
        )

    def post(self, request, territoire_slug):
        self._require()
        form = ProjetFieldsForm(request.POST, territoire=self.territoire)
        pilotage = PilotageForm(request.POST)
        pilotes = PiloteFormSet(request.POST, prefix="pilotes", form_kwargs={"territoire": self.territoire})
        if form.is_valid() and pilotage.is_valid() and pilotes.is_valid():
            start = form.cleaned_data.get("starts_on") or timezone.localdate()
            try:
                projet = services.projet_create(
                    territoire=self.territoire,
                    by=request.user,
                    pilotage=pilotage.cleaned_data["pilotage"],
                    rotation=pilotes.rotation(start),
                    **form.cleaned_data,
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Projet créé. Ses collectivités pilotes peuvent le compléter."))
                return redirect("reseaux:projet", self.territoire.slug, projet.pk)
        return self._render(form, pilotage, pilotes, status=400)

    def _require(self):
        require_contributor(self.access)

    def _render(self, form, pilotage, pilotes, status=200):
        return self.page("projet_form.html", status=status, form=form, pilotage=pilotage, pilotes=pilotes)


class ProjetView(PortfolioBase):
    def get(self, request, territoire_slug, projet_id):
        try:
            projet = selectors.projet_of(self.territoire, projet_id, reader=self.request.user)
        except Projet.DoesNotExist:
            raise Http404 from None
        today = timezone.localdate()
        template = "fiche.html" if request.resolver_match.url_name == "fiche" else "projet.html"
        revues = list(projet.revues.all())
        pilot = can_pilot(self.access, projet)
        return self.page(
            template,
            projet=projet,
            today=today,
            pilots_now=selectors.current_pilots(projet, today),
            financing=selectors.financing(projet),
            review_due=selectors.review_due_on(projet),
            revues=[r for r in revues if r.held],
            pending=[r for r in revues if not r.held],
            referents=[r for r in projet.referents.all() if r.until is None],
            former_referents=[r for r in projet.referents.all() if r.until is not None],
            late_jalons=[j for j in projet.jalons.all() if j.is_late(today)],
            can_pilot=pilot,
            can_follow=can_follow(self.access, projet, pilot=pilot),
            timeline=timeline.build([projet], today, lambda p: ""),
        )


class ProjetEditView(ProjetFormView):
    form_class = ProjetFieldsForm
    title = gettext_lazy("Modifier la fiche du projet")
    success_message = gettext_lazy("Projet mis à jour.")

    def form_kwargs(self):
        return {"territoire": self.territoire}

    def initial(self):
        return {name: getattr(self.projet, name) for name in services.projets.EDITABLE_FIELDS}

    def perform(self, form, projet):
        services.projet_update(projet=projet, by=self.request.user, **form.cleaned_data)


class PilotageView(ProjetFormView):
    title = gettext_lazy("Changer le pilotage")

    def get(self, request, territoire_slug, projet_id):
        self.setup_objects({"projet_id": projet_id})
        form = PilotageChangeForm(initial={"pilotage": self.projet.pilotage, "from_day": timezone.localdate()})
        return self._render(form, PiloteFormSet(prefix="pilotes", form_kwargs={"territoire": self.territoire}))

    def post(self, request, territoire_slug, projet_id):
        self.setup_objects({"projet_id": projet_id})
        form = PilotageChangeForm(request.POST)
        pilotes = PiloteFormSet(request.POST, prefix="pilotes", form_kwargs={"territoire": self.territoire})
        if form.is_valid() and pilotes.is_valid():
            day = form.cleaned_data["from_day"]
            try:
                services.pilotage_change(
                    projet=self.projet,
                    by=request.user,
                    pilotage=form.cleaned_data["pilotage"],
                    rotation=pilotes.rotation(day),
                    from_day=day,
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Pilotage modifié ; les droits de modification suivent."))
                return redirect(self.success_url())
        return self._render(form, pilotes, status=400)

    def _render(self, form, pilotes, status=200):
        return self.page("pilotage_form.html", status=status, projet=self.projet, form=form, pilotes=pilotes)


class HealthView(ProjetFormView):
    form_class = HealthForm
    title = gettext_lazy("Changer la santé du projet")
    success_message = gettext_lazy("Santé du projet mise à jour.")

    def initial(self):
        return {"health": self.projet.health}

    def perform(self, form, projet):
        services.health_set(projet=projet, by=self.request.user, **form.cleaned_data)


class ContributionView(ProjetFormView):
    form_class = ContributionForm
    title = gettext_lazy("Participation d'une collectivité")
    success_message = gettext_lazy("Participation enregistrée.")

    def form_kwargs(self):
        return {"territoire": self.territoire}

    def perform(self, form, projet):
        services.contribution_set(projet=projet, by=self.request.user, **form.cleaned_data)


class ContributionRemoveView(ItemActionView):
    related = "contributions"
    message = gettext_lazy("Participation retirée.")

    def perform(self, item):
        services.contribution_remove(contribution=item, by=self.request.user)


class ReferentAddView(ProjetFormView):
    form_class = ReferentForm
    title = gettext_lazy("Ajouter un·e référent·e")
    success_message = gettext_lazy("Référent·e ajouté·e.")

    def form_kwargs(self):
        return {"territoire": self.territoire}

    def perform(self, form, projet):
        services.referent_add(projet=projet, by=self.request.user, agent=form.cleaned_data["agent"])


class ReferentEndView(ItemActionView):
    related = "referents"
    message = gettext_lazy("Cette personne ne suit plus le projet ; sa période reste dans l'historique.")

    def perform(self, item):
        services.referent_end(referent=item, by=self.request.user)


class LienAddView(ProjetFormView):
    form_class = LienForm
    title = gettext_lazy("Lier à un autre projet")
    success_message = gettext_lazy("Lien enregistré.")

    def form_kwargs(self):
        return {"projet": self.projet}

    def perform(self, form, projet):
        services.lien_create(source=projet, by=self.request.user, **form.cleaned_data)


class LienDeleteView(PortfolioBase):
    def post(self, request, territoire_slug, projet_id, item_id):
        projet = access_projet(self.access, projet_id)
        lien = get_object_or_404(
            Lien.objects.filter(source__territoire=self.territoire).select_related("source", "target"),
            pk=item_id,
        )
        if projet.pk not in (lien.source_id, lien.target_id):
            raise Http404
        if not (can_pilot(self.access, lien.source) or can_pilot(self.access, lien.target)):
            require_pilot(self.access, projet)
        services.lien_delete(lien=lien, by=request.user)
        messages.success(request, _("Lien supprimé."))
        return redirect("reseaux:projet", self.territoire.slug, projet.pk)
