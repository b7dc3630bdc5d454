from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codir.calendar import clear_days_between, is_in_time, latest_sending_day


@pytest.mark.parametrize(
    ("meeting", "clear_days", "latest"),
    [
        # A conseil on Tuesday 15 December 2026: 5 jours francs (10 to 14), so sent on Wednesday 9 at the latest.
        (date(2026, 12, 15), 5, date(2026, 12, 9)),
        # Weekends count: a conseil on Monday 14 → Tuesday 8.
        (date(2026, 12, 14), 5, date(2026, 12, 8)),
        # Across a month end: a conseil on Tuesday 2 March 2027 → Wednesday 24 February.
        (date(2027, 3, 2), 5, date(2027, 2, 24)),
        # A small commune (3 jours francs): a council on Friday 11 → Monday 7.
        (date(2026, 12, 11), 3, date(2026, 12, 7)),
        # Emergency (1 jour franc): Tuesday 15 → Sunday 13.
        (date(2026, 12, 15), 1, date(2026, 12, 13)),
        # Across New Year: Monday 4 January 2027 → Tuesday 29 December 2026.
        (date(2027, 1, 4), 5, date(2026, 12, 29)),
    ],
)
def test_worked_examples(meeting, clear_days, latest):
    assert latest_sending_day(meeting, clear_days) == latest
    assert is_in_time(latest, meeting, clear_days)
    assert not is_in_time(latest + timedelta(days=1), meeting, clear_days)


def test_the_day_of_sending_and_the_meeting_day_do_not_count():
    assert clear_days_between(date(2026, 12, 9), date(2026, 12, 15)) == 5
    assert clear_days_between(date(2026, 12, 14), date(2026, 12, 15)) == 0
    assert not is_in_time(date(2026, 12, 15), date(2026, 12, 15), 0)


def test_a_negative_delay_is_refused():
    with pytest.raises(ValueError):
        latest_sending_day(date(2026, 12, 15), -1)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


@given(days, st.integers(min_value=0, max_value=30))
def test_the_latest_day_leaves_exactly_the_delay_and_no_later_day_does(meeting, clear_days):
    latest = latest_sending_day(meeting, clear_days)
    assert clear_days_between(latest, meeting) == clear_days
    assert is_in_time(latest, meeting, clear_days)
    assert not is_in_time(latest + timedelta(days=1), meeting, clear_days)


@given(days, days, st.integers(min_value=0, max_value=30))
def test_sending_earlier_is_never_worse(sent, meeting, clear_days):
    if is_in_time(sent, meeting, clear_days):
        assert is_in_time(sent - timedelta(days=1), meeting, clear_days)


@given(days, st.integers(min_value=0, max_value=29))
def test_a_longer_delay_means_an_earlier_latest_day(meeting, clear_days):
    assert latest_sending_day(meeting, clear_days + 1) < latest_sending_day(meeting, clear_days)
