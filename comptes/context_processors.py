from django.conf import settings


def proconnect(request):
    """Whether the login page offers ProConnect."""
    return {"proconnect_enabled": settings.PROCONNECT_ENABLED}
