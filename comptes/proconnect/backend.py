"""The authentication backend of ProConnect logins: mozilla-django-oidc's, fed from the discovery document,
with the checks the library leaves out (issuer, audience, a signed userinfo about the same person)."""

from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from communes.models import Agent
from comptes.proconnect.agents import ProConnectClaims, proconnect_login_accept
from comptes.proconnect.discovery import ProviderConfiguration, provider_configuration
from comptes.proconnect.session import SessionIdentity, amr_values

# Clocks drift a little between ProConnect and us; its tokens live about a minute.
LEEWAY_SECONDS = 30
ID_TOKEN_CLAIMS = ["iss", "aud", "exp", "iat", "sub"]


class InvalidProviderResponse(Exception):
    """ProConnect answered, but not with what the protocol promises (unsigned userinfo, another person...)."""


@dataclass(frozen=True)
class CompletedLogin:
    """What the callback view keeps in the session once `login()` has renewed it."""

    id_token: str
    identity: SessionIdentity


COMPLETED_ATTRIBUTE = "proconnect_completed"


class ProConnectBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a ProConnect login, and nothing else.

    Accounts are never created from a login alone: `proconnect_login_accept` finds the agent (or accepts
    their pending invitations) and checks the SIRET, or refuses (`ProConnectRefused` goes up to the view
    rather than ending in `user_login_failed`, which would count a refusal as a wrong password).
    """

    def __init__(self, *args, **kwargs) -> None:
        # Django builds every backend for every login and every request of a session; the library's
        # __init__ reads the provider's endpoints from settings. Here they come from the discovery
        # document, fetched only when a ProConnect login needs them (properties below).
        self.UserModel = get_user_model()

    OIDC_RP_IDP_SIGN_KEY = None

    @property
    def provider(self) -> ProviderConfiguration:
        return provider_configuration()

    # The attributes the library reads, under its names.
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return self.provider.token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return self.provider.userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return self.provider.jwks_uri

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return settings.PROCONNECT_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return settings.PROCONNECT_CLIENT_SECRET

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return settings.OIDC_RP_SIGN_ALGO

    def authenticate(self, request: HttpRequest | None, **kwargs) -> Agent | None:
        # Only our callback view passes a nonce: a password login must never reach the provider, even on a
        # URL that happens to carry ?code=…&state=….
        if request is None or not kwargs.get("nonce") or not settings.PROCONNECT_ENABLED:
            return None
        agent = super().authenticate(request, **kwargs)
        if agent is None:
            # Returning None would make Django send `user_login_failed`, which django-axes counts as a wrong
            # password (for the username "", from this address): a ProConnect callback ends on our pages instead.
            raise InvalidProviderResponse("the callback authenticated nobody")
        return agent

    def get_user(self, user_id) -> Agent | None:
        # The library's get_user skips the is_active check: a deactivated agent's session must end at once.
        return ModelBackend.get_user(self, user_id)

    def get_token(self, payload: dict) -> dict:
        """The token endpoint's answer: a JSON object with an access token and an id_token, or refused."""
        token_info = super().get_token(payload)
        # The library reads it with .get(): a list or a string would end in a 500.
        if not isinstance(token_info, dict):
            raise InvalidProviderResponse("token endpoint answer is not a JSON object")
        for name in ("access_token", "id_token"):
            if not isinstance(token_info.get(name), str) or not token_info[name]:
                raise InvalidProviderResponse(f"token endpoint answer without {name}")
        return token_info

    def store_tokens(self, access_token: str, id_token: str) -> None:
        # Nothing in the session yet: login() may start a new one. The view stores the id_token after it.
        return None

    def _decode(self, token: str, *, id_token: bool) -> dict:
        algorithm = self.OIDC_RP_SIGN_ALGO
        if jwt.get_unverified_header(token).get("alg") != algorithm:
            raise SuspiciousOperation(f"ProConnect token not signed with {algorithm}")
        key = self.retrieve_matching_jwk(token)
        issuer = self.provider.issuer
        if id_token:
            payload = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ID_TOKEN_CLAIMS},
            )
            # PyJWT accepts an audience list that merely contains ours; a token also meant for another client
            # could be replayed by it (OpenID Connect Core 3.1.3.7: untrusted audiences are refused).
            client_id = self.OIDC_RP_CLIENT_ID
            if payload["aud"] not in (client_id, [client_id]):
                raise InvalidProviderResponse("id_token also meant for another audience")
            if "azp" in payload and payload["azp"] != client_id:
                raise InvalidProviderResponse("id_token authorized for another party")
            return payload
        claims = jwt.decode(token, key, algorithms=[algorithm], leeway=LEEWAY_SECONDS, options={"verify_aud": False})
        # A signed userinfo SHOULD name its issuer and audience (OpenID Connect Core 5.3.2): checked when there.
        if "iss" in claims and claims["iss"] != issuer:
            raise InvalidProviderResponse("userinfo from another issuer")
        if "aud" in claims:
            audience = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
            if self.OIDC_RP_CLIENT_ID not in audience:
                raise InvalidProviderResponse("userinfo for another client")
        return claims

    def verify_token(self, token: str, **kwargs) -> dict:
        """The id_token: signed by a key of the provider's JWKS, issued by it for us, unexpired, with our nonce."""
        payload = self._decode(token, id_token=True)
        nonce = kwargs.get("nonce")
        if settings.OIDC_USE_NONCE and not (nonce and constant_time_compare(str(payload.get("nonce", "")), nonce)):
            raise SuspiciousOperation("ProConnect id_token nonce differs from the one sent")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict) -> dict:
        """ProConnect's userinfo, which it always signs (application/jwt); about the person of the id_token."""
        response = requests.get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
            proxies=self.get_settings("OIDC_PROXY", None),
        )
        response.raise_for_status()
        if not response.headers.get("content-type", "").lower().startswith("application/jwt"):
            raise InvalidProviderResponse("userinfo is not a signed JWT")
        claims = self._decode(response.text, id_token=False)
        if not isinstance(claims.get("sub"), str) or claims["sub"] != payload.get("sub"):
            raise InvalidProviderResponse("userinfo about another subject than the id_token")
        return claims

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict) -> Agent:
        try:
            userinfo = self.get_userinfo(access_token, id_token, payload)
        except SuspiciousOperation as error:
            # The library would turn this into "no user", which Django reports as a failed password login.
            raise InvalidProviderResponse(str(error)) from error
        claims = ProConnectClaims.from_userinfo(userinfo)
        if not claims.email:
            raise InvalidProviderResponse("userinfo without an email")
        login = proconnect_login_accept(claims=claims)
        # How the identity provider authenticated the person is in the id_token, which we asked for it
        # (`claims` parameter of the login view): it decides whether our second factor is still due.
        identity = login.identity(claims, amr=amr_values(payload.get("amr")))
        setattr(self.request, COMPLETED_ATTRIBUTE, CompletedLogin(id_token=id_token, identity=identity))
        return login.agent
