"""A local OpenID Connect provider that behaves like ProConnect, for tests without the network.

It answers the `requests.get` / `requests.post` calls of mozilla-django-oidc and of our discovery code
(the tests monkeypatch them): discovery document, JWKS, token endpoint (an id_token signed RS256) and
userinfo endpoint (a signed JWT, `application/jwt`, as ProConnect sends it). The test plays the browser:
it reads the authorize redirect, lets the provider issue a code for an identity, and calls our callback.
"""

import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.structures import CaseInsensitiveDict

ISSUER = "https://proconnect.test/api/v2"
DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
CLIENT_ID = "client-codir-de-territoire"
CLIENT_SECRET = "secret-de-test"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# One key for the whole test session: generating RSA keys costs tens of milliseconds each.
PROVIDER_KEY = new_key()
OTHER_KEY = new_key()


def identity(email: str, siret: str, **claims: Any) -> dict:
    """The userinfo of a ProConnect agent."""
    return {
        "email": email,
        "given_name": "Sophie",
        "usual_name": "Guérin",
        "siret": siret,
        "uid": "4242",
        "idp_id": "fia1v2",
        **claims,
    }


def _response(url: str, status: int, body: bytes, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict({"Content-Type": content_type})
    response.url = url
    response.encoding = "utf-8"
    return response


def _json(url: str, data: Any, status: int = 200) -> requests.Response:
    return _response(url, status, json.dumps(data).encode(), "application/json; charset=utf-8")


class FakeProConnect:
    """The provider's state: issued codes and access tokens, and what was asked of it."""

    def __init__(self) -> None:
        self.kid = "cle-proconnect-1"
        # What the identity provider declares when asked for `amr` (claims parameter): by default a password,
        # as ProConnect's own identity provider without an authenticator app; None: it declares nothing.
        self.amr: list[str] | None = ["pwd"]
        self.token_body: bytes | None = None  # what the token endpoint answers instead of its JSON object
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.down = False  # every call fails as if the network were cut
        self.userinfo_as_json = False  # an unsigned userinfo, which ProConnect never sends

    @property
    def endpoints(self) -> dict:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "userinfo_endpoint": f"{ISSUER}/userinfo",
            "jwks_uri": f"{ISSUER}/jwks",
            "end_session_endpoint": f"{ISSUER}/session/end",
        }

    def discovery_fetches(self) -> int:
        return sum(1 for method, url in self.requests if url == DISCOVERY_URL)

    # --- what the browser would do at the provider -------------------------------------------------------
    def authorize(self, authorize_url: str, userinfo: dict, **id_token_claims: Any) -> str:
        """Check the authorization request as ProConnect does, and issue a code for this identity.

        `id_token_claims` replace claims of the id_token (e.g. `nonce`, `exp`, `amr`), `sign_with` signs it
        with another key. The id_token carries `amr` only when the `claims` parameter asked for it, as at
        ProConnect.
        """
        parts = urlsplit(authorize_url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.endpoints["authorization_endpoint"]
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        assert query["response_type"] == "code"
        assert query["client_id"] == CLIENT_ID
        assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
        # ProConnect refuses any parameter it does not list.
        allowed = {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "prompt", "claims"}
        assert set(query) <= allowed | {"idp_hint", "login_hint"}, query
        requested = json.loads(query.get("claims", "{}"))  # a JSON object, or ProConnect answers an error
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "redirect_uri": query["redirect_uri"],
            "nonce": query["nonce"],
            "userinfo": userinfo,
            "id_token_claims": id_token_claims,
            "amr_requested": "amr" in requested.get("id_token", {}),
        }
        return code

    # --- what the relying party asks, server to server ---------------------------------------------------
    def get(self, url: str, *args: Any, headers: dict | None = None, **kwargs: Any) -> requests.Response:
        self.requests.append(("GET", url))
        if self.down:
            raise requests.ConnectionError(f"{url}: network unreachable")
        if url == DISCOVERY_URL:
            return _json(url, self.endpoints)
        if url == self.endpoints["jwks_uri"]:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key()))
            return _json(url, {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]})
        if url == self.endpoints["userinfo_endpoint"]:
            return self._userinfo(url, (headers or {}).get("Authorization", ""))
        raise requests.ConnectionError(f"{url}: unknown to the test provider")

    def post(self, url: str, *args: Any, data: dict | None = None, **kwargs: Any) -> requests.Response:
        self.requests.append(("POST", url))
        if self.down:
            raise requests.ConnectionError(f"{url}: network unreachable")
        if url != self.endpoints["token_endpoint"]:
            raise requests.ConnectionError(f"{url}: unknown to the test provider")
        if self.token_body is not None:
            return _response(url, 200, self.token_body, "application/json; charset=utf-8")
        data = data or {}
        grant = self.codes.pop(data.get("code", ""), None)  # a code works once
        if (
            grant is None
            or data.get("grant_type") != "authorization_code"
            or data.get("client_id") != CLIENT_ID
            or data.get("client_secret") != CLIENT_SECRET
            or data.get("redirect_uri") != grant["redirect_uri"]
        ):
            return _json(url, {"error": "invalid_grant"}, status=400)
        access_token = secrets.token_urlsafe(16)
        self.access_tokens[access_token] = grant
        return _json(
            url,
            {"access_token": access_token, "token_type": "Bearer", "expires_in": 60, "id_token": self._id_token(grant)},
        )

    def _sign(self, claims: dict, key: rsa.RSAPrivateKey | None = None) -> str:
        return jwt.encode(claims, key or PROVIDER_KEY, algorithm="RS256", headers={"kid": self.kid})

    def _id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "sub-" + grant["userinfo"]["email"].lower(),
            "iat": now,
            "exp": now + 60,
            "nonce": grant["nonce"],
            "acr": "eidas1",
            "idp_id": grant["userinfo"].get("idp_id", ""),
        }
        if grant["amr_requested"] and self.amr is not None:
            claims["amr"] = self.amr
        overrides = dict(grant["id_token_claims"])
        key = overrides.pop("sign_with", None)
        claims.update(overrides)
        return self._sign(claims, key)

    def _userinfo(self, url: str, authorization: str) -> requests.Response:
        grant = self.access_tokens.get(authorization.removeprefix("Bearer "))
        if grant is None:
            return _json(url, {"error": "invalid_token"}, status=401)
        claims = {"sub": "sub-" + grant["userinfo"]["email"].lower(), **grant["userinfo"]}
        if self.userinfo_as_json:
            return _json(url, claims)
        signed = self._sign({"iss": ISSUER, "aud": CLIENT_ID, "iat": int(time.time()), **claims})
        return _response(url, 200, signed.encode(), "application/jwt; charset=utf-8")
