"""Read queries of instances and CoDir meetings, scoped and prefetched for their pages."""

from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from codir.models import AgendaVersion, Document, Envoi, Instance, PointOdj, Reunion
from communes.models import Agent, Territoire


def upcoming_reunions(territoire: Territoire, *, since: datetime | None = None) -> QuerySet[Reunion]:
    since = since or timezone.now()
    return (
        Reunion.objects.for_territoire(territoire)
        .filter(ends_at__gte=since)
        .select_related("host", "animateur", "instance")
        .annotate(points_count=Count("points", filter=Q(points__withdrawn_at__isnull=True)))
        .order_by("starts_at")
    )


def past_reunions(territoire: Territoire, *, until: datetime | None = None) -> QuerySet[Reunion]:
    until = until or timezone.now()
    return (
        Reunion.objects.for_territoire(territoire)
        .filter(ends_at__lt=until)
        .select_related("host", "animateur", "instance")
        .order_by("-starts_at")
    )


def instances_of(territoire: Territoire) -> QuerySet[Instance]:
    return Instance.objects.for_territoire(territoire).annotate(reunions_count=Count("reunions")).order_by("starts_at")


def agenda_of(reunion: Reunion) -> QuerySet[PointOdj]:
    return (
        reunion.points.filter(withdrawn_at__isnull=True)
        .select_related("presenter", "added_by", "proposition")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("uploaded_at")))
        .order_by("position")
    )


def dispatch_log(reunion: Reunion) -> QuerySet[AgendaVersion]:
    """Each version of the agenda with who received it, when, and who read it."""
    return reunion.agenda_versions.prefetch_related(
        Prefetch("envois", queryset=Envoi.objects.select_related("recipient").order_by("email"))
    ).order_by("number")


def my_next_reunions(agent: Agent, *, limit: int = 5) -> QuerySet[Reunion]:
    return (
        Reunion.objects.filter(
            territoire__memberships__agent=agent,
            territoire__memberships__ended_at__isnull=True,
            ends_at__gte=timezone.now(),
            cancelled_at__isnull=True,
        )
        .select_related("territoire", "host")
        .order_by("starts_at")[:limit]
    )
