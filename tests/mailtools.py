"""Reading what the application mailed, as a mail client would."""

from icalendar import Calendar


def invitation_of(message) -> Calendar:
    """The one iCalendar invitation attached to a captured e-mail."""
    parts = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, f"{message.subject}: {len(parts)} text/calendar parts"
    assert parts[0].get_filename() == "invitation.ics"
    return Calendar.from_ical(parts[0].get_payload(decode=True))
