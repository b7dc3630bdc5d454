"""The audit journal: every service that changes state writes one line, in its own transaction."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from communes.models import Agent, JournalEntry, Territoire


def journal_record(
    *,
    action: str,
    actor: Agent | None,
    territoire: Territoire | None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> JournalEntry:
    """Write one journal line; `action` is a dotted name such as ``communes.membership.invited``.

    Called inside the service's transaction, so the line exists exactly when the change does.
    """
    entry = JournalEntry(territoire=territoire, actor=actor, action=action, data=data or {})
    if target is not None:
        entry.target_type = ContentType.objects.get_for_model(target)
        entry.target_id = str(target.pk)
        entry.target_label = str(target)[:300]
    entry.save()
    return entry


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the last day of the month when it has fewer days)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def journal_retention_cutoff(now: datetime | None = None) -> datetime:
    """The moment before which journal lines are past their retention (`JOURNAL_RETENTION_MONTHS`), at
    midnight, Paris time."""
    today = timezone.localdate(now or timezone.now())
    start = months_before(today, settings.JOURNAL_RETENTION_MONTHS)
    return timezone.make_aware(datetime.combine(start, datetime.min.time()))


def journal_purge(*, before: datetime, batch_size: int = 1000, progress: Callable[[int], None] | None = None) -> int:
    """Delete the journal lines written before `before`, in batches (a long purge neither locks the table
    nor holds one huge transaction); returns how many were deleted, `progress` hears the running total."""
    deleted = 0
    while True:
        batch = list(
            JournalEntry.objects.filter(created_at__lt=before).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            return deleted
        deleted += JournalEntry.objects.filter(pk__in=batch).delete()[0]
        if progress is not None:
            progress(deleted)
