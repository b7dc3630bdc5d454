"""How the current session was opened: by password (then a second factor may be due) or by ProConnect.

A ProConnect session is spared our second factor only when its identity provider declared one
(`comptes.proconnect.session.second_factor_done_by_provider`); otherwise it is gated like a password session.
"""

from django.http import HttpRequest

SESSION_KEY = "comptes_auth_method"
PASSWORD = "password"
PROCONNECT = "proconnect"


def auth_method_set(request: HttpRequest, method: str) -> None:
    """Remember how this session was opened (after `login()`, which renews the session)."""
    request.session[SESSION_KEY] = method


def auth_method(request: HttpRequest) -> str:
    """How this session was opened; sessions opened before this was recorded count as password ones."""
    return request.session.get(SESSION_KEY, PASSWORD)


def is_proconnect(request: HttpRequest) -> bool:
    return auth_method(request) == PROCONNECT
