import html
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from codir import services as meetings
from codir.models import PointOdj
from communes.models import JournalEntry, Membership
from reseaux import services
from reseaux.models import Contribution, DocumentProjet, HealthChange, Jalon, Lien, Phase, Pilote, Projet, Revue
from tests.conftest import collectivite, make_member

pytestmark = pytest.mark.django_db


def plain(response):
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def url(name, territoire, *args):
    return reverse(f"reseaux:{name}", args=[territoire.slug, *args])


def pilot_rows(rows):
    data = {"pilotes-TOTAL_FORMS": "6", "pilotes-INITIAL_FORMS": "0", "pilotes-MIN_NUM_FORMS": "0"}
    data["pilotes-MAX_NUM_FORMS"] = "12"
    for index, (place, start) in enumerate(rows):
        data[f"pilotes-{index}-collectivite"] = str(place.pk)
        data[f"pilotes-{index}-starts_on"] = start
    return data


@pytest.fixture
def chanverrie_dgs(mortagne):
    return make_member(mortagne, "Chanverrie", "dgs@chanverrie.test", Membership.Role.DGS)


@pytest.fixture
def copilote(mortagne, dgs_commune):
    start = timezone.localdate() - timedelta(days=30)
    return services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Groupement de commandes de fournitures",
        pilotage=Projet.Pilotage.COPILOTAGE,
        rotation=[(collectivite(mortagne, "Mortagne-sur-Sèvre"), start), (collectivite(mortagne, "Chanverrie"), start)],
        status=Projet.Status.EN_COURS,
    )


def test_a_commune_dgs_creates_an_alternating_project_and_becomes_its_first_pilot(mortagne, dgs_commune, client_for):
    client = client_for(dgs_commune)
    today = timezone.localdate()
    data = {
        "title": "Plan de formation mutualisé",
        "status": "en_preparation",
        "pilotage": "alterne",
        "review_every_months": "3",
        "objectives": "- Former **ensemble** les secrétaires de mairie",
        **pilot_rows(
            [
                (collectivite(mortagne, "Mortagne-sur-Sèvre"), today.isoformat()),
                (collectivite(mortagne, "Mallièvre"), (today + timedelta(days=180)).isoformat()),
            ]
        ),
    }
    response = client.post(url("projet_create", mortagne), data, follow=True)
    page = plain(response)
    assert "Projet créé" in page
    projet = Projet.objects.get(title="Plan de formation mutualisé")
    assert projet.objectives_html == "<ul>\n<li>Former <strong>ensemble</strong> les secrétaires de mairie</li>\n</ul>"
    assert [(p.collectivite.name, p.ends_on) for p in projet.pilotes.all()] == [
        ("Mortagne-sur-Sèvre", today + timedelta(days=180)),
        ("Mallièvre", None),
    ]
    assert "Modifier la fiche" in page


def test_a_bad_rotation_is_refused_in_french_and_creates_nothing(mortagne, dgs_commune, client_for):
    client = client_for(dgs_commune)
    data = {
        "title": "Projet bancal",
        "status": "idee",
        "pilotage": "copilotage",
        "review_every_months": "3",
        **pilot_rows([(collectivite(mortagne, "Mortagne-sur-Sèvre"), "")]),
    }
    response = client.post(url("projet_create", mortagne), data)
    assert response.status_code == 400
    assert "réunissent au moins deux collectivités" in plain(response)
    assert not Projet.objects.filter(title="Projet bancal").exists()


def test_an_agent_of_a_non_pilot_commune_reads_but_cannot_edit(mortagne, copilote, sg_petite_commune, client_for):
    client = client_for(sg_petite_commune)
    page = plain(client.get(url("projet", mortagne, copilote.pk)))
    assert "Groupement de commandes de fournitures" in page
    assert "Modifier la fiche" not in page and "vous le consultez" in page
    for name in ("projet_edit", "pilotage", "health", "contribution", "phase", "jalon_add", "lien_add"):
        assert client.get(url(name, mortagne, copilote.pk)).status_code == 403, name
    response = client.post(url("health", mortagne, copilote.pk), {"health": "rouge", "reason": "Je n'aime pas"})
    assert response.status_code == 403
    copilote.refresh_from_db()
    assert copilote.health == "vert" and not HealthChange.objects.exists()


