"""Login throttling with django-axes: who is the client, what a locked-out person sees."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind `TRUSTED_PROXY_COUNT` reverse proxies, the address
    the outermost of them saw (the one proxies append to X-Forwarded-For, which a client cannot forge)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def username_of(request: HttpRequest, credentials: dict | None) -> str:
    """The account a login attempt targets, without case: e-mail addresses are compared without case."""
    username = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if username is None:
        username = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
    # Cut to the column django-axes writes it to: a 10,000-character "address" is a failure, not a 500.
    return str(username).strip().lower()[:255]


def lockout_response(
    request: HttpRequest, response=None, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """The French 429 page: why, and when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        detail = _(
            "Trop de tentatives de connexion ont échoué pour ce compte depuis cette adresse : "
            "réessayez dans %(minutes)s minutes."
        ) % {"minutes": minutes}
        response = JsonResponse({"detail": detail}, status=429)
        response["Retry-After"] = str(minutes * 60)
        return response
    # Rendered here: the middleware that calls this sits outside the template response machinery.
    response = render(request, "comptes/lockout.html", {"cooloff_minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
