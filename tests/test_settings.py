"""The settings module reads the environment and refuses values it cannot use."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    environment.update(env)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'codir.settings'; "
        "from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.TIME_ZONE, settings.LANGUAGE_CODE)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_development_mode_is_asked_for_and_french():
    result = load_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "Europe/Paris", "fr"]


def test_debug_is_off_unless_asked_for():
    result = load_settings(SECRET_KEY="une-cle-de-production-assez-longue")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_postgresql_is_used_when_database_url_is_set():
    result = load_settings(DEBUG="true", DATABASE_URL="postgres://codir:secret@127.0.0.1:5432/codir")
    assert result.stdout.split()[1] == "django.db.backends.postgresql"


def test_production_without_a_secret_key_refuses_to_start():
    result = load_settings()
    assert result.returncode != 0 and "SECRET_KEY est obligatoire" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "peut-être", "DEBUG doit valoir true ou false"),
        ("EMAIL_PORT", "vingt-cinq", "EMAIL_PORT doit être un nombre entier"),
        ("EMAIL_BACKEND", "pigeon", "EMAIL_BACKEND doit valoir l'un de"),
    ],
)
def test_a_value_that_cannot_be_read_stops_the_start_with_its_name(variable, value, message):
    result = load_settings(**{"DEBUG": "true", variable: value})
    assert result.returncode != 0 and message in result.stderr
