"""The charter in the browser: amendments to a section and to a rule, adopted, signed and ratified.

From the starter charter in force (version 1), the DGS of Mortagne-sur-Sèvre proposes a new text
for the section on meetings and a longer notice period (48 → 72 hours); the collective adopts
both; the new version is in force and `rules_in_force` reads 72 from that moment; the history
compares the versions; the version in force is signed by two titulaires and ratified by a
council. axe-core checks each page.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from charte import services as charte
from charte.models import Amendement, Charte, Ratification, Signature, Version
from charte.selectors import rules_in_force
from charte.starter import STARTER_SECTIONS
from decisions import services as decisions
from decisions.models import Proposition
from tests.charte.conftest import adopt

PARIS = ZoneInfo("Europe/Paris")
SECTION_KEY = "reunions"
SECTION_TITLE = "Réunions : préparation, ordre du jour, animation, lieux"
SECTION_BODY = dict((key, body) for key, _title, body in STARTER_SECTIONS)[SECTION_KEY]
# The starter text with one phrase added and one removed: what she types in the amendment.
AMENDED_BODY = SECTION_BODY.replace(
    "bureau communautaire, selon", "bureau communautaire, le mardi matin, selon"
).replace("du territoire ; la\n  commune d'accueil présente ses services et ses projets.", "du territoire.")
SECTION_MOTIVE = (
    "Un jour fixe facilite l'agenda des petites communes ; la présentation des services alourdit la séance."
)
RULE_LABEL = "délai de prévenance (heures)"
RULE_MOTIVE = "Quarante-huit heures ne suffisent pas aux secrétaires de mairie à temps partiel pour lire les documents."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def status_message(page: Page, text: str):
    return page.get_by_role("status").locator(".messages").filter(has_text=text)


def rule_value(page: Page, label: str):
    """The value a rule list shows for a rule (its <dd>), e.g. « 72 — L'ordre du jour part… »."""
    return page.locator("dl.rules").locator(f"dt:text-is('{label}') + dd")


def signatures(page: Page, number: int):
    return page.get_by_role("table", name=f"Signatures et ratifications de la version {number}")


def signature_row(page: Page, number: int, collectivite: str):
    return (
        signatures(page, number)
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=collectivite, exact=True))
    )


