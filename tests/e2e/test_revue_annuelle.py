"""The annual review in the browser, as the CNFPT facilitator and the members live it.

The facilitator accompanies the Pays de Mortagne and the Pays des Achards: from her own space she opens
the campaign of the year for both at once, then opens Mortagne's questionnaire. Three members answer
it, anonymously; a fourth does not. She closes the answers and holds the séminaire: the results show
(three answers, the minimum), she writes the bilan and the perspectives, notes a commitment carried by
Mallièvre, and closes the review, which puts the commitment in the decision register as a follow-up
action. The report is printed to PDF by Chromium and read back: its sections are all there. axe-core
checks each page on the way.
"""

import io
import re
import unicodedata
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from codir.models import Participation, Reponse, RevueAnnuelle
from communes import services as communes_services
from decisions.models import Action, Proposition
from tests.e2e.test_projets import h1, main

BILAN = "Neuf réunions tenues, un ordre du jour parti en retard après une panne."
PERSPECTIVES = "Partager davantage le pilotage des projets avec les petites communes."
COMMITMENT = "Confier un projet du portefeuille à une commune de moins de 1 000 habitants"


def answer_questionnaire(page: Page, level_label: str, free_text: str) -> None:
    """Answer the first statement of each dimension, and one free question."""
    statements = main(page).get_by_role("group").filter(has=page.get_by_role("radio"))
    for index in range(0, statements.count(), 3):
        statements.nth(index).get_by_label(level_label, exact=True).check()
    page.get_by_label("Qu'est-ce qui vous aiderait à mieux connaître vos collègues des autres collectivités ?").fill(
        free_text
    )
    page.get_by_role("button", name="Envoyer ma réponse anonyme").click()


@pytest.mark.e2e
def test_the_facilitator_runs_a_campaign_members_answer_and_the_report_prints(
    page,
    new_page,
    mortagne,
    achards,
    facilitateur,
    dgs_epci,
    dgs_commune,
    sg_petite_commune,
    referent,
    log_in,
    assert_accessible,
    mailoutbox,
):
    communes_services.facilitator_grant(territoire=achards, agent=facilitateur, by=None)
    year = timezone.localdate().year
    slug = mortagne.slug

    # 1. From her own space, the facilitator opens the campaign for both territories.
    log_in(page, facilitateur.email)
    main(page).get_by_role("link", name=re.compile("Mon espace de facilitation")).click()
    expect(h1(page)).to_have_text("Mes territoires accompagnés")
    assert_accessible(page, "espace du facilitateur")
    main(page).get_by_role("link", name="Ouvrir une campagne").click()
    expect(h1(page)).to_have_text("Ouvrir une campagne de revues annuelles")
    page.get_by_label("Année").fill(str(year))
    page.get_by_label("Intitulé").fill(f"Revues annuelles {year} — Nord-Est Vendée")
    page.get_by_label(mortagne.name).check()
    page.get_by_label(achards.name).check()
    assert_accessible(page, "formulaire de campagne")
    page.get_by_role("button", name="Ouvrir les revues").click()
    expect(h1(page)).to_have_text(f"Revues annuelles {year} — Nord-Est Vendée")
    campaign_rows = main(page).get_by_role("table").get_by_role("row")
    expect(campaign_rows).to_have_count(3)  # header + two territories
    assert_accessible(page, "campagne")
    assert RevueAnnuelle.objects.filter(year=year, territoire__in=[mortagne, achards]).count() == 2

    # 2. She opens Mortagne's questionnaire: the members are invited by mail.
    main(page).get_by_role("link", name=mortagne.name).click()
    expect(h1(page)).to_have_text(f"Revue annuelle {year}")
    assert_accessible(page, "revue en préparation")
    page.get_by_role("button", name="Ouvrir le questionnaire aux membres").click()
    expect(main(page).locator('[aria-current="step"]')).to_contain_text("Questionnaire ouvert")
    invited = {message.to[0] for message in mailoutbox}
    assert {dgs_epci.email, dgs_commune.email, sg_petite_commune.email, referent.email} <= invited

    # 3. Three members answer, each in their own browser; the answers carry no name.
    for agent, level, text in [
        (dgs_epci, "Plutôt d'accord", "Des visites de services entre communes."),
        (dgs_commune, "Tout à fait d'accord", "Un annuaire des secrétaires de mairie."),
        (sg_petite_commune, "Plutôt pas d'accord", "Un déjeuner après chaque CoDir."),
    ]:
        member = new_page()
        log_in(member, agent.email)
        member.goto(f"/t/{slug}/revue-annuelle/{year}/")
        main(member).get_by_role("link", name="Répondre au questionnaire").click()
        expect(h1(member)).to_have_text(f"Questionnaire de la revue {year}")
        if agent == dgs_epci:
            assert_accessible(member, "questionnaire")
        answer_questionnaire(member, level, text)
        expect(main(member)).to_contain_text("Vous avez répondu le")
        # The results stay closed while answers still come in.
        member.goto(f"/t/{slug}/revue-annuelle/{year}/resultats/")
        expect(main(member)).not_to_contain_text(text)
    revue = RevueAnnuelle.objects.get(territoire=mortagne, year=year)
    assert Participation.objects.filter(revue=revue).count() == 3
    assert Reponse.objects.filter(revue=revue).count() == 3

    # 4. She closes the answers and holds the séminaire.
    page.goto(f"/t/{slug}/revue-annuelle/{year}/")
    expect(main(page)).to_contain_text("3 réponses")
    page.get_by_label("Lieu du séminaire").fill("Mairie de Tiffauges")
    page.get_by_role("button", name="Clore le questionnaire et passer au séminaire").click()
    expect(main(page).locator('[aria-current="step"]')).to_contain_text("Séminaire")

    page.goto(f"/t/{slug}/revue-annuelle/{year}/resultats/")
    assert_accessible(page, "résultats du questionnaire")
    for text in ("Des visites de services entre communes.", "Un annuaire des secrétaires de mairie."):
        expect(main(page)).to_contain_text(text)

    page.goto(f"/t/{slug}/revue-annuelle/{year}/seminaire/")
    expect(h1(page)).to_have_text(f"Séminaire annuel {year} : bilan et perspectives")
    page.get_by_label("Bilan (Markdown)").fill(BILAN)
    page.get_by_label("Perspectives (Markdown)").fill(PERSPECTIVES)
    page.get_by_role("button", name="Enregistrer le bilan et les perspectives").click()
    page.get_by_label(re.compile(r"^Engagement\b")).fill(COMMITMENT)
    page.get_by_label("Collectivité qui le porte").select_option(label="Mallièvre")
    page.get_by_label("Échéance").fill((timezone.localdate() + timedelta(days=200)).isoformat())
    page.get_by_role("button", name="Ajouter l'engagement").click()
    expect(main(page)).to_contain_text(COMMITMENT)
    assert_accessible(page, "séminaire")

    # 5. She closes the review: the commitment becomes a follow-up action in the decision register.
    page.goto(f"/t/{slug}/revue-annuelle/{year}/")
    page.get_by_role("button", name="Clôturer la revue").click()
    expect(main(page).get_by_role("heading", name="Suites données")).to_be_visible()
    expect(main(page).get_by_role("table", name="Actions de suivi des engagements")).to_contain_text(COMMITMENT)
    assert_accessible(page, "revue clôturée")
    decision = Proposition.objects.get(territoire=mortagne, kind=Proposition.Kind.SEMINAIRE)
    action = Action.objects.get(proposition=decision)
    assert (action.title, action.owner_collectivite.name) == (COMMITMENT, "Mallièvre")

    # 6. The report, printed to PDF by Chromium, has every section.
    page.goto(f"/t/{slug}/revue-annuelle/{year}/rapport/")
    assert_accessible(page, "rapport")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    # NFKC: the PDF's fonts print "fi" as one ligature glyph.
    text = unicodedata.normalize("NFKC", " ".join(" ".join((p.extract_text() or "").split()) for p in pdf.pages))
    assert len(pdf.pages) >= 3, "the report's sections start on new pages"
    for expected in [
        mortagne.name,
        f"Revue annuelle {year}",
        "Synthèse",
        "Réunions",
        "Parité",
        "Décisions",
        "Charte",
        "Portefeuille",
        "Réseaux",
        "Questionnaire",
        "Bilan",
        "Perspectives",
        BILAN,
        COMMITMENT,
    ]:
        assert " ".join(expected.split()) in text, f"« {expected} » manque dans le PDF du rapport"
    assert "Menu principal" not in text and "Se déconnecter" not in text  # the print stylesheet hides the site's chrome


