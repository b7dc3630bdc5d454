"""The writers of the second factor: enrol an authenticator app, check a code, recovery codes, turn it off.

Devices are django-otp's: one `TOTPDevice` (the authenticator app; unconfirmed until a first code is typed)
and one `StaticDevice` holding the recovery codes. Each service is one transaction and writes its journal line.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from communes.journal import journal_record
from communes.models import Agent
from comptes.second_factor.policy import second_factor_required
from comptes.tokens import api_tokens_revoke

TOTP = "totp"
RECOVERY = "recovery"

# Device names are data shown in the administration, not interface text.
TOTP_DEVICE_NAME = "Application d'authentification"
RECOVERY_DEVICE_NAME = "Codes de secours"

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10
# Without 0/o, 1/i/l: read from paper and typed again. 31 symbols, 10 of them: about 49 bits per code.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_SALT = "comptes.second_factor.recovery_code"
TOTP_CODE = re.compile(r"\d{6}")
# An enrollment not confirmed within this delay is started again, with a new secret.
ENROLLMENT_MAX_AGE = timedelta(minutes=30)


@dataclass(frozen=True)
class Verification:
    """The outcome of a typed code: the device that accepted it, or why not."""

    kind: str  # TOTP or RECOVERY: what the code looked like
    device: Device | None = None
    # Set when django-otp's back-off refused to check the code at all: try again after this moment.
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.device is not None


def confirmed_totp_device(agent: Agent) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=agent, confirmed=True).first()


def recovery_codes_remaining(agent: Agent) -> int:
    return StaticToken.objects.filter(device__user=agent).count()


def _normalized(code: str) -> str:
    """People copy codes with spaces and dashes ("123 456", "abcde-fghjk") and in any case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def _recovery_digests(code: str) -> list[str]:
    """What the database keeps of a recovery code: a keyed hash, never the code itself, so that a leaked
    database or backup gives no usable code. Every key in SECRET_KEY_FALLBACKS is tried too, so that
    rotating SECRET_KEY does not void the codes people printed. Truncated to StaticToken's 16 characters
    (64 bits, more than the code's own 49)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(RECOVERY_CODE_SALT, _normalized(code), secret=key, algorithm="sha256").hexdigest()[:16]
        for key in keys
    ]


def _failure_recorded(*, agent: Agent, kind: str, ip: str, via: str) -> None:
    journal_record(
        action="comptes.second_factor.failed",
        actor=agent,
        territoire=None,
        data={"ip": ip, "kind": kind, "via": via},
    )


def _totp_verify(device: TOTPDevice, code: str) -> bool:
    # django-otp's own check: drift tolerance, a code accepted once only, back-off counters on the device.
    return device.verify_token(code)


def _recovery_verify(device: StaticDevice, code: str) -> bool:
    """StaticDevice.verify_token, but against the hashes we store."""
    match = device.token_set.filter(token__in=_recovery_digests(code)).first()
    # Deleting by primary key and counting the rows: of two requests racing with the same code, one wins.
    if match is None or device.token_set.filter(pk=match.pk).delete()[0] != 1:
        device.throttle_increment()
        return False
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save()
    return True


@transaction.atomic
def code_verify(*, agent: Agent, code: str, ip: str, via: str) -> Verification:
    """Check a code the agent typed: six digits against their confirmed authenticator app, anything else
    against their recovery codes.

    While django-otp's back-off runs (after wrong codes, on the device, whatever the session) nothing is
    checked and `locked_until` says until when. A wrong code writes `comptes.second_factor.failed`; a
    recovery code works once and writes `comptes.second_factor.recovery_code_used`. `via` says where
    the code was typed ("login", "session", "api"), for the journal.
    """
    normalized = _normalized(code)
    kind = TOTP if TOTP_CODE.fullmatch(normalized) else RECOVERY
    model = TOTPDevice if kind == TOTP else StaticDevice
    # Locked, so that two requests cannot both spend the same code or both escape the back-off.
    device = model.objects.select_for_update().filter(user=agent, confirmed=True).order_by("pk").first()
    if device is not None:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return Verification(kind=kind, locked_until=(details or {}).get("locked_until"))
        verified = _totp_verify(device, normalized) if kind == TOTP else _recovery_verify(device, normalized)
        if verified:
            if kind == RECOVERY:
                journal_record(
                    action="comptes.second_factor.recovery_code_used",
                    actor=agent,
                    territoire=None,
                    data={"ip": ip, "via": via, "remaining": device.token_set.count()},
                )
            return Verification(kind=kind, device=device)
    _failure_recorded(agent=agent, kind=kind, ip=ip, via=via)
    return Verification(kind=kind)


def _enrolling_device(agent: Agent, device_id: int | None, *, for_update: bool = False) -> TOTPDevice | None:
    """The unconfirmed device this session is enrolling, while it is recent enough to be trusted."""
    if device_id is None:
        return None
    devices = TOTPDevice.objects.select_for_update() if for_update else TOTPDevice.objects
    return devices.filter(
        pk=device_id,
        user=agent,
        confirmed=False,
        created_at__gt=timezone.now() - ENROLLMENT_MAX_AGE,
    ).first()


@transaction.atomic
def totp_enrollment_start(*, agent: Agent, device_id: int | None = None) -> TOTPDevice:
    """The agent's authenticator app being enrolled in one session: unconfirmed, so it opens nothing yet.

    `device_id` is the device this session is already enrolling (the caller keeps it in the session): while
    it is unconfirmed and younger than `ENROLLMENT_MAX_AGE` it is returned again, so reloading the page does
    not change the QR code a phone may already have scanned. Otherwise the agent's other unconfirmed devices
    are deleted and a new one is created: a secret is only ever shown to the session that created it, so
    someone who once had the password cannot plant a secret that the agent scans later.
    """
    device = _enrolling_device(agent, device_id)
    if device is None:
        TOTPDevice.objects.filter(user=agent, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=agent, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_enrollment_confirm(*, agent: Agent, device_id: int | None, code: str) -> Verification:
    """Confirm the device this session is enrolling (`device_id`, see `totp_enrollment_start`) with a first
    code of the app.

    On success it becomes the agent's only authenticator app: an older one (a lost phone) is deleted and
    the journal says `comptes.second_factor.device_replaced`, else `comptes.second_factor.enabled`. The
    agent's API token is deleted: it was given under the previous rule. Recovery codes are kept. Raises
    ValidationError when this session has no enrollment under way (none, another session's, or too old).
    """
    device = _enrolling_device(agent, device_id, for_update=True)
    if device is None:
        raise ValidationError(_("Aucune activation n'est en cours : recommencez depuis la page Sécurité."))
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return Verification(kind=TOTP, locked_until=(details or {}).get("locked_until"))
    if not _totp_verify(device, _normalized(code)):
        return Verification(kind=TOTP)
    others = TOTPDevice.objects.filter(user=agent).exclude(pk=device.pk)
    replaced = others.filter(confirmed=True).exists()
    others.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    api_tokens_revoke(agent=agent)
    journal_record(
        action="comptes.second_factor.device_replaced" if replaced else "comptes.second_factor.enabled",
        actor=agent,
        territoire=None,
    )
    return Verification(kind=TOTP, device=device)


def _recovery_code_new() -> str:
    code = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def recovery_codes_generate(*, agent: Agent) -> list[str]:
    """Give the agent ten new recovery codes, voiding the previous ones; returns them, to be shown once.

    Only their hashes are stored. Refused (ValidationError) while the agent has no authenticator app: the
    codes stand in for it.
    """
    if confirmed_totp_device(agent) is None:
        raise ValidationError(_("Activez d'abord la double authentification."))
    device, _created = StaticDevice.objects.get_or_create(
        user=agent, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=_recovery_digests(code)[0]) for code in codes)
    journal_record(
        action="comptes.second_factor.recovery_codes_generated",
        actor=agent,
        territoire=None,
        data={"count": len(codes)},
    )
    return codes


@transaction.atomic
def second_factor_disable(*, agent: Agent) -> None:
    """Turn the second factor off: the authenticator app, the recovery codes and the API token (given with a
    code that no longer exists) are deleted.

    Refused (ValidationError) for an agent who must have one.
    """
    if second_factor_required(agent):
        raise ValidationError(_("La double authentification est obligatoire pour votre compte : elle reste active."))
    deleted, _details = TOTPDevice.objects.filter(user=agent, confirmed=True).delete()
    TOTPDevice.objects.filter(user=agent).delete()
    StaticDevice.objects.filter(user=agent).delete()
    api_tokens_revoke(agent=agent)
    if deleted:
        journal_record(action="comptes.second_factor.disabled", actor=agent, territoire=None)
