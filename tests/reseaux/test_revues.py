"""Project reviews: recorded by the CoDir, opened at each handover, reminded when due."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from communes.models import JournalEntry
from decisions import services as decisions
from reseaux import services
from reseaux.models import HealthChange, Projet, Revue
from reseaux.services.revues import add_months, review_reminders_sweep
from tests.reseaux.builders import coll, epci_projet, today

pytestmark = pytest.mark.django_db


def alternating(territoire, by, first: date, handover: date, title: str = "Plan de formation mutualisé") -> Projet:
    return services.projet_create(
        territoire=territoire,
        by=by,
        title=title,
        pilotage=Projet.Pilotage.ALTERNE,
        rotation=[(coll(territoire, "Mortagne-sur-Sèvre"), first), (coll(territoire, "Mallièvre"), handover)],
    )


# --- add_months, next_review_on ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 3, 31), 12, date(2026, 3, 31)),
        (date(2025, 8, 31), 24, date(2027, 8, 31)),
        (date(2025, 5, 31), 1, date(2025, 6, 30)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


def test_next_review_on_counts_from_the_last_review_else_the_start_else_the_creation(mortagne, dgs_epci):
    projet = epci_projet(mortagne, dgs_epci, review_every_months=2)
    projet.created_at = timezone.make_aware(datetime(2026, 1, 31, 23, 30))  # Paris time: still 31 January
    assert services.next_review_on(projet, None) == date(2026, 3, 31)
    projet.starts_on = date(2025, 12, 31)
    assert services.next_review_on(projet, None) == date(2026, 2, 28)
    assert services.next_review_on(projet, date(2026, 4, 30)) == date(2026, 6, 30)


# --- revue_record --------------------------------------------------------------------------------


def test_a_review_that_changes_the_health_writes_its_history_linked_to_the_review(mortagne, dgs_epci, dgs_commune):
    projet = epci_projet(mortagne, dgs_epci)
    revue = services.revue_record(
        projet=projet,
        by=dgs_epci,
        held_on=today(),
        progress="Le marché d'AMO est infructueux.\r\nRelance en cours.",
        health="orange",
        health_reason="Marché infructueux",
        next_steps="Relancer la consultation",
        participants="Claire Bernard, Sophie Guérin",
        collectivites=[coll(mortagne, "CC du Pays de Mortagne"), coll(mortagne, "Mortagne-sur-Sèvre")],
    )
    assert revue.held and not revue.handover and revue.progress == "Le marché d'AMO est infructueux.\nRelance en cours."
    assert sorted(c.name for c in revue.collectivites.all()) == ["CC du Pays de Mortagne", "Mortagne-sur-Sèvre"]
    change = HealthChange.objects.get(projet=projet)
    assert (change.previous, change.health, change.reason, change.revue) == (
        "vert",
        "orange",
        "Marché infructueux",
        revue,
    )
    stored = Projet.objects.get(pk=projet.pk)
    assert (stored.health, stored.health_reason) == ("orange", "Marché infructueux")
    # A review that keeps the health adds no history, and needs no reason.
    services.revue_record(projet=projet, by=dgs_epci, held_on=today(), progress="La relance avance.", health="orange")
    assert HealthChange.objects.filter(projet=projet).count() == 1 and Revue.objects.filter(projet=projet).count() == 2
    assert JournalEntry.objects.filter(action="reseaux.revue.recorded").count() == 2


def test_a_review_is_recorded_once_held_by_collectivites_and_decisions_of_the_territory(
    mortagne, achards, dgs_epci, outsider
):
    projet = epci_projet(mortagne, dgs_epci)
    with pytest.raises(ValidationError, match="une fois tenue"):
        services.revue_record(
            projet=projet, by=dgs_epci, held_on=today() + timedelta(days=1), progress="x", health="vert"
        )
    foreign = achards.collectivites.filter(kind="commune").first()
    with pytest.raises(ValidationError, match="n'appartient pas"):
        services.revue_record(
            projet=projet, by=dgs_epci, held_on=today(), progress="x", health="vert", collectivites=[foreign]
        )
    proposition = decisions.proposition_create(territoire=achards, author=outsider, title="Voisin", body="Texte")
    with pytest.raises(ValidationError, match="pas celle du territoire"):
        services.revue_record(
            projet=projet, by=dgs_epci, held_on=today(), progress="x", health="vert", proposition=proposition
        )
    with pytest.raises(ValidationError, match="avancement"):
        services.revue_record(projet=projet, by=dgs_epci, held_on=today(), progress="  ", health="vert")
    with pytest.raises(ValidationError, match="Santé inconnue"):
        services.revue_record(projet=projet, by=dgs_epci, held_on=today(), progress="x", health="bleu")
    assert not Revue.objects.exists() and not HealthChange.objects.exists()


def test_recording_the_handover_review_completes_the_one_the_sweep_opened(mortagne, dgs_commune, sg_petite_commune):
    handover = today() - timedelta(days=3)
    projet = alternating(mortagne, dgs_commune, today() - timedelta(days=60), handover)
    assert services.pilotage_sweep(on=today()) == 1
    pending = Revue.objects.get(projet=projet)
    assert (pending.held, pending.handover, pending.held_on, pending.health) == (False, True, handover, "vert")
    revue = services.revue_record(
        projet=projet,
        by=sg_petite_commune,
        held_on=today(),
        progress="Mallièvre reprend le plan de formation.",
        health="rouge",
        health_reason="Aucun formateur retenu",
        handover=True,
    )
    assert revue.pk == pending.pk and Revue.objects.filter(projet=projet).count() == 1
    revue.refresh_from_db()
    assert (revue.held, revue.held_on, revue.progress, revue.recorded_by) == (
        True,
        today(),
        "Mallièvre reprend le plan de formation.",
        sg_petite_commune,
    )
    assert HealthChange.objects.get(projet=projet).revue == revue
    # Held, it is not opened again.
    assert services.pilotage_sweep(on=today() + timedelta(days=1)) == 0
    # A second handover review, when none is pending, is a new one.
    services.revue_record(
        projet=projet, by=sg_petite_commune, held_on=today(), progress="Suite", health="rouge", handover=True
    )
    assert Revue.objects.filter(projet=projet).count() == 2


# --- pilotage_sweep ------------------------------------------------------------------------------


def test_the_sweep_opens_one_pending_review_per_handover_and_nothing_before(mortagne, dgs_commune):
    handover = today() + timedelta(days=5)
    projet = alternating(mortagne, dgs_commune, today() - timedelta(days=30), handover)
    assert services.pilotage_sweep(on=handover - timedelta(days=1)) == 0 and not Revue.objects.exists()
    assert services.pilotage_sweep(on=handover) == 1
    assert services.pilotage_sweep(on=handover) == 0
    assert services.pilotage_sweep(on=handover + timedelta(days=3)) == 0
    revue = Revue.objects.get(projet=projet)
    assert (revue.held, revue.handover, revue.held_on) == (False, True, handover)
    assert revue.progress == "Passation du pilotage de Mortagne-sur-Sèvre à Mallièvre."
    entry = JournalEntry.objects.get(action="reseaux.pilotage.handover")
    assert entry.data == {"from": "Mortagne-sur-Sèvre", "to": "Mallièvre"} and entry.actor is None


def test_the_sweep_opens_no_handover_for_a_finished_or_abandoned_project(mortagne, dgs_commune):
    handover = today() - timedelta(days=1)
    for status in (Projet.Status.TERMINE, Projet.Status.ABANDONNE):
        alternating(mortagne, dgs_commune, today() - timedelta(days=30), handover, title=f"Projet {status}")
        Projet.objects.filter(title=f"Projet {status}").update(status=status)
    assert services.pilotage_sweep(on=today()) == 0
    assert not Revue.objects.exists()


# --- review reminders ----------------------------------------------------------------------------


def test_reviews_due_are_reminded_once_per_due_date_two_weeks_ahead(
    mortagne, dgs_epci, django_capture_on_commit_callbacks
):
    # Started three months ago less 14 days: the review falls due in exactly 14 days.
    due = today() + timedelta(days=14)
    projet = epci_projet(mortagne, dgs_epci, starts_on=add_months(due, -3), start=add_months(due, -3))
    assert services.next_review_on(projet, None) == due
    epci_projet(mortagne, dgs_epci, title="Pas encore", starts_on=add_months(due, -3) + timedelta(days=1))
    assert review_reminders_sweep(on=today() - timedelta(days=1)) == 0
    with django_capture_on_commit_callbacks() as callbacks:
        assert review_reminders_sweep(on=today()) == 1
    assert len(callbacks) == 1
    assert Projet.objects.get(pk=projet.pk).review_reminded_for == due
    assert review_reminders_sweep(on=today()) == 0
    assert review_reminders_sweep(on=due + timedelta(days=10)) == 1  # the other project, now due
    assert review_reminders_sweep(on=due + timedelta(days=10)) == 0  # overdue, but already reminded
    # Once the review is held, the next due date is reminded in its turn.
    services.revue_record(projet=projet, by=dgs_epci, held_on=today(), progress="Point d'étape", health="vert")
    next_due = add_months(today(), 3)
    assert review_reminders_sweep(on=next_due - timedelta(days=15)) == 0
    assert review_reminders_sweep(on=next_due - timedelta(days=14)) == 1
    assert Projet.objects.get(pk=projet.pk).review_reminded_for == next_due


def test_reviews_are_not_reminded_for_ideas_finished_or_abandoned_projects(mortagne, dgs_epci):
    start = add_months(today(), -4)
    for status in (Projet.Status.IDEE, Projet.Status.TERMINE, Projet.Status.ABANDONNE):
        epci_projet(mortagne, dgs_epci, title=status, starts_on=start, status=status)
    living = epci_projet(mortagne, dgs_epci, title="Suspendu", starts_on=start, status=Projet.Status.SUSPENDU)
    assert review_reminders_sweep(on=today()) == 1
    assert list(Projet.objects.exclude(review_reminded_for=None)) == [living]


def test_a_pending_handover_review_does_not_count_as_held(mortagne, dgs_commune):
    first = add_months(today(), -4)
    projet = alternating(mortagne, dgs_commune, first, today() - timedelta(days=2))
    Projet.objects.filter(pk=projet.pk).update(starts_on=first)
    result = services.portfolio_sweep(on=today())
    assert (result.handovers, result.reminders) == (1, 1)
    assert Projet.objects.get(pk=projet.pk).review_reminded_for == add_months(first, 3)
