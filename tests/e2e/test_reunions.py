"""CoDir meetings in the browser: an instance, the meeting that prepares it, its agenda and its dispatch.

The EPCI's DGS enters a bureau communautaire and plans the CoDir that prepares it, prefilled by
the charter's rules; two communes add an item each with a document, which members download and
an agent of another territory cannot; at the deadline the agenda goes out to every member with a
calendar invitation; a late item sends an update (SEQUENCE 1); a member acknowledges the agenda.
During a meeting that prepares a conseil communautaire, the animateur has the collective accept a
late item, the DGS records attendance, puts the CoDir's technical opinion to the vote, sends the
printable avis to the conseil's convener and records the deliberation that went against it; the
minutes are published. axe-core checks each page.
"""

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation
from icalendar import Calendar
from playwright.sync_api import Page, expect

from codir import dispatch, services
from codir.models import AgendaVersion, Deliberation, Document, Envoi, Instance, PointOdj, Presence, Reunion
from communes.models import Collectivite, Membership
from decisions import services as decisions
from decisions.models import Proposition
from tests.mailtools import invitation_of

PARIS = ZoneInfo("Europe/Paris")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
INSTANCE_PLACE = "Siège de la communauté de communes, salle du conseil"
MORTAGNE_ITEM = "Schéma de mutualisation des services techniques"
MORTAGNE_DOCUMENT = "note.pdf"
MALLIEVRE_ITEM = "Transport scolaire : le circuit de Mallièvre"
MALLIEVRE_DOCUMENT = "circuit-scolaire.pdf"
LATE_ITEM = "Fermeture estivale de la mairie de Mallièvre"
REASONS = [
    "7 jours avant l'instance, selon la charte.",
    "Lieu tournant : la collectivité qui a accueilli le moins récemment.",
    "Animation tournante : le membre qui a animé le moins récemment.",
]


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def main(page: Page):
    return page.get_by_role("main")


def status_message(page: Page, text: str):
    return page.get_by_role("status").locator(".messages").filter(has_text=text)


def summary(page: Page, term: str):
    """The value a summary list shows for a term (its <dd>)."""
    return main(page).locator(f'dl.summary-list dt:text-is("{term}") + dd')


def agenda_item(page: Page, title: str):
    return main(page).locator("ol.agenda > li").filter(has=page.get_by_role("heading", name=title))


def dispatch_table(page: Page, number: int):
    return page.get_by_role("table", name=re.compile(rf"^Version {number} — "))


def summary_row(page: Page, number: int):
    """The meeting page's line of one agenda version: recipients, sent, late, read, the reader's own copy."""
    return (
        main(page)
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=re.compile(rf"^Version {number} — ")))
    )


def recipient_row(page: Page, number: int, name: str):
    return (
        dispatch_table(page, number).get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))
    )


def in_paris(moment: datetime) -> str:
    """A `datetime-local` value, in Paris time like the forms expect."""
    return timezone.localtime(moment, PARIS).strftime("%Y-%m-%dT%H:%M")


def french(moment: datetime, fmt: str) -> str:
    """A date as the French pages show it (Django's `date` filter, Paris time)."""
    with translation.override("fr"):
        return date_filter(timezone.localtime(moment, PARIS), fmt)


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def add_item(page: Page, title: str, presenter: str, minutes: str, document: dict | None = None) -> None:
    form = main(page).locator("form").filter(has=page.get_by_role("button", name="Ajouter le point"))
    form.get_by_label("Intitulé du point").fill(title)
    form.get_by_label("Présenté par").select_option(label=presenter)
    form.get_by_label("Durée prévue (minutes)").fill(minutes)
    if document is not None:
        form.get_by_label("Documents").set_input_files(document)
    form.get_by_role("button", name="Ajouter le point").click()


