"""Regressions found by review: the portfolio review and the charter's documents, one agenda update for
several items, handovers keyed on their period, permissions of first pilots and of members who moved,
withdrawn documents, dates outside the calendar."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from charte.models import Regles
from codir import dispatch
from codir import services as meetings
from codir.models import AgendaVersion, PointOdj
from communes import services as communes_services
from communes.models import Membership
from reseaux import services
from reseaux.models import Revue
from tests.conftest import collectivite
from tests.reseaux.builders import can_edit, commune_projet, epci_projet

pytestmark = pytest.mark.django_db


def reunion_in(mortagne, by, days):
    start = timezone.now() + timedelta(days=days)
    return meetings.reunion_create(
        territoire=mortagne, by=by, title="CoDir", starts_at=start, ends_at=start + timedelta(hours=2)
    )


def review_url(mortagne, reunion):
    return reverse("codir:portfolio_review", args=[mortagne.slug, reunion.pk])


def test_a_project_review_needs_no_document_even_when_the_charter_asks_for_one(
    mortagne, dgs_epci, client_for, monkeypatch
):
    projet = epci_projet(mortagne, dgs_epci, status="en_cours", start=date(2025, 1, 1))
    reunion = reunion_in(mortagne, dgs_epci, 100)
    monkeypatch.setattr("codir.services.rules_in_force", lambda t, at=None: Regles(documents_obligatoires=True))
    response = client_for(dgs_epci).post(review_url(mortagne, reunion), {"projets": [projet.pk]})
    assert response.status_code == 302
    point = PointOdj.objects.get(reunion=reunion)
    assert f"/projets/{projet.pk}/fiche-action/" in point.description  # the fiche action is its document
    with pytest.raises(ValidationError, match="document"):
        meetings.point_add(reunion=reunion, by=dgs_epci, title="Point sans document")


def test_after_the_agenda_went_out_one_update_is_sent_for_all_the_reviews_added(mortagne, dgs_epci, client_for):
    projets = [epci_projet(mortagne, dgs_epci, title=t, status="en_cours", start=date(2025, 1, 1)) for t in "ABC"]
    reunion = reunion_in(mortagne, dgs_epci, 1)
    dispatch.codir_sweep(now=timezone.now() + timedelta(hours=1))
    reunion.refresh_from_db()
    assert reunion.dispatched_at is not None
    before = AgendaVersion.objects.filter(reunion=reunion).count()
    client_for(dgs_epci).post(review_url(mortagne, reunion), {"projets": [p.pk for p in projets]})
    versions = AgendaVersion.objects.filter(reunion=reunion).order_by("number")
    assert versions.count() == before + 1
    assert "Revue de projet : A, Revue de projet : B, Revue de projet : C" in versions.last().changes


def test_a_project_is_reviewed_once_per_meeting_even_when_not_due(mortagne, dgs_epci, client_for):
    projet = epci_projet(mortagne, dgs_epci, status="idee", start=timezone.localdate())
    reunion = reunion_in(mortagne, dgs_epci, 100)
    client = client_for(dgs_epci)
    client.post(review_url(mortagne, reunion), {"projets": [projet.pk, "99999999999999999999"]})
    client.post(review_url(mortagne, reunion), {"projets": [projet.pk]})
    assert PointOdj.objects.filter(reunion=reunion, projet=projet).count() == 1


def test_observers_see_the_review_without_a_form(mortagne, dgs_epci, observateur, client_for):
    epci_projet(mortagne, dgs_epci, title="Projet dû", status="en_cours", start=date(2025, 1, 1))
    reunion = reunion_in(mortagne, dgs_epci, 100)
    page = client_for(observateur).get(review_url(mortagne, reunion)).content.decode()
    assert "Projet dû" in page and 'type="checkbox"' not in page


def alternating(mortagne, by, handover_day):
    return services.projet_create(
        territoire=mortagne, by=by, title="Plan de formation", pilotage="alterne", status="en_cours",
        rotation=[(collectivite(mortagne, "Mortagne-sur-Sèvre"), handover_day - timedelta(days=60)),
                  (collectivite(mortagne, "Mallièvre"), handover_day)],
    )  # fmt: skip


def test_a_handover_review_held_before_the_handover_day_is_not_opened_again(
    mortagne, dgs_commune, sg_petite_commune, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    projet = alternating(mortagne, dgs_commune, today - timedelta(days=2))
    assert services.pilotage_sweep(on=today - timedelta(days=2)) == 1
    services.revue_record(
        projet=projet, by=sg_petite_commune, held_on=today - timedelta(days=7), progress="Passation préparée",
        health="vert", handover=True,
    )  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pilotage_sweep(on=today) == 0
    assert mail.outbox == [] and Revue.objects.filter(projet=projet).count() == 1


def test_a_handover_review_recorded_by_hand_first_keeps_the_sweep_from_opening_one(
    mortagne, dgs_commune, sg_petite_commune
):
    today = timezone.localdate()
    projet = alternating(mortagne, dgs_commune, today)
    services.revue_record(
        projet=projet, by=dgs_commune, held_on=today - timedelta(days=5), progress="Passation préparée",
        health="vert", handover=True,
    )  # fmt: skip
    assert services.pilotage_sweep(on=today) == 0
    assert Revue.objects.get(projet=projet).pilote.collectivite.name == "Mallièvre"


def test_a_pilotage_changed_on_the_handover_day_cancels_the_handover_review(mortagne, dgs_commune, sg_petite_commune):
    today = timezone.localdate()
    projet = alternating(mortagne, dgs_commune, today)
    assert services.pilotage_sweep(on=today) == 1
    services.pilotage_change(
        projet=projet, by=sg_petite_commune, pilotage="epci",
        rotation=[(collectivite(mortagne, "CC du Pays de Mortagne"), today)], from_day=today,
    )  # fmt: skip
    assert not Revue.objects.filter(projet=projet).exists()


def test_the_first_pilot_prepares_a_project_that_starts_later(mortagne, dgs_commune, client_for):
    projet = commune_projet(
        mortagne,
        dgs_commune,
        "Mortagne-sur-Sèvre",
        "Groupement d'achat 2027",
        start=timezone.localdate() + timedelta(60),
    )
    assert can_edit(dgs_commune, projet)
    page = client_for(dgs_commune).get(reverse("reseaux:projet", args=[mortagne.slug, projet.pk]))
    assert page.context["can_pilot"]


def test_a_member_who_moved_to_another_commune_no_longer_edits_its_projects(
    mortagne, dgs_commune, client_for, django_capture_on_commit_callbacks
):
    projet = commune_projet(mortagne, dgs_commune, "Mortagne-sur-Sèvre", "Projet de Mortagne")
    # What the importer does when a commune leaves: memberships end in bulk, no signal.
    Membership.objects.active().filter(agent=dgs_commune).update(ended_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        communes_services.membership_add(
            territoire=mortagne,
            agent=dgs_commune,
            collectivite=collectivite(mortagne, "Chanverrie"),
            role="dgs",
            by=None,
        )
    response = client_for(dgs_commune).get(reverse("reseaux:projet_edit", args=[mortagne.slug, projet.pk]))
    assert response.status_code == 403


def test_a_withdrawn_document_is_kept_for_the_pilots_only(
    mortagne, dgs_commune, sg_petite_commune, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    projet = commune_projet(mortagne, dgs_commune, "Mortagne-sur-Sèvre", "Projet de Mortagne")
    upload = SimpleUploadedFile("convention.pdf", b"%PDF-1.4", content_type="application/pdf")
    document = services.document_add(projet=projet, by=dgs_commune, upload=upload)
    services.document_withdraw(document=document, by=dgs_commune)
    url = reverse("reseaux:document", args=[mortagne.slug, projet.pk, document.pk])
    assert client_for(sg_petite_commune).get(url).status_code == 404
    assert client_for(dgs_commune).get(url).status_code == 200


def test_a_priorisation_does_not_revive_a_project_abandoned_meanwhile(mortagne, dgs_epci):
    projet = epci_projet(mortagne, dgs_epci, status="idee")
    proposition = services.priorisation_create(
        territoire=mortagne, by=dgs_epci, title="Lancer", intro="", projets=[projet]
    )
    projet.status = "abandonne"
    projet.save(update_fields=["status"])
    proposition.status, proposition.result = "close", "adoptee"
    services.on_priorisation_closed(proposition, dgs_epci)
    projet.refresh_from_db()
    assert projet.status == "abandonne" and proposition.pk and not projet.priorisations.get().launched_at
