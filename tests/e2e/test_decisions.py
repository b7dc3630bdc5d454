"""The decision engine in the browser: a proposition, an objection, an amendment, a decision on record.

The EPCI's DGS submits a proposition; three communes give their position, one of them a motivated
objection; the author amends the text to answer it; enough collectivités consent in the second
round for the quorum; the author closes it and the register keeps it. axe-core checks each page.
"""

import re
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from communes.models import Membership
from decisions import services
from decisions.models import Position, Proposition

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Mutualiser le service commun d'instruction des autorisations d'urbanisme"
BODY = (
    "Le service commun instruit **toutes** les autorisations d'urbanisme des communes "
    "à partir du 1er janvier.\n\n- permis de construire\n- déclarations préalables\n"
)
AMENDED_BODY = (
    "Le service commun instruit **toutes** les autorisations d'urbanisme des communes "
    "à partir du 1er janvier.\n\nLes communes de moins de 500 habitants gardent un "
    "rendez-vous mensuel en mairie avec l'instructeur.\n"
)
OBJECTION = "Sans permanence en mairie, nos habitants devront aller à Mortagne pour chaque dossier."
RESPONSE = "Une permanence mensuelle de l'instructeur est prévue dans les communes de moins de 500 habitants."
ELSEWHERE = "Groupement de commandes pour les fournitures de bureau"


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def tally_summary(page: Page):
    """The line above the tally: how many collectivités have spoken, and the outcome so far."""
    return page.locator("#decompte-contenu > p").first


def status_message(page: Page, text: str):
    return page.get_by_role("status").locator(".messages").filter(has_text=text)


def tally(page: Page):
    return page.get_by_role("table", name="Une voix par collectivité")


def tally_row(page: Page, collectivite: str):
    return tally(page).get_by_role("row").filter(has=page.get_by_role("rowheader", name=collectivite, exact=True))


