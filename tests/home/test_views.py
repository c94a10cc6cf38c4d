"""App Home's Block Kit (bot/home/views.py): valid for Slack in both languages, however many
plans and items at risk."""

from datetime import date

import pytest

from bot.devslack.blockkit import check_view
from bot.home.views import home_view
from tests.factories import EVIL, LANGS, plan


@pytest.mark.parametrize("lang", LANGS)
def test_the_home_tab_is_valid(lang):
    view = home_view(lang=lang, plans=[(plan(id=i, next_review_on=date(2026, 1, 5)), i % 2 == 0)
                                       for i in range(300)], today=lambda _plan: date(2026, 11, 30),
                     at_risk=[(plan(), EVIL * 30, "at_risk")] * 50)
    assert check_view(view) == [], view["blocks"][:2]