def event_of(calendar: Calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Uploaded documents go to a temporary folder, never to the project's media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.e2e
def test_a_meeting_is_planned_its_agenda_filled_sent_updated_and_acknowledged(
    page,
    new_page,
    mortagne,
    dgs_epci,
    dgs_commune,
    sg_petite_commune,
    outsider,
    media_root,
    log_in,
    assert_accessible,
    mailoutbox,
):
    slug = mortagne.slug
    members = sorted(Membership.objects.active().filter(territoire=mortagne).values_list("agent__email", flat=True))
    assert len(members) == 3
    mallievre = Collectivite.objects.get(territoire=mortagne, name="Mallièvre")
    mortagne_sur_sevre = Collectivite.objects.get(territoire=mortagne, name="Mortagne-sur-Sèvre")
    # A bureau communautaire about twenty days ahead, at 18:30 Paris time.
    instance_day = (timezone.localtime(timezone.now(), PARIS) + timedelta(days=20)).date()
    instance_start = datetime.combine(instance_day, time(18, 30), tzinfo=PARIS)
    instance_name = f"Bureau communautaire du {instance_day:%d/%m/%Y}"
    # What the charter proposes: the CoDir 7 days before, at 9:00, for two hours.
    codir_start = datetime.combine(instance_day - timedelta(days=7), time(9, 0), tzinfo=PARIS)
    codir_title = f"CoDir préparatoire — {instance_name}"

    # 1. The EPCI's DGS enters the instance, then plans the CoDir that prepares it.
    log_in(page, dgs_epci.email)
    main(page).get_by_role("link", name="CC du Pays de Mortagne").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Réunions").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reunions/$"))
    expect(h1(page)).to_have_text("Réunions du CoDir")
    expect(main(page)).to_contain_text("Aucune réunion à venir.")
    expect(main(page)).to_contain_text("Aucune instance à venir.")
    assert_accessible(page, "calendrier des réunions")

    page.get_by_role("navigation", name="Planifier").get_by_role("link", name="Ajouter une instance").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reunions/instances/nouvelle/$"))
    expect(h1(page)).to_have_text("Ajouter une instance")
    assert_accessible(page, "formulaire d'instance")

    save = page.get_by_role("button", name="Enregistrer l'instance")
    save.click()
    expect(page.get_by_role("alert")).to_contain_text("Le formulaire contient des erreurs ; rien n'a été enregistré.")
    expect(page.locator(".field--error")).to_have_count(1)  # the date; the kind always has a choice
    expect(page.locator("#id_starts_at_error")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#id_starts_at")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_starts_at")).to_have_attribute("aria-describedby", "id_starts_at_error")
    assert_accessible(page, "formulaire d'instance en erreur")
    assert not Instance.objects.exists()

    page.get_by_role("combobox", name="Instance").select_option(label="Bureau communautaire")
    page.locator("#id_starts_at").fill(in_paris(instance_start))
    page.get_by_label("Lieu").fill(INSTANCE_PLACE)
    save.click()

    instance = Instance.objects.get(territoire=mortagne)
    assert (instance.kind, instance.starts_at, instance.place) == (
        Instance.Kind.BUREAU,
        instance_start,
        INSTANCE_PLACE,
    )
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reunions/instances/{instance.pk}/$"))
    expect(status_message(page, "Instance enregistrée")).to_have_text(
        "Instance enregistrée : planifiez le CoDir qui la prépare."
    )
    expect(h1(page)).to_have_text(instance_name)
    expect(main(page)).to_contain_text(INSTANCE_PLACE)
    expect(main(page)).to_contain_text("Aucun CoDir ne prépare encore cette instance.")
    assert_accessible(page, "instance")

    main(page).get_by_role("link", name="Planifier le CoDir qui la prépare").click()
    expect(page).to_have_url(re.compile(rf"/t/{slug}/reunions/nouvelle/\?instance={instance.pk}$"))
    expect(h1(page)).to_have_text("Planifier une réunion du CoDir")
    proposals = main(page).locator(".notice").filter(has_text="Propositions de la charte (modifiables)")
    expect(proposals.get_by_role("listitem")).to_have_text(REASONS)
    expect(page.locator("#id_title")).to_have_value(codir_title)
    expect(page.locator("#id_instance")).to_have_value(str(instance.pk))
    expect(page.locator("#id_starts_at")).to_have_value(in_paris(codir_start))
    expect(page.locator("#id_ends_at")).to_have_value(in_paris(codir_start + timedelta(hours=2)))
    # Nobody has hosted nor animated yet: the smallest commune, and its secretary.
    expect(page.locator("#id_host")).to_have_value(str(mallievre.pk))
    expect(page.locator("#id_host option:checked")).to_have_text("Mallièvre")
    expect(page.locator("#id_place")).to_have_value("Mairie de Mallièvre")
    expect(page.locator("#id_animateur")).to_have_value(str(sg_petite_commune.pk))
    expect(page.locator("#id_animateur option:checked")).to_have_text("Élodie Martineau")
    assert_accessible(page, "formulaire de réunion prérempli")

    page.get_by_role("button", name="Planifier la réunion").click()
    reunion = Reunion.objects.get(territoire=mortagne)
    reunion_path = f"/t/{slug}/reunions/{reunion.pk}/"
    expect(page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    assert (reunion.title, reunion.starts_at, reunion.ends_at) == (
        codir_title,
        codir_start,
        codir_start + timedelta(hours=2),
    )
    assert (reunion.instance, reunion.host, reunion.animateur) == (instance, mallievre, sg_petite_commune)
    deadline = dispatch.dispatch_deadline(reunion)
    assert deadline == codir_start - timedelta(hours=48)
    expect(status_message(page, "Réunion planifiée")).to_have_text(
        "Réunion planifiée ; son ordre du jour partira automatiquement à l'échéance."
    )
    expect(h1(page)).to_have_text(codir_title)
    expect(summary(page, "Envoi de l'ordre du jour")).to_have_text(
        f"automatique le {french(deadline, 'l j F Y à H:i')} (délai de prévenance de la charte)"
    )
    expect(summary(page, "Accueil")).to_have_text("Mallièvre")
    expect(summary(page, "Animation")).to_have_text("Élodie Martineau")
    expect(main(page).get_by_role("link", name=instance_name)).to_be_visible()
    expect(main(page)).to_contain_text("Aucun point pour l'instant.")
    expect(page.get_by_role("heading", name="Envois de l'ordre du jour")).to_have_count(0)
    assert_accessible(page, "réunion planifiée")
    assert mailoutbox == []

    # 2. Two communes, each in its own browser, add an item with a document.
    mortagne_page = new_page()
    log_in(mortagne_page, dgs_commune.email)
    mortagne_page.goto(reunion_path)
    expect(h1(mortagne_page)).to_have_text(codir_title)
    add_item(mortagne_page, MORTAGNE_ITEM, "Mortagne-sur-Sèvre", "30", pdf(MORTAGNE_DOCUMENT))
    expect(mortagne_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(mortagne_page, "Point ajouté")).to_have_text("Point ajouté à l'ordre du jour.")
    expect(agenda_item(mortagne_page, MORTAGNE_ITEM)).to_contain_text("Mortagne-sur-Sèvre · 30 min")

    mallievre_page = new_page()
    log_in(mallievre_page, sg_petite_commune.email)
    mallievre_page.goto(reunion_path)
    mallievre_page.get_by_role("button", name="Ajouter le point").click()  # nothing filled in
    expect(mallievre_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}points/$"))
    expect(mallievre_page.get_by_role("alert")).to_contain_text(
        "Le formulaire contient des erreurs ; rien n'a été enregistré."
    )
    expect(mallievre_page.locator(".field--error")).to_have_count(1)
    expect(mallievre_page.locator("#id_title_error")).to_have_text("Ce champ est obligatoire.")
    expect(mallievre_page.locator("#id_documents")).to_have_attribute("aria-describedby", "id_documents_helptext")
    assert_accessible(mallievre_page, "point en erreur")
    assert PointOdj.objects.filter(reunion=reunion).count() == 1
    add_item(mallievre_page, MALLIEVRE_ITEM, "Mallièvre", "15", pdf(MALLIEVRE_DOCUMENT))
    expect(status_message(mallievre_page, "Point ajouté")).to_have_text("Point ajouté à l'ordre du jour.")
    expect(main(mallievre_page).locator("ol.agenda > li > h3")).to_have_text([MORTAGNE_ITEM, MALLIEVRE_ITEM])
    for title, name in ((MORTAGNE_ITEM, MORTAGNE_DOCUMENT), (MALLIEVRE_ITEM, MALLIEVRE_DOCUMENT)):
        expect(agenda_item(mallievre_page, title).get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(agenda_item(mallievre_page, MALLIEVRE_ITEM)).not_to_contain_text("hors délai")
    assert_accessible(mallievre_page, "réunion avec son ordre du jour")

    points = list(PointOdj.objects.filter(reunion=reunion).order_by("position"))
    assert [(p.title, p.presenter, p.late) for p in points] == [
        (MORTAGNE_ITEM, mortagne_sur_sevre, False),
        (MALLIEVRE_ITEM, mallievre, False),
    ]
    document = Document.objects.get(point=points[0])
    assert (document.name, document.size) == (MORTAGNE_DOCUMENT, len(PDF))
    assert Path(document.file.path).is_relative_to(media_root)

    # A member downloads the other commune's document, through the access check.
    link = agenda_item(mallievre_page, MORTAGNE_ITEM).get_by_role("link", name=MORTAGNE_DOCUMENT)
    document_path = link.get_attribute("href")
    assert document_path == f"/t/{slug}/reunions/documents/{document.pk}/"
    with mallievre_page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == MORTAGNE_DOCUMENT
    assert Path(download.path()).read_bytes() == PDF

    # An agent of another territory: the same answer as for a document that does not exist.
    outsider_page = new_page()
    log_in(outsider_page, outsider.email)
    for path in (document_path, f"/t/{outsider.memberships.get().territoire.slug}/reunions/documents/{document.pk}/"):
        response = outsider_page.goto(path)
        assert response is not None and response.status == 404, path
        expect(h1(outsider_page)).to_have_text("Page introuvable")
    assert_accessible(outsider_page, "document d'un autre territoire")
    outsider_page.context.close()

    # 3. The clock reaches the deadline: the agenda goes out to each member, with an invitation.
    assert mailoutbox == []
    report = dispatch.codir_sweep(now=deadline)
    assert report.dispatched == 1
    assert sorted(mail.to[0] for mail in mailoutbox) == members  # one mail each
    for mail in mailoutbox:
        assert "Ordre du jour" in mail.subject and "mis à jour" not in mail.subject, mail.subject
        assert mail.subject == (
            f"[CC du Pays de Mortagne] Ordre du jour : {codir_title} — {french(codir_start, 'd/m/Y H:i')}"
        )
        assert MORTAGNE_ITEM in mail.body and MALLIEVRE_ITEM in mail.body
        assert f"/t/{slug}/reunions/documents/{document.pk}/" in mail.body
        calendar = invitation_of(mail)
        assert str(calendar["METHOD"]) == "REQUEST"
        event = event_of(calendar)
        assert str(event["UID"]) == reunion.uid
        assert event.decoded("SEQUENCE") == 0
        start = event.decoded("DTSTART")
        assert start == reunion.starts_at
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert start.replace(tzinfo=None) == codir_start.replace(tzinfo=None)  # 9:00 on the wall clock
        assert str(event["ATTENDEE"]) == f"mailto:{mail.to[0]}"
    reunion.refresh_from_db()
    assert reunion.dispatched_at == deadline

    mortagne_page.reload()
    expect(summary(mortagne_page, "Envoi de l'ordre du jour")).to_have_text(
        f"envoyé le {french(deadline, 'd/m/Y H:i')}"
    )
    expect(mortagne_page.get_by_role("heading", name="Envois de l'ordre du jour")).to_be_visible()
    expect(summary_row(mortagne_page, 1).get_by_role("cell")).to_have_text(
        ["3", "3", "—", "0", re.compile(r"^envoyé le \d\d/\d\d/\d{4} \d\d:\d\d$")]
    )
    expect(main(mortagne_page)).to_contain_text("L'ordre du jour est parti : un point ajouté maintenant est hors délai")
    assert_accessible(mortagne_page, "réunion après l'envoi de l'ordre du jour")
    main(mortagne_page).get_by_role("link", name="Voir les envois destinataire par destinataire").click()
    expect(h1(mortagne_page)).to_have_text("Envois de l'ordre du jour")
    first = dispatch_table(mortagne_page, 1)
    expect(first).to_have_count(1)
    expect(first.locator("caption")).to_have_text(
        f"Version 1 — Envoi de l'ordre du jour, due le {french(deadline, 'd/m/Y H:i')}"
    )
    expect(first.get_by_role("rowheader")).to_have_text(["Claire Bernard", "Élodie Martineau", "Sophie Guérin"])
    for name in ("Claire Bernard", "Élodie Martineau", "Sophie Guérin"):
        expect(recipient_row(mortagne_page, 1, name).get_by_role("cell").first).to_have_text(
            re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$")
        )
        expect(recipient_row(mortagne_page, 1, name).get_by_role("cell").nth(1)).to_have_text("—")
    assert_accessible(mortagne_page, "envois de l'ordre du jour")

    # A commune adds a late item: an update of the agenda goes to every member.
    mailoutbox.clear()
    mallievre_page.reload()
    add_item(mallievre_page, LATE_ITEM, "Mallièvre", "10")
    expect(mallievre_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(mallievre_page, "Point ajouté hors délai")).to_have_text(
        "Point ajouté hors délai : l'ordre du jour mis à jour part aux membres, "
        "et le collectif dira en début de séance s'il l'examine."
    )
    late = agenda_item(mallievre_page, LATE_ITEM)
    expect(late.locator(".badge")).to_have_text("hors délai")
    expect(late).to_contain_text("À soumettre au collectif en début de séance")
    expect(agenda_item(mallievre_page, MORTAGNE_ITEM).locator(".badge")).to_have_count(0)
    assert PointOdj.objects.get(title=LATE_ITEM).late

    dispatch.codir_sweep(now=timezone.now())
    assert not Envoi.objects.filter(version__reunion=reunion, sent_at__isnull=True).exists()
    assert sorted(mail.to[0] for mail in mailoutbox) == members  # the update, once each
    for mail in mailoutbox:
        assert mail.subject.startswith(f"[CC du Pays de Mortagne] Ordre du jour mis à jour : {codir_title}")
        assert LATE_ITEM in mail.body
        calendar = invitation_of(mail)
        assert str(calendar["METHOD"]) == "REQUEST"
        event = event_of(calendar)
        assert str(event["UID"]) == reunion.uid
        assert event.decoded("SEQUENCE") == 1
        assert event.decoded("DTSTART") == reunion.starts_at
    update = AgendaVersion.objects.get(reunion=reunion, number=2)
    assert (update.kind, update.sequence) == (AgendaVersion.Kind.MISE_A_JOUR, 1)

    # A member acknowledges the agenda: the date shows in both sendings.
    mallievre_page.reload()
    expect(summary_row(mallievre_page, 2).get_by_role("rowheader")).to_have_text(
        f"Version 2 — Mise à jour, due le {french(update.due_at, 'd/m/Y H:i')} — Point ajouté hors délai : {LATE_ITEM}"
    )
    mallievre_page.get_by_role("button", name="J'ai pris connaissance de l'ordre du jour").click()
    expect(mallievre_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(mallievre_page, "Merci")).to_have_text("Merci : votre prise de connaissance est enregistrée.")
    read = Envoi.objects.filter(version__reunion=reunion, recipient=sg_petite_commune).values_list("read_at", flat=True)
    assert len(read) == 2 and all(read)
    for number in (1, 2):
        expect(summary_row(mallievre_page, number).get_by_role("cell").last).to_contain_text(
            f"lu le {french(max(read), 'd/m/Y H:i')}"
        )
    assert_accessible(mallievre_page, "réunion avec l'ordre du jour mis à jour et lu")
    for number in (1, 2):
        summary_row(mallievre_page, number).get_by_role("link").click()
        expect(dispatch_table(mallievre_page, number)).to_have_count(1)
        expect(recipient_row(mallievre_page, number, "Élodie Martineau").get_by_role("cell").nth(1)).to_have_text(
            french(max(read), "d/m/Y H:i")
        )
        expect(recipient_row(mallievre_page, number, "Sophie Guérin").get_by_role("cell").nth(1)).to_have_text("—")
        mallievre_page.go_back()
    assert_accessible(mallievre_page, "réunion, retour des envois")

    # The calendar lists the meeting and the instance it prepares.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Réunions").click()
    prepared = main(page).get_by_role("listitem").filter(has=page.get_by_role("link", name=instance_name, exact=True))
    expect(prepared).to_have_text(f"{instance_name} — {french(instance_start, 'd/m/Y H:i')}")  # no « aucun CoDir »
    assert_accessible(page, "calendrier avec la réunion")
    meeting = main(page).get_by_role("listitem").filter(has=page.get_by_role("link", name=codir_title))
    expect(meeting).to_contain_text(f"{french(codir_start, 'l j F Y, H:i')} — Mairie de Mallièvre")
    expect(meeting).to_contain_text("3 points à l'ordre du jour · ordre du jour envoyé")


CONSEIL_ITEM = "Convention du service commun d'instruction des autorisations d'urbanisme"
CONSEIL_ITEM_REFERENCE = "Point 4 : service commun ADS"
CONVENER = "assemblees@paysdemortagne.test"
REPRESENTATIVE = "Marc Girard (La Gaubretière)"
MINUTES = (
    "# Relevé de décisions\n\n"  # Markdown headings start at h3, under the page's h2 "Compte rendu"
    "- Service commun ADS : avis **favorable** du CoDir\n"
    "- Fermeture estivale de la mairie de Mallièvre : examinée, accord unanime\n"
)


def presence(page: Page, name: str):
    return page.get_by_label(f"Présence de {name}", exact=True)


def represented_by(page: Page, name: str):
    return page.get_by_label(f"{name} représentée par", exact=True)


@pytest.mark.e2e
def test_during_the_meeting_attendance_late_item_avis_deliberation_and_minutes(
    page,
    new_page,
    mortagne,
    dgs_epci,
    dgs_commune,
    sg_petite_commune,
    voices,
    log_in,
    assert_accessible,
    mailoutbox,
):
    slug = mortagne.slug
    mallievre = Collectivite.objects.get(territoire=mortagne, name="Mallièvre")
    # A conseil communautaire in twelve days, whose convener receives the CoDir's opinions.
    instance_day = (timezone.localtime(timezone.now(), PARIS) + timedelta(days=12)).date()
    conseil = services.instance_create(
        territoire=mortagne,
        by=dgs_epci,
        kind=Instance.Kind.CONSEIL,
        starts_at=datetime.combine(instance_day, time(18, 30), tzinfo=PARIS),
        place=INSTANCE_PLACE,
        convener_email=CONVENER,
    )
    # The CoDir that prepares it starts in half an hour, at short notice; Mallièvre's secretary animates.
    now = timezone.now()
    reunion = services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title=f"CoDir préparatoire — {conseil}",
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=2, minutes=30),
        place="Mairie de Mallièvre",
        host=mallievre,
        animateur=sg_petite_commune,
        instance=conseil,
    )
    reunion_path = f"/t/{slug}/reunions/{reunion.pk}/"

    # Mortagne-sur-Sèvre adds an item on a point of the conseil, in time.
    mortagne_page = new_page()
    log_in(mortagne_page, dgs_commune.email)
    mortagne_page.goto(reunion_path)
    form = main(mortagne_page).locator("form").filter(has=mortagne_page.get_by_role("button", name="Ajouter le point"))
    form.get_by_label("Point de l'instance concerné").fill(CONSEIL_ITEM_REFERENCE)
    add_item(mortagne_page, CONSEIL_ITEM, "Mortagne-sur-Sèvre", "30")
    # The meeting starts in 30 minutes: its 48 h notice has passed, so even before the sweep has
    # sent the agenda, an item added now is hors délai.
    expect(status_message(mortagne_page, "Point ajouté")).to_contain_text("Point ajouté hors délai")
    expect(agenda_item(mortagne_page, CONSEIL_ITEM)).to_contain_text(f"Point de l'instance : {CONSEIL_ITEM_REFERENCE}")
    point = PointOdj.objects.get(reunion=reunion, title=CONSEIL_ITEM)
    assert (point.instance_item, point.late) == (CONSEIL_ITEM_REFERENCE, True)

    # The agenda goes out at the next tick; then Mallièvre adds a late item.
    assert dispatch.codir_sweep(now=timezone.now()).dispatched == 1
    late = services.point_add(
        reunion=reunion, by=sg_petite_commune, title=LATE_ITEM, presenter=mallievre, duration_minutes=10
    )
    assert late.late and late.late_consent == PointOdj.LateConsent.EN_ATTENTE

    # A member who neither administers nor animates sees the meeting run, without its controls.
    mortagne_page.reload()
    expect(mortagne_page.get_by_role("heading", name="Présences", exact=True)).to_be_visible()
    expect(agenda_item(mortagne_page, LATE_ITEM)).to_contain_text("À soumettre au collectif en début de séance")
    expect(mortagne_page.get_by_role("button", name="Le collectif accepte de l'examiner")).to_have_count(0)
    expect(mortagne_page.get_by_role("button", name="Enregistrer les présences")).to_have_count(0)
    expect(mortagne_page.get_by_role("button", name="Diffuser le compte rendu")).to_have_count(0)
    expect(mortagne_page.get_by_role("button", name="Soumettre l'avis au CoDir")).to_have_count(0)
    assert_accessible(mortagne_page, "réunion commencée, vue d'un membre")

    # 1. The animateur asks the collective at the start of the meeting: the late item is examined.
    mallievre_page = new_page()
    log_in(mallievre_page, sg_petite_commune.email)
    mallievre_page.goto(reunion_path)
    late_item = agenda_item(mallievre_page, LATE_ITEM)
    expect(late_item.locator(".badge")).to_have_text("hors délai")
    assert_accessible(mallievre_page, "réunion commencée, vue de l'animatrice")
    late_item.get_by_role("button", name="Le collectif accepte de l'examiner").click()
    expect(mallievre_page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(mallievre_page, "Réponse du collectif")).to_have_text(
        "Réponse du collectif enregistrée pour le point hors délai."
    )
    late_item = agenda_item(mallievre_page, LATE_ITEM)
    expect(late_item).to_contain_text("Mallièvre · 10 min · Examen accepté par le collectif")
    expect(late_item.locator(".badge")).to_have_text("hors délai")
    for answer in ("Le collectif accepte de l'examiner", "Reporter"):  # answered once
        expect(late_item.get_by_role("button", name=answer)).to_have_count(0)
    late.refresh_from_db()
    assert late.late_consent == PointOdj.LateConsent.ACCEPTE

    # 2. The EPCI's DGS, an administrator, records attendance: one line per collectivité.
    log_in(page, dgs_epci.email)
    page.goto(reunion_path)
    expect(page.get_by_role("table", name="Une ligne par collectivité").get_by_role("rowheader")).to_have_count(12)
    # A represented collectivité needs its representative's name.
    presence(page, "Tiffauges").select_option(label="Représentée")
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(status_message(page, "Indiquez qui représente")).to_have_text("Indiquez qui représente Tiffauges.")
    assert not Presence.objects.filter(reunion=reunion).exists()
    assert_accessible(page, "présences en erreur")

    page.goto(reunion_path)
    presence(page, "CC du Pays de Mortagne").select_option(label="Présente")
    presence(page, "Mortagne-sur-Sèvre").select_option(label="Présente")
    presence(page, "Mallièvre").select_option(label="Présente")
    presence(page, "La Gaubretière").select_option(label="Excusée")
    presence(page, "Tiffauges").select_option(label="Représentée")
    represented_by(page, "Tiffauges").fill(REPRESENTATIVE)
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(page, "Présences")).to_have_text("Présences enregistrées.")
    for name, label in (
        ("CC du Pays de Mortagne", "Présente"),
        ("Mortagne-sur-Sèvre", "Présente"),
        ("Mallièvre", "Présente"),
        ("La Gaubretière", "Excusée"),
        ("Tiffauges", "Représentée"),
        ("Chanverrie", "—"),
    ):
        expect(presence(page, name).locator("option:checked")).to_have_text(label)
    expect(represented_by(page, "Tiffauges")).to_have_value(REPRESENTATIVE)
    expect(represented_by(page, "Mallièvre")).to_have_value("")
    assert dict(Presence.objects.filter(reunion=reunion).values_list("collectivite__name", "status")) == {
        "CC du Pays de Mortagne": Presence.Status.PRESENT,
        "Mortagne-sur-Sèvre": Presence.Status.PRESENT,
        "Mallièvre": Presence.Status.PRESENT,
        "La Gaubretière": Presence.Status.EXCUSE,
        "Tiffauges": Presence.Status.REPRESENTE,
    }
    assert Presence.objects.get(reunion=reunion, collectivite__name="Tiffauges").represented_by == REPRESENTATIVE
    assert_accessible(page, "présences enregistrées")

    # Other members read the attendance.
    mortagne_page.reload()
    tiffauges = (
        mortagne_page.get_by_role("table", name="Une ligne par collectivité")
        .get_by_role("row")
        .filter(has=mortagne_page.get_by_role("rowheader", name="Tiffauges", exact=True))
    )
    expect(tiffauges.get_by_role("cell")).to_have_text(["Représentée", REPRESENTATIVE])

    # 3. The CoDir's technical opinion on the conseil's point, decided like any proposition.
    item = agenda_item(page, CONSEIL_ITEM)
    closes_at = timezone.now() + timedelta(days=2)
    item.get_by_label("Avis technique, clôture le").fill(in_paris(closes_at))
    item.get_by_role("button", name="Soumettre l'avis au CoDir").click()
    proposition = Proposition.objects.get(territoire=mortagne, kind=Proposition.Kind.AVIS_TECHNIQUE)
    point.refresh_from_db()
    assert point.proposition == proposition and proposition.status == Proposition.Status.OUVERTE
    assert CONSEIL_ITEM_REFERENCE in proposition.body
    expect(page).to_have_url(re.compile(rf"/t/{slug}/decisions/{proposition.pk}/$"))
    expect(status_message(page, "L'avis technique")).to_have_text("L'avis technique est soumis au CoDir.")
    expect(h1(page)).to_have_text(f"Avis technique : {CONSEIL_ITEM}")
    assert_accessible(page, "avis technique soumis au CoDir")

    for agent in voices:
        decisions.position_express(proposition=proposition, agent=agent, choice="pour")
    page.reload()
    page.get_by_role("button", name="Clore maintenant et proclamer le résultat").click()
    expect(status_message(page, "Proposition close")).to_have_text("Proposition close : Adoptée.")
    proposition.refresh_from_db()
    assert (proposition.status, proposition.avis) == (Proposition.Status.CLOSE, "favorable")

    page.goto(reunion_path)
    item = agenda_item(page, CONSEIL_ITEM)
    expect(item).to_contain_text("Avis technique : Favorable · avis imprimable")
    expect(item.get_by_role("link", name="Favorable")).to_have_attribute(
        "href", f"/t/{slug}/decisions/{proposition.pk}/"
    )
    expect(item.get_by_role("button", name="Soumettre l'avis au CoDir")).to_have_count(0)
    assert_accessible(page, "réunion avec un avis rendu")

    # The printable avis, for the conseil's convener.
    item.get_by_role("link", name="avis imprimable").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reunion_path)}points/{point.pk}/avis/$"))
    expect(h1(page)).to_have_text("Avis du CoDir de territoire")
    avis_document = main(page).locator("article.avis")
    expect(avis_document).to_contain_text("CC du Pays de Mortagne")
    expect(avis_document.locator('dt:text-is("Instance") + dd')).to_have_text(
        f"{conseil} — {french(conseil.starts_at, 'j F Y, H:i')}"
    )
    expect(avis_document.locator('dt:text-is("Point de l\'ordre du jour") + dd')).to_have_text(CONSEIL_ITEM_REFERENCE)
    expect(avis_document.locator('dt:text-is("Examiné par le CoDir") + dd')).to_have_text(
        f"{reunion.title}, {french(reunion.starts_at, 'j F Y')}"
    )
    expect(avis_document.locator('dt:text-is("Avis") + dd')).to_have_text("Favorable")
    expect(avis_document).to_contain_text(
        f"Positions des collectivités : {len(voices)} pour, 0 contre, 0 abstention(s), sur 12 collectivités."
    )
    assert_accessible(page, "avis imprimable")
    page.get_by_role("link", name="Retour à la réunion").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))

    # The DGS sends it to the convener: one mail.
    mailoutbox.clear()
    agenda_item(page, CONSEIL_ITEM).get_by_role("button", name="Transmettre l'avis à l'instance").click()
    expect(status_message(page, "Avis transmis")).to_have_text("Avis transmis à l'autorité qui convoque l'instance.")
    point.refresh_from_db()
    assert point.avis_sent_at is not None
    item = agenda_item(page, CONSEIL_ITEM)
    expect(item).to_contain_text(f"transmis le {french(point.avis_sent_at, 'd/m/Y H:i')}")
    expect(item.get_by_role("button", name="Transmettre l'avis à l'instance")).to_have_count(0)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [CONVENER]
    assert message.subject == f"[CC du Pays de Mortagne] Avis du CoDir de territoire : {CONSEIL_ITEM}"
    assert "Favorable" in message.body and CONSEIL_ITEM_REFERENCE in message.alternatives[0][0]

    # After the conseil, the DGS records its deliberation: it went against the CoDir's opinion.
    item.get_by_text("Enregistrer la délibération de l'instance").click()
    item.get_by_label("Date de la délibération").fill(instance_day.isoformat())
    item.get_by_label("Numéro").fill("2026-117")
    item.get_by_label("Décision de l'instance").select_option(label="Rejetée")
    assert_accessible(page, "formulaire de délibération ouvert")
    item.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(status_message(page, "Délibération")).to_have_text("Délibération enregistrée.")
    item = agenda_item(page, CONSEIL_ITEM)
    expect(item).to_contain_text(f"Délibération n° 2026-117 du {instance_day:%d/%m/%Y} : Rejetée")
    expect(item.locator(".badge").filter(has_text="différente")).to_have_text("différente de l'avis du CoDir")
    expect(item.get_by_text("Enregistrer la délibération de l'instance")).to_have_count(0)
    deliberation = Deliberation.objects.get(point=point)
    assert (deliberation.date, deliberation.number, deliberation.outcome) == (
        instance_day,
        "2026-117",
        Deliberation.Outcome.REJETEE,
    )
    assert_accessible(page, "délibération différente de l'avis")

    # 4. The minutes: a draft can be written just before the meeting, but not published…
    page.get_by_label("Compte rendu (Markdown)").fill(MINUTES)
    page.get_by_role("button", name="Diffuser le compte rendu").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reunion_path)}compte-rendu/$"))
    expect(page.get_by_role("alert")).to_contain_text("Le compte rendu se diffuse une fois la réunion commencée.")
    expect(page.get_by_label("Compte rendu (Markdown)")).to_have_value(MINUTES)  # kept as typed
    assert_accessible(page, "compte rendu trop tôt")
    reunion.refresh_from_db()
    assert reunion.minutes_published_at is None

    # … then, the meeting under way, written in Markdown and published.
    Reunion.objects.filter(pk=reunion.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    page.goto(reunion_path)
    page.get_by_label("Compte rendu (Markdown)").fill(MINUTES)
    page.get_by_role("button", name="Diffuser le compte rendu").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reunion_path)}$"))
    expect(status_message(page, "Compte rendu")).to_have_text("Compte rendu enregistré.")
    reunion.refresh_from_db()
    assert reunion.minutes_published_at is not None
    expect(main(page)).to_contain_text(f"Diffusé le {french(reunion.minutes_published_at, 'd/m/Y')}.")
    expect(main(page)).not_to_contain_text("après le délai de la charte")
    minutes = main(page).locator("div.prose").filter(has_text="Relevé de décisions")
    expect(minutes.get_by_role("heading", name="Relevé de décisions", level=3)).to_be_visible()
    expect(minutes.get_by_role("listitem")).to_have_text(
        [
            "Service commun ADS : avis favorable du CoDir",
            "Fermeture estivale de la mairie de Mallièvre : examinée, accord unanime",
        ]
    )
    expect(minutes.locator("strong")).to_have_text("favorable")
    expect(page.get_by_role("button", name="Diffuser le compte rendu")).to_have_count(0)
    expect(page.get_by_label("Compte rendu (Markdown)")).to_have_value(MINUTES.strip())
    assert_accessible(page, "compte rendu diffusé")

    mortagne_page.reload()
    expect(main(mortagne_page)).to_contain_text(f"Diffusé le {french(reunion.minutes_published_at, 'd/m/Y')}.")
    expect(
        main(mortagne_page).locator("div.prose").filter(has_text="Relevé de décisions").get_by_role("listitem")
    ).to_have_count(2)
