"""The professional networks' pages: the list, one network and its running (members, référents, events,
resources, closing), the exchanges between agents, and what the map holds about oneself.
Under /t/<territoire_slug>/reseaux/ (see reseaux/networks_urls.py)."""

from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communes.forms import form_add_service_error
from reseaux import selectors_networks, services
from reseaux.access import (
    access_reseau,
    can_lead,
    can_record_echange,
    require_contributor,
    require_lead,
)
from reseaux.forms_networks import (
    EchangeForm,
    EvenementForm,
    MembreEndForm,
    MembreForm,
    MembreRoleForm,
    QuiPeutAiderForm,
    ReseauCloseForm,
    ReseauForm,
    RessourceForm,
)
from reseaux.models import MembreReseau, Reseau
from reseaux.views.base import ObjectFormView, PortfolioBase

PAGE_SIZE = 50


class ReseauFormView(ObjectFormView):
    """A form about one network; only those who lead it (its référents, the administrators) get here."""

    object_name, object_kwarg, object_url = "reseau", "reseau_id", "reseaux_net:reseau"
    template = "reseau_subform.html"
    requirement = staticmethod(require_lead)

    def get_object(self, pk):
        return access_reseau(self.access, pk)


def _membre(reseau: Reseau, item_id: int) -> MembreReseau:
    return get_object_or_404(reseau.membres.select_related("agent", "collectivite"), pk=item_id)


class ReseauxView(PortfolioBase):
    def get(self, request, territoire_slug):
        reseaux = list(selectors_networks.reseaux_of(self.territoire))
        return self.page(
            "reseaux.html",
            open_reseaux=[reseau for reseau in reseaux if reseau.closed_on is None],
            closed_reseaux=[reseau for reseau in reseaux if reseau.closed_on is not None],
        )


