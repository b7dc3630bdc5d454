"""Pages of the decision engine: open propositions, a proposition's page, the register, actions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from communes.access import TerritoireMixin
from communes.exports import csv_response
from communes.forms import form_add_service_error
from decisions import selectors, services
from decisions.access import (
    access_action,
    access_proposition,
    can_steer,
    can_update_action,
    require_contributor,
    speaking_seat,
)
from decisions.forms import (
    ActionForm,
    ActionStatusForm,
    AmendForm,
    OpenForm,
    PositionForm,
    PropositionForm,
    RegisterFilterForm,
    WithdrawForm,
)
from decisions.models import Action, Position, Proposition
from decisions.outcome import Choice
from decisions.rules import default_rule


def _to_proposition(territoire, proposition):
    return redirect("decisions:proposition", territoire_slug=territoire.slug, proposition_id=proposition.pk)


class PropositionListView(TerritoireMixin, TemplateView):
    template_name = "decisions/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        seat = speaking_seat(self.access)
        context.update(
            seat=seat,
            propositions=selectors.open_propositions(self.territoire, collectivite=seat.collectivite if seat else None),
            drafts=selectors.drafts_of(self.territoire, self.request.user),
            recent=selectors.register(self.territoire)[:5],
        )
        return context


class PropositionCreateView(TerritoireMixin, View):
    template_name = "decisions/proposition_form.html"

    def get(self, request, territoire_slug):
        require_contributor(self.access)
        rule = default_rule(self.territoire)
        initial = {
            "mode": rule.mode.value,
            "majority": rule.majority.value,
            "quorum_percent": rule.quorum_percent,
            "colleges": rule.colleges,
        }
        return self._render(PropositionForm(initial=initial))

    def post(self, request, territoire_slug):
        require_contributor(self.access)
        form = PropositionForm(request.POST)
        if form.is_valid():
            try:
                proposition = services.proposition_create(
                    territoire=self.territoire, author=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Brouillon enregistré. Relisez-le, puis ouvrez-le au CoDir."))
                return _to_proposition(self.territoire, proposition)
        return self._render(form, status=400)

    def _render(self, form, status=200, proposition=None):
        context = {"form": form, "territoire": self.territoire, "access": self.access, "proposition": proposition}
        return render(self.request, self.template_name, context, status=status)


class PropositionEditView(PropositionCreateView):
    def get(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        return self._render(PropositionForm(instance=proposition), proposition=proposition)

    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        form = PropositionForm(request.POST, instance=Proposition.objects.get(pk=proposition.pk))
        if form.is_valid():
            try:
                services.proposition_update(proposition=proposition, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Brouillon mis à jour."))
                return _to_proposition(self.territoire, proposition)
        return self._render(form, status=400, proposition=proposition)


class PropositionDetailView(TerritoireMixin, View):
    template_name = "decisions/proposition.html"

    def get(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id)
        return self._render(proposition)

    def _render(self, proposition, status=200, **forms):
        proposition = selectors.proposition_with_record(proposition)
        rounds = list(proposition.rounds.all())
        current = rounds[-1] if rounds else None
        seat = speaking_seat(self.access)
        rows = selectors.tally_by_collectivite(proposition, current) if current else []
        mine = next((row.position for row in rows if seat and row.collectivite.pk == seat.collectivite_id), None)
        steer = can_steer(self.access, proposition)
        context = {
            "territoire": self.territoire,
            "access": self.access,
            "proposition": proposition,
            "current_round": current,
            "previous_rounds": rounds[:-1],
            "rows": rows,
            "outcome": services.round_outcome(current) if current and proposition.is_open else None,
            "seat": seat,
            "my_position": mine,
            "titulaire_has_spoken": bool(mine and mine.seat_kind == "titulaire" and seat and seat.kind == "suppleant"),
            "can_steer": steer,
            "standing_objections": [r.position for r in rows if r.position and r.position.choice == Choice.OBJECTION],
            "position_form": forms.get("position_form")
            or PositionForm(initial={"choice": mine.choice, "motive": mine.motive} if mine else None),
            "open_form": forms.get("open_form") or OpenForm(),
            "withdraw_form": forms.get("withdraw_form") or WithdrawForm(),
            "can_add_action": proposition.status == Proposition.Status.CLOSE and self.access.can_contribute,
        }
        return render(self.request, self.template_name, context, status=status)


class TallyFragmentView(PropositionDetailView):
    """The live tally, polled by htmx while the proposition is open."""

    template_name = "decisions/fragment_tally.html"


class OpenView(PropositionDetailView):
    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        form = OpenForm(request.POST)
        if form.is_valid():
            try:
                services.proposition_open(proposition=proposition, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("La proposition est ouverte : chaque membre en est informé."))
                return _to_proposition(self.territoire, proposition)
        return self._render(proposition, status=400, open_form=form)


class ExpressView(PropositionDetailView):
    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id)
        form = PositionForm(request.POST)
        if form.is_valid():
            try:
                position = services.position_express(proposition=proposition, agent=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("Position de %(collectivite)s enregistrée : %(choix)s.")
                    % {"collectivite": position.collectivite, "choix": position.get_choice_display().lower()},
                )
                return _to_proposition(self.territoire, proposition)
        return self._render(proposition, status=400, position_form=form)


class CloseView(PropositionDetailView):
    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        try:
            proposition = services.proposition_close(proposition=proposition, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Proposition close : %(resultat)s.") % {"resultat": proposition.get_result_display()}
            )
        return _to_proposition(self.territoire, proposition)


class WithdrawView(PropositionDetailView):
    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.proposition_withdraw(proposition=proposition, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Proposition retirée ; son historique est conservé."))
                return _to_proposition(self.territoire, proposition)
        return self._render(proposition, status=400, withdraw_form=form)


class AmendView(TerritoireMixin, View):
    template_name = "decisions/amend.html"

    def _objections(self, proposition):
        return list(
            Position.objects.current()
            .filter(round__proposition=proposition, round__closed_at__isnull=True, choice=Choice.OBJECTION)
            .select_related("collectivite", "spoken_by")
        )

    def get(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        form = AmendForm(
            objections=self._objections(proposition),
            initial={"body": proposition.body, "closes_at": proposition.closes_at},
        )
        return self._render(proposition, form)

    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id, steer=True)
        form = AmendForm(request.POST, objections=self._objections(proposition))
        if form.is_valid():
            try:
                new_round = services.proposition_amend(
                    proposition=proposition,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    responses=form.responses(),
                    closes_at=form.cleaned_data["closes_at"],
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("Texte amendé : le tour %(numero)s est ouvert.") % {"numero": new_round.number}
                )
                return _to_proposition(self.territoire, proposition)
        return self._render(proposition, form, status=400)

    def _render(self, proposition, form, status=200):
        context = {"territoire": self.territoire, "access": self.access, "proposition": proposition, "form": form}
        return render(self.request, self.template_name, context, status=status)


class RegisterView(TerritoireMixin, TemplateView):
    template_name = "decisions/register.html"

    def filtered(self):
        form = RegisterFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        decisions = selectors.register(
            self.territoire,
            kind=filters.get("kind", ""),
            result=filters.get("result", ""),
            since=filters.get("since"),
            until=filters.get("until"),
            query=filters.get("q", ""),
        )
        return form, decisions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, decisions = self.filtered()
        page = Paginator(decisions, 25).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, query=query.urlencode())
        return context


class RegisterCsvView(RegisterView):
    def get(self, request, territoire_slug):
        _form, decisions = self.filtered()
        header = [
            _("Numéro"),
            _("Intitulé"),
            _("Nature"),
            _("Mode"),
            _("Close le"),
            _("Résultat"),
            _("Avis"),
            _("Auteur"),
        ]
        rows = (
            [
                d.pk,
                d.title,
                d.get_kind_display(),
                d.get_mode_display(),
                timezone.localtime(d.closed_at).strftime("%d/%m/%Y %H:%M"),
                d.get_result_display(),
                d.get_avis_display(),
                d.author,
            ]
            for d in decisions
        )
        return csv_response(f"registre-{self.territoire.slug}.csv", header, rows)


class ActionsView(TerritoireMixin, TemplateView):
    template_name = "decisions/actions.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("etat", "")
        status = status if status in Action.Status.values else ""
        actions = list(selectors.actions_of_territoire(self.territoire, status=status))
        for action in actions:
            action.can_update = can_update_action(self.access, action)
        context.update(
            actions=actions,
            status=status,
            statuses=Action.Status.choices,
            status_form=ActionStatusForm(),
            today=timezone.localdate(),
        )
        return context


class ActionsCsvView(ActionsView):
    def get(self, request, territoire_slug):
        header = [_("Action"), _("Décision"), _("Collectivité"), _("Personne"), _("Échéance"), _("État")]
        rows = (
            [
                a.title,
                a.proposition.title,
                a.owner_collectivite or "",
                a.owner_agent or "",
                a.due_date.strftime("%d/%m/%Y") if a.due_date else "",
                a.get_status_display(),
            ]
            for a in selectors.actions_of_territoire(self.territoire)
        )
        return csv_response(f"actions-{self.territoire.slug}.csv", header, rows)


class ActionCreateView(TerritoireMixin, View):
    template_name = "decisions/action_form.html"

    def get(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id)
        require_contributor(self.access)
        return self._render(proposition, ActionForm(territoire=self.territoire))

    def post(self, request, territoire_slug, proposition_id):
        proposition = access_proposition(self.access, proposition_id)
        require_contributor(self.access)
        form = ActionForm(request.POST, territoire=self.territoire)
        if form.is_valid():
            try:
                services.action_create(proposition=proposition, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Action de suivi ajoutée."))
                return _to_proposition(self.territoire, proposition)
        return self._render(proposition, form, status=400)

    def _render(self, proposition, form, status=200):
        context = {"territoire": self.territoire, "access": self.access, "proposition": proposition, "form": form}
        return render(self.request, self.template_name, context, status=status)


class ActionStatusView(TerritoireMixin, View):
    def post(self, request, territoire_slug, action_id):
        action = access_action(self.access, action_id, write=True)
        form = ActionStatusForm(request.POST)
        if form.is_valid():
            services.action_set_status(action=action, by=request.user, status=form.cleaned_data["status"])
            messages.success(request, _("État de l'action mis à jour."))
        else:
            messages.error(request, _("État inconnu : rien n'a été modifié."))
        return redirect("decisions:actions", territoire_slug=self.territoire.slug)
