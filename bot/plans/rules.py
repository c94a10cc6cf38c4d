"""A plan's vocabulary and rules: periods and their ends, client sizes, categories, timezones."""

import calendar
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.platform.i18n import N_

# The four Balanced-Scorecard buckets the seed suggests.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    N_("Financial (reducing costs)"),
    N_("Customer experience"),
    N_("Process (improving efficiency)"),
    N_("Technology (optimising products and services)"),
)

CLIENT_SIZES: dict[str, str] = {
    "large": N_("Large client (quarterly reviews)"),
    "small": N_("Smaller client (reviews every 6 months)"),
}

PERIODS: dict[str, str] = {
    "calendar_year": N_("Calendar year"),
    "six_months": N_("6 months"),
    "twelve_months": N_("12 months"),
    "perpetual": N_("Perpetual"),
}

WEEKDAYS: tuple[str, ...] = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español"}


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
