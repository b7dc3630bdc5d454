"""iCalendar (RFC 5545) for CoDir meetings and instances: invitations and feeds.

Stable UIDs, SEQUENCE bumped on each change, STATUS:CANCELLED, and a Europe/Paris VTIMEZONE
bounded to the years the events span, so calendar software shows Paris time whatever its own zone.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from codir.models import Instance, Reunion

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//CoDir de territoire//FR"


def _calendar(method: str | None, name: str, events: Iterable[datetime]) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    moments = list(events) or [timezone.now()]
    first = min(moments).astimezone(PARIS).date().replace(month=1, day=1)
    last = date(max(moments).astimezone(PARIS).year + 1, 1, 1)
    calendar.add_component(Timezone.from_tzid("Europe/Paris", first_date=first, last_date=last))
    return calendar


def reunion_event(reunion: Reunion, *, sequence: int, cancelled: bool = False, description: str = "") -> Event:
    event = Event()
    event.add("uid", reunion.uid)
    event.add("sequence", sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", reunion.starts_at.astimezone(PARIS))
    event.add("dtend", reunion.ends_at.astimezone(PARIS))
    event.add("summary", reunion.title)
    if reunion.place:
        event.add("location", reunion.place)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if reunion.created_by:
        organizer = vCalAddress(f"mailto:{reunion.created_by.email}")
        organizer.params["cn"] = vText(reunion.created_by.full_name or reunion.created_by.email)
        event.add("organizer", organizer)
    return event


def instance_event(instance: Instance) -> Event:
    event = Event()
    # An imported UID is unique per territory only: an agent of two territories must not see it twice.
    event.add("uid", f"{instance.territoire_id}-{instance.uid}")
    event.add("sequence", instance.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", instance.starts_at.astimezone(PARIS))
    event.add("dtend", (instance.starts_at + timedelta(hours=2)).astimezone(PARIS))
    event.add("summary", str(instance))
    if instance.place:
        event.add("location", instance.place)
    event.add("status", "CANCELLED" if instance.cancelled else "CONFIRMED")
    return event


def feed_calendar(name: str, moments: list[datetime]) -> Calendar:
    """An empty published calendar (no METHOD) with a time zone covering these moments."""
    return _calendar(None, name, moments)


class Invitation:
    """The .ics attached to an agenda mail, built once per agenda version: only the ATTENDEE line differs
    between recipients, and serialising the whole calendar per recipient cost more than the rest of a send."""

    END_OF_EVENT = b"END:VEVENT\r\n"

    def __init__(self, reunion: Reunion, *, sequence: int, cancelled: bool, description: str) -> None:
        calendar = _calendar("CANCEL" if cancelled else "REQUEST", reunion.title, [reunion.starts_at])
        calendar.add_component(reunion_event(reunion, sequence=sequence, cancelled=cancelled, description=description))
        head, end, tail = calendar.to_ical().rpartition(self.END_OF_EVENT)
        self._head, self._tail = head, end + tail  # the ATTENDEE line goes just before END:VEVENT

    def for_attendee(self, attendee: str) -> bytes:
        """The invitation addressed to one participant (RFC 5546: METHOD:REQUEST names its ATTENDEE)."""
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["rsvp"] = vText("TRUE")
        return self._head + Event().content_line("ATTENDEE", guest).to_ical() + b"\r\n" + self._tail
