"""Hostile Markdown in a real browser (issue #10): the nastiest payloads of the corpus, saved through the
services into an open proposition (its page refreshes the live tally with htmx) and a project description,
then opened in Chromium.

Twice: once with our Content-Security-Policy switched off, so that only the sanitiser stands between the
payloads and the page (nothing may run: no dialog, no `window.__xss`); once as served, where the page
fixture also fails on any refusal by the policy (a refusal would mean a payload reached the page).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from decisions import services as decisions
from tests.reseaux.builders import commune_projet
from tests.xss_checks import NASTIEST

MARKER = "Marqueur-XSS-visible"
HOSTILE_TEXT = f"{MARKER}\n\n" + "\n\n".join(NASTIEST)
# Events a surviving handler would wait for; dispatched on every element of the texts.
EVENTS = ["mouseover", "pointerover", "pointerenter", "focus", "focusin", "animationstart", "toggle", "load", "error"]
SETTLE_MS = 600  # autofocus, onload, onerror of images, animations and htmx's own processing happen by then


def hostile_pages(mortagne, dgs_commune) -> list[str]:
    proposition = decisions.proposition_create(
        territoire=mortagne, author=dgs_commune, title="Proposition hostile", body=HOSTILE_TEXT
    )
    decisions.proposition_open(proposition=proposition, by=dgs_commune, closes_at=timezone.now() + timedelta(days=3))
    projet = commune_projet(mortagne, dgs_commune, "Mortagne-sur-Sèvre", "Projet hostile", description=HOSTILE_TEXT)
    return [
        reverse("decisions:proposition", args=[mortagne.slug, proposition.pk]),
        reverse("reseaux:projet", args=[mortagne.slug, projet.pk]),
    ]


def nothing_ran(page: Page, dialogs: list[str], url: str) -> None:
    page.goto(url)
    expect(page.get_by_text(MARKER)).to_be_visible()
    page.wait_for_timeout(SETTLE_MS)
    page.evaluate(
        """(events) => {
            for (const element of document.querySelectorAll('.prose, .prose *')) {
                for (const name of events) element.dispatchEvent(new Event(name, {bubbles: true}));
            }
        }""",
        EVENTS,
    )
    page.wait_for_timeout(200)
    assert dialogs == [], f"{url} : boîte de dialogue ouverte par une charge : {dialogs}"
    assert page.evaluate("() => [window.__xss, top.__xss]") == [None, None], url
    found = page.evaluate(
        """() => ({
            javascriptLinks: document.querySelectorAll('a[href^="javascript:" i], [href*="script:" i]').length,
            scripts: [...document.scripts].filter(s => !s.src.includes('/static/')).length,
            embedded: document.querySelectorAll(
                '.prose :is(script, style, iframe, object, embed, svg, math, form, base, meta, img, input, button, details)'
            ).length,
            handlers: [...document.querySelectorAll('.prose *')]
                .flatMap(e => [...e.attributes].map(a => a.name))
                .filter(n => n.startsWith('on') || n.startsWith('hx-') || n.startsWith('data-') || n === 'style').length,
            frames: window.frames.length,
            base: document.baseURI === location.href,
            skipTarget: document.querySelectorAll('#contenu').length,
            tallyTarget: document.querySelectorAll('#decompte-contenu').length,
        })"""
    )
    assert found["javascriptLinks"] == found["scripts"] == found["embedded"] == found["handlers"] == 0, (url, found)
    assert found["frames"] == 0 and found["base"], (url, found)
    # The texts' ids live in their own namespace: the page's own targets stay unique.
    assert found["skipTarget"] == 1 and found["tallyTarget"] <= 1, (url, found)


@pytest.mark.e2e
def test_the_nastiest_payloads_run_nowhere(browser, live_server, page, mortagne, voices, log_in):
    dgs_commune = voices[1]
    urls = hostile_pages(mortagne, dgs_commune)

    # The sanitiser alone: our Content-Security-Policy would otherwise stop an inline script it let through.
    bare = browser.new_context(base_url=live_server.url, locale="fr-FR", bypass_csp=True)
    try:
        unprotected = bare.new_page()
        dialogs: list[str] = []
        unprotected.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        log_in(unprotected, dgs_commune.email)
        for url in urls:
            nothing_ran(unprotected, dialogs, url)
    finally:
        bare.close()

    # As served: the page fixture fails on any refusal by the policy, which would mean a payload got in.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, dgs_commune.email)
    for url in urls:
        nothing_ran(page, dialogs, url)
