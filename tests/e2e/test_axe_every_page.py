"""axe-core on every page template (RGAA): each template that draws a whole page is opened in chromium, as the
persona who may see it, and must show no violation.

The pages are found, not listed: every page URL of the project is first requested with the test client to learn
which templates it draws; then the fewest URLs that draw every page template are opened in the browser. A new
page template that no URL draws fails the coverage test until a URL reaches it or it is excused below with the
reason (and where else axe checks it).
"""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from codir.avis import avis_open
from codir.revue import services as revue_services
from communes.models import Agent, Territoire
from communes.services import invitation_token
from tests.conftest import force_complete_login
from tests.isolation_objects import TERRITORY_URL_KWARGS, Objects, build_objects

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    # What a page draws does not depend on the database engine: the SQLite run checks every template once.
    pytest.mark.skipif(connection.vendor == "postgresql", reason="run once, on SQLite"),
]

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Page templates no GET of the crawl draws, and why; each is checked by axe elsewhere or is not ours to check.
EXCUSED = {
    "500.html": "drawn without context when the server fails; static and checked by the template scan",
    "comptes/second_factor_recovery_codes.html": "after a POST only: checked by axe in tests/e2e/test_connexion.py",
    "comptes/second_factor_verify.html": "after the password step only: checked by axe in test_connexion.py",
    "comptes/lockout.html": "after five wrong passwords: checked by axe in tests/e2e/test_connexion.py",
    "codir/revue/questionnaire.html": "only while answers are open: checked by axe in test_revue_annuelle.py",
    "codir/avis_document.html": "an e-mail's HTML part, not a page: checked by axe below from its rendering",
    "bench_ceiling.html": "the benchmark's ceiling (manage.py bench), served only while benchmarking",
}

# Non-territory pages and the persona who opens them (None: anonymous).
GLOBAL_PAGES = {
    "dgs_epci": [
        "mes_territoires",
        "calendar_link",
        "account_security",
        "second_factor_recovery_codes",
        "second_factor_replace",
        "mes_donnees",
        "mes_donnees_effacer",
        "accessibilite",
        "confidentialite",
    ],
    "sg": ["second_factor_enroll", "second_factor_disable"],
    "facilitateur": [
        "facilitation:accueil",
        "facilitation:campagne_creer",
        "facilitation:comparaison",
        "facilitation:campagne",
        "facilitation:campagne_questionnaire",
    ],
    None: ["login", "password_reset", "password_reset_done", "password_reset_complete"],
}


def page_templates() -> set[str]:
    """Templates that draw a whole page: they extend another, and are neither partials nor e-mails."""
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        if path.name.startswith(("_", "fragment_")) or name.startswith("emails/") or "_email" in path.name:
            continue
        if "{% extends" in path.read_text(encoding="utf-8") or name in ("500.html",):
            found.add(name)
    return found


def territory_page_urls(territoire: Territoire, objects: Objects) -> list[str]:
    urls = []
    for name, kwargs in sorted(TERRITORY_URL_KWARGS.items()):
        if name.startswith("api:"):
            continue
        urls.append(reverse(name, kwargs={"territoire_slug": territoire.slug, **kwargs(objects)}))
    return urls


def templates_drawn(client: Client, url: str) -> set[str]:
    response = client.get(url)
    if response.status_code not in (200, 400, 403, 404, 410) or "text/html" not in response.get("Content-Type", ""):
        return set()
    return {t.name for t in response.templates if t.name}


def smallest_cover(drawn: dict[tuple, set[str]], wanted: set[str]) -> list[tuple]:
    """Greedy set cover: the (persona, url) pairs to open in the browser so that every wanted template is seen."""
    chosen, left = [], set(wanted)
    while left:
        best = max(drawn, key=lambda key: len(drawn[key] & left))
        if not drawn[best] & left:
            break
        chosen.append(best)
        left -= drawn[best]
    return chosen


