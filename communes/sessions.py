"""Session limits: an idle timeout, an absolute timeout, and « me déconnecter partout ».

The session carries when it was opened and when it was last used (refreshed at most once a minute, so a
page does not write its session on every request). A session past either limit, or opened before the
agent asked to be logged out everywhere, ends at its next request; a deactivated agent's sessions end
at once anyway (Django's authentication refuses inactive agents).
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from communes.journal import journal_record
from communes.models import Agent

OPENED = "codir_session_opened"
SEEN = "codir_session_seen"
REFRESH_SECONDS = 60


def session_limits_in_hours() -> dict[str, float]:
    """The idle and absolute limits as pages state them (`idle_hours`, `absolute_hours`)."""
    return {
        "idle_hours": round(settings.SESSION_IDLE_SECONDS / 3600, 1),
        "absolute_hours": round(settings.SESSION_ABSOLUTE_SECONDS / 3600, 1),
    }


def session_opened(sender, request, user, **kwargs) -> None:
    """Receiver of `user_logged_in`: the session's clock starts."""
    now = time.time()
    request.session[OPENED] = now
    request.session[SEEN] = now


def expired(session, agent: Agent, now: float) -> bool:
    """Whether this session of the agent is over: idle too long, open too long, or revoked."""
    opened, seen = session.get(OPENED), session.get(SEEN)
    if opened is None or seen is None:
        return False  # a session from before these limits: its clock starts now (see the middleware)
    if now - seen > settings.SESSION_IDLE_SECONDS or now - opened > settings.SESSION_ABSOLUTE_SECONDS:
        return True
    revoked = agent.sessions_revoked_at
    return revoked is not None and opened < revoked.timestamp()


class SessionLimitsMiddleware:
    """After the authentication middleware: ends expired sessions, keeps the others' clock."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            if expired(request.session, request.user, now):
                logout(request)
                messages.info(request, _("Votre session a pris fin : reconnectez-vous pour continuer."))
            else:
                request.session.setdefault(OPENED, now)
                if now - request.session.get(SEEN, 0) >= REFRESH_SECONDS:
                    request.session[SEEN] = now
        return self.get_response(request)


@transaction.atomic
def sessions_revoke(*, agent: Agent) -> None:
    """End every session of the agent, this one included, at its next request (« me déconnecter partout »),
    and delete their API token: a leaked token is exactly what this button is pressed for."""
    agent.sessions_revoked_at = timezone.now()
    agent.save(update_fields=["sessions_revoked_at"])
    Token.objects.filter(user=agent).delete()
    journal_record(action="communes.sessions.revoked", actor=agent, territoire=None, target=agent)
