"""Reviews' Block Kit (bot/reviews/views.py): the review's day and time in each reader's
zone (Slack's `<!date^…>`, the plan's local time as fallback), also in the help, the plan
and App Home; an overdue initiative flagged."""

import json
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

from bot.reviews.views import review_reminder
from tests.factories import plan


def test_a_review_reminder_gives_the_reviews_day_and_time_in_each_readers_zone():
    p = plan(review_time=time(9, 0), timezone="Europe/Madrid")
    text = review_reminder(lang="en", plan=p, kind="review_ahead", due=date(2027, 1, 4),
                           days=7)["text"]
    nine_in_madrid = int(datetime(2027, 1, 4, 8, 0, tzinfo=UTC).timestamp())
    assert f"on <!date^{nine_in_madrid}^{{date_long_pretty}} {{time}}|" in text
    assert "09:00 (Europe/Madrid)>" in text


def test_the_next_review_in_help_the_plan_and_app_home_is_each_readers_own():
    from bot.reviews.views import review_when

    p = plan(language="en", next_review_on=date(2027, 1, 15), review_time=time(10, 0),
             timezone="Europe/Madrid")
    moment = int(datetime(2027, 1, 15, 9, 0, tzinfo=UTC).timestamp())  # 10:00 in Madrid
    assert review_when(p, "en") == (
        f"<!date^{moment}^{{date_long_pretty}} {{time}}|Friday, January 15, 2027 at 10:00 "
        "(Europe/Madrid)>")


def test_the_review_and_app_home_flag_an_overdue_initiative():
    from bot.home.views import home_view
    from bot.reviews.views import item_inputs

    item = SimpleNamespace(id=3, title="Workshop", target="Held", status="on_track",
                           due_date=date(2027, 2, 10))
    flagged = json.dumps(item_inputs("en", "initiative", item, None, None, date(2027, 2, 11)),
                         ensure_ascii=False)
    assert "⚠️ *Overdue* since February 10, 2027" in flagged
    assert "Overdue" not in json.dumps(item_inputs("en", "initiative", item, None, None,
                                                   date(2027, 2, 10)))
    plan = SimpleNamespace(account_name="Acme", channel_id="C1", id=1, next_review_on=None)
    home = json.dumps(home_view(lang="es", plans=[], today=lambda plan: date(2027, 2, 11),
                                at_risk=[],
                                overdue=[(plan, "Workshop", date(2027, 2, 10))]),
                      ensure_ascii=False)
    assert "Tus iniciativas con la fecha límite pasada" in home and "Workshop" in home
