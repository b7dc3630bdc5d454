"""Typed readers of environment variables that fail loudly on values they cannot parse."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on", "oui"}
_FALSE = {"0", "false", "no", "off", "non", ""}


def env_str(name: str, *, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} doit valoir true ou false, pas {raw!r}.")


def env_int(name: str, *, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} doit être un nombre entier, pas {raw!r}.") from None


def env_list(name: str, *, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


CACHE_MAX_ENTRIES = 50_000


def env_cache(name: str, *, default: str) -> dict:
    """A cache from a URL: `file:///path` (shared by the processes of one machine: the web workers, the task
    worker and the commands), `db://table` (shared by several machines; `manage.py createcachetable`),
    `locmem://` (one process: tests only)."""
    raw = os.environ.get(name, default)
    scheme, _, rest = raw.partition("://")
    # Django culls a third of the entries, at random, past 300: at the scale of France (1,255 territories,
    # each with its figures and network analyses) a page's entries were culled between two requests.
    options = {"MAX_ENTRIES": CACHE_MAX_ENTRIES}
    if scheme == "file" and rest:
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": rest, "OPTIONS": options}
    if scheme == "db" and rest:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest, "OPTIONS": options}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest or "codir"}
    raise ImproperlyConfigured(f"{name} : file:///chemin, db://table ou locmem://, pas {raw!r}.")