def in_paris(days: int) -> str:
    """A `datetime-local` value, in Paris time like the form expects, `days` from now."""
    return (datetime.now(PARIS) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def express(page: Page, collectivite: str, choice: str, motive: str = "") -> None:
    page.get_by_role("group", name=f"Position de {collectivite}").get_by_label(choice, exact=True).check()
    if motive:
        page.get_by_label("Motif", exact=True).fill(motive)
    page.get_by_role("button", name="Enregistrer la position").click()


@pytest.mark.e2e
def test_a_proposition_goes_from_draft_through_an_objection_to_the_register(
    page, new_page, mortagne, voices, log_in, assert_accessible, mailoutbox
):
    dgs_epci, dgs_commune, sg_petite_commune, chanverrie, saint_laurent, gaubretiere, _tiffauges = voices
    slug = mortagne.slug
    members = sorted(Membership.objects.active().filter(territoire=mortagne).values_list("agent__email", flat=True))
    assert len(members) == 7
    # An earlier decision, so that the register has something to filter out.
    earlier = services.proposition_create(
        territoire=mortagne, author=dgs_commune, title=ELSEWHERE, body="Un groupement piloté par l'EPCI."
    )
    earlier = services.proposition_open(
        proposition=earlier, by=dgs_commune, closes_at=datetime.now(PARIS) + timedelta(hours=2)
    )
    services.proposition_close(proposition=earlier, by=None)
    mailoutbox.clear()

    # The author's page polls the live tally every 20 s: a fake clock lets the test move time along.
    page.clock.install()

    # 1. The EPCI's DGS writes a draft, then opens it to the CoDir.
    log_in(page, dgs_epci.email)
    main(page).get_by_role("link", name="CC du Pays de Mortagne").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Décisions").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/decisions/$"))
    expect(h1(page)).to_have_text("Décisions en cours")
    expect(main(page)).to_contain_text("Aucune proposition n'est ouverte en ce moment.")
    expect(main(page)).to_contain_text("Vous vous exprimez pour CC du Pays de Mortagne (titulaire).")
    assert_accessible(page, "liste des décisions")

    main(page).get_by_role("link", name="Soumettre une proposition").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/decisions/nouvelle/$"))
    expect(h1(page)).to_have_text("Soumettre une proposition")
    # The defaults are the territory's rules in force: consent, quorum one half.
    expect(page.get_by_label("Mode de décision")).to_have_value("consentement")
    expect(page.get_by_label("Quorum (%)")).to_have_value("50")
    assert_accessible(page, "formulaire de proposition")

    save = page.get_by_role("button", name="Enregistrer le brouillon")
    save.click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs ; rien n'a été enregistré.")
    expect(page.locator(".field--error")).to_have_count(2)  # the title and the text
    expect(page.locator("#id_title_error")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#id_body_error")).to_have_text("Ce champ est obligatoire.")
    assert_accessible(page, "formulaire de proposition en erreur")
    assert not Proposition.objects.filter(title=TITLE).exists()

    page.get_by_label("Intitulé").fill(TITLE)
    page.get_by_label("Texte (Markdown)").fill(BODY)
    save.click()

    proposition = Proposition.objects.get(title=TITLE)
    proposition_path = f"/t/{slug}/decisions/{proposition.pk}/"
    expect(page).to_have_url(re.compile(rf"{re.escape(proposition_path)}$"))
    expect(status_message(page, "Brouillon enregistré")).to_have_text(
        "Brouillon enregistré. Relisez-le, puis ouvrez-le au CoDir."
    )
    expect(h1(page)).to_have_text(TITLE)
    expect(main(page).locator(".lead .badge")).to_have_text("Brouillon")
    prose = main(page).locator(".prose")
    expect(prose.locator("strong")).to_have_text("toutes")  # the Markdown is rendered
    expect(prose.get_by_role("listitem")).to_have_text(["permis de construire", "déclarations préalables"])
    expect(page.get_by_role("heading", name="Ouvrir au CoDir")).to_be_visible()
    assert_accessible(page, "brouillon")
    assert mailoutbox == []

    closes_at = in_paris(days=3)
    page.locator("#id_closes_at").fill(closes_at)
    page.get_by_role("button", name="Ouvrir la proposition").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(proposition_path)}$"))
    expect(status_message(page, "La proposition est ouverte")).to_have_text(
        "La proposition est ouverte : chaque membre en est informé."
    )
    expect(main(page).locator(".lead .badge")).to_have_text("Ouverte")
    proposition.refresh_from_db()
    assert proposition.status == Proposition.Status.OUVERTE
    assert proposition.closes_at.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M") == closes_at
    assert sorted(mail.to[0] for mail in mailoutbox) == members  # one mail each
    assert all(mail.subject == f"[CC du Pays de Mortagne] Nouvelle proposition : {TITLE}" for mail in mailoutbox)
    link = re.search(r"https?://\S+/decisions/\d+/", mailoutbox[0].body).group(0)
    assert urlparse(link).path == proposition_path

    expect(tally_row(page, "Mallièvre")).to_contain_text("ne s'est pas exprimée")
    expect(tally(page).locator("tbody tr")).to_have_count(12)
    expect(tally_summary(page)).to_contain_text("0 collectivité sur 12 s'est exprimée. En l'état : quorum non atteint.")
    assert_accessible(page, "proposition ouverte")
    page.evaluate("window.notReloaded = true")

    # 2. Three communes give their position, each from its own browser, through the mail's link.
    mortagne_page = new_page()
    log_in(mortagne_page, dgs_commune.email)
    mortagne_page.goto(proposition_path)
    expect(h1(mortagne_page)).to_have_text(TITLE)
    express(mortagne_page, "Mortagne-sur-Sèvre", "Pour")
    expect(status_message(mortagne_page, "enregistrée")).to_have_text(
        "Position de Mortagne-sur-Sèvre enregistrée : pour."
    )
    expect(tally_row(mortagne_page, "Mortagne-sur-Sèvre")).to_contain_text("Pour")
    expect(tally_row(mortagne_page, "Mortagne-sur-Sèvre")).to_contain_text("Sophie Guérin (titulaire)")
    mortagne_page.context.close()

    chanverrie_page = new_page()
    log_in(chanverrie_page, chanverrie.email)
    chanverrie_page.goto(proposition_path)
    express(chanverrie_page, "Chanverrie", "Pour")
    expect(status_message(chanverrie_page, "enregistrée")).to_have_text("Position de Chanverrie enregistrée : pour.")
    expect(tally_row(chanverrie_page, "Chanverrie")).to_contain_text("Pour")
    chanverrie_page.context.close()

    mallievre_page = new_page()
    log_in(mallievre_page, sg_petite_commune.email)
    mallievre_page.goto(proposition_path)
    express(mallievre_page, "Mallièvre", "Objection motivée")  # without a motive
    expect(mallievre_page).to_have_url(re.compile(r"/position/$"))
    expect(mallievre_page.get_by_role("alert")).to_contain_text(
        "Le formulaire contient des erreurs ; rien n'a été enregistré."
    )
    expect(mallievre_page.locator("#id_motive_error")).to_contain_text("Une objection doit être motivée")
    expect(
        mallievre_page.get_by_role("group", name="Position de Mallièvre").get_by_label("Objection motivée")
    ).to_be_checked()
    expect(tally_row(mallievre_page, "Mallièvre")).to_contain_text("ne s'est pas exprimée")
    assert_accessible(mallievre_page, "position en erreur")
    assert not Position.objects.filter(collectivite__name="Mallièvre").exists()

    express(mallievre_page, "Mallièvre", "Objection motivée", OBJECTION)
    expect(mallievre_page).to_have_url(re.compile(rf"{re.escape(proposition_path)}$"))
    expect(status_message(mallievre_page, "enregistrée")).to_have_text(
        "Position de Mallièvre enregistrée : objection motivée."
    )
    expect(tally_summary(mallievre_page)).to_contain_text(
        "3 collectivités sur 12 se sont exprimées. En l'état : quorum non atteint."  # counted before objections
    )
    expect(tally_row(mallievre_page, "Mallièvre")).to_contain_text("Objection motivée")
    expect(tally_row(mallievre_page, "Mallièvre")).to_contain_text(OBJECTION)
    assert_accessible(mallievre_page, "proposition ouverte avec le décompte")

    # The author's page, still open, refreshes its live tally without a reload.
    page.clock.run_for("00:21")
    expect(tally_row(page, "Mallièvre")).to_contain_text("Objection motivée")
    expect(tally_row(page, "Mortagne-sur-Sèvre")).to_contain_text("Pour")
    expect(tally_row(page, "Chanverrie")).to_contain_text("Pour")
    expect(tally_row(page, "Tiffauges")).to_contain_text("ne s'est pas exprimée")
    assert page.evaluate("window.notReloaded") is True

    # 3. The author answers the objection with an amended text: round 2 opens.
    page.reload()
    expect(main(page)).to_contain_text(
        "1 objection demeure : amendez le texte pour y répondre, ou retirez la proposition."
    )
    main(page).get_by_role("link", name="Amender le texte").click()
    expect(page).to_have_url(re.compile(r"/amender/$"))
    expect(h1(page)).to_have_text("Amender le texte")
    expect(page.locator(".field").filter(has_text="Réponse à l'objection de Mallièvre")).to_contain_text(OBJECTION)
    assert_accessible(page, "formulaire d'amendement")

    mailoutbox.clear()
    page.get_by_label("Réponse à l'objection de Mallièvre").fill(RESPONSE)
    page.get_by_label("Texte amendé").fill(AMENDED_BODY)
    page.get_by_role("button", name="Ouvrir le nouveau tour").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(proposition_path)}$"))
    expect(status_message(page, "Texte amendé")).to_have_text("Texte amendé : le tour 2 est ouvert.")
    expect(page.get_by_role("heading", name="Décompte en direct — tour 2")).to_be_visible()
    expect(main(page).locator(".prose").first).to_contain_text("rendez-vous mensuel en mairie")
    expect(tally_row(page, "Mallièvre")).to_contain_text("ne s'est pas exprimée")  # positions start afresh
    expect(page.get_by_role("heading", name="Tours précédents")).to_be_visible()
    first_round = page.get_by_role("region", name=re.compile(r"^Tour 1, ouvert le"))
    expect(first_round.get_by_role("heading")).to_contain_text("texte amendé (sans quorum)")  # 3 of 12 had spoken
    objection = first_round.get_by_role("listitem").filter(has_text="Mallièvre")
    expect(objection).to_contain_text(f"objection motivée — « {OBJECTION} »")
    expect(objection).to_contain_text(f"Réponse de l'auteur : {RESPONSE}")
    expect(first_round.get_by_role("listitem").filter(has_text="Mortagne-sur-Sèvre")).to_contain_text(
        "Mortagne-sur-Sèvre : pour"
    )
    assert sorted(mail.to[0] for mail in mailoutbox) == members
    assert all(mail.subject.startswith("[CC du Pays de Mortagne] Texte amendé") for mail in mailoutbox)
    assert_accessible(page, "proposition au tour 2")

    # 4. Round 2: six collectivités of twelve consent, two of them through the browser.
    mallievre_page.reload()
    expect(mallievre_page.get_by_role("heading", name="Décompte en direct — tour 2")).to_be_visible()
    express(mallievre_page, "Mallièvre", "Pour")
    expect(status_message(mallievre_page, "enregistrée")).to_have_text("Position de Mallièvre enregistrée : pour.")
    for agent in (dgs_commune, chanverrie, saint_laurent, gaubretiere):
        services.position_express(proposition=proposition, agent=agent, choice="pour")
    express(page, "CC du Pays de Mortagne", "Pour")
    expect(status_message(page, "enregistrée")).to_have_text("Position de CC du Pays de Mortagne enregistrée : pour.")
    expect(tally_summary(page)).to_contain_text("6 collectivités sur 12 se sont exprimées. En l'état : adoptée.")
    pour = page.locator(".badge", has_text=re.compile(r"^Pour$"))
    expect(tally(page).locator("tbody tr").filter(has=pour)).to_have_count(6)
    expect(main(page)).not_to_contain_text("objection demeure")

    mailoutbox.clear()
    page.get_by_role("button", name="Clore maintenant et proclamer le résultat").click()
    expect(status_message(page, "Proposition close")).to_have_text("Proposition close : Adoptée.")
    expect(main(page).locator(".lead .badge")).to_have_text("Close")
    expect(page.get_by_role("heading", name="Positions des collectivités — tour 2")).to_be_visible()
    expect(page.get_by_role("term").filter(has_text="Résultat")).to_be_visible()
    expect(main(page).locator("dd").filter(has_text="Adoptée")).to_be_visible()
    expect(page.get_by_role("group", name=re.compile(r"^Position de"))).to_have_count(0)
    expect(page.get_by_role("button", name="Clore maintenant et proclamer le résultat")).to_have_count(0)
    proposition.refresh_from_db()
    assert (proposition.status, proposition.result) == (Proposition.Status.CLOSE, "adoptee")
    assert sorted(mail.to[0] for mail in mailoutbox) == members
    assert_accessible(page, "proposition close")

    # 5. The register keeps the decision, and finds it by a word of its title.
    page.get_by_role("navigation", name="Fil d’Ariane").get_by_role("link", name="Décisions").click()
    expect(h1(page)).to_have_text("Décisions en cours")
    expect(main(page).get_by_role("listitem").filter(has_text=TITLE)).to_contain_text("Adoptée")
    main(page).get_by_role("link", name="Registre des décisions").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/decisions/registre/$"))
    expect(h1(page)).to_have_text("Registre des décisions")
    register = page.get_by_role("table", name="2 décisions closes")
    expect(register.get_by_role("row").filter(has_text=TITLE)).to_contain_text("Adoptée")
    expect(register.get_by_role("row").filter(has_text=ELSEWHERE)).to_contain_text("Sans quorum")
    assert_accessible(page, "registre")

    page.get_by_role("search", name="Filtrer le registre").get_by_label("Rechercher").fill("urbanisme")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"registre/\?q=urbanisme"))
    register = page.get_by_role("table", name="1 décision close")
    rows = register.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("rowheader")).to_have_text(TITLE)
    expect(rows).to_contain_text("Adoptée")
    expect(rows).to_contain_text("Question libre")
    expect(rows).to_contain_text("Consentement")
    assert_accessible(page, "registre filtré")

    rows.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(proposition_path)}$"))
    expect(h1(page)).to_have_text(TITLE)
