"""Account pages: the two-step login, and « Sécurité de mon compte » (second factor, recovery codes, history).

Thin views: the rules are in `comptes.second_factor` (policy, services), the session state in its `session`.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

from communes.journal import journal_record
from communes.models import Agent
from communes.personal_data import agent_erase, personal_data_download, personal_data_json, personal_data_summary
from communes.sessions import session_limits_in_hours
from comptes.forms import LoginForm, PasswordConfirmForm, RecoveryCodeForm, TotpCodeForm
from comptes.proconnect.session import second_factor_done_by_provider
from comptes.second_factor import session as sf_session
from comptes.second_factor.history import account_history
from comptes.second_factor.policy import second_factor_status
from comptes.second_factor.provisioning import totp_provisioning
from comptes.second_factor.services import (
    RECOVERY,
    Verification,
    code_verify,
    confirmed_totp_device,
    recovery_codes_generate,
    recovery_codes_remaining,
    second_factor_disable,
    totp_enrollment_confirm,
    totp_enrollment_start,
)
from comptes.throttling import client_ip


def _next_url(request: HttpRequest) -> str:
    """Where to go after the login or the code: `next` when it stays on this site, else « Mes territoires »."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _wait_message(verification: Verification) -> str:
    seconds = max(1, int((verification.locked_until - timezone.now()).total_seconds() + 0.999))
    return ngettext(
        "Trop de codes erronés : patientez %(seconds)d seconde avant de réessayer.",
        "Trop de codes erronés : patientez %(seconds)d secondes avant de réessayer.",
        seconds,
    ) % {"seconds": seconds}


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class LoginView(auth_views.LoginView):
    """Step 1, the password, through Django's `authenticate` (django-axes counts the failures).

    An agent with an authenticator app is not logged in yet: the session keeps a pending login and the code
    page (step 2) finishes it. The others are logged in at once; the middleware then sends those who must
    have a factor and have none to the enrollment page.
    """

    authentication_form = LoginForm
    redirect_authenticated_user = True
    template_name = "registration/login.html"

    def form_valid(self, form):
        agent = form.get_user()
        if confirmed_totp_device(agent) is not None:
            # A new session key for the pending login, as `login()` does for a session: a key planted in the
            # person's browser beforehand (session fixation) must not carry their half-open login.
            self.request.session.cycle_key()
            sf_session.pending_login_start(self.request.session, agent=agent, backend=agent.backend)
            # Journaled now: someone with the password who never types a code leaves a line the agent sees.
            journal_record(
                action="comptes.login.password_ok_code_pending",
                actor=agent,
                territoire=None,
                data={"ip": client_ip(self.request)},
            )
            return redirect(_with_next(reverse("second_factor_verify"), self.get_redirect_url()))
        response = super().form_valid(form)
        # Read once now, so that the next pages find the verdict in the session.
        sf_session.verdict_store(self.request.session, second_factor_status(agent))
        return response


