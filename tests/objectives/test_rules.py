"""The objectives' rules (bot/objectives/rules.py): dates outside the plan's period, and the
gaps the completeness check shows."""

from datetime import date

from bot.objectives.rules import gaps, outside_period
from tests.factories import big_plan


def test_period_and_gaps():
    assert outside_period(date(2026, 12, 31), date(2027, 1, 1), date(2027, 12, 31))
    assert not outside_period(date(2027, 12, 31), date(2027, 1, 1), date(2027, 12, 31))
    assert not outside_period(date(2099, 1, 1), date(2027, 1, 1), None)  # perpetual
    categories, objectives, initiatives = big_plan(2, 1)
    found = gaps(categories=categories, objectives=objectives, initiatives=initiatives)
    assert found.empty_categories == ["Category 2", "Category 3"]
    assert [s[:11] for s in found.objectives_without_initiatives] == ["Objective 1"]
    assert found.initiatives_without_owner == [initiatives[0].title]
    assert not found.complete
