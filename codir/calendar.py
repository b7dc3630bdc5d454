"""Legal delays counted in jours francs (clear days), as the CGCT counts them.

A delay of n jours francs between a sending and a meeting leaves n whole days in between:
neither the day of sending nor the day of the meeting counts; weekends and holidays count.
For a conseil communautaire (CGCT L2121-12, applied to EPCI by L5211-1) the convocation goes
out 5 jours francs ahead, so at the latest on the meeting day minus 6; in an emergency, 1 jour
franc; for communes under 3,500 inhabitants (L2121-11), 3 jours francs.
"""

from datetime import date, timedelta

CONSEIL_CLEAR_DAYS = 5
URGENCE_CLEAR_DAYS = 1
PETITE_COMMUNE_CLEAR_DAYS = 3


def clear_days_between(sent: date, meeting: date) -> int:
    """How many whole days lie strictly between the sending day and the meeting day."""
    return max((meeting - sent).days - 1, 0)


def latest_sending_day(meeting: date, clear_days: int) -> date:
    """The last day a convocation can be sent and still leave `clear_days` jours francs."""
    if clear_days < 0:
        raise ValueError("clear_days must be positive or zero")
    return meeting - timedelta(days=clear_days + 1)


def is_in_time(sent: date, meeting: date, clear_days: int) -> bool:
    """Whether a convocation sent that day respects the delay."""
    return sent < meeting and clear_days_between(sent, meeting) >= clear_days
