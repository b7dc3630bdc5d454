"""How the current session was opened: by password (then a second factor may be due) or by ProConnect.

ProConnect's identity providers handle the second factor themselves, so a ProConnect session is never
asked for ours.
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
