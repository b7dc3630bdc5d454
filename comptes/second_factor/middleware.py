"""Sessions opened by password that owe a second factor reach nothing else until it is passed.

Who gets here without passing one: an administrator logged in through Django's admin login page, an agent
who must have a factor but has none yet (logged in, then sent to enrol), a session opened before a role
that requires it was granted. The verdict lives in the session (see `session`): a verified session costs
no query, an unverified one at most one every `SECOND_FACTOR_RECHECK_SECONDS`.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from comptes.proconnect.session import second_factor_done_by_provider
from comptes.second_factor.policy import SecondFactorStatus
from comptes.second_factor.session import is_verified, session_status

# The pages an unverified session may still open: passing or enrolling the factor, and leaving. Not « me
# déconnecter partout »: with the password alone, it would close the verified sessions of the real agent.
EXEMPT_URL_NAMES = {"second_factor_verify", "second_factor_enroll", "logout"}
EXEMPT_PREFIXES = ("/i18n/", "/comptes/proconnect/")


def _exempt(request: HttpRequest) -> bool:
    path = request.path_info
    if path.startswith((settings.STATIC_URL, *EXEMPT_PREFIXES)):
        return True
    try:
        return resolve(path).url_name in EXEMPT_URL_NAMES
    except Resolver404:
        return False


def _lazy_status(request: HttpRequest):
    """For the « Sécurité de mon compte » line: read from the session, so the page pays at most one query."""

    def status() -> SecondFactorStatus | None:
        if not request.user.is_authenticated:
            return None
        return session_status(request.session, request.user)

    return SimpleLazyObject(status)


class SecondFactorRequiredMiddleware:
    """After the authentication and session-limit middlewares: gate the sessions that owe a second factor.

    HTML requests are sent to the code page (the agent has an authenticator app) or to the enrollment page
    (they have none yet); API requests under /api/ get a 403 with a French `detail`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.second_factor = _lazy_status(request)
        return self._gate(request) or self.get_response(request)

    def _gate(self, request: HttpRequest) -> HttpResponse | None:
        if not request.user.is_authenticated or is_verified(request.session) or second_factor_done_by_provider(request):
            return None
        if _exempt(request):
            return None
        status = session_status(request.session, request.user)
        # An agent who turned the factor on owes it at every login, mandatory or not.
        if not (status.required or status.enabled):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _(
                        "Double authentification requise : validez votre connexion avec votre code sur le site "
                        "avant d'utiliser l'API."
                    )
                },
                status=403,
            )
        target = reverse("second_factor_verify" if status.enabled else "second_factor_enroll")
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            # htmx would swap the whole page into a fragment: ask it to change page instead.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
