from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from comptes.proconnect.session import second_factor_done_by_provider, session_identity


def proconnect(request: HttpRequest) -> dict:
    """Whether the login page offers ProConnect, and, for a ProConnect session, the identity it came with
    (lazy: only the pages that show it read the session for it)."""
    return {
        "proconnect_enabled": settings.PROCONNECT_ENABLED,
        "proconnect_identity": SimpleLazyObject(lambda: session_identity(request)),
        "second_factor_by_provider": SimpleLazyObject(lambda: second_factor_done_by_provider(request)),
    }
