"""What an agent of the Pays de Mortagne does in the browser, checked with axe-core on the way."""

import re

import pytest
from playwright.sync_api import Page, expect

from communes import services
from communes.models import Collectivite, Invitation, Seat
from tests.conftest import collectivite
from tests.e2e.conftest import LOGIN_PATH


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


@pytest.mark.e2e
def test_a_dgs_logs_in_opens_the_territory_and_sees_its_11_communes(
    page, mortagne, dgs_commune, log_in, assert_accessible
):
    page.goto(LOGIN_PATH)
    expect(h1(page)).to_have_text("Connexion")
    assert_accessible(page, "connexion")

    log_in(page, dgs_commune.email)
    expect(h1(page)).to_have_text("Mes territoires")
    card = main(page).get_by_role("listitem").filter(has_text="CC du Pays de Mortagne")
    expect(card).to_contain_text("11 communes")
    expect(card).to_contain_text("Directeur·rice général·e des services — Mortagne-sur-Sèvre")
    assert_accessible(page, "Mes territoires")

    main(page).get_by_role("link", name="CC du Pays de Mortagne").click()
    expect(page).to_have_url(re.compile(rf"/t/{mortagne.slug}/$"))
    expect(h1(page)).to_have_text("CC du Pays de Mortagne")

    table = page.get_by_role("table", name=re.compile(r"^12 collectivités"))
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.filter(has=page.locator(".badge", has_text=re.compile(r"^EPCI$")))).to_have_count(1)
    expect(rows.first.get_by_role("rowheader")).to_contain_text("CC du Pays de Mortagne")
    commune_rows = rows.filter(has_not=page.locator(".badge", has_text=re.compile(r"^EPCI$")))
    expect(commune_rows).to_have_count(11)
    communes = Collectivite.objects.filter(territoire=mortagne, kind=Collectivite.Kind.COMMUNE)
    shown = commune_rows.locator("th[scope=row] a").all_inner_texts()
    assert sorted(shown) == sorted(communes.values_list("name", flat=True))
    expect(table.get_by_role("link", name="Mortagne-sur-Sèvre", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="Mallièvre", exact=True)).to_be_visible()
    # Her own seat is shown on her commune's row.
    expect(commune_rows.filter(has_text="Mortagne-sur-Sèvre")).to_contain_text("Sophie Guérin")
    assert_accessible(page, "page du territoire")


@pytest.mark.e2e
def test_the_epci_dgs_invites_a_member_and_the_pages_are_accessible(
    page, mortagne, dgs_epci, sg_petite_commune, referent, log_in, assert_accessible, mailoutbox
):
    services.membership_deactivate(membership=referent.memberships.get(), by=None)
    slug = mortagne.slug

    log_in(page, dgs_epci.email)
    page.goto(f"/t/{slug}/membres/")
    expect(h1(page)).to_have_text("Membres du CoDir")
    members = page.locator("#membres-table")
    expect(members.locator("caption")).to_have_text("Membres actuels")
    expect(members).to_contain_text("Élodie Martineau")
    expect(members).not_to_contain_text("Thomas Charrier")
    assert_accessible(page, "membres")

    # htmx swaps the table in place: the page is not reloaded, the address follows.
    page.evaluate("window.notReloaded = true")
    main(page).get_by_role("link", name="Afficher aussi les anciens membres").click()
    expect(members.locator("caption")).to_have_text("Membres actuels et anciens")
    expect(page).to_have_url(re.compile(r"/membres/\?anciens=1$"))
    assert page.evaluate("window.notReloaded") is True
    expect(members.get_by_role("row").filter(has_text="Thomas Charrier")).to_contain_text("ancien·ne membre")
    assert_accessible(page, "membres actuels et anciens")

    main(page).get_by_role("link", name="Inviter un membre").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/membres/inviter/$"))
    expect(h1(page)).to_have_text("Inviter un membre")
    assert_accessible(page, "formulaire d'invitation")

    send = page.get_by_role("button", name="Envoyer l'invitation")
    send.click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs ; rien n'a été enregistré.")
    expect(page.locator(".field--error")).to_have_count(2)  # the address and the collectivité
    expect(page.locator("#id_email_error")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#id_collectivite_error")).to_have_text("Ce champ est obligatoire.")
    assert_accessible(page, "formulaire d'invitation en erreur")
    assert not Invitation.objects.exists()

    page.get_by_label("Adresse électronique").fill("nouvelle.sg@treize-vents.test")
    page.get_by_label("Collectivité représentée").select_option(label="Treize-Vents")
    page.get_by_label("Rôle").select_option(label="Secrétaire général·e / de mairie")
    page.get_by_label("Siège").select_option(label="Titulaire")
    send.click()

    expect(page).to_have_url(re.compile(rf"/t/{slug}/membres/$"))
    expect(page.get_by_role("status").filter(has_text="Invitation envoyée")).to_have_text(
        "Invitation envoyée à nouvelle.sg@treize-vents.test."
    )
    pending = page.get_by_role("table", name="Invitations envoyées, valables 7 jours")
    row = pending.get_by_role("row").filter(has_text="nouvelle.sg@treize-vents.test")
    expect(row).to_contain_text("Treize-Vents")
    expect(row).to_contain_text("Secrétaire général·e / de mairie (titulaire)")
    assert_accessible(page, "membres après l'invitation")

    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.collectivite.name, invitation.seat_kind) == (
        "nouvelle.sg@treize-vents.test",
        "Treize-Vents",
        Seat.Kind.TITULAIRE,
    )
    assert [mail.to for mail in mailoutbox] == [["nouvelle.sg@treize-vents.test"]]

    mallievre = collectivite(mortagne, "Mallièvre")
    page.goto(f"/t/{slug}/collectivites/{mallievre.pk}/")
    expect(h1(page)).to_have_text("Mallièvre")
    history = page.get_by_role("table", name="Qui a porté la voix de la collectivité")
    expect(history.get_by_role("row").filter(has_text="Élodie Martineau")).to_contain_text("en cours")
    expect(page.get_by_role("heading", name="Attribuer un siège")).to_be_visible()
    assert_accessible(page, "collectivité Mallièvre")

    page.goto(f"/t/{slug}/journal/")
    expect(h1(page)).to_have_text("Journal du territoire")
    latest = page.get_by_role("table").locator("tbody tr").first
    expect(latest).to_contain_text("communes.membership.invited")
    expect(latest).to_contain_text("Claire Bernard")
    expect(latest).to_contain_text("nouvelle.sg@treize-vents.test")
    assert_accessible(page, "journal")


@pytest.mark.e2e
def test_keyboard_users_can_skip_to_the_content(page, mortagne, dgs_commune, log_in):
    log_in(page, dgs_commune.email)
    page.goto(f"/t/{mortagne.slug}/")
    expect(h1(page)).to_have_text("CC du Pays de Mortagne")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()  # hidden until focused, then shown to sighted keyboard users

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#contenu$"))
    expect(page.locator("main#contenu")).to_be_focused()


@pytest.mark.e2e
def test_an_agent_of_another_territory_gets_a_404_page(page, mortagne, outsider, log_in, assert_accessible):
    log_in(page, outsider.email)
    expect(main(page).get_by_role("link", name="CC du Pays de Mortagne")).to_have_count(0)

    response = page.goto(f"/t/{mortagne.slug}/")
    assert response is not None
    assert response.status == 404
    expect(h1(page)).to_have_text("Page introuvable")
    expect(page.get_by_text("CC du Pays de Mortagne")).to_have_count(0)
    assert_accessible(page, "page introuvable")