def test_a_pilot_fills_the_project_and_the_fiche_action_prints_it(
    mortagne, copilote, dgs_commune, chanverrie_dgs, referent, client_for
):
    client = client_for(dgs_commune)
    today = timezone.localdate()
    steps = [
        ("contribution", {"collectivite": collectivite(mortagne, "Mallièvre").pk, "amount": "1500", "staff_days": "4"}),
        (
            "contribution",
            {"collectivite": collectivite(mortagne, "Chanverrie").pk, "amount": "4500", "staff_days": "0"},
        ),
        ("phase", {"kind": "co_diagnostic", "starts_on": "2026-01-05", "ends_on": "2026-03-31", "status": "terminee"}),
        ("jalon_add", {"title": "Cahier des charges validé", "due_on": (today - timedelta(days=3)).isoformat()}),
        ("indicateur_add", {"name": "Économie sur les achats", "unit": "%", "target": "12", "measured": "7.5"}),
        ("referent_add", {"agent": referent.pk}),
        ("health", {"health": "orange", "reason": "Retard du cahier des charges"}),
    ]
    for name, data in steps:
        response = client.post(url(name, mortagne, copilote.pk), data)
        assert response.status_code == 302, (name, plain(response))
    assert Contribution.objects.filter(projet=copilote).count() == 2
    assert Phase.objects.get(projet=copilote).status == "terminee"
    assert HealthChange.objects.get(projet=copilote).previous == "vert"
    page = plain(client.get(url("projet", mortagne, copilote.pk)))
    assert "1 jalon en retard." in page
    assert "25 %" in page and "75 %" in page  # shares of the co-financing
    fiche = plain(client.get(url("fiche", mortagne, copilote.pk)))
    assert "Fiche action : Groupement de commandes de fournitures" in fiche
    assert "Économie sur les achats" in fiche and "12 %" in fiche and "7,50 %" in fiche
    assert "Jalon : Cahier des charges validé" in fiche and "en retard" in fiche
    assert "Chanverrie, Mortagne-sur-Sèvre" in fiche


def test_a_referent_records_a_review_but_does_not_edit_the_project(
    mortagne, copilote, dgs_commune, referent, client_for
):
    services.referent_add(projet=copilote, by=dgs_commune, agent=referent)
    client = client_for(referent)
    assert client.get(url("projet_edit", mortagne, copilote.pk)).status_code == 403
    response = client.post(
        url("revue_add", mortagne, copilote.pk),
        {
            "held_on": timezone.localdate().isoformat(),
            "progress": "Consultation lancée.",
            "health": "rouge",
            "health_reason": "",
            "collectivites": [collectivite(mortagne, "Chanverrie").pk],
        },
    )
    assert response.status_code == 400
    assert "Dites pourquoi la santé du projet change." in plain(response)
    assert not Revue.objects.exists()
    response = client.post(
        url("revue_add", mortagne, copilote.pk),
        {
            "held_on": timezone.localdate().isoformat(),
            "progress": "Consultation lancée.",
            "health": "rouge",
            "health_reason": "Aucune offre reçue",
            "collectivites": [collectivite(mortagne, "Chanverrie").pk],
        },
    )
    assert response.status_code == 302
    revue = Revue.objects.get(projet=copilote)
    assert [c.name for c in revue.collectivites.all()] == ["Chanverrie"]
    assert HealthChange.objects.get(projet=copilote).revue == revue


def test_after_a_pilotage_change_the_new_pilot_edits_and_the_old_one_no_longer(
    mortagne, copilote, dgs_commune, chanverrie_dgs, sg_petite_commune, client_for
):
    today = timezone.localdate()
    data = {
        "pilotage": "commune",
        "from_day": today.isoformat(),
        **pilot_rows([(collectivite(mortagne, "Mallièvre"), "")]),
    }
    response = client_for(dgs_commune).post(url("pilotage", mortagne, copilote.pk), data)
    assert response.status_code == 302
    past = Pilote.objects.filter(projet=copilote, ends_on=today)
    assert sorted(p.collectivite.name for p in past) == ["Chanverrie", "Mortagne-sur-Sèvre"]
    assert client_for(sg_petite_commune).get(url("projet_edit", mortagne, copilote.pk)).status_code == 200
    assert client_for(dgs_commune).get(url("projet_edit", mortagne, copilote.pk)).status_code == 403


