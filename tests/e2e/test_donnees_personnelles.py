"""An SG of a small commune takes all her personal data away in one file, then erases her account: from the
security page, through the password, back to the login page; axe on every page of the way."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from communes.models import Agent
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_downloads_her_data_then_erases_her_account(page: Page, sg_petite_commune, log_in, assert_accessible):
    log_in(page, sg_petite_commune.email)
    page.goto("/comptes/securite/")
    page.get_by_role("link", name="Mes données personnelles : les télécharger, effacer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données personnelles")
    expect(page.locator("main")).to_contain_text(sg_petite_commune.email)
    assert_accessible(page, "mes données personnelles")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    assert re.fullmatch(r"mes-donnees-codir-\d{4}-\d{2}-\d{2}\.json", download.value.suggested_filename)
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["compte"]["email"] == sg_petite_commune.email
    assert data["donnees"]["communes.membership"]["lignes"][0]["collectivite"]["libelle"] == "Mallièvre"

    page.get_by_role("link", name="Effacer mon compte…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Effacer mon compte et mes données personnelles")
    assert_accessible(page, "effacement du compte")
    page.get_by_label("Votre mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Effacer définitivement mon compte").click()
    expect(page.locator("main")).to_contain_text("Mot de passe incorrect")
    assert Agent.objects.get(pk=sg_petite_commune.pk).erased_at is None
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Effacer définitivement mon compte").click()
    expect(page.get_by_role("status")).to_contain_text("Votre compte et vos données personnelles ont été effacés.")
    expect(page).to_have_url(re.compile(r"/comptes/connexion/"))
    assert_accessible(page, "connexion après effacement")
    assert Agent.objects.get(pk=sg_petite_commune.pk).erased_at is not None
