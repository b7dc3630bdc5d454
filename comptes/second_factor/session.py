"""What the session remembers about the second factor, so that a page costs no query once it is passed.

Keys:
- ``comptes_second_factor``: ``{"at": timestamp, "kind": "totp" | "recovery" | …}`` — this session passed a
  second factor (or, for a test's forced login, stands for a session that did). Never removed while the
  session lives: the session's own limits (communes.sessions) end it.
- ``comptes_second_factor_required``: ``{"at": timestamp, "enabled": bool, "reasons": [...]}`` — the last
  answer of `second_factor_status`, re-read at most every `SECOND_FACTOR_RECHECK_SECONDS`.
- ``comptes_second_factor_pending``: ``{"agent": id, "backend": path, "at": timestamp, "failures": n}`` —
  the password was right, the code is still due; nobody is logged in yet.
- ``comptes_second_factor_failures``: wrong codes typed in a session that is open but not yet verified.
- ``comptes_second_factor_replacing``: when the password was confirmed to replace the device.
- ``comptes_second_factor_enrolling``: the id of the unconfirmed device this session is enrolling; its secret
  is shown to this session only (see `services.totp_enrollment_start`).
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from communes.models import Agent
from comptes.second_factor.policy import SecondFactorStatus, second_factor_status

VERIFIED = "comptes_second_factor"
VERDICT = "comptes_second_factor_required"
PENDING = "comptes_second_factor_pending"
FAILURES = "comptes_second_factor_failures"
REPLACING = "comptes_second_factor_replacing"
ENROLLING = "comptes_second_factor_enrolling"

# How long the password confirmation that opens a device replacement stays valid.
REPLACING_SECONDS = 10 * 60


def session_mark_verified(session: SessionBase, *, agent: Agent, kind: str, status: SecondFactorStatus | None = None):
    """Record that this session passed a second factor (`kind` says which), with the agent's status.

    Call it after `login()`, which renews the session. Tests call it after `force_login`, which stands for a
    complete login.
    """
    session[VERIFIED] = {"at": time.time(), "kind": kind}
    session.pop(FAILURES, None)
    verdict_store(session, status or second_factor_status(agent))


def is_verified(session: SessionBase) -> bool:
    return VERIFIED in session


def verified_kind(session: SessionBase) -> str | None:
    return session.get(VERIFIED, {}).get("kind")


def verdict_store(session: SessionBase, status: SecondFactorStatus) -> None:
    session[VERDICT] = {"at": time.time(), "enabled": status.enabled, "reasons": list(status.reasons)}


def session_status(session: SessionBase, agent: Agent) -> SecondFactorStatus:
    """The agent's status as the session last read it, re-read (one query) when older than the recheck delay.

    A role granted meanwhile (an agent made facilitator) is seen within that delay.
    """
    verdict = session.get(VERDICT)
    if verdict is None or time.time() - verdict.get("at", 0) > settings.SECOND_FACTOR_RECHECK_SECONDS:
        status = second_factor_status(agent)
        verdict_store(session, status)
        return status
    return SecondFactorStatus(enabled=verdict["enabled"], reasons=tuple(verdict["reasons"]))


@dataclass(frozen=True)
class PendingLogin:
    """A login between its password and its code."""

    agent_id: int
    backend: str
    failures: int


def pending_login_start(session: SessionBase, *, agent: Agent, backend: str) -> None:
    """The password was right and a code is due: remember who, through which backend, since when."""
    session[PENDING] = {"agent": agent.pk, "backend": backend, "at": time.time(), "failures": 0}


def pending_login(session: SessionBase) -> PendingLogin | None:
    """The pending login of this session, or None (none, or forgotten after `SECOND_FACTOR_PENDING_SECONDS`)."""
    pending = session.get(PENDING)
    if pending is None:
        return None
    if time.time() - pending["at"] > settings.SECOND_FACTOR_PENDING_SECONDS:
        del session[PENDING]
        return None
    return PendingLogin(agent_id=pending["agent"], backend=pending["backend"], failures=pending["failures"])


def pending_login_drop(session: SessionBase) -> None:
    session.pop(PENDING, None)


def failure_count_increment(session: SessionBase) -> int:
    """One more wrong code in this session (pending login or open session); returns the new count."""
    if PENDING in session:
        pending = session[PENDING]
        pending["failures"] += 1
        session[PENDING] = pending  # reassigned so that the session knows it changed
        return pending["failures"]
    failures = session.get(FAILURES, 0) + 1
    session[FAILURES] = failures
    return failures


def replacing_start(session: SessionBase) -> None:
    session[REPLACING] = time.time()


def replacing(session: SessionBase) -> bool:
    """Whether the agent confirmed their password to replace their device, recently enough."""
    started = session.get(REPLACING)
    return started is not None and time.time() - started <= REPLACING_SECONDS


def replacing_end(session: SessionBase) -> None:
    session.pop(REPLACING, None)


def enrolling(session: SessionBase) -> int | None:
    """The id of the device this session is enrolling, if any."""
    return session.get(ENROLLING)


def enrolling_set(session: SessionBase, device_id: int) -> None:
    session[ENROLLING] = device_id


def enrolling_end(session: SessionBase) -> None:
    session.pop(ENROLLING, None)