@method_decorator([never_cache, sensitive_post_parameters("code", "recovery_code")], name="dispatch")
class SecondFactorVerifyView(View):
    """Step 2, the code: finishes a pending login, or verifies a session opened without one (e.g. through
    the administration's login page).

    A wrong code is journaled; django-otp's back-off is respected (the person is told how long to wait); after
    `SECOND_FACTOR_MAX_FAILURES` wrong codes the pending login is dropped (the open session is closed).
    """

    template_name = "comptes/second_factor_verify.html"

    def dispatch(self, request, *args, **kwargs):
        self.next_url = _next_url(request)
        self.pending = None
        if request.user.is_authenticated:
            if sf_session.is_verified(request.session) or second_factor_done_by_provider(request):
                return redirect(self.next_url)
            self.agent = request.user
        else:
            self.pending = sf_session.pending_login(request.session)
            agent = None
            if self.pending is not None:
                agent = Agent.objects.filter(pk=self.pending.agent_id, is_active=True).first()
            if agent is None:
                sf_session.pending_login_drop(request.session)
                messages.info(request, _("Votre connexion a expiré : saisissez de nouveau votre mot de passe."))
                return redirect(_with_next(reverse("login"), request.POST.get("next") or request.GET.get("next")))
            self.agent = agent
        if confirmed_totp_device(self.agent) is None:
            if self.pending is not None:
                # The device was removed between the two steps: start again, the password step decides.
                sf_session.pending_login_drop(request.session)
                return redirect(_with_next(reverse("login"), self.next_url))
            return redirect(_with_next(reverse("second_factor_enroll"), self.next_url))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._render(TotpCodeForm(), RecoveryCodeForm())

    def post(self, request):
        use_recovery = "recovery_code" in request.POST
        totp_form = TotpCodeForm(None if use_recovery else request.POST)
        recovery_form = RecoveryCodeForm(request.POST if use_recovery else None)
        form = recovery_form if use_recovery else totp_form
        field = "recovery_code" if use_recovery else "code"
        if not form.is_valid():
            return self._render(totp_form, recovery_form, status=400)
        verification = code_verify(
            agent=self.agent,
            code=form.cleaned_data[field],
            ip=client_ip(request),
            via="session" if self.pending is None else "login",
        )
        if verification.locked_until is not None:
            form.add_error(field, _wait_message(verification))
            return self._render(totp_form, recovery_form, status=429)
        if not verification.ok:
            if sf_session.failure_count_increment(request.session) >= settings.SECOND_FACTOR_MAX_FAILURES:
                return self._too_many_failures(request)
            form.add_error(field, _("Code incorrect : vérifiez-le et réessayez."))
            return self._render(totp_form, recovery_form, status=400)
        return self._complete(request, verification)

    def _too_many_failures(self, request) -> HttpResponse:
        if self.pending is not None:
            sf_session.pending_login_drop(request.session)
        else:
            logout(request)
        messages.error(request, _("Trop de codes erronés : reconnectez-vous avec votre mot de passe."))
        return redirect(_with_next(reverse("login"), self.next_url))

    def _complete(self, request, verification: Verification) -> HttpResponse:
        agent = self.agent
        if self.pending is not None:
            sf_session.pending_login_drop(request.session)
            # The login journal (comptes.journal) records which factor opened the session.
            agent.otp_device = verification.device
            login(request, agent, backend=self.pending.backend)
        sf_session.session_mark_verified(request.session, agent=agent, kind=verification.kind)
        if verification.kind == RECOVERY:
            remaining = recovery_codes_remaining(agent)
            messages.warning(
                request,
                _(
                    "Vous vous êtes connecté·e avec un code de secours ; il vous en reste %(count)d. Si vous avez "
                    "perdu votre téléphone, remplacez votre application d'authentification."
                )
                % {"count": remaining},
            )
            return redirect("account_security")
        return redirect(self.next_url)

    def _render(self, totp_form, recovery_form, status=200) -> HttpResponse:
        context = {
            "totp_form": totp_form,
            "recovery_form": recovery_form,
            "next": self.next_url,
            "recovery_open": recovery_form.is_bound,
            "agent": self.agent,
        }
        return render(request=self.request, template_name=self.template_name, context=context, status=status)


