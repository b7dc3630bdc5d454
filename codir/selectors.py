"""Read queries of instances and CoDir meetings, scoped and prefetched for their pages."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from codir.models import AgendaVersion, Document, Envoi, Instance, PointOdj, Presence, Reunion
from communes.models import Agent, Collectivite, Territoire


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
        .select_related("presenter", "added_by", "proposition", "deliberation")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("uploaded_at")))
        .order_by("position")
    )


def dispatch_summary(reunion: Reunion, agent: Agent) -> list[AgendaVersion]:
    """Each version of the agenda with its counts (recipients, sent, pending, late and the longest delay, read) and
    `mine`, the reader's own outbox row: two queries, whatever the number of members and versions (the
    row-by-row log is paged on its own page)."""
    versions = list(
        reunion.agenda_versions.annotate(
            recipients=Count("envois"),
            sent=Count("envois", filter=Q(envois__sent_at__isnull=False)),
            pending=Count("envois", filter=Q(envois__sent_at__isnull=True)),
            late=Count("envois", filter=Q(envois__late_by__isnull=False)),
            longest_delay=Max("envois__late_by"),
            read=Count("envois", filter=Q(envois__read_at__isnull=False)),
        ).order_by("number")
    )
    mine = {e.version_id: e for e in Envoi.objects.filter(version__reunion=reunion, recipient=agent).order_by()}
    for version in versions:
        version.mine = mine.get(version.pk)
    return versions


def agenda_versions(reunion: Reunion) -> list[AgendaVersion]:
    """Every sending of the meeting's agenda, by number (a handful per meeting)."""
    return list(reunion.agenda_versions.order_by("number"))


def version_numbered(versions: list[AgendaVersion], number: int | None) -> AgendaVersion | None:
    """Among `versions` (by number), the one of that number, or the latest when none is asked; None when
    there is no such version."""
    if number is None:
        return versions[-1] if versions else None
    return next((version for version in versions if version.number == number), None)


def envois_of(version: AgendaVersion) -> QuerySet[Envoi]:
    """Who received one version of the agenda, when, and who read it, by address."""
    return version.envois.select_related("recipient").order_by("email", "pk")


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


@dataclass
class PresenceRow:
    collectivite: Collectivite
    presence: Presence | None


def presence_table(reunion: Reunion) -> list[PresenceRow]:
    """Every collectivité of the territory with its recorded attendance (None if not recorded yet)."""
    recorded = {p.collectivite_id: p for p in reunion.presences.all()}
    return [
        PresenceRow(c, recorded.get(c.pk)) for c in Collectivite.objects.for_territoire(reunion.territoire).active()
    ]


@dataclass
class MonthDay:
    day: date
    in_month: bool
    reunions: list[Reunion]
    instances: list[Instance]


def month_grid(territoire: Territoire, year: int, month: int) -> list[list[MonthDay]]:
    """Weeks (Monday first) of a month with the meetings and instances of each day: two queries."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    by_day: dict[date, tuple[list, list]] = {}
    for reunion in Reunion.objects.for_territoire(territoire).filter(starts_at__gte=start, starts_at__lt=end):
        by_day.setdefault(timezone.localtime(reunion.starts_at).date(), ([], []))[0].append(reunion)
    for instance in Instance.objects.for_territoire(territoire).filter(starts_at__gte=start, starts_at__lt=end):
        by_day.setdefault(timezone.localtime(instance.starts_at).date(), ([], []))[1].append(instance)
    return [[MonthDay(day, day.month == month, *by_day.get(day, ([], []))) for day in week] for week in weeks]
