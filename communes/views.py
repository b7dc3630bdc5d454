"""Pages of the communes app: my territories, a territory's home, members, seats, journal."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from communes import selectors, services
from communes.access import (
    TerritoireMixin,
    access_collectivite,
    access_facilitator,
    access_invitation,
    access_membership,
    access_seat,
    require_admin,
)
from communes.forms import (
    FacilitatorInvitationForm,
    InvitationAcceptForm,
    InvitationForm,
    SeatAssignForm,
    form_add_service_error,
)
from communes.models import Agent, Seat
from communes.sessions import session_limits_in_hours, sessions_revoke


class MesTerritoiresView(LoginRequiredMixin, TemplateView):
    template_name = "communes/mes_territoires.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agent = self.request.user
        roles = {m.territoire_id: m for m in agent.memberships.active().select_related("collectivite")}
        territoires = list(selectors.territoires_for_agent(agent))
        for territoire in territoires:
            territoire.my_membership = roles.get(territoire.pk)
        context["territoires"] = territoires
        context.update(session_limits_in_hours())
        return context


class TerritoireHomeView(TerritoireMixin, TemplateView):
    template_name = "communes/territoire.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        collectivites = list(selectors.collectivites_with_seats(self.territoire))
        for collectivite in collectivites:
            collectivite.titulaire = selectors.seat_holder(collectivite.active_seats, Seat.Kind.TITULAIRE)
            collectivite.suppleant = selectors.seat_holder(collectivite.active_seats, Seat.Kind.SUPPLEANT)
        context.update(
            epci=next((c for c in collectivites if c.is_epci), None),
            communes=[c for c in collectivites if not c.is_epci],
            sans_representant=[c for c in collectivites if not c.active_seats],
            # A count, not the list: the members page pages through them (a métropole's CoDir has hundreds).
            member_count=selectors.members_of_territoire(self.territoire).count(),
            facilitators=selectors.facilitators_of_territoire(self.territoire),
        )
        return context


MEMBERS_PAGE = 50


class MembresView(TerritoireMixin, TemplateView):
    template_name = "communes/membres.html"

    def get_template_names(self):
        # htmx asks only for the table when the agent toggles former members.
        if self.request.headers.get("HX-Request"):
            return ["communes/fragment_membres_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        include_ended = self.request.GET.get("anciens") == "1"
        page = Paginator(selectors.members_of_territoire(self.territoire, include_ended=include_ended), MEMBERS_PAGE)
        context.update(
            include_ended=include_ended,
            page=page.get_page(self.request.GET.get("page")),
            query="anciens=1" if include_ended else "",
        )
        context["members"] = context["page"].object_list
        if self.access.is_admin:
            invitations = list(selectors.pending_invitations(self.territoire))  # both kinds in one query
            context.update(
                invitations=[i for i in invitations if not i.is_facilitator],
                facilitator_invitations=[i for i in invitations if i.is_facilitator],
                facilitators=selectors.facilitators_of_territoire(self.territoire),
            )
            context.setdefault("facilitator_form", FacilitatorInvitationForm())
        return context


class FacilitateurInviterView(MembresView):
    """The members page's form inviting a facilitator; on bad input the page comes back with the errors."""

    admin_required = True
    http_method_names = ["post"]

    def post(self, request, territoire_slug):
        form = FacilitatorInvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = services.facilitator_invite(
                    territoire=self.territoire, email=form.cleaned_data["email"], by=request.user
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Invitation de facilitateur·rice envoyée à %(email)s.") % {"email": invitation.email}
                )
                return redirect("communes:membres", territoire_slug=self.territoire.slug)
        return self.render_to_response(self.get_context_data(facilitator_form=form), status=400)

    def get_template_names(self):
        return [self.template_name]


class FacilitateurRetirerView(TerritoireMixin, View):
    def post(self, request, territoire_slug, agent_id):
        agent = access_facilitator(self.access, agent_id)
        try:
            services.facilitator_revoke(territoire=self.territoire, agent=agent, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(agent)s n'accompagne plus le territoire : son accès est retiré.") % {"agent": agent}
            )
        return redirect("communes:membres", territoire_slug=self.territoire.slug)


class InviterView(TerritoireMixin, View):
    admin_required = True
    template_name = "communes/inviter.html"

    def get(self, request, territoire_slug):
        return self._render(InvitationForm(territoire=self.territoire, initial=request.GET.dict()))

    def post(self, request, territoire_slug):
        form = InvitationForm(request.POST, territoire=self.territoire)
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    territoire=self.territoire, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": invitation.email})
                return redirect("communes:membres", territoire_slug=self.territoire.slug)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        context = {"form": form, "territoire": self.territoire, "access": self.access}
        return render(self.request, self.template_name, context, status=status)


