"""App Home's Block Kit (bot/home/views.py): valid for Slack in both languages, however many
plans and items at risk."""

from datetime import date

import pytest

from bot.devslack.blockkit import check_view
from bot.home.views import home_view
from bot.platform.blocks import local_date
from tests.factories import EARLY_IN_TOKYO, EVIL, LANGS, plan


@pytest.mark.parametrize("lang", LANGS)
def test_the_home_tab_is_valid(lang):
    view = home_view(lang=lang, plans=[(plan(id=i, next_review_on=date(2026, 1, 5)), i % 2 == 0)
                                       for i in range(300)], today=lambda _plan: date(2026, 11, 30),
                     at_risk=[(plan(), EVIL * 30, "at_risk")] * 50)
    assert check_view(view) == [], view["blocks"][:2]


def test_each_plans_review_is_overdue_by_its_own_today():
    """At 08:30 in Tokyo (still the 3rd in UTC and in Mexico City), a review due on the 3rd
    is overdue for the Tokyo plan, not for the one in Mexico City."""
    _zone, now, _today = EARLY_IN_TOKYO
    due = date(2026, 12, 3)
    tokyo = plan(id=1, account_name="Tokyo", timezone="Asia/Tokyo", next_review_on=due)
    mexico = plan(id=2, account_name="Mexico", timezone="America/Mexico_City",
                  next_review_on=due)
    view = home_view(lang="en", plans=[(tokyo, True), (mexico, True)], at_risk=[],
                     today=lambda p: local_date(now, p.timezone))
    lines = {b["text"]["text"].split("*")[1]: b["text"]["text"] for b in view["blocks"]
             if b.get("accessory", {}).get("action_id") == "home_menu"}
    assert "Review overdue by 1 day" in lines["Tokyo"]
    assert "overdue" not in lines["Mexico"] and "Next review" in lines["Mexico"]
