"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

`playwright install` cannot download browsers on these machines, so the tests drive
/usr/bin/chromium. Without it the browser tests fail with a message saying so; set
CODIR_SKIP_E2E=1 to skip them deliberately instead.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import PASSWORD, totp_code

# Playwright's sync API runs an event loop in this thread; the ORM calls the fixtures make
# around it are still synchronous. Tests only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
LOGIN_PATH = "/comptes/connexion/"


def e2e_skipped() -> bool:
    return os.environ.get("CODIR_SKIP_E2E") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the browser tests before any database or server is set up, when asked to."""
    if not e2e_skipped():
        return
    skip = pytest.mark.skip(reason="CODIR_SKIP_E2E=1 : tests dans le navigateur ignorés")
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if e2e_skipped():
        pytest.skip("CODIR_SKIP_E2E=1 : tests dans le navigateur ignorés")
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium est introuvable à {CHROMIUM} : les tests dans le navigateur ne peuvent pas tourner. "
            "Installez-le avec `apt-get install chromium` (`playwright install` ne fonctionne pas ici), "
            "ou posez CODIR_SKIP_E2E=1 pour les ignorer volontairement.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def watch_csp(page: Page, refused: list[str]) -> None:
    """Collect what the browser refused under our Content-Security-Policy (it says so in the console)."""
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    refused: list[str] = []
    page = context.new_page()
    watch_csp(page, refused)
    yield page
    page.close()
    assert refused == [], "Refusé par la Content-Security-Policy :\n" + "\n".join(refused)


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator[Callable[[], Page]]:
    """Another person's browser: a fresh context (own cookies) on the live server."""
    contexts = []

    refused: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_server.url, locale="fr-FR")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch_csp(page, refused)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert refused == [], "Refusé par la Content-Security-Policy :\n" + "\n".join(refused)


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def assert_accessible(axe: Axe) -> Callable[[Page, str], None]:
    """Run axe-core in the page and fail with its report if anything is found."""

    def check(page: Page, what: str) -> None:
        results = axe.run(page)
        assert results.violations_count == 0, f"axe ({what}, {page.url}):\n{results.generate_report()}"

    return check


def _authenticator_for(email: str):
    """The confirmed authenticator app of an agent who must have one, created if needed (as if enrolled
    earlier); None for the others, who log in with their password alone."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from communes.models import Agent
    from comptes.second_factor.policy import second_factor_required

    agent = Agent.objects.get(email__iexact=email)
    device = TOTPDevice.objects.filter(user=agent, confirmed=True).first()
    if device is None and second_factor_required(agent):
        device = TOTPDevice.objects.create(user=agent, name="Application d'authentification", confirmed=True)
    return device


@pytest.fixture
def log_in() -> Callable[[Page, str], None]:
    """Log in through the real forms, as an agent would; lands on « Mes territoires ».

    An agent who must have a second factor types the code their authenticator app shows now at step 2.
    """

    def fill_and_submit(page: Page, email: str) -> None:
        if not page.url.endswith(LOGIN_PATH):
            page.goto(LOGIN_PATH)
        device = _authenticator_for(email)
        page.locator("#id_username").fill(email)
        page.locator("#id_password").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        if device is not None:
            expect(page).to_have_url(re.compile(r"/comptes/second-facteur/"))
            page.locator("#id_code").fill(totp_code(device))
            page.get_by_role("button", name="Valider", exact=True).click()
        expect(page).to_have_url(re.compile(r"/territoires/$"))

    return fill_and_submit
