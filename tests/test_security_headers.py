"""Security headers on every response, templates that a strict Content-Security-Policy can serve, and a
production configuration that passes Django's deployment checks."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/comptes/connexion/", "/accessibilite/", "/api/docs/", "/nulle-part/"])
def test_every_response_carries_a_strict_policy_and_the_other_headers(client, url):
    response = client.get(url)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_api_documentation_loads_its_script_from_a_url_not_inline(client):
    page = client.get(reverse("api_docs")).content.decode()
    inline = [s for s in re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S) if "src=" not in s[0]]
    assert inline == []
    script = client.get(reverse("api_docs"), {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def template_files() -> list[Path]:
    # E-mails are not served to browsers: their HTML needs inline styles, as mail clients ignore stylesheets.
    return [path for path in TEMPLATES.rglob("*.html") if "emails" not in path.relative_to(TEMPLATES).parts]


def test_no_template_carries_inline_script_style_or_event_handler():
    assert len(template_files()) > 50
    offenders = []
    for path in template_files():
        text = path.read_text()
        for tag_attributes in re.findall(r"<script\b([^>]*)>", text):
            if "src=" not in tag_attributes:
                offenders.append(f"{path}: inline <script>")
        # The map's standalone file (the SVG download) carries its own <style>; pages draw it without (svg_for_page).
        if re.search(r"<style\b", text) and path != TEMPLATES / "reseaux" / "_carte_svg.html":
            offenders.append(f"{path}: <style>")
        if re.search(r"\sstyle\s*=", text):
            offenders.append(f"{path}: style attribute")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path}: event handler attribute")
        if re.search(r"javascript:", text, re.I):
            offenders.append(f"{path}: javascript: URL")
    assert offenders == []


def run_in_production(*command: str, **env: str) -> subprocess.CompletedProcess:
    # A clean production environment: no development switch inherited from the test process.
    unwanted = ("DEBUG", "PROCONNECT_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(unwanted)}
    environment.update(
        {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "codir.example.fr", **env}
    )
    return subprocess.run([sys.executable, *command], cwd=ROOT, env=environment, capture_output=True, text=True)


def test_the_production_settings_pass_the_deployment_checks():
    result = run_in_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_sends_https_only_cookies_and_hsts_and_redirects_plain_http():
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'codir.settings'; from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    result = run_in_production("-c", code)
    assert result.stdout.split() == ["True", str(365 * 24 * 3600), "True", "True", "True"], result.stderr


def test_with_proconnect_its_origin_may_receive_the_logout_redirect():
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'codir.settings'; from django.conf import settings as s; "
        "print(' '.join(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    )
    discovery = "https://fca.integ01.dev-agentconnect.fr/api/v2/.well-known/openid-configuration"
    result = run_in_production(
        "-c",
        code,
        PROCONNECT_CLIENT_ID="client",
        PROCONNECT_CLIENT_SECRET="secret",
        PROCONNECT_DISCOVERY_URL=discovery,
    )
    assert result.stdout.split() == ["'self'", "https://fca.integ01.dev-agentconnect.fr"], result.stderr
    assert run_in_production("-c", code).stdout.split() == ["'self'"]