class ReseauCreateView(PortfolioBase):
    def get(self, request, territoire_slug):
        require_contributor(self.access)
        return self._render(ReseauForm(territoire=self.territoire))

    def post(self, request, territoire_slug):
        require_contributor(self.access)
        form = ReseauForm(request.POST, territoire=self.territoire)
        if form.is_valid():
            try:
                reseau = services.reseau_create(territoire=self.territoire, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Réseau créé ; vous en êtes référent·e."))
                return redirect("reseaux_net:reseau", self.territoire.slug, reseau.pk)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return self.page("reseau_form.html", status=status, form=form)


class ReseauView(PortfolioBase):
    def get(self, request, territoire_slug, reseau_id):
        try:
            reseau = selectors_networks.reseau_of(self.territoire, reseau_id)
        except Reseau.DoesNotExist:
            raise Http404 from None
        today = timezone.localdate()
        membres = list(reseau.membres.all())
        current = [m for m in membres if m.until is None or m.until >= today]
        past = sorted((m for m in membres if m.until is not None and m.until < today), key=lambda m: m.until)
        by_collectivite = sorted(current, key=lambda m: (m.collectivite.name, m.agent.last_name, m.pk))
        return self.page(
            "reseau.html",
            reseau=reseau,
            today=today,
            referents=[m for m in current if m.role == MembreReseau.Role.REFERENT],
            groups=[(place, list(rows)) for place, rows in groupby(by_collectivite, key=lambda m: m.collectivite)],
            current_count=len(current),
            past=past[::-1],
            can_lead=can_lead(self.access, reseau) and reseau.closed_on is None,
        )


class MembreAddView(ReseauFormView):
    form_class = MembreForm
    title = gettext_lazy("Ajouter un membre")
    success_message = gettext_lazy("Membre ajouté au réseau.")
    submit_label = gettext_lazy("Ajouter")

    def form_kwargs(self):
        return {"reseau": self.reseau}

    def initial(self):
        return {"since": timezone.localdate()}

    def perform(self, form, reseau):
        services.membre_add(reseau=reseau, by=self.request.user, **form.cleaned_data)


class MembreEndView(ReseauFormView):
    form_class = MembreEndForm
    title = gettext_lazy("Fin de participation au réseau")
    success_message = gettext_lazy("Cette personne a quitté le réseau ; sa période reste dans l'historique.")

    def get_item(self, item_id):
        return _membre(self.reseau, item_id)

    def initial(self):
        return {"until": timezone.localdate()}

    def perform(self, form, reseau):
        services.membre_end(membre=self.item, by=self.request.user, until=form.cleaned_data["until"])


class MembreRoleView(ReseauFormView):
    form_class = MembreRoleForm
    title = gettext_lazy("Changer le rôle dans le réseau")
    success_message = gettext_lazy("Rôle mis à jour.")

    def get_item(self, item_id):
        return _membre(self.reseau, item_id)

    def initial(self):
        return {"role": self.item.role}

    def perform(self, form, reseau):
        services.membre_set_role(membre=self.item, by=self.request.user, role=form.cleaned_data["role"])


class EvenementAddView(ReseauFormView):
    form_class = EvenementForm
    title = gettext_lazy("Enregistrer un événement")
    success_message = gettext_lazy("Événement enregistré.")

    def form_kwargs(self):
        return {"territoire": self.territoire}

    def initial(self):
        return {"held_on": timezone.localdate()}

    def perform(self, form, reseau):
        data = form.cleaned_data
        services.evenement_create(
            reseau=reseau,
            by=self.request.user,
            title=data["title"],
            held_on=data["held_on"],
            place=data["place"],
            participants=list(data["participants"]),
        )


class RessourceAddView(ReseauFormView):
    form_class = RessourceForm
    title = gettext_lazy("Partager une ressource")
    success_message = gettext_lazy("Ressource partagée.")
    submit_label = gettext_lazy("Partager")

    def perform(self, form, reseau):
        services.ressource_add(reseau=reseau, by=self.request.user, **form.cleaned_data)


class RessourceWithdrawView(PortfolioBase):
    """A one-button POST: the resource leaves the network's page (the row stays)."""

    def post(self, request, territoire_slug, reseau_id, item_id):
        reseau = access_reseau(self.access, reseau_id)
        require_lead(self.access, reseau)
        ressource = get_object_or_404(reseau.ressources.all(), pk=item_id)
        try:
            services.ressource_withdraw(ressource=ressource, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Ressource retirée de la page du réseau (elle reste conservée)."))
        return redirect("reseaux_net:reseau", self.territoire.slug, reseau.pk)


class ReseauCloseView(ReseauFormView):
    form_class = ReseauCloseForm
    title = gettext_lazy("Clore le réseau")
    success_message = gettext_lazy("Réseau clos ; son historique reste consultable.")
    submit_label = gettext_lazy("Clore le réseau")

    def initial(self):
        return {"on": timezone.localdate()}

    def perform(self, form, reseau):
        services.reseau_close(reseau=reseau, by=self.request.user, on=form.cleaned_data["on"])


class EchangesView(PortfolioBase):
    def get(self, request, territoire_slug):
        page = Paginator(selectors_networks.echanges_of(self.territoire), PAGE_SIZE).get_page(request.GET.get("page"))
        form = None
        if self.access.can_contribute:
            form = EchangeForm(territoire=self.territoire, initial=_echange_initial(request.user))
        return self.page("echanges.html", page=page, form=form)


def _echange_initial(agent) -> dict:
    today = timezone.localdate()
    return {"host": agent.pk, "starts_on": today, "ends_on": today}


class EchangeAddView(PortfolioBase):
    """Any contributing member opens the form; the exchange itself is recorded by its host, its guest or an
    administrator (checked once both are known)."""

    def get(self, request, territoire_slug):
        require_contributor(self.access)
        return self._render(EchangeForm(territoire=self.territoire, initial=_echange_initial(request.user)))

    def post(self, request, territoire_slug):
        require_contributor(self.access)
        form = EchangeForm(request.POST, territoire=self.territoire)
        if form.is_valid():
            if not can_record_echange(self.access, form.cleaned_data["host"], form.cleaned_data["guest"]):
                raise PermissionDenied
            try:
                services.echange_record(territoire=self.territoire, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Échange enregistré."))
                return redirect("reseaux_net:echanges", self.territoire.slug)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return self.page("echange_form.html", status=status, form=form)


class MesDonneesView(PortfolioBase):
    """What the map of the networks holds about the logged-in agent in this territory (RGPD right of access)."""

    def get(self, request, territoire_slug):
        data = selectors_networks.agent_network_data(self.territoire, request.user)
        return self.page("mes_donnees.html", data=data, membership=self.access.membership)


class QuiPeutAiderView(PortfolioBase):
    """ "Qui peut m'aider ?": agents of the other collectivités, by job title or name, network or project."""

    def get(self, request, territoire_slug):
        form = QuiPeutAiderForm(request.GET or None, territoire=self.territoire)
        agents = None
        if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
            data = form.cleaned_data
            agents = selectors_networks.who_can_help(
                self.territoire,
                request.user,
                text=data.get("q") or "",
                reseau=data.get("reseau"),
                projet_id=data["projet"].pk if data.get("projet") else None,
            )
        return self.page("qui_peut_aider.html", form=form, agents=agents)
