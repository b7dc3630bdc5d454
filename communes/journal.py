"""The audit journal: every service that changes state writes one line, in its own transaction."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

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