def test_documents_are_served_to_the_territory_and_withdrawn_not_deleted(
    mortagne, copilote, dgs_commune, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(dgs_commune)
    upload = SimpleUploadedFile("note-de-cadrage.pdf", b"%PDF-1.4 cadrage", content_type="application/pdf")
    assert client.post(url("document_add", mortagne, copilote.pk), {"file": upload}).status_code == 302
    document = DocumentProjet.objects.get(projet=copilote)
    response = client.get(url("document", mortagne, copilote.pk, document.pk))
    assert b"".join(response.streaming_content) == b"%PDF-1.4 cadrage"
    bad = SimpleUploadedFile("script.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(url("document_add", mortagne, copilote.pk), {"file": bad})
    assert response.status_code == 400 and "extension" in plain(response)
    client.post(url("document_withdraw", mortagne, copilote.pk, document.pk))
    document.refresh_from_db()
    assert document.withdrawn_at is not None
    assert "note-de-cadrage.pdf" not in plain(client.get(url("projet", mortagne, copilote.pk)))


def test_the_dashboard_filters_exports_and_draws_the_timeline(mortagne, copilote, dgs_commune, observateur, client_for):
    other = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Schéma de mutualisation",
        pilotage=Projet.Pilotage.EPCI,
        rotation=[(collectivite(mortagne, "CC du Pays de Mortagne"), date(2026, 1, 1))],
        status=Projet.Status.IDEE,
    )
    services.jalon_add(projet=other, by=dgs_commune, title="Diagnostic rendu", due_on=date(2026, 2, 1))
    client = client_for(observateur)
    page = plain(client.get(url("portfolio", mortagne)))
    assert "2 projets" in page and "Frise des phases et des jalons" in page
    assert "Diagnostic rendu : 01/02/2026 (en retard)" in page
    filtered = plain(client.get(url("portfolio", mortagne), {"pilotage": "copilotage"}))
    assert "1 projet" in filtered and "Schéma de mutualisation" not in filtered
    piloted = plain(client.get(url("portfolio", mortagne), {"pilote": collectivite(mortagne, "Chanverrie").pk}))
    assert "Groupement de commandes" in piloted and "Schéma de mutualisation" not in piloted
    response = client.get(url("portfolio_csv", mortagne), {"status": "idee"})
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("Schéma de mutualisation;")
    assert lines[1].split(";")[-1] == "1"  # one late milestone


def test_parity_counts_pilots_copilots_and_participants_by_class(mortagne, copilote, dgs_commune, client_for):
    services.contribution_set(
        projet=copilote, by=dgs_commune, collectivite=collectivite(mortagne, "Mallièvre"), amount=100, staff_days=0
    )
    page = plain(client_for(dgs_commune).get(url("parity", mortagne)))
    assert "Mallièvre" in page
    row = page[page.index("Par collectivité") :]
    assert "Chanverrie" in row and "Communes de moins de 1 000 habitants" in page


def test_the_systemic_page_ranks_projects_and_shows_a_loop(mortagne, dgs_commune, client_for):
    day = date(2026, 1, 1)
    mortagne_sur_sevre = collectivite(mortagne, "Mortagne-sur-Sèvre")

    def make(title):
        return services.projet_create(
            territoire=mortagne, by=dgs_commune, title=title, pilotage="commune", rotation=[(mortagne_sur_sevre, day)]
        )

    a, b, c, _alone = make("Alpha"), make("Bravo"), make("Charlie"), make("Delta")
    services.lien_create(source=a, target=b, kind="renforce", justification="A nourrit B", by=dgs_commune)
    services.lien_create(source=b, target=a, kind="renforce", justification="B nourrit A", by=dgs_commune)
    services.lien_create(source=c, target=a, kind="depend_de", justification="C attend A", by=dgs_commune)
    page = plain(client_for(dgs_commune).get(url("systemic", mortagne)))
    ranking = page[page.index("Classement systémique") : page.index("Boucles de renforcement")]
    assert ranking.index("Alpha") < ranking.index("Bravo") < ranking.index("Charlie") < ranking.index("Delta")
    assert "Alpha → Bravo ↺" in page
    isolated = page[page.index("Projets isolés") : page.index("Tous les liens")]
    assert "Delta" in isolated and "Alpha" not in isolated


def test_a_link_is_made_by_a_pilot_and_removed_with_a_journal_line(mortagne, copilote, dgs_commune, client_for):
    other = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Schéma de mutualisation",
        pilotage="epci",
        rotation=[(collectivite(mortagne, "CC du Pays de Mortagne"), date(2026, 1, 1))],
    )
    client = client_for(dgs_commune)
    response = client.post(
        url("lien_add", mortagne, copilote.pk),
        {"kind": "renforce", "target": other.pk, "justification": "Mêmes marchés"},
    )
    assert response.status_code == 302
    lien = Lien.objects.get()
    client.post(url("lien_delete", mortagne, copilote.pk, lien.pk))
    assert not Lien.objects.exists()
    assert JournalEntry.objects.get(action="reseaux.lien.deleted").data["justification"] == "Mêmes marchés"