@pytest.mark.e2e
def test_every_review_page_passes_axe(
    page, new_page, mortagne, achards, facilitateur, dgs_epci, dgs_commune, sg_petite_commune, log_in, assert_accessible
):
    """The pages the main story does not visit: lists, questionnaire adaptation, sharing, indicators, comparison."""
    from codir.revue import services as revue_services

    communes_services.facilitator_grant(territoire=achards, agent=facilitateur, by=None)
    year = timezone.localdate().year
    campagne = revue_services.campagne_create(
        facilitator=facilitateur, year=year, title="", territoires=[mortagne, achards]
    )
    revue = campagne.revues.get(territoire=mortagne)
    slug = mortagne.slug
    log_in(page, facilitateur.email)
    for path, what in [
        (f"/t/{slug}/revue-annuelle/", "revues du territoire"),
        (f"/t/{slug}/revue-annuelle/{year}/questionnaire/", "adapter le questionnaire"),
        (f"/facilitation/campagnes/{campagne.pk}/questionnaire/", "questionnaire de campagne"),
        (f"/t/{slug}/revue-annuelle/{year}/indicateurs/", "indicateurs"),
        ("/facilitation/comparaison/", "comparaison"),
    ]:
        page.goto(path)
        expect(h1(page)).to_be_visible()
        assert_accessible(page, what)
    revue_services.revue_open_questionnaire(revue=revue, by=facilitateur)
    for agent in (dgs_epci, dgs_commune, sg_petite_commune):
        revue_services.reponse_submit(revue=revue, agent=agent, answers={"se_connaitre_1": 4, "confiance_1": 2})
    revue_services.revue_start_seminar(revue=revue, by=facilitateur)
    admin = new_page()
    log_in(admin, dgs_epci.email)
    for path, what in [
        (f"/t/{slug}/revue-annuelle/partage/", "partage"),
        (f"/t/{slug}/revue-annuelle/{year}/resultats/", "résultats"),
        (f"/t/{slug}/revue-annuelle/{year}/seminaire/", "séminaire (lecture)"),
        (f"/t/{slug}/revue-annuelle/{year}/rapport/", "rapport avant clôture"),
    ]:
        admin.goto(path)
        expect(h1(admin)).to_be_visible()
        assert_accessible(admin, what)
