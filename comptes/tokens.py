"""API tokens: given by ``POST /api/v1/jeton/`` (`comptes.second_factor.api`) under the rules of a web login,
and valid only while those rules still hold.

One token per agent (DRF's `Token`): asking for a new one deletes the previous one. It is deleted when the
second factor is enabled, replaced or turned off (`comptes.second_factor.services`) and when the agent asks to
be logged out everywhere (`communes.sessions.sessions_revoke`). `ExpiringTokenAuthentication` refuses it:

- after `API_TOKEN_DAYS` days;
- once the agent's password has changed, by whatever path (the reset form, the administration,
  ``manage.py changepassword``, a script): the key ends with a keyed hash of the password hash it was
  given under — what Django does for sessions (`get_session_auth_hash`) — so no view or signal has to
  remember to revoke it. (Django also re-hashes a password when it raises its hashing cost, at the first
  login after an upgrade: the token then has to be asked for again, as a session would be closed.)
  A token made some other way (DRF's admin page, ``drf_create_token``) carries no such hash and is refused:
  every token goes through the second factor;
- when the agent asked to be logged out everywhere after it was given (belt and braces: it is deleted then);
- when the agent must now have a second factor and has none (a role granted after the token was given).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed

from communes.journal import journal_record
from communes.models import Agent
from comptes.second_factor.policy import second_factor_status

# Token.key holds 40 characters: 96 random bits, then 64 bits tying the token to the password hash.
NONCE_LENGTH = 24
BINDING_LENGTH = 16
KEY_SALT = "comptes.tokens.api_token"


def _binding(agent: Agent, nonce: str, secret: str) -> str:
    value = f"{agent.pk}:{nonce}:{agent.password}"
    return salted_hmac(KEY_SALT, value, secret=secret, algorithm="sha256").hexdigest()[:BINDING_LENGTH]


def _issued_under_current_password(agent: Agent, key: str) -> bool:
    """Whether the key was made for the agent's current password hash. Every key in SECRET_KEY_FALLBACKS is
    tried too, so that rotating SECRET_KEY does not void the tokens of the moment."""
    nonce, binding = key[:NONCE_LENGTH], key[NONCE_LENGTH:]
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(binding, _binding(agent, nonce, secret)) for secret in keys)


@transaction.atomic
def api_token_issue(*, agent: Agent, ip: str, second_factor: str | None) -> Token:
    """A new API token for the agent, who has just given their password (and their code, `second_factor` says
    which kind, None without one); the previous token stops working.

    Journaled as `comptes.api_token.issued`, which the agent sees on their security page.
    """
    # The agent's row is locked so that two requests at once do not both delete, then both create.
    list(Agent.objects.select_for_update().filter(pk=agent.pk).values_list("pk", flat=True))
    Token.objects.filter(user=agent).delete()
    nonce = secrets.token_hex(NONCE_LENGTH // 2)
    token = Token.objects.create(user=agent, key=nonce + _binding(agent, nonce, settings.SECRET_KEY))
    journal_record(
        action="comptes.api_token.issued",
        actor=agent,
        territoire=None,
        data={"ip": ip, "second_factor": second_factor or "none"},
    )
    return token


def api_tokens_revoke(*, agent: Agent) -> int:
    """Delete the agent's API token, if any; returns how many were deleted. Called by the writers that change
    what a token was given under (the second factor, « me déconnecter partout »)."""
    deleted, _details = Token.objects.filter(user=agent).delete()
    return deleted


def _refusal(agent: Agent, token: Token) -> str | None:
    """Why this (existing, active) token no longer opens the API, or None."""
    if token.created <= timezone.now() - timedelta(days=settings.API_TOKEN_DAYS):
        return _("Jeton expiré : demandez-en un nouveau.")
    revoked = agent.sessions_revoked_at
    if not _issued_under_current_password(agent, token.key) or (revoked is not None and token.created < revoked):
        return _("Jeton révoqué : demandez-en un nouveau.")
    status = second_factor_status(agent)
    if status.required and not status.enabled:
        return _(
            "La double authentification est désormais obligatoire pour votre compte : activez-la sur le site, "
            "puis demandez un nouveau jeton."
        )
    return None


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with the limits above. Costs one query more than DRF's (the second factor's
    status): a token request has no session to keep that verdict in."""

    def authenticate_credentials(self, key: str):
        agent, token = super().authenticate_credentials(key)
        if message := _refusal(agent, token):
            # It will never work again: no need to keep it.
            token.delete()
            raise AuthenticationFailed(message)
        return agent, token
