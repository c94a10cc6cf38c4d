"""The plan's rules (bot/plans/rules.py): its end from its period, months added to a day,
timezones by IANA name, reviews within the plan."""

from datetime import date

import pytest

from bot.plans.rules import add_months, is_known_timezone, plan_end_date


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("calendar_year", date(2026, 1, 1), date(2026, 12, 31)),
        ("calendar_year", date(2026, 3, 15), date(2026, 12, 31)),
        ("six_months", date(2026, 1, 1), date(2026, 6, 30)),
        ("six_months", date(2026, 8, 15), date(2027, 2, 14)),
        ("twelve_months", date(2026, 12, 1), date(2027, 11, 30)),
        ("twelve_months", date(2028, 2, 29), date(2029, 2, 27)),
        ("perpetual", date(2026, 5, 5), None),
    ],
)
def test_plan_end_date(period, start, end):
    assert plan_end_date(period, start) == end


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 31), 12) == date(2027, 12, 31)


def test_timezones_by_iana_name():
    assert is_known_timezone("Europe/Madrid")
    assert is_known_timezone("America/Mexico_City")
    assert not is_known_timezone("Mars/Base")
    assert not is_known_timezone("../../etc/passwd")
    assert not is_known_timezone("")


def test_the_end_follows_the_period_unless_one_was_typed():
    from bot.plans.rules import plan_end

    start = date(2026, 12, 2)
    assert plan_end("twelve_months", start, None) == date(2027, 12, 1)
    assert plan_end("twelve_months", start, date(2027, 6, 30)) == date(2027, 6, 30)
    assert plan_end("perpetual", start, date(2027, 6, 30)) is None
    # Settings: the period changed, the end left as it was: it moves with the period.
    before = ("twelve_months", start, date(2027, 12, 1))
    assert plan_end("six_months", start, date(2027, 12, 1), before=before) == date(2027, 6, 1)
    # Nothing about the period changed: a custom end stays.
    custom = ("twelve_months", start, date(2027, 9, 30))
    assert plan_end("twelve_months", start, date(2027, 9, 30), before=custom) == date(2027, 9, 30)


def test_no_review_falls_after_the_plans_end():
    from types import SimpleNamespace

    from bot.reviews.rules import review_dates

    plan = SimpleNamespace(start_date=date(2026, 12, 2), end_date=date(2026, 12, 31),
                           review_weekday=0, client_size="large", cadence=None,
                           cadence_weeks=None)
    # A quarter from the start is past the end: the last review is in the plan's last week.
    assert review_dates(plan, after=date(2026, 12, 2)) == date(2026, 12, 28)
    assert review_dates(plan, after=date(2026, 12, 28)) is None