def test_a_priorisation_is_proposed_with_systemic_scores_and_launches_on_adoption(
    mortagne, dgs_commune, dgs_epci, client_for
):
    day = date(2026, 1, 1)
    place = collectivite(mortagne, "Mortagne-sur-Sèvre")
    a, b = (
        services.projet_create(
            territoire=mortagne, by=dgs_commune, title=title, pilotage="commune", rotation=[(place, day)], status="idee"
        )
        for title in ("Alpha", "Bravo")
    )
    services.lien_create(source=a, target=b, kind="renforce", justification="A nourrit B", by=dgs_commune)
    client = client_for(dgs_epci)
    page = plain(client.get(url("priorisation", mortagne)))
    assert "Alpha — score systémique 2" in page
    response = client.post(url("priorisation", mortagne), {"title": "Projets 2027", "intro": "", "projets": [a.pk]})
    assert response.status_code == 302
    assert "Alpha" in plain(client.get(response.url))


def test_the_portfolio_review_adds_due_projects_to_the_next_meeting_agenda(
    mortagne, copilote, dgs_epci, dgs_commune, client_for
):
    start = timezone.now() + timedelta(days=100)
    reunion = meetings.reunion_create(
        territoire=mortagne, by=dgs_epci, title="CoDir de mars", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    Jalon.objects.create(projet=copilote, title="Convention signée", due_on=timezone.localdate() + timedelta(days=10))
    client = client_for(dgs_commune)
    review = client.get(reverse("codir:portfolio_review", args=[mortagne.slug, reunion.pk]))
    page = plain(review)
    assert "Groupement de commandes de fournitures" in page
    assert "Jalon en retard : Convention signée" in page and "Revue périodique attendue" in page
    response = client.post(
        reverse("codir:portfolio_review", args=[mortagne.slug, reunion.pk]), {"projets": [copilote.pk]}
    )
    assert response.status_code == 302
    point = PointOdj.objects.get(reunion=reunion)
    assert point.title == "Revue de projet : Groupement de commandes de fournitures" and point.projet == copilote
    assert "Convention signée" in point.description
    client.post(reverse("codir:portfolio_review", args=[mortagne.slug, reunion.pk]), {"projets": [copilote.pk]})
    assert PointOdj.objects.filter(reunion=reunion).count() == 1  # once
    assert "déjà à l'ordre du jour" in plain(
        client.get(reverse("codir:portfolio_review", args=[mortagne.slug, reunion.pk]))
    )


def test_the_handover_opens_a_review_the_new_pilot_holds_and_mails_them(
    mortagne, dgs_commune, sg_petite_commune, client_for, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    projet = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Plan de formation",
        pilotage="alterne",
        status="en_cours",
        rotation=[
            (collectivite(mortagne, "Mortagne-sur-Sèvre"), today - timedelta(days=60)),
            (collectivite(mortagne, "Mallièvre"), today),
        ],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pilotage_sweep(on=today) == 1
    assert [m.to for m in mail.outbox] == [[sg_petite_commune.email]]
    assert "Passation du pilotage : Plan de formation" in mail.outbox[0].subject
    client = client_for(sg_petite_commune)
    page = plain(client.get(url("projet", mortagne, projet.pk)))
    assert "Revue de passation à tenir" in page
    form = client.get(url("revue_add", mortagne, projet.pk))
    assert form.context["form"].initial["handover"] is True
    response = client.post(
        url("revue_add", mortagne, projet.pk),
        {"held_on": today.isoformat(), "progress": "Passation faite", "health": "vert", "handover": "on"},
    )
    assert response.status_code == 302
    assert Revue.objects.filter(projet=projet).count() == 1
    assert Revue.objects.get(projet=projet).held
    assert "Revue de passation à tenir" not in plain(client.get(url("projet", mortagne, projet.pk)))
