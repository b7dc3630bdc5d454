"""Logging in as the EPCI's DGS does: the second factor set up, then asked at each password login; a lockout
after repeated failures and its cool-off, on a frozen clock. axe on every page of the way."""

import base64
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from communes.models import JournalEntry
from tests.conftest import PASSWORD
from tests.e2e.conftest import LOGIN_PATH

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def phone_code(secret: str, *, at: float | None = None) -> str:
    """What an authenticator app shows for this secret: the test plays the agent's phone."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def password_step(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto(LOGIN_PATH)
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_the_epci_dgs_sets_up_the_second_factor_then_logs_in_with_a_code(page: Page, dgs_epci, assert_accessible):
    # First login: the factor is mandatory for the EPCI's DGS, so it is set up before anything else.
    password_step(page, dgs_epci.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activer la double authentification")
    expect(page.get_by_text("La double authentification est obligatoire pour votre compte.")).to_be_visible()
    expect(page.locator("figure svg")).to_be_visible()  # the QR code, drawn by the server
    assert_accessible(page, "activation du second facteur")
    page.goto("/territoires/")  # nothing else opens before the factor is set up
    expect(page).to_have_url(re.compile(r"/comptes/securite/activer/"))

    secret = page.get_by_label("Clé secrète").inner_text()
    page.get_by_label("Code à 6 chiffres").fill("000000" if phone_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.wait_for_timeout(1100)  # django-otp's back-off after a wrong code: one second
    page.get_by_label("Code à 6 chiffres").fill(phone_code(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    recovery_codes = re.findall(r"\b[a-z0-9]{5}-[a-z0-9]{5}\b", page.locator("main").inner_text())
    assert len(recovery_codes) == 10
    assert_accessible(page, "codes de secours")
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Vos codes de secours")
    page.goto("/territoires/")
    page.get_by_role("button", name="Se déconnecter").click()

    # Next login: password, then the code of the moment (a code already used does not open twice).
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=True):
        password_step(page, dgs_epci.email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Code de vérification")
        assert_accessible(page, "code de vérification")
        code = phone_code(secret)
        page.get_by_label("Code à 6 chiffres").fill(f"{(int(code) + 1) % 1_000_000:06d}")
        page.get_by_role("button", name="Valider", exact=True).click()
        expect(page.get_by_role("alert")).to_be_visible()
        assert_accessible(page, "code de vérification, erreur")
        page.wait_for_timeout(1100)
        page.get_by_label("Code à 6 chiffres").fill(code)
        page.get_by_role("button", name="Valider", exact=True).click()
        expect(page).to_have_url(re.compile(r"/territoires/$"))

        # The security page tells what happened to the account.
        page.goto("/comptes/securite/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        main = page.locator("main")
        expect(main).to_contain_text("Double authentification activée")
        expect(main).to_contain_text("Code de vérification erroné")
        assert_accessible(page, "sécurité du compte")

    entry = JournalEntry.objects.filter(action="comptes.login.succeeded", actor=dgs_epci).latest("created_at")
    assert entry.data["second_factor"] == "totp"


def test_repeated_failures_lock_the_account_out_until_the_cool_off_ends(
    page: Page, dgs_commune, settings, assert_accessible
):
    with time_machine.travel(timezone.now(), tick=True) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            password_step(page, dgs_commune.email, "pas-le-bon-mot-de-passe")
            expect(page.get_by_role("alert")).to_contain_text("mot de passe incorrect")
        assert_accessible(page, "connexion, mot de passe erroné")
        password_step(page, dgs_commune.email, "pas-le-bon-mot-de-passe")
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion temporairement bloquée")
        assert_accessible(page, "connexion bloquée (429)")

        # The right password does not open during the lockout...
        password_step(page, dgs_commune.email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Connexion temporairement bloquée")
        # ...and opens once the cool-off is over.
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        password_step(page, dgs_commune.email)
        expect(page).to_have_url(re.compile(r"/territoires/$"))

    assert JournalEntry.objects.filter(action="comptes.login.locked_out", actor=dgs_commune).count() == 1


def test_the_privacy_page_is_reached_from_the_login_page(page: Page, assert_accessible):
    page.goto(LOGIN_PATH)
    page.get_by_role("link", name="Données personnelles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données personnelles")
    expect(page.locator("main")).to_contain_text("12 mois, puis il est supprimé")
    assert_accessible(page, "données personnelles")