def in_paris(days: int) -> str:
    """A `datetime-local` value, in Paris time like the form expects, `days` from now."""
    return (datetime.now(PARIS) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def day(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y")


@pytest.fixture
def charte_in_force(mortagne, voices) -> Charte:
    """The starter charter adopted by the collective: version 1 in force (as in tests/charte/conftest.py)."""
    dgs_epci = voices[0]
    draft = charte.charte_start(territoire=mortagne, by=dgs_epci)
    proposition = charte.draft_submit(version=draft, by=dgs_epci, closes_at=timezone.now() + timedelta(days=3))
    adopt(proposition, voices, dgs_epci)
    draft.refresh_from_db()
    return draft.charte


@pytest.mark.e2e
def test_an_amended_charter_comes_into_force_and_is_signed(
    page, new_page, mortagne, voices, charte_in_force, log_in, assert_accessible, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path  # the ratification's PDF lands here
    dgs_epci, dgs_commune, *_others = voices
    slug = mortagne.slug
    charte_path = f"/t/{slug}/charte/"
    v1 = charte_in_force.versions.get(number=1)
    assert v1.status == Version.Status.ADOPTEE
    assert rules_in_force(mortagne).delai_prevenance_heures == 48

    # 1. The DGS of Mortagne-sur-Sèvre reads the charter in force.
    log_in(page, dgs_commune.email)
    main(page).get_by_role("link", name="CC du Pays de Mortagne").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Charte").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(charte_path)}$"))
    expect(h1(page)).to_have_text("Charte de fonctionnement du CoDir de territoire")
    expect(main(page).locator(".lead")).to_have_text(f"Version 1, en vigueur depuis le {day(v1.adopted_at)}.")
    expect(rule_value(page, "Délai de prévenance (heures)")).to_contain_text("48 —")
    meetings = page.get_by_role("region", name=f"4. {SECTION_TITLE}")
    expect(meetings).to_contain_text("selon le calendrier fixé chaque année")
    expect(signatures(page, 1).locator("tbody tr")).to_have_count(12)
    expect(signature_row(page, 1, "Mortagne-sur-Sèvre")).to_contain_text("à signer")
    expect(signature_row(page, 1, "Mortagne-sur-Sèvre")).to_contain_text("à ratifier")
    assert_accessible(page, "charte en vigueur")

    # She proposes a new text for the section on meetings.
    meetings.get_by_role("link", name=f"Proposer un amendement à « {SECTION_TITLE} »").click()
    expect(page).to_have_url(re.compile(r"/charte/amendements/nouveau/\?nature=section&section=reunions$"))
    expect(h1(page)).to_have_text("Proposer un amendement")
    expect(page.get_by_label("Section")).to_have_value(SECTION_KEY)
    assert_accessible(page, "formulaire d'amendement d'une section")

    submit = page.get_by_role("button", name="Soumettre l'amendement")
    submit.click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs ; rien n'a été enregistré.")
    expect(page.locator(".field--error")).to_have_count(2)  # the motive and the closing date
    expect(page.locator("#id_motive_error")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#id_closes_at_error")).to_have_text("Ce champ est obligatoire.")
    expect(page.get_by_label("Section")).to_have_value(SECTION_KEY)
    assert_accessible(page, "formulaire d'amendement en erreur")
    assert not Amendement.objects.exists()

    page.get_by_label("Texte proposé").fill(AMENDED_BODY)
    page.get_by_label("Motif").fill(SECTION_MOTIVE)
    page.locator("#id_closes_at").fill(in_paris(days=3))
    submit.click()

    section_amendment = Amendement.objects.get(kind=Amendement.Kind.SECTION)
    assert section_amendment.author == dgs_commune
    assert (section_amendment.section_key, section_amendment.base_version) == (SECTION_KEY, v1)
    expect(page).to_have_url(re.compile(rf"/charte/amendements/{section_amendment.pk}/$"))
    expect(status_message(page, "Amendement soumis")).to_have_text("Amendement soumis au CoDir.")
    expect(h1(page)).to_have_text(f"Modifier une section : {SECTION_TITLE}")
    expect(main(page).locator(".lead")).to_contain_text("Proposé par Sophie Guérin")
    expect(main(page).locator(".lead")).to_contain_text("sur la version 1.")
    expect(main(page).locator(".lead .badge")).to_have_text("Soumis au CoDir")
    expect(main(page)).to_contain_text(SECTION_MOTIVE)
    diff = main(page).locator(".diff")
    # Word by word: only what she changed is marked, and screen readers are told where.
    expect(diff.locator("ins")).to_have_text(["[ajouté : le mardi matin,]", "[ajouté : territoire.]"])
    expect(diff.locator("del")).to_have_text(
        [re.compile(r"^\[supprimé : territoire ; la\s+commune d'accueil présente ses services et ses projets\.\]$")]
    )
    expect(diff).to_contain_text("Le CoDir se réunit avant chaque bureau communautaire,")
    # Stored with the text in force's line breaks (\n), though browsers post a textarea's as CRLF.
    assert section_amendment.text == AMENDED_BODY
    assert_accessible(page, "amendement d'une section")

    # 2. She proposes a longer notice period.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Charte").click()
    page.get_by_role("navigation", name="Actions sur la charte").get_by_role("link", name="Amendements").click()
    expect(h1(page)).to_have_text("Amendements à la charte")
    amendments = page.get_by_role("table", name="Amendements proposés, des plus récents aux plus anciens")
    expect(amendments.locator("tbody tr")).to_have_count(1)
    expect(amendments.get_by_role("row").filter(has_text=SECTION_TITLE)).to_contain_text("Soumis au CoDir")
    assert_accessible(page, "liste des amendements")

    page.get_by_role("navigation", name="Proposer un amendement").get_by_role("link", name="Changer une règle").click()
    expect(page).to_have_url(re.compile(r"\?nature=regle$"))
    expect(h1(page)).to_have_text("Proposer un amendement")
    assert_accessible(page, "formulaire d'amendement d'une règle")
    page.get_by_label("Règle").select_option(label=RULE_LABEL)
    page.get_by_label("Nouvelle valeur").fill("72")
    page.get_by_label("Motif").fill(RULE_MOTIVE)
    page.locator("#id_closes_at").fill(in_paris(days=3))
    page.get_by_role("button", name="Soumettre l'amendement").click()

    rule_amendment = Amendement.objects.get(kind=Amendement.Kind.REGLE)
    assert (rule_amendment.rule_name, rule_amendment.rule_value) == ("delai_prevenance_heures", 72)
    expect(page).to_have_url(re.compile(rf"/charte/amendements/{rule_amendment.pk}/$"))
    expect(status_message(page, "Amendement soumis")).to_have_text("Amendement soumis au CoDir.")
    expect(h1(page)).to_have_text("Changer une règle")
    expect(main(page).locator("p").filter(has_text="→")).to_have_text("Délai de prévenance (heures) : 48 → 72")
    expect(main(page)).to_contain_text(RULE_MOTIVE)
    assert_accessible(page, "amendement d'une règle")

    # 3. The collective adopts both; she closes each decision from its page.
    for amendment in (section_amendment, rule_amendment):
        proposition = amendment.proposition
        assert (proposition.status, proposition.kind) == (Proposition.Status.OUVERTE, Proposition.Kind.CHARTE)
        for agent in voices:
            decisions.position_express(proposition=proposition, agent=agent, choice="pour")

    page.goto(f"{charte_path}amendements/{section_amendment.pk}/")
    main(page).get_by_role("link", name="Voir la décision du CoDir").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/decisions/{section_amendment.proposition_id}/$"))
    expect(h1(page)).to_have_text(f"Amendement à la charte : {SECTION_TITLE}")
    expect(page.locator("#decompte-contenu > p").first).to_contain_text(
        "7 collectivités sur 12 se sont exprimées. En l'état : adoptée."
    )
    assert_accessible(page, "décision sur l'amendement")
    page.get_by_role("button", name="Clore maintenant et proclamer le résultat").click()
    expect(status_message(page, "Proposition close")).to_have_text("Proposition close : Adoptée.")
    section_amendment.refresh_from_db()
    assert section_amendment.status == Amendement.Status.ADOPTE
    v2 = section_amendment.result_version
    assert (v2.number, v2.status) == (2, Version.Status.ADOPTEE)

    page.goto(f"{charte_path}amendements/{rule_amendment.pk}/")
    main(page).get_by_role("link", name="Voir la décision du CoDir").click()
    expect(h1(page)).to_have_text(f"Amendement à la charte : {RULE_LABEL}")
    before_adoption = timezone.now()
    page.get_by_role("button", name="Clore maintenant et proclamer le résultat").click()
    expect(status_message(page, "Proposition close")).to_have_text("Proposition close : Adoptée.")
    rule_amendment.refresh_from_db()
    assert rule_amendment.status == Amendement.Status.ADOPTE
    v3 = rule_amendment.result_version
    assert (v3.number, v3.status, v3.based_on) == (3, Version.Status.ADOPTEE, v2)
    v2.refresh_from_db()
    assert v2.status == Version.Status.REMPLACEE

    # 4. Version 3 is in force: the application reads 72 hours from the moment of its adoption.
    assert rules_in_force(mortagne).delai_prevenance_heures == 72
    assert rules_in_force(mortagne, v3.adopted_at).delai_prevenance_heures == 72
    assert rules_in_force(mortagne, before_adoption).delai_prevenance_heures == 48
    assert rules_in_force(mortagne, v3.adopted_at - timedelta(microseconds=1)).delai_prevenance_heures == 48
    assert v3.sections.get(key=SECTION_KEY).body == AMENDED_BODY

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Charte").click()
    expect(main(page).locator(".lead")).to_have_text(f"Version 3, en vigueur depuis le {day(v3.adopted_at)}.")
    expect(rule_value(page, "Délai de prévenance (heures)")).to_contain_text("72 —")
    meetings = page.get_by_role("region", name=f"4. {SECTION_TITLE}")
    expect(meetings).to_contain_text("avant chaque bureau communautaire, le mardi matin, selon le calendrier")
    expect(meetings).not_to_contain_text("la commune d'accueil présente ses services")
    expect(signatures(page, 3).locator("tbody tr")).to_have_count(12)
    assert_accessible(page, "charte en vigueur, version 3")

    page.get_by_role("navigation", name="Actions sur la charte").get_by_role("link", name="Amendements").click()
    amendments = page.get_by_role("table", name="Amendements proposés, des plus récents aux plus anciens")
    expect(amendments.get_by_role("row").filter(has_text=SECTION_TITLE)).to_contain_text("Adopté — version 2")
    expect(amendments.get_by_role("row").filter(has_text="Changer une règle")).to_contain_text("Adopté — version 3")

    # 5. The history keeps every version and compares them.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Charte").click()
    page.get_by_role("navigation", name="Actions sur la charte").get_by_role(
        "link", name="Historique des versions"
    ).click()
    expect(h1(page)).to_have_text("Historique des versions")
    history = page.get_by_role("table", name="Toutes les versions de la charte ; aucune n'est jamais effacée")
    expect(history.get_by_role("rowheader")).to_have_text(["Version 3", "Version 2", "Version 1"])
    expect(history.locator("tbody tr").nth(0)).to_contain_text(f"Adoptée Amendement n° {rule_amendment.pk}")
    expect(history.locator("tbody tr").nth(1)).to_contain_text(f"Remplacée Amendement n° {section_amendment.pk}")
    expect(history.locator("tbody tr").nth(2)).to_contain_text("Remplacée Charte type")
    assert_accessible(page, "historique des versions")

    history.get_by_role("link", name="v2 → v3").click()
    expect(page).to_have_url(re.compile(r"/charte/versions/2/comparer/3/$"))
    expect(h1(page)).to_have_text("Ce qui change de la version 2 à la version 3")
    expect(main(page).get_by_role("listitem")).to_have_text(["Délai de prévenance (heures) : 48 → 72"])
    expect(main(page).locator("h3 .badge").filter(has_text="modifiée")).to_have_count(0)
    assert_accessible(page, "comparaison v2 → v3")

    page.go_back()
    history.get_by_role("link", name="v1 → v2").click()
    expect(page).to_have_url(re.compile(r"/charte/versions/1/comparer/2/$"))
    expect(h1(page)).to_have_text("Ce qui change de la version 1 à la version 2")
    expect(main(page)).to_contain_text("Aucune règle ne change.")
    changed = page.get_by_role("region", name=f"{SECTION_TITLE} modifiée")
    expect(changed.locator(".diff ins")).to_have_text(["[ajouté : le mardi matin,]", "[ajouté : territoire.]"])
    expect(main(page).locator("h3 .badge").filter(has_text="modifiée")).to_have_count(1)
    assert_accessible(page, "comparaison v1 → v2")

    # 6. She signs version 3 for her commune, then the EPCI's DGS signs from his own browser.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Charte").click()
    page.get_by_role("navigation", name="Actions sur la charte").get_by_role(
        "link", name="Version imprimable et signatures"
    ).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(charte_path)}versions/3/$"))
    expect(h1(page)).to_have_text("Charte de fonctionnement du CoDir de territoire — version 3")
    expect(main(page).locator(".lead")).to_have_text(
        f"CC du Pays de Mortagne · Adoptée · adoptée le {day(v3.adopted_at)} · Amendement n° {rule_amendment.pk}"
    )
    expect(signature_row(page, 3, "Mortagne-sur-Sèvre")).to_contain_text("à signer")
    page.get_by_role("button", name="Signer cette version pour ma collectivité").click()
    expect(status_message(page, "signée")).to_have_text("Version 3 signée pour Mortagne-sur-Sèvre.")
    today = day(timezone.now())
    expect(signature_row(page, 3, "Mortagne-sur-Sèvre").get_by_role("cell").first).to_have_text(
        f"Sophie Guérin, {today}"
    )
    assert_accessible(page, "version signée")

    epci_page = new_page()
    log_in(epci_page, dgs_epci.email)
    epci_page.goto(f"{charte_path}versions/3/")
    epci_page.get_by_role("button", name="Signer cette version pour ma collectivité").click()
    expect(status_message(epci_page, "signée")).to_have_text("Version 3 signée pour CC du Pays de Mortagne.")
    expect(signature_row(epci_page, 3, "CC du Pays de Mortagne").get_by_role("cell").first).to_have_text(
        f"Claire Bernard, {today}"
    )
    epci_page.context.close()

    page.reload()
    table = signatures(page, 3)
    expect(signature_row(page, 3, "Mortagne-sur-Sèvre")).to_contain_text("Sophie Guérin")
    expect(signature_row(page, 3, "CC du Pays de Mortagne")).to_contain_text("Claire Bernard")
    to_sign = page.locator(".badge", has_text=re.compile(r"^à signer$"))
    expect(table.locator("tbody tr").filter(has=to_sign)).to_have_count(10)
    expect(signature_row(page, 3, "Mallièvre")).to_contain_text("à signer")
    assert sorted(Signature.objects.filter(version=v3).values_list("collectivite__name", flat=True)) == [
        "CC du Pays de Mortagne",
        "Mortagne-sur-Sèvre",
    ]

    # Her council has ratified it: she records the deliberation, first without its date and number.
    record = page.get_by_role("button", name="Enregistrer la ratification")
    record.click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs ; rien n'a été enregistré.")
    expect(page.locator("#id_deliberation_date_error")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#id_deliberation_number_error")).to_have_text("Ce champ est obligatoire.")
    assert_accessible(page, "ratification en erreur")
    assert not Ratification.objects.exists()

    deliberation_day = timezone.localdate() - timedelta(days=2)
    page.get_by_label("Date de la délibération").fill(deliberation_day.isoformat())
    page.get_by_label("Numéro de la délibération").fill("2026-042")
    page.get_by_label("Délibération (PDF)").set_input_files(
        files=[{"name": "deliberation-2026-042.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    record.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(charte_path)}versions/3/$"))
    expect(status_message(page, "Ratification")).to_have_text("Ratification enregistrée.")
    ratified = signature_row(page, 3, "Mortagne-sur-Sèvre").get_by_role("cell").nth(1)
    expect(ratified).to_have_text(f"délibération n° 2026-042 du {deliberation_day.strftime('%d/%m/%Y')} — PDF")
    expect(ratified.get_by_role("link", name="PDF")).to_have_attribute("href", re.compile(r"\.pdf$"))
    expect(signature_row(page, 3, "CC du Pays de Mortagne")).to_contain_text("à ratifier")
    ratification = Ratification.objects.get(version=v3)
    assert ratification.collectivite.name == "Mortagne-sur-Sèvre"
    assert ratification.document.read().startswith(b"%PDF-1.4")
    assert_accessible(page, "version ratifiée")
