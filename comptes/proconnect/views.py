"""The pages of a ProConnect login and logout: off (404) unless ProConnect is configured, never a 500."""

import json
import logging
import re
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare, get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from comptes.proconnect.agents import ProConnectRefused
from comptes.proconnect.backend import COMPLETED_ATTRIBUTE, CompletedLogin, InvalidProviderResponse
from comptes.proconnect.discovery import ProviderUnavailable, provider_configuration
from comptes.proconnect.session import LOGOUT_NEXT_KEY, LOGOUT_STATE_KEY, identity_store, session_id_token

logger = logging.getLogger("comptes.proconnect")

# What can go wrong on the provider's side of the callback: unreachable, a token that does not verify
# (signature, issuer, audience, expiry, nonce), an answer that is not what the protocol promises.
PROVIDER_FAILURES = (
    ProviderUnavailable,
    InvalidProviderResponse,
    SuspiciousOperation,
    jwt.PyJWTError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
)


# Asked at every login: the id_token then says how the identity provider authenticated the person (`amr`),
# which decides whether our second factor is still due (comptes.proconnect.session). ProConnect accepts this
# `claims` parameter; it refuses any authorization parameter it does not list.
AMR_CLAIMS_REQUEST = json.dumps({"id_token": {"amr": {"essential": True}}}, separators=(",", ":"))

# The `error` codes of an authorization response (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6) that deserve
# their own words; any other gets the generic message. The provider's text is never shown: anyone can forge it.
PROVIDER_ERROR_MESSAGES = {
    "access_denied": gettext_lazy(
        "Vous avez annulé la connexion avec ProConnect, ou votre fournisseur d'identité l'a refusée. Vous pouvez "
        "recommencer, ou vous connecter avec votre adresse électronique et votre mot de passe si vous en avez un."
    ),
    "server_error": gettext_lazy(
        "ProConnect a rencontré une erreur. Réessayez dans quelques minutes, ou connectez-vous avec votre "
        "adresse électronique et votre mot de passe si vous en avez un."
    ),
    "temporarily_unavailable": gettext_lazy(
        "ProConnect est momentanément indisponible. Réessayez dans quelques minutes, ou connectez-vous avec "
        "votre adresse électronique et votre mot de passe si vous en avez un."
    ),
}
PROVIDER_ERROR_GENERIC = gettext_lazy(
    "La connexion a été interrompue ou refusée du côté de ProConnect. Vous pouvez recommencer, "
    "ou vous connecter avec votre adresse électronique et votre mot de passe si vous en avez un."
)


def _loggable(text: str) -> str:
    """An error code as the logs may keep it: short, and nothing that could start a forged log line."""
    return re.sub(r"[^A-Za-z0-9_.-]", "?", text[:64])


def _enabled_or_404() -> None:
    if not settings.PROCONNECT_ENABLED:
        raise Http404


def _problem(
    request: HttpRequest, *, title: str, message: str, status: int, detail: str = "", reconnect: bool = False
) -> TemplateResponse:
    return TemplateResponse(
        request,
        "comptes/proconnect_refused.html",
        {"title": title, "message": message, "detail": detail, "reconnect": reconnect},
        status=status,
    )


def _unavailable(request: HttpRequest) -> TemplateResponse:
    return _problem(
        request,
        title=_("ProConnect ne répond pas"),
        message=_(
            "ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes, ou connectez-vous avec "
            "votre adresse électronique et votre mot de passe si vous en avez un."
        ),
        status=503,
    )


def _unverified(request: HttpRequest) -> TemplateResponse:
    return _problem(
        request,
        title=_("La connexion avec ProConnect n'a pas abouti"),
        message=_(
            "La réponse de ProConnect n'a pas pu être vérifiée : par sécurité, la connexion est refusée. "
            "Recommencez ; si cela se reproduit, prévenez l'administrateur de CoDir de territoire."
        ),
        status=502,
    )


def _stale_request(request: HttpRequest) -> TemplateResponse:
    return _problem(
        request,
        title=_("La connexion avec ProConnect n'a pas abouti"),
        message=_(
            "Cette demande de connexion a expiré, a déjà servi ou a été commencée dans un autre navigateur. "
            "Recommencez depuis la page de connexion."
        ),
        status=400,
    )


class ProConnectLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to ProConnect's authorization endpoint with a fresh state and nonce (kept in the
    session) and the `next` page to come back to."""

    def __init__(self, **kwargs) -> None:
        # The library reads the endpoint from settings here; it comes from the discovery document in get().
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        _enabled_or_404()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_configuration().authorization_endpoint
        except ProviderUnavailable:
            logger.warning("ProConnect login: discovery document unavailable", exc_info=True)
            return _unavailable(request)
        self.OIDC_RP_CLIENT_ID = settings.PROCONNECT_CLIENT_ID
        return super().get(request)

    def get_extra_params(self, request: HttpRequest) -> dict:
        params = {"claims": AMR_CLAIMS_REQUEST}
        # After a refusal, ProConnect would silently reuse the identity it just vouched for (single sign-on):
        # `prompt=login` makes the identity provider ask again, so that another identity can be chosen.
        if request.GET.get("reconnexion"):
            params["prompt"] = "login"
        return params


class ProConnectCallbackView(OIDCAuthenticationCallbackView):
    """ProConnect's return: the library checks the state, exchanges the code and checks the nonce; the
    backend finds the agent. Every failure ends on a French page that says what to do."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _enabled_or_404()
        state = request.GET.get("state", "")
        states = request.session.get("oidc_states")
        known_state = bool(state) and isinstance(states, dict) and state in states
        if error := request.GET.get("error"):
            # Not the library's handling: it logs out whoever is logged in, on a link anyone can send.
            return self._provider_error(request, error, state if known_state else None)
        if not request.GET.get("code") or not known_state:
            # Checked here, before the library: with an empty code it would call authenticate() for nothing,
            # which Django reports as a failed login (django-axes would count it against this address); with an
            # unknown state it would answer 400 without a word (SuspiciousOperation) or send us elsewhere.
            logger.warning("ProConnect login: callback without a code or a known state")
            return _stale_request(request)
        try:
            return super().get(request)
        except ProConnectRefused as refusal:
            return _problem(request, title=_("Connexion refusée"), message=refusal.message, status=403, reconnect=True)
        except ProviderUnavailable:
            logger.warning("ProConnect login: discovery document unavailable", exc_info=True)
            return _unavailable(request)
        except PROVIDER_FAILURES:
            logger.warning("ProConnect login: the provider's answer did not verify", exc_info=True)
            return _unverified(request)

    def _provider_error(self, request: HttpRequest, error: str, state: str | None) -> HttpResponse:
        """The provider ended the login with an error: a fixed French page, the current session untouched."""
        if state is None:
            logger.info("ProConnect login: an error %s without a known state", _loggable(error))
            return _stale_request(request)
        states = request.session["oidc_states"]
        del states[state]  # this login is over: its state cannot be replayed
        request.session["oidc_states"] = states  # reassigned so that the session knows it changed
        logger.info("ProConnect login: the provider answered %s", _loggable(error))
        known = error in PROVIDER_ERROR_MESSAGES
        return _problem(
            request,
            title=_("ProConnect n'a pas pu vous identifier"),
            message=str(PROVIDER_ERROR_MESSAGES.get(error, PROVIDER_ERROR_GENERIC)),
            detail=error if known else "",  # one of our own codes, never the provider's text
            status=400,
        )

    def login_failure(self) -> HttpResponse:
        return _stale_request(self.request)

    def login_success(self) -> HttpResponse:
        completed: CompletedLogin = getattr(self.request, COMPLETED_ATTRIBUTE)
        next_url = self.success_url  # read before login(), which may start a new session
        # Always a fresh login, even for the agent already logged in: the session is renewed and
        # `user_logged_in` records that it is now a ProConnect session.
        auth.login(self.request, self.user)
        identity_store(self.request, id_token=completed.id_token, identity=completed.identity)
        return HttpResponseRedirect(next_url)


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST). A ProConnect session ends here first, then at ProConnect and its identity
    provider (`end_session_endpoint`), which sends the browser back to `proconnect_logout_callback`."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        id_token = session_id_token(request)
        if id_token is None or not settings.PROCONNECT_ENABLED:
            return super().post(request, *args, **kwargs)
        try:
            end_session_endpoint = provider_configuration().end_session_endpoint
        except ProviderUnavailable:
            logger.warning("ProConnect logout: discovery document unavailable", exc_info=True)
            return super().post(request, *args, **kwargs)  # our session ends all the same
        next_url = self.get_success_url()
        auth.logout(request)
        # Kept in the new, anonymous session: the return from ProConnect is checked against it.
        state = get_random_string(settings.OIDC_STATE_SIZE)
        request.session[LOGOUT_STATE_KEY] = state
        request.session[LOGOUT_NEXT_KEY] = next_url
        query = urlencode(
            {
                "id_token_hint": id_token,
                "state": state,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("proconnect_logout_callback")),
            }
        )
        separator = "&" if "?" in end_session_endpoint else "?"
        return HttpResponseRedirect(f"{end_session_endpoint}{separator}{query}")


class ProConnectLogoutCallbackView(View):
    """The return from ProConnect's logout: ends on the login page (or the `next` page given at logout)."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        _enabled_or_404()
        expected = request.session.pop(LOGOUT_STATE_KEY, None)
        next_url = request.session.pop(LOGOUT_NEXT_KEY, None)
        if expected and constant_time_compare(request.GET.get("state", ""), expected):
            messages.success(request, _("Vous êtes déconnecté·e de CoDir de territoire et de ProConnect."))
            return HttpResponseRedirect(next_url or resolve_url(settings.LOGOUT_REDIRECT_URL))
        # Not a return from a logout of ours: nothing to end, nothing to say.
        logger.info("ProConnect logout callback with an unknown state")
        return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
