"""The CoDir's own layer of the graph of professional ties: the collectivités that took part in its meetings
over the year before the date (present or represented), tied to the CoDir, more strongly the more often."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from codir.models import Presence
from communes.models import Territoire
from reseaux.graph import Tie, collectivite_key

ATTENDANCE_MEMORY = timedelta(days=365)


def codir_nodes(territoire: Territoire, at: date) -> Iterable[tuple[str, dict]]:
    return [("codir", {"kind": "codir", "label": "CoDir de territoire"})]


def codir_ties(territoire: Territoire, at: date) -> Iterable[Tie]:
    until = timezone.make_aware(datetime.combine(at, time.max))
    attended = Presence.objects.filter(
        reunion__territoire=territoire,
        reunion__starts_at__range=(until - ATTENDANCE_MEMORY, until),
        reunion__cancelled_at__isnull=True,
        status__in=[Presence.Status.PRESENT, Presence.Status.REPRESENTE],
    ).values_list("collectivite_id", flat=True)
    return [Tie(collectivite_key(collectivite_id), "codir", "codir", 0.25) for collectivite_id in attended]


def presence_changed(sender, instance: Presence, **kwargs) -> None:
    """Attendance is a source of the graph: its cached analyses are out of date."""
    if kwargs.get("raw"):  # a restore (loaddata, manage.py restore) clears the caches itself
        return
    from django.db import transaction

    from codir.models import Reunion
    from reseaux.cartography import invalidate

    territoire_id = Reunion.objects.filter(pk=instance.reunion_id).values_list("territoire_id", flat=True).first()
    if territoire_id is not None:
        transaction.on_commit(lambda: invalidate(territoire_id))


def reunion_changed(sender, instance, **kwargs) -> None:
    """A meeting cancelled or moved changes who attended the CoDir over the year."""
    if kwargs.get("raw"):  # a restore (loaddata, manage.py restore) clears the caches itself
        return
    from django.db import transaction

    from reseaux.cartography import invalidate

    transaction.on_commit(lambda: invalidate(instance.territoire_id))
