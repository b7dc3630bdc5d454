"""Second factor for password logins: an authenticator app (TOTP) and recovery codes, with django-otp.

- `policy`: who must have one (staff, the EPCI's DGS, facilitators, territory administrators) — one query;
- `session`: what the session remembers (verified, the pending login, the cached verdict);
- `services`: enrol, check a code, recovery codes, turn off — the only writers, with their journal lines;
- `middleware`: sessions that owe a factor reach nothing else until it is passed;
- `provisioning`: the otpauth:// address, its QR code (SVG drawn here) and the secret to type by hand;
- `history`: the agent's recent account events and their French labels, for the security page;
- `api`: the API token, which asks for the code too; the pages are in `comptes.views`.

ProConnect sessions are never asked: their identity providers handle the second factor.
"""

from comptes.second_factor.middleware import SecondFactorRequiredMiddleware
from comptes.second_factor.session import session_mark_verified

__all__ = ["SecondFactorRequiredMiddleware", "session_mark_verified", "urlpatterns"]


def __getattr__(name: str):
    # `urlpatterns` is read late: the views import this package, so importing them here would be circular.
    if name == "urlpatterns":
        from comptes.second_factor.urls import urlpatterns

        return urlpatterns
    raise AttributeError(name)