@method_decorator(never_cache, name="dispatch")
class SecurityView(LoginRequiredMixin, View):
    """« Sécurité de mon compte »: the factor's status and why, its actions, the account's recent events."""

    def get(self, request):
        agent = request.user
        status = second_factor_status(agent)
        # The status line of « Mes territoires » reads the session: refresh it while we know.
        sf_session.verdict_store(request.session, status)
        context = {
            "status": status,
            "recovery_remaining": recovery_codes_remaining(agent) if status.enabled else 0,
            "history": account_history(agent),
            "proconnect": second_factor_done_by_provider(request),
        }
        return render(request, "comptes/security.html", context)


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class EnrollView(LoginRequiredMixin, View):
    """Enrol an authenticator app: scan the QR code (or type the secret), confirm with a first code.

    Reached from the security page, by the middleware (an agent who must have a factor and has none), or
    after the password was confirmed to replace a lost device. The device being enrolled is this session's
    (its id is kept in the session): another session never sees its secret.
    """

    template_name = "comptes/second_factor_enroll.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and confirmed_totp_device(request.user) is not None:
            if not sf_session.is_verified(request.session) and not second_factor_done_by_provider(request):
                return redirect(_with_next(reverse("second_factor_verify"), _next_url(request)))
            if not sf_session.replacing(request.session):
                messages.info(request, _("La double authentification est déjà activée sur votre compte."))
                return redirect("account_security")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self._render(TotpCodeForm())

    def post(self, request):
        form = TotpCodeForm(request.POST)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            verification = totp_enrollment_confirm(
                agent=request.user, device_id=sf_session.enrolling(request.session), code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("account_security")
        if verification.locked_until is not None:
            form.add_error("code", _wait_message(verification))
            return self._render(form, status=429)
        if not verification.ok:
            form.add_error(
                "code",
                _("Code incorrect : vérifiez l'heure de votre téléphone et saisissez le code affiché en ce moment."),
            )
            return self._render(form, status=400)
        replaced = sf_session.replacing(request.session)
        sf_session.replacing_end(request.session)
        sf_session.enrolling_end(request.session)
        sf_session.session_mark_verified(request.session, agent=request.user, kind=verification.kind)
        if replaced:
            messages.success(request, _("Votre nouvelle application d'authentification est enregistrée."))
        else:
            messages.success(request, _("La double authentification est activée."))
        if recovery_codes_remaining(request.user) == 0:
            codes = recovery_codes_generate(agent=request.user)
            return _recovery_codes_page(request, codes, continue_url=_next_url(request))
        return redirect(_next_url(request) if request.POST.get("next") else reverse("account_security"))

    def _render(self, form, status=200) -> HttpResponse:
        # The device of this session's enrollment: its secret is shown to this session only.
        device = totp_enrollment_start(agent=self.request.user, device_id=sf_session.enrolling(self.request.session))
        sf_session.enrolling_set(self.request.session, device.pk)
        context = {
            "form": form,
            "provisioning": totp_provisioning(device),
            "replacing": sf_session.replacing(self.request.session),
            "next": self.request.POST.get("next") or self.request.GET.get("next") or "",
            # Sent here by the middleware: the factor is mandatory and the agent has none yet.
            "forced": not sf_session.is_verified(self.request.session)
            and sf_session.session_status(self.request.session, self.request.user).required,
        }
        return render(self.request, self.template_name, context, status=status)


def _recovery_codes_page(request: HttpRequest, codes: list[str], *, continue_url: str) -> HttpResponse:
    """The codes, shown this once: answered to the POST (the views are `never_cache`), never stored in clear."""
    return render(request, "comptes/second_factor_recovery_codes.html", {"codes": codes, "continue_url": continue_url})


class _PasswordConfirmView(LoginRequiredMixin, View):
    """A page that asks the password again before a sensitive change."""

    title: str
    explanation: str
    submit_label: str
    cancel_url_name = "account_security"

    def get(self, request):
        return self._render(PasswordConfirmForm(agent=request.user, request=request))

    def post(self, request):
        form = PasswordConfirmForm(request.POST, agent=request.user, request=request)
        if not form.is_valid():
            return self._render(form, status=400)
        self.form = form  # a refusal of the change itself is shown on it
        return self.confirmed(request)

    def confirmed(self, request) -> HttpResponse:
        raise NotImplementedError

    def _render(self, form, status=200) -> HttpResponse:
        context = {
            "form": form,
            "title": self.title,
            "explanation": self.explanation,
            "submit_label": self.submit_label,
            "cancel_url_name": self.cancel_url_name,
        }
        return render(self.request, "comptes/security_confirm_password.html", context, status=status)


@method_decorator([never_cache, sensitive_post_parameters("password")], name="dispatch")
class RecoveryCodesView(_PasswordConfirmView):
    """Generate (again) the ten recovery codes, after the password: they open the account as the app does,
    so a stolen session must not be able to take a set. The previous codes stop working. (Right after an
    enrollment they are generated without this page: the code just typed is the proof.)"""

    title = gettext_lazy("Générer de nouveaux codes de secours")
    explanation = gettext_lazy(
        "Vous allez recevoir dix nouveaux codes de secours ; les précédents cesseront de fonctionner."
    )
    submit_label = gettext_lazy("Générer les codes")

    def confirmed(self, request) -> HttpResponse:
        try:
            codes = recovery_codes_generate(agent=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("account_security")
        return _recovery_codes_page(request, codes, continue_url=reverse("account_security"))


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class DisableView(_PasswordConfirmView):
    """Turn the second factor off — only for agents for whom it is optional."""

    title = gettext_lazy("Désactiver la double authentification")
    explanation = gettext_lazy(
        "Votre application d'authentification et vos codes de secours seront supprimés : votre compte ne "
        "sera plus protégé que par votre mot de passe."
    )
    submit_label = gettext_lazy("Désactiver la double authentification")

    def confirmed(self, request) -> HttpResponse:
        try:
            second_factor_disable(agent=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("account_security")
        sf_session.verdict_store(request.session, second_factor_status(request.user))
        messages.success(request, _("La double authentification est désactivée."))
        return redirect("account_security")


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class ReplaceView(_PasswordConfirmView):
    """Replace the authenticator app (a new or lost phone): the password, then a new enrollment; the old app
    keeps working until the new one is confirmed."""

    title = gettext_lazy("Remplacer mon application d'authentification")
    explanation = gettext_lazy(
        "Nouveau téléphone, téléphone perdu : vous allez enregistrer une nouvelle application. L'ancienne "
        "reste valable jusqu'à ce que la nouvelle soit confirmée ; vos codes de secours sont conservés."
    )
    submit_label = gettext_lazy("Continuer")

    def confirmed(self, request) -> HttpResponse:
        sf_session.replacing_start(request.session)
        return redirect("second_factor_enroll")


class PrivacyView(TemplateView):
    """What the application keeps about people, why, how long, who sees it — with the durations in force."""

    template_name = "confidentialite.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retention_months"] = settings.JOURNAL_RETENTION_MONTHS
        context.update(session_limits_in_hours())
        context["token_days"] = settings.API_TOKEN_DAYS
        return context


class MyDataView(LoginRequiredMixin, TemplateView):
    """« Mes données personnelles »: what the application holds about me, the download, the erasure."""

    template_name = "comptes/mes_donnees.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summary"] = personal_data_summary(self.request.user)
        return context


@method_decorator(never_cache, name="dispatch")
class MyDataDownloadView(LoginRequiredMixin, View):
    """The whole of my personal data in one JSON file (rights of access and to portability)."""

    def get(self, request):
        data = personal_data_download(request.user)
        response = HttpResponse(personal_data_json(data), content_type="application/json; charset=utf-8")
        filename = f"mes-donnees-codir-{timezone.localdate():%Y-%m-%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@method_decorator([never_cache, sensitive_post_parameters("password")], name="dispatch")
class EraseView(_PasswordConfirmView):
    """Erase my account and my identity everywhere, after the password (right to erasure)."""

    title = gettext_lazy("Effacer mon compte et mes données personnelles")
    explanation = gettext_lazy(
        "Votre nom, votre adresse électronique, votre téléphone et votre fonction seront effacés partout, "
        "journal compris ; vos adhésions prendront fin et vos sièges seront libérés. Ce que vous avez fait au "
        "nom de votre collectivité (positions, points d'ordre du jour, comptes rendus, signatures) reste, "
        "attribué à « Personne effacée ». C'est définitif : vous ne pourrez plus vous connecter."
    )
    submit_label = gettext_lazy("Effacer définitivement mon compte")
    cancel_url_name = "mes_donnees"

    def confirmed(self, request) -> HttpResponse:
        try:
            agent_erase(agent=request.user, by=request.user)
        except ValidationError as error:
            # e.g. the last administrator of a territory: another one is named first, nothing was erased.
            self.form.add_error(None, error.messages)
            return self._render(self.form, status=400)
        logout(request)
        messages.success(request, _("Votre compte et vos données personnelles ont été effacés."))
        return redirect("login")
