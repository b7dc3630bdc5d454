"""ProConnect's endpoints and keys, read from its discovery document and kept in the cache for a while."""

import hashlib
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint")


class ProviderUnavailable(Exception):
    """ProConnect could not be reached, or its discovery document is not usable."""


@dataclass(frozen=True)
class ProviderConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def _cache_key(url: str) -> str:
    # Keyed by the URL: pointing the application at another platform never serves the old platform's endpoints.
    return "comptes.proconnect.discovery." + hashlib.sha256(url.encode()).hexdigest()


def _fetch(url: str) -> dict:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"discovery document unreachable: {error}") from error
    if not isinstance(document, dict):
        raise ProviderUnavailable("discovery document is not a JSON object")
    missing = [name for name in ("issuer", *ENDPOINTS) if not isinstance(document.get(name), str) or not document[name]]
    if missing:
        raise ProviderUnavailable(f"discovery document lacks {', '.join(missing)}")
    return {name: document[name] for name in ("issuer", *ENDPOINTS)}


def provider_configuration() -> ProviderConfiguration:
    """The provider's issuer and endpoints, from `PROCONNECT_DISCOVERY_URL`.

    Fetched at most once per `PROCONNECT_DISCOVERY_CACHE_SECONDS` (only a usable document is cached, so an
    outage is retried at the next login); raises `ProviderUnavailable` when it cannot be had.
    """
    url = settings.PROCONNECT_DISCOVERY_URL
    if not url:
        raise ProviderUnavailable("PROCONNECT_DISCOVERY_URL is not set")
    key = _cache_key(url)
    document = cache.get(key)
    if document is None:
        document = _fetch(url)
        cache.set(key, document, settings.PROCONNECT_DISCOVERY_CACHE_SECONDS)
    return ProviderConfiguration(**document)
