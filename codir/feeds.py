"""Private iCalendar feeds (services and builder): one revocable secret link per agent."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from codir import ical
from codir.models import CalendarToken, Instance, Reunion
from communes.journal import journal_record
from communes.models import Agent, Territoire


@transaction.atomic
def calendar_token_renew(*, agent: Agent) -> CalendarToken:
    """A new secret link; the previous one stops working at once (e.g. after a leak)."""
    Agent.objects.select_for_update().filter(pk=agent.pk).first()  # two clicks at once: one after the other
    CalendarToken.objects.filter(agent=agent, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = CalendarToken.objects.create(agent=agent)
    journal_record(action="codir.calendar_token.renewed", actor=agent, territoire=None, target=agent)
    return token


@transaction.atomic
def calendar_token_revoke(*, agent: Agent) -> int:
    count = CalendarToken.objects.filter(agent=agent, revoked_at__isnull=True).update(revoked_at=timezone.now())
    journal_record(action="codir.calendar_token.revoked", actor=agent, territoire=None, target=agent)
    return count


def agent_feed(token: str) -> bytes | None:
    """The calendar of every territory the token's agent belongs to or facilitates; None if unusable."""
    calendar_token = CalendarToken.objects.select_related("agent").filter(token=token, revoked_at__isnull=True).first()
    if calendar_token is None or not calendar_token.agent.is_active:
        return None
    agent = calendar_token.agent
    territoires = Territoire.objects.accessible_to(agent)
    since = timezone.now() - timedelta(days=365)  # a year of history is enough for a calendar app
    reunions = list(
        Reunion.objects.filter(territoire__in=territoires, starts_at__gte=since).select_related(
            "created_by", "territoire"
        )
    )
    instances = list(
        Instance.objects.filter(Q(territoire__in=territoires), starts_at__gte=since).select_related("territoire")
    )
    name = "CoDir de territoire — " + agent.full_name if agent.full_name else "CoDir de territoire"
    calendar = ical.feed_calendar(name, [r.starts_at for r in reunions] + [i.starts_at for i in instances])
    for reunion in reunions:
        calendar.add_component(
            ical.reunion_event(reunion, sequence=reunion.sequence, cancelled=reunion.cancelled_at is not None)
        )
    for instance in instances:
        calendar.add_component(ical.instance_event(instance))
    return calendar.to_ical()
