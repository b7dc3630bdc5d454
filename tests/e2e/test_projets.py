"""The project portfolio in the browser: a co-piloted project in alternating rotation, its handover,
its review by the CoDir, its place among the other projects.

The DGS of Mortagne-sur-Sèvre creates a project that three communes pilot in turn: Mortagne-sur-Sèvre
first, Chanverrie since ten days, Mallièvre in six months. The daily sweep opens the handover review
of Chanverrie's turn; Chanverrie's DGS holds it from the project page, and from then on only the
agents of Chanverrie edit the project. A milestone slips; the CoDir meeting the EPCI's DGS planned
a few weeks ahead picks the project up in its portfolio review and puts it on the agenda. Two more
projects are linked to it, one link through the project page, so that the systemic ranking has a
known order and a loop of projects that reinforce each other. Last, the dashboard and the printable
fiche action. axe-core checks each page.
"""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from codir import services as meetings
from codir.models import PointOdj
from communes.models import Membership, Seat
from reseaux import services
from reseaux.models import Jalon, Lien, Pilote, Projet, Revue
from tests.conftest import collectivite, make_member

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Plan de formation mutualisé des secrétaires de mairie"
SCHOOL = "Restauration scolaire : une cuisine centrale partagée"
SUPPLIES = "Groupement de commandes de fournitures"
REVIEW_PROGRESS = "Mortagne-sur-Sèvre passe la main : le plan de formation 2027 est rédigé, le marché reste à lancer."
REVIEW_NEXT_STEPS = "Lancer la consultation des organismes de formation avant la fin de l'année."
MILESTONE = "Consultation des organismes de formation lancée"
MEETING_TITLE = "CoDir de décembre"


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def status_message(page: Page, text: str):
    return page.get_by_role("status").locator(".messages").filter(has_text=text)


def summary(page: Page, term: str):
    """The value a summary list shows for a term (its <dd>)."""
    return main(page).locator(f'dl.summary-list dt:text-is("{term}") + dd')


def pilot_row(page: Page, name: str):
    table = page.get_by_role("table", name="Collectivités pilotes, période par période")
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))


def d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def french(day: date, fmt: str) -> str:
    with translation.override("fr"):
        return date_filter(day, fmt)


def fill_pilot(page: Page, index: int, name: str, starts_on: date) -> None:
    row = page.get_by_role("group", name=f"Pilote ou période {index + 1}")
    row.get_by_label("Collectivité pilote").select_option(label=name)
    row.get_by_label("à partir du").fill(starts_on.isoformat())


def edit_link(page: Page):
    return main(page).get_by_role("link", name="Modifier la fiche")