class InvitationRevokeView(TerritoireMixin, View):
    def post(self, request, territoire_slug, invitation_id):
        invitation = access_invitation(self.access, invitation_id)
        try:
            services.invitation_revoke(invitation=invitation, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Invitation de %(email)s annulée.") % {"email": invitation.email})
        return redirect("communes:membres", territoire_slug=self.territoire.slug)


class MembershipDeactivateView(TerritoireMixin, View):
    def post(self, request, territoire_slug, membership_id):
        membership = access_membership(self.access, membership_id, write=True)
        try:
            services.membership_deactivate(membership=membership, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(agent)s n'est plus membre ; son historique est conservé.") % {"agent": membership.agent}
            )
        return redirect("communes:membres", territoire_slug=self.territoire.slug)


class CollectiviteView(TerritoireMixin, View):
    template_name = "communes/collectivite.html"

    def get(self, request, territoire_slug, collectivite_id):
        collectivite = access_collectivite(self.access, collectivite_id)
        return self._render(collectivite, SeatAssignForm(collectivite=collectivite))

    def post(self, request, territoire_slug, collectivite_id):
        collectivite = access_collectivite(self.access, collectivite_id)
        require_admin(self.access)
        form = SeatAssignForm(request.POST, collectivite=collectivite)
        if form.is_valid():
            try:
                seat = services.seat_assign(
                    collectivite=collectivite,
                    kind=form.cleaned_data["kind"],
                    membership=form.cleaned_data["membership"],
                    by=request.user,
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(agent)s est désormais %(siege)s pour %(collectivite)s.")
                    % {
                        "agent": seat.membership.agent,
                        "siege": seat.get_kind_display().lower(),
                        "collectivite": collectivite,
                    },
                )
                return redirect(request.path)
        return self._render(collectivite, form, status=400)

    def _render(self, collectivite, form, status=200):
        context = {
            "territoire": self.territoire,
            "access": self.access,
            "collectivite": collectivite,
            "seats": selectors.collectivite_seat_history(collectivite),
            "members": selectors.members_of_territoire(self.territoire).filter(collectivite=collectivite),
            "form": form,
        }
        return render(self.request, self.template_name, context, status=status)


class SeatVacateView(TerritoireMixin, View):
    def post(self, request, territoire_slug, seat_id):
        seat = access_seat(self.access, seat_id, write=True)
        try:
            services.seat_vacate(seat=seat, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Siège libéré ; l'historique est conservé."))
        return redirect(
            "communes:collectivite", territoire_slug=self.territoire.slug, collectivite_id=seat.collectivite_id
        )


class JournalView(TerritoireMixin, TemplateView):
    admin_required = True
    template_name = "communes/journal.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        paginator = Paginator(selectors.journal_of_territoire(self.territoire), 50)
        context["page"] = paginator.get_page(self.request.GET.get("page"))
        return context


class InvitationAcceptView(View):
    """The one-time link of an invitation; works without being logged in."""

    template_name = "comptes/invitation_accept.html"

    def dispatch(self, request, token):
        self.invitation = services.invitation_from_token(token)
        if self.invitation is None or not self.invitation.is_usable:
            return render(request, "comptes/invitation_invalid.html", {"invitation": self.invitation}, status=410)
        self.existing = Agent.objects.filter(email__iexact=self.invitation.email).first()
        return super().dispatch(request, token)

    def get(self, request, token):
        return self._render(InvitationAcceptForm() if self.existing is None else None)

    def post(self, request, token):
        form = None
        try:
            if self.existing is not None:
                services.invitation_accept(invitation=self.invitation, agent=request.user)
            else:
                form = InvitationAcceptForm(request.POST)
                if not form.is_valid():
                    return self._render(form, status=400)
                services.invitation_accept(
                    invitation=self.invitation,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
                self.invitation.refresh_from_db(fields=["accepted_by"])
                login(request, self.invitation.accepted_by, backend="django.contrib.auth.backends.ModelBackend")
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return self._render(None, status=400)
            if hasattr(error, "error_dict") and "password" in error.error_dict:
                form.add_error("password1", error.error_dict["password"])
            else:
                form_add_service_error(form, error)
            return self._render(form, status=400)
        territoire = self.invitation.territoire
        if self.invitation.is_facilitator:
            message = _("Vous accompagnez désormais %(territoire)s en tant que facilitateur·rice.")
        else:
            message = _("Bienvenue dans le CoDir de %(territoire)s.")
        messages.success(request, message % {"territoire": territoire})
        return redirect("communes:territoire", territoire_slug=territoire.slug)

    def _render(self, form, status=200):
        is_right_agent = self.existing is not None and self.request.user.pk == self.existing.pk
        context = {
            "invitation": self.invitation,
            "form": form,
            "existing": self.existing,
            "is_right_agent": is_right_agent,
        }
        return render(self.request, self.template_name, context, status=status)


def home(request):
    if request.user.is_authenticated:
        return redirect("mes_territoires")
    return redirect(reverse("login"))


class LogoutEverywhereView(LoginRequiredMixin, View):
    """« Me déconnecter partout » : a lost phone, a shared computer — every session ends, this one too."""

    http_method_names = ["post"]

    def post(self, request):
        sessions_revoke(agent=request.user)
        logout(request)
        messages.success(request, _("Toutes vos sessions sont fermées, sur tous vos appareils. Reconnectez-vous."))
        return redirect("login")
