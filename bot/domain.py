"""Domain rules as plain functions: no Slack, no database."""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan_end_date(period: str, start: date) -> date | None:
    """Last day of a plan's period; perpetual plans have none."""
    match period:
        case "calendar_year":
            return date(start.year, 12, 31)
        case "six_months":
            return add_months(start, 6) - timedelta(days=1)
        case "twelve_months":
            return add_months(start, 12) - timedelta(days=1)
        case "perpetual":
            return None
    raise ValueError(f"unknown period {period!r}")


def plan_end(period: str, start: date, typed: date | None, *, before=None) -> date | None:
    """The plan's last day: the one typed, or the end of its period when none was typed, or
    when the period or start changed and the end was left as it was (`before`: the plan's
    (period, start, end) until now)."""
    if period == "perpetual":
        return None
    if typed is None or (before is not None and typed == before[2]
                         and (period, start) != tuple(before[:2])):
        return plan_end_date(period, start)
    return typed


def is_known_timezone(name: str) -> bool:
    if name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def minutes_per_question(started_at: datetime, ends_at: datetime, questions: int = 5) -> int:
    """The time each question gets when the facilitator steps through them: an even share
    of the session, in whole minutes (at least one)."""
    return max(1, int((ends_at - started_at).total_seconds() // 60) // questions)


def session_end(started_at: datetime, minutes: int) -> datetime:
    return started_at + timedelta(minutes=minutes)


def split_idea_lines(text: str | None) -> list[str]:
    """One idea per line; blank lines and bullets typed out of habit are dropped."""
    ideas = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("•*-–").strip()
        if line:
            ideas.append(line)
    return ideas


WORK_START, WORK_END = time(9), time(17)  # a working hour: 09:00–17:00 local, Monday–Friday


def working_moment(earliest: datetime, timezone: str) -> datetime:
    """The first moment from `earliest` on that is a working hour in `timezone` (in UTC):
    nobody is asked for a check-in at night or at the weekend."""
    zone = ZoneInfo(timezone)
    local = earliest.astimezone(zone)
    for _day in range(8):
        if local.weekday() < 5:
            if local.time() < WORK_START:
                return datetime.combine(local.date(), WORK_START, zone).astimezone(UTC)
            if local.time() < WORK_END:
                return local.astimezone(UTC)
        local = datetime.combine(local.date() + timedelta(days=1), time(0), zone)
    raise AssertionError("a week always has a working hour")
