"""Reviews' rules (bot/reviews/rules.py): working hours, check-in moments, cadence words,
the next review's date."""

from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.platform.blocks import local_date
from bot.reviews.rules import (
    cadence_words,
    checkins_start,
    deadline_reminders,
    next_on_cadence,
    overdue,
    owner_moment,
    review_dates,
    working_moment,
)
from tests.factories import ELSEWHERE_TODAY, plan, utc


@pytest.mark.parametrize(("earliest", "zone", "expected"), [
    (utc(2027, 1, 12, 12, 0), "Europe/Madrid", utc(2027, 1, 12, 12, 0)),  # 13:00 there
    (utc(2027, 1, 12, 3, 0), "Europe/Madrid", utc(2027, 1, 12, 8, 0)),  # night: 09:00
    (utc(2027, 1, 12, 20, 0), "Europe/Madrid", utc(2027, 1, 13, 8, 0)),  # evening: tomorrow
    (utc(2027, 1, 15, 17, 0), "Europe/Madrid", utc(2027, 1, 18, 8, 0)),  # Friday 18:00: Monday
    (utc(2027, 1, 9, 12, 0), "America/New_York", utc(2027, 1, 11, 14, 0)),  # Saturday
    (utc(2027, 1, 12, 20, 0), "America/Mexico_City", utc(2027, 1, 12, 20, 0)),  # 14:00 there
])
def test_a_working_moment_is_a_weekday_between_nine_and_five_local(earliest, zone, expected):
    moment = working_moment(earliest, zone)
    assert moment == expected
    local = moment.astimezone(ZoneInfo(zone))
    assert local.weekday() < 5 and time(9) <= local.time() < time(17)


def test_each_owner_is_asked_at_their_own_first_working_hour_of_the_check_in_day():
    plan = SimpleNamespace(id=7, timezone="Europe/Madrid", checkin_days=3)
    start = checkins_start(plan, date(2027, 1, 15))
    assert start.key == "checkin:7:2027-01-15" and start.payload["day"] == "2027-01-12"
    # Planned when the day has begun in the earliest timezone (UTC+14), before anyone's 09:00.
    assert start.due_at == utc(2027, 1, 11, 9, 0)
    day = date(2027, 1, 12)
    assert owner_moment(day, "Asia/Tokyo", now=start.due_at) == utc(2027, 1, 12, 0, 0)
    assert owner_moment(day, "America/New_York", now=start.due_at) == utc(2027, 1, 12, 14, 0)
    # Planned late (the review moved closer): the next working hour from now.
    late = utc(2027, 1, 12, 19, 30)
    assert owner_moment(day, "Europe/Madrid", now=late) == utc(2027, 1, 13, 8, 0)


@pytest.mark.parametrize(("cadence", "weeks", "size", "en", "es"), [
    (None, None, "large", "Quarterly", "Trimestral"),
    (None, None, "small", "Every 6 months", "Cada 6 meses"),
    ("monthly", None, "large", "Monthly", "Mensual"),
    ("weeks", 1, "large", "Every 1 week", "Cada 1 semana"),
    ("weeks", 6, "small", "Every 6 weeks", "Cada 6 semanas"),
])
def test_the_cadence_is_worded_in_one_place(cadence, weeks, size, en, es):
    plan = SimpleNamespace(cadence=cadence, cadence_weeks=weeks, client_size=size)
    assert (cadence_words(plan, "en"), cadence_words(plan, "es")) == (en, es)


# --- deadlines: the owner's reminder (the outbox against the emulator), the overdue flag ------


def test_the_next_review_is_quarterly_or_six_monthly_on_the_review_weekday():
    # Quarterly for large clients, every 6 months for small ones, on the review weekday.
    large = plan(start_date=date(2027, 1, 1), client_size="large", review_weekday=0)
    assert review_dates(large, after=date(2027, 1, 2)) == date(2027, 4, 5)
    small = plan(start_date=date(2027, 1, 31), client_size="small", review_weekday=3)
    assert review_dates(small, after=date(2027, 8, 1)) == date(2027, 8, 5)  # Jul 31 → Thu


@pytest.mark.parametrize(("zone", "now", "today"), ELSEWHERE_TODAY)
def test_the_rules_count_days_in_the_plans_timezone(zone, now, today):
    """Late evening in Mexico City and early morning in Tokyo, when UTC's date is another:
    what is due, overdue or next is counted from the plan's today."""
    assert local_date(now, zone) == today != now.date()
    local = plan(timezone=zone, start_date=today, review_weekday=today.weekday())

    def item(due):
        return SimpleNamespace(id=due.day, due_date=due, owner_id="U1", status="on_track")

    # Due today there: no reminder any more; due tomorrow there: reminded, from now on.
    tomorrow = today + timedelta(days=1)
    assert [p.payload["due"] for p in deadline_reminders(
        local, [item(today), item(tomorrow)], now=now)] == [tomorrow.isoformat()]
    assert [p.due_at for p in deadline_reminders(local, [item(tomorrow)], now=now)] == [now]
    # Overdue from the day after its due date there, not before.
    assert not overdue(item(today), local_date(now, zone))
    assert overdue(item(today - timedelta(days=1)), local_date(now, zone))
    # A plan written down today, there, is not born overdue: its first review is ahead.
    first = next_on_cadence(local, now=now)
    assert first is not None and first > today
