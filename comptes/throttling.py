"""Login throttling with django-axes: who is the client, what a locked-out person sees."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
    return str(username).strip().lower()


def lockout_response(
    request: HttpRequest, response=None, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """The French 429 page: why, and when to try again."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    # Rendered here: the middleware that calls this sits outside the template response machinery.
    return render(request, "comptes/lockout.html", {"cooloff_minutes": minutes}, status=429)