@pytest.fixture
def crawl(mortagne, achards, dgs_epci, dgs_commune, sg_petite_commune, facilitateur, outsider, settings, tmp_path):
    """Every page URL, requested as the persona who may see it; returns the objects and what each URL draws."""
    settings.MEDIA_ROOT = tmp_path
    objects = build_objects(mortagne, dgs_epci, dgs_commune)
    avis_open(point=objects.document.point, by=dgs_epci, closes_at=timezone.now() + timedelta(days=3))
    campagne = revue_services.campagne_create(
        facilitator=facilitateur, year=objects.revue_annuelle.year + 1, title="Revues 2027", territoires=[mortagne]
    )
    personas = {
        "dgs_epci": dgs_epci,
        "dgs_commune": dgs_commune,
        "sg": sg_petite_commune,
        "facilitateur": facilitateur,
        "outsider": outsider,
        None: None,
    }
    kwargs = {"facilitation:campagne": {"campagne_id": campagne.pk}}
    kwargs["facilitation:campagne_questionnaire"] = kwargs["facilitation:campagne"]
    drawn: dict[tuple, set[str]] = {}
    for persona, names in GLOBAL_PAGES.items():
        client = Client()
        if personas[persona] is not None:
            force_complete_login(client, personas[persona])
        for name in names:
            url = reverse(name, kwargs=kwargs.get(name))
            drawn[(persona, url)] = templates_drawn(client, url)
    client = Client()
    force_complete_login(client, dgs_epci)
    for url in territory_page_urls(mortagne, objects):
        drawn[("dgs_epci", url)] = templates_drawn(client, url)
    drawn[("dgs_epci", "/t/territoire-inexistant/")] = templates_drawn(client, "/t/territoire-inexistant/")
    commune = Client()
    force_complete_login(commune, dgs_commune)
    for url in territory_page_urls(mortagne, objects):
        drawn[("dgs_commune", url)] = templates_drawn(commune, url)
    # A territory without a charter yet (its EPCI's DGS is the outsider of the other tests).
    achards_dgs = Client()
    force_complete_login(achards_dgs, outsider)
    for name in ("charte:charte", "charte:start"):
        url = reverse(name, args=[achards.slug])
        drawn[("outsider", url)] = templates_drawn(achards_dgs, url)
    anonymous = Client()
    settings.PROCONNECT_ENABLED = True  # its refusal page, for a return that no login started
    for url in (
        reverse("invitation_accept", args=[invitation_token(objects.invitation)]),
        reverse("invitation_accept", args=["un-jeton-qui-n-existe-pas"]),
        reverse("password_reset_confirm", args=["MQ", "lien-perime"]),
        reverse("proconnect_callback") + "?state=inconnu&code=x",
    ):
        drawn[(None, url)] = templates_drawn(anonymous, url)
    return personas, drawn, objects


def test_axe_finds_no_violation_on_any_page_template(
    crawl, page: Page, log_in: Callable[[Page, str], None], assert_accessible
):
    personas, drawn, objects = crawl
    templates = page_templates()
    missing = templates - set().union(*drawn.values()) - set(EXCUSED)
    assert not missing, f"page templates that no URL draws (reach them or excuse them in EXCUSED): {sorted(missing)}"
    stale = set(EXCUSED) - templates
    assert not stale, f"EXCUSED names templates that no longer exist: {sorted(stale)}"

    chosen = smallest_cover(drawn, templates)
    by_persona: dict = {}
    for persona, url in chosen:
        by_persona.setdefault(persona, []).append(url)
    checked = 0
    for persona, urls in by_persona.items():
        page.context.clear_cookies()
        agent: Agent | None = personas[persona]
        if agent is not None:
            log_in(page, agent.email)
        for url in urls:
            page.goto(url)
            expect(page.locator("h1").first).to_be_visible()
            assert_accessible(page, f"{persona or 'anonyme'} {url}")
            checked += 1
    assert checked == len(chosen) >= 20

    # The avis sent to the instance's convener is an HTML e-mail that élus open in their browser.
    point = objects.document.point
    point.refresh_from_db()
    context = {"point": point, "proposition": point.proposition, "instance": point.reunion.instance}
    page.goto("about:blank")  # an e-mail's inline styles are its own, outside the application's CSP
    page.set_content(render_to_string("codir/avis_document.html", {**context, "reunion": point.reunion}))
    assert_accessible(page, "avis technique envoyé par courriel")
