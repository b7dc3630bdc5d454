"""The demo's second factors: the accounts that must have one get an authenticator app with a published secret.

A visitor trying the demo adds `DEMO_TOTP_SECRET` to any authenticator app, or reads the current code with
`python manage.py code_demo`. The secret is public: the demo command gives it only with DEBUG on; outside
that, the accounts enrol their own app at their first login.
"""

import base64
from collections.abc import Callable

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from communes.journal import journal_record
from communes.models import Agent
from comptes.second_factor.policy import second_factor_required
from comptes.second_factor.services import TOTP_DEVICE_NAME

DEMO_TOTP_SECRET = "CODIRDETERRITOIREDEMOVENDEEPAYSM"  # base32, as authenticator apps take it
DEMO_TOTP_KEY = base64.b32decode(DEMO_TOTP_SECRET).hex()


def demo_devices() -> "list[TOTPDevice]":
    """The confirmed authenticator apps holding the demo's published secret."""
    return list(
        TOTPDevice.objects.filter(confirmed=True, key=DEMO_TOTP_KEY).select_related("user").order_by("user__email")
    )


@transaction.atomic
def ensure_demo_second_factors(emails: list[str], write: Callable[[str], None]) -> list[Agent]:
    """Give each demo account that must have a second factor an authenticator app with the demo secret."""
    enrolled = []
    for agent in Agent.objects.filter(email__in=emails).order_by("email"):
        if not second_factor_required(agent) or TOTPDevice.objects.filter(user=agent, confirmed=True).exists():
            continue
        TOTPDevice.objects.create(user=agent, name=TOTP_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True)
        journal_record(action="comptes.second_factor.enabled", actor=agent, territoire=None, data={"demo": True})
        enrolled.append(agent)
    write(f"  double authentification : {len(enrolled)} compte(s) équipé(s) de l'application de démonstration")
    return enrolled
