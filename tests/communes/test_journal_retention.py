"""The journal is personal data: lines past `JOURNAL_RETENTION_MONTHS` are deleted by `purge_journal`, and the
privacy page says so, with the durations in force."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from communes.journal import journal_purge, journal_record, journal_retention_cutoff, months_before
from communes.models import JournalEntry


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 11, 22), 12, date(2025, 11, 22)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 15), 3, date(2025, 10, 15)),
        (date(2026, 5, 31), 18, date(2024, 11, 30)),
    ],
)
def test_months_before_counts_calendar_months(day, months, expected):
    assert months_before(day, months) == expected


def line_written(days_ago: float, actor=None) -> JournalEntry:
    entry = journal_record(action="comptes.login.succeeded", actor=actor, territoire=None, data={"ip": "192.0.2.1"})
    JournalEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return entry


@pytest.mark.django_db
def test_the_purge_deletes_only_the_lines_past_their_retention(dgs_commune, settings):
    settings.JOURNAL_RETENTION_MONTHS = 12
    kept = [line_written(1, dgs_commune), line_written(300, dgs_commune)]
    old = [line_written(400, dgs_commune), line_written(800)]
    output = StringIO()
    call_command("purge_journal", "--dry-run", stdout=output)
    assert "2 ligne(s) antérieure(s)" in output.getvalue()
    assert JournalEntry.objects.filter(pk__in=[e.pk for e in old]).count() == 2  # a dry run deletes nothing

    output = StringIO()
    call_command("purge_journal", stdout=output)
    assert "2 ligne(s) supprimée(s)." in output.getvalue()
    remaining = set(JournalEntry.objects.filter(pk__in=[e.pk for e in kept + old]).values_list("pk", flat=True))
    assert remaining == {e.pk for e in kept}


@pytest.mark.django_db
def test_the_purge_works_in_batches_and_tells_its_progress(dgs_commune):
    for _ in range(5):
        line_written(500, dgs_commune)
    heard = []
    deleted = journal_purge(before=journal_retention_cutoff(), batch_size=2, progress=heard.append)
    assert deleted == 5 and heard == [2, 4, 5]


@pytest.mark.django_db
def test_the_cutoff_is_paris_midnight_the_configured_number_of_months_ago(settings):
    settings.JOURNAL_RETENTION_MONTHS = 6
    now = timezone.make_aware(datetime(2026, 11, 22, 0, 30))  # Paris time
    cutoff = journal_retention_cutoff(now)
    assert timezone.localtime(cutoff) == timezone.make_aware(datetime(2026, 5, 22, 0, 0))


@pytest.mark.django_db
def test_the_privacy_page_is_public_linked_from_every_page_and_states_the_durations(client, settings):
    settings.JOURNAL_RETENTION_MONTHS = 18
    settings.API_TOKEN_DAYS = 30
    page = client.get(reverse("confidentialite"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Données personnelles" in text
    assert "connexions et adresses IP) : 18 mois, puis il est supprimé" in text
    assert "Les sessions : 2 h sans activité, 12 h au plus." in text
    assert "Les jetons d'API : 30 jours." in text
    assert reverse("confidentialite") in client.get(reverse("login")).content.decode()