@pytest.mark.e2e
def test_an_alternating_project_changes_hands_goes_to_the_codir_and_ranks_among_linked_projects(
    page, new_page, mortagne, dgs_epci, dgs_commune, sg_petite_commune, log_in, assert_accessible, mailoutbox
):
    slug = mortagne.slug
    today = timezone.localdate()
    chanverrie_dgs = make_member(
        mortagne,
        "Chanverrie",
        "marc.billaud@chanverrie.test",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        "Marc",
        "Billaud",
    )
    mortagne_start = today - timedelta(days=40)
    chanverrie_start = today - timedelta(days=10)
    mallievre_start = today + timedelta(days=182)

    # 1. Mortagne-sur-Sèvre's DGS creates the project: three communes pilot it in turn.
    log_in(page, dgs_commune.email)
    main(page).get_by_role("link", name="CC du Pays de Mortagne").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Projets").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/projets/$"))
    expect(h1(page)).to_have_text("Portefeuille de projets")
    expect(main(page)).to_contain_text("Aucun projet ne correspond.")
    assert_accessible(page, "portefeuille vide")

    main(page).get_by_role("link", name="Nouveau projet").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/projets/nouveau/$"))
    expect(h1(page)).to_have_text("Nouveau projet")
    expect(page.get_by_role("group", name=re.compile(r"^Pilote ou période \d+$"))).to_have_count(6)
    assert_accessible(page, "formulaire de projet")

    page.get_by_label("Intitulé").fill(TITLE)
    page.get_by_label("Début").fill(mortagne_start.isoformat())
    page.get_by_label("Objectifs (Markdown)").fill("- Former **ensemble** les secrétaires de mairie")
    page.get_by_label("Mode de pilotage").select_option(label="Pilotage alterné")
    fill_pilot(page, 0, "Mortagne-sur-Sèvre", mortagne_start)
    fill_pilot(page, 1, "Chanverrie", chanverrie_start)
    fill_pilot(page, 2, "Mallièvre", mallievre_start)
    assert_accessible(page, "formulaire de projet rempli")
    page.get_by_role("button", name="Créer le projet").click()

    projet = Projet.objects.get(territoire=mortagne, title=TITLE)
    projet_path = f"/t/{slug}/projets/{projet.pk}/"
    edit_path = f"{projet_path}modifier/"
    assert projet.pilotage == Projet.Pilotage.ALTERNE
    assert [(p.collectivite.name, p.starts_on, p.ends_on) for p in projet.pilotes.order_by("starts_on")] == [
        ("Mortagne-sur-Sèvre", mortagne_start, chanverrie_start),
        ("Chanverrie", chanverrie_start, mallievre_start),
        ("Mallièvre", mallievre_start, None),
    ]
    expect(page).to_have_url(re.compile(rf"{re.escape(projet_path)}$"))
    expect(status_message(page, "Projet créé")).to_have_text(
        "Projet créé. Ses collectivités pilotes peuvent le compléter."
    )
    expect(h1(page)).to_have_text(TITLE)
    expect(summary(page, "Pilotage")).to_have_text("Pilotage alterné — Chanverrie")
    expect(pilot_row(page, "Mortagne-sur-Sèvre").get_by_role("cell")).to_have_text(
        [d(mortagne_start), d(chanverrie_start), "passée"]
    )
    expect(pilot_row(page, "Chanverrie").get_by_role("cell")).to_have_text(
        [d(chanverrie_start), d(mallievre_start), "pilote"]
    )
    expect(pilot_row(page, "Mallièvre").get_by_role("cell")).to_have_text([d(mallievre_start), "—", "à venir"])
    # Chanverrie's turn started ten days ago: its agents edit the project, Mortagne-sur-Sèvre's read it.
    expect(edit_link(page)).to_have_count(0)
    expect(main(page)).to_contain_text("Seuls les agents des collectivités pilotes modifient ce projet")
    expect(main(page)).not_to_contain_text("Revue de passation à tenir")
    assert_accessible(page, "projet créé")

    # 2. The daily sweep, as the worker runs it: Chanverrie's turn opens a handover review.
    assert services.pilotage_sweep() == 1
    pending = Revue.objects.get(projet=projet)
    assert (pending.held, pending.handover, pending.held_on) == (False, True, chanverrie_start)
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        ([chanverrie_dgs.email], f"[CC du Pays de Mortagne] Passation du pilotage : {TITLE}")
    ]
    assert services.pilotage_sweep() == 0  # once only

    chanverrie_page = new_page()
    log_in(chanverrie_page, chanverrie_dgs.email)
    chanverrie_page.goto(projet_path)
    notice = main(chanverrie_page).locator(".notice").filter(has_text="Revue de passation à tenir")
    expect(notice).to_contain_text(
        f"Revue de passation à tenir (passation du {d(chanverrie_start)}). "
        "Passation du pilotage de Mortagne-sur-Sèvre à Chanverrie."
    )
    expect(edit_link(chanverrie_page)).to_be_visible()
    assert_accessible(chanverrie_page, "projet avec une revue de passation à tenir")

    notice.get_by_role("link", name="Tenir la revue de passation").click()
    expect(chanverrie_page).to_have_url(re.compile(rf"{re.escape(projet_path)}revues/nouvelle/$"))
    expect(h1(chanverrie_page)).to_have_text("Enregistrer une revue de projet")
    expect(chanverrie_page.get_by_label("Tenue le")).to_have_value(today.isoformat())
    expect(chanverrie_page.get_by_label("Revue de passation du pilotage")).to_be_checked()
    expect(chanverrie_page.get_by_label("Avancement")).to_have_value(
        "Passation du pilotage de Mortagne-sur-Sèvre à Chanverrie."
    )
    assert_accessible(chanverrie_page, "formulaire de revue de passation")
    chanverrie_page.get_by_label("Mortagne-sur-Sèvre", exact=True).check()
    chanverrie_page.get_by_label("Chanverrie", exact=True).check()
    chanverrie_page.get_by_label("Participants").fill("Sophie Guérin, Marc Billaud")
    chanverrie_page.get_by_label("Avancement").fill(REVIEW_PROGRESS)
    chanverrie_page.get_by_label("Prochaines étapes").fill(REVIEW_NEXT_STEPS)
    chanverrie_page.get_by_role("button", name="Enregistrer", exact=True).click()

    expect(chanverrie_page).to_have_url(re.compile(rf"{re.escape(projet_path)}$"))
    expect(status_message(chanverrie_page, "Revue enregistrée")).to_have_text("Revue enregistrée.")
    pending.refresh_from_db()
    assert (pending.held, pending.handover, pending.held_on, pending.recorded_by) == (
        True,
        True,
        today,
        chanverrie_dgs,
    )
    assert Revue.objects.filter(projet=projet).count() == 1  # completed, not duplicated
    expect(main(chanverrie_page)).not_to_contain_text("Revue de passation à tenir")
    review = main(chanverrie_page).locator("article.card")
    expect(review).to_have_count(1)
    expect(review.get_by_role("heading", level=3)).to_contain_text(f"Revue du {french(today, 'j F Y')} passation")
    expect(review).to_contain_text("Mortagne-sur-Sèvre, Chanverrie · Sophie Guérin, Marc Billaud")
    expect(review).to_contain_text(REVIEW_PROGRESS)
    expect(review).to_contain_text(f"Prochaines étapes : {REVIEW_NEXT_STEPS}")
    expect(edit_link(chanverrie_page)).to_be_visible()
    assert_accessible(chanverrie_page, "projet après la revue de passation")

    # Mortagne-sur-Sèvre's DGS no longer edits: no link, and the form's address is refused.
    page.reload()
    expect(main(page).locator("article.card")).to_contain_text(REVIEW_PROGRESS)
    expect(edit_link(page)).to_have_count(0)
    response = page.goto(edit_path)
    assert response is not None and response.status == 403
    expect(h1(page)).to_have_text("Action non autorisée")

    # 3. A milestone slips; the CoDir meeting planned a few weeks ahead puts the project on its agenda.
    chanverrie_page.goto(projet_path)
    main(chanverrie_page).get_by_role("link", name="Ajouter un jalon").click()
    expect(h1(chanverrie_page)).to_have_text("Ajouter un jalon")
    assert_accessible(chanverrie_page, "formulaire de jalon")
    chanverrie_page.get_by_label("Jalon").fill(MILESTONE)
    chanverrie_page.get_by_label("Échéance").fill((today - timedelta(days=1)).isoformat())
    chanverrie_page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(status_message(chanverrie_page, "Jalon ajouté")).to_have_text("Jalon ajouté.")
    assert Jalon.objects.get(projet=projet).due_on == today - timedelta(days=1)
    expect(main(chanverrie_page).locator("p.notice")).to_have_text("1 jalon en retard.")

    meeting_day = today + timedelta(days=21)
    starts_at = datetime.combine(meeting_day, time(9, 0), tzinfo=PARIS)
    reunion = meetings.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title=MEETING_TITLE,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        host=collectivite(mortagne, "Chanverrie"),
    )
    reunion_path = f"/t/{slug}/reunions/{reunion.pk}/"

    chanverrie_page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Réunions").click()
    main(chanverrie_page).get_by_role("link", name=MEETING_TITLE, exact=True).click()
    expect(chanverrie_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    main(chanverrie_page).get_by_role("link", name="Revue de portefeuille : projets à passer en revue").click()
    expect(chanverrie_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}revue-de-portefeuille/$"))
    expect(h1(chanverrie_page)).to_have_text("Revue de portefeuille")
    candidates = chanverrie_page.get_by_role("group", name="Projets à passer en revue")
    candidate = candidates.get_by_role("checkbox", name=TITLE)
    expect(candidate).to_be_checked()
    expect(candidates.locator("ul.muted")).to_have_text(
        f"Jalon en retard : {MILESTONE} (échéance {d(today - timedelta(days=1))})."
    )
    assert_accessible(chanverrie_page, "revue de portefeuille")

    chanverrie_page.get_by_role("button", name="Ajouter à l'ordre du jour").click()
    expect(chanverrie_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(chanverrie_page, "revue de projet")).to_have_text(
        "1 revue de projet ajoutée à l'ordre du jour."
    )
    point = PointOdj.objects.get(reunion=reunion)
    assert (point.title, point.projet, point.presenter) == (
        f"Revue de projet : {TITLE}",
        projet,
        collectivite(mortagne, "Chanverrie"),
    )
    item = main(chanverrie_page).locator("ol.agenda > li")
    expect(item.get_by_role("heading", level=3)).to_have_text([f"Revue de projet : {TITLE}"])
    expect(item).to_contain_text("Chanverrie · 15 min")
    expect(item).to_contain_text(f"Jalon en retard : {MILESTONE}")
    expect(item.get_by_role("link", name=f"Ouvrir le projet : Revue de projet : {TITLE}")).to_have_attribute(
        "href", projet_path
    )
    assert_accessible(chanverrie_page, "réunion avec la revue de projet")

    # Back in the review, the project is already on the agenda.
    main(chanverrie_page).get_by_role("link", name="Revue de portefeuille : projets à passer en revue").click()
    expect(chanverrie_page.get_by_role("checkbox", name=f"{TITLE} — déjà à l'ordre du jour")).to_be_disabled()
    assert_accessible(chanverrie_page, "revue de portefeuille, projet déjà inscrit")

    # 4. Two more projects, linked: the school kitchen and the project reinforce each other (a loop);
    # the supplies depend on the project. Scores: project 2 + 2 + 1, kitchen 2 + 2, supplies 1.
    school = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title=SCHOOL,
        pilotage=Projet.Pilotage.COMMUNE,
        rotation=[(collectivite(mortagne, "Mortagne-sur-Sèvre"), today)],
    )
    supplies = services.projet_create(
        territoire=mortagne,
        by=sg_petite_commune,
        title=SUPPLIES,
        pilotage=Projet.Pilotage.COMMUNE,
        rotation=[(collectivite(mortagne, "Mallièvre"), today)],
    )
    services.lien_create(
        source=school,
        target=projet,
        kind=Lien.Kind.RENFORCE,
        justification="Les agents de la cuisine centrale suivent le plan de formation.",
        by=dgs_commune,
    )
    services.lien_create(
        source=supplies,
        target=projet,
        kind=Lien.Kind.DEPEND_DE,
        justification="Le groupement attend les secrétaires formées à la commande publique.",
        by=sg_petite_commune,
    )

    chanverrie_page.goto(projet_path)
    main(chanverrie_page).get_by_role("link", name="Lier à un autre projet").click()
    expect(h1(chanverrie_page)).to_have_text("Lier à un autre projet")
    assert_accessible(chanverrie_page, "formulaire de lien")
    chanverrie_page.get_by_label("Ce projet…").select_option(label="renforce")
    chanverrie_page.get_by_label("…le projet").select_option(label=SCHOOL)
    chanverrie_page.get_by_label("Justification").fill("Le plan forme aussi les agents de restauration scolaire.")
    chanverrie_page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(status_message(chanverrie_page, "Lien enregistré")).to_have_text("Lien enregistré.")
    assert Lien.objects.filter(source=projet, target=school, kind=Lien.Kind.RENFORCE).exists()
    links = (
        main(chanverrie_page)
        .get_by_role("heading", name="Liens avec d'autres projets")
        .locator("xpath=following-sibling::ul[1]/li")
    )
    expect(links).to_have_count(3)
    expect(links.nth(0)).to_contain_text(f"Ce projet renforce {SCHOOL}")

    chanverrie_page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Projets").click()
    main(chanverrie_page).get_by_role("link", name="Liens entre projets").click()
    expect(chanverrie_page).to_have_url(re.compile(rf"/t/{slug}/projets/liens/$"))
    expect(h1(chanverrie_page)).to_have_text("Liens entre projets")
    ranking = chanverrie_page.get_by_role("table", name="Projets classés par score systémique")
    expect(ranking.get_by_role("rowheader")).to_have_text([TITLE, SCHOOL, SUPPLIES])
    expect(ranking.locator("tbody tr td:first-child")).to_have_text(["1", "2", "3"])
    expect(ranking.locator("tbody tr td:last-child")).to_have_text(["5", "4", "1"])
    loops = main(chanverrie_page).locator("ul.loops > li")
    expect(loops).to_have_text([f"{TITLE} → {SCHOOL} ↺"])
    expect(main(chanverrie_page)).to_contain_text("Chaque projet est lié à au moins un autre.")
    assert_accessible(chanverrie_page, "liens entre projets")

    # 5. The dashboard and the printable fiche action (the refusal page has no territory menu: back first).
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{re.escape(projet_path)}$"))
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Projets").click()
    expect(h1(page)).to_have_text("Portefeuille de projets")
    table = page.get_by_role("table", name="3 projets")
    expect(table.get_by_role("rowheader")).to_have_text(sorted([TITLE, SCHOOL, SUPPLIES]))
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=TITLE))
    expect(row.get_by_role("cell").nth(3)).to_have_text("Pilotage alterné : Chanverrie")
    expect(row.get_by_role("cell").nth(5)).to_have_text("1")
    assert_accessible(page, "tableau de bord du portefeuille")

    table.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(projet_path)}$"))
    main(page).get_by_role("link", name="Fiche action imprimable").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(projet_path)}fiche-action/$"))
    expect(h1(page)).to_have_text(f"Fiche action : {TITLE}")
    expect(summary(page, "Pilotage")).to_have_text("Pilotage alterné")
    expect(summary(page, "Pilotes")).to_have_text(
        f"Mortagne-sur-Sèvre ({d(mortagne_start)} – {d(chanverrie_start)}), "
        f"Chanverrie ({d(chanverrie_start)} – {d(mallievre_start)}), "
        f"Mallièvre ({d(mallievre_start)} – …)"
    )
    calendar = page.get_by_role("table", name="Phases de coopération et jalons")
    expect(calendar.get_by_role("row").filter(has_text=MILESTONE).get_by_role("cell")).to_have_text(
        [d(today - timedelta(days=1)), "en retard"]
    )
    expect(main(page).locator(".prose").first.get_by_role("listitem")).to_have_text(
        "Former ensemble les secrétaires de mairie"
    )
    assert_accessible(page, "fiche action")
    assert Pilote.objects.filter(projet=projet).count() == 3
