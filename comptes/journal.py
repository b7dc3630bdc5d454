"""The login journal: logins, failures and lockouts, written where the agent and the security team find them.

These lines belong to no territory (a login opens every territory of the agent at once); the agent reads
their own on their security page, the operators in the administration.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from communes.journal import journal_record
from communes.models import Agent
from comptes.auth_method import PASSWORD, PROCONNECT, auth_method_set
from comptes.throttling import client_ip

PROCONNECT_BACKEND = "comptes.proconnect.ProConnectBackend"


def _agent_for(username: str) -> Agent | None:
    if not username:
        return None
    return Agent.objects.with_email(username).first()


def _typed_username(username: str) -> str:
    """What was typed as the account, kept only when it looks like an address: people sometimes type
    their password in the wrong field, and the journal must not keep it."""
    return username[:254] if "@" in username else ""


@receiver(user_logged_in, dispatch_uid="comptes_login_journal")
def login_recorded(sender, request: HttpRequest | None, user: Agent, **kwargs) -> None:
    """A session opened: remember how (a ProConnect session whose provider checked a second factor is not
    asked for ours) and say so."""
    method = PROCONNECT if getattr(user, "backend", "") == PROCONNECT_BACKEND else PASSWORD
    data: dict = {"method": method}
    if request is not None:
        if hasattr(request, "session"):
            auth_method_set(request, method)
        data["ip"] = client_ip(request)
    device = getattr(user, "otp_device", None)
    if device is not None:
        data["second_factor"] = "recovery" if device.__class__.__name__ == "StaticDevice" else "totp"
    journal_record(action="comptes.login.succeeded", actor=user, territoire=None, data=data)


@receiver(user_login_failed, dispatch_uid="comptes_login_failed_journal")
def login_failure_recorded(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    """A wrong password (or a refused account). Attempts during a lockout are not written again: the
    lockout line says it, and an attacker hammering a locked account must not flood the journal."""
    if request is None or getattr(request, "axes_locked_out", False):
        return
    username = str(credentials.get("username") or "").strip()
    agent = _agent_for(username)
    data = {"ip": client_ip(request)}
    if agent is None and (typed := _typed_username(username)):
        data["username"] = typed
    journal_record(action="comptes.login.failed", actor=agent, territoire=None, data=data)


@receiver(user_locked_out, dispatch_uid="comptes_lockout_journal")
def lockout_recorded(sender, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs) -> None:
    """django-axes locked this account out from this address for the cool-off.

    django-axes says it again at every attempt during the lockout; only the failure that started the
    lockout was counted (`axes_failures_since_start` is left unset for the others), so only it is written.
    """
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    username = str(username or "").strip()
    agent = _agent_for(username)
    data = {"ip": ip_address or ""}
    if agent is None and (typed := _typed_username(username)):
        data["username"] = typed
    journal_record(action="comptes.login.locked_out", actor=agent, territoire=None, data=data)
