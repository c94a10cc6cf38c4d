"""Times in messages are Slack's `<!date^…>`: each reader sees their own timezone; the plan's
local time is the fallback."""

from datetime import UTC, date, datetime, time

import pytest

from bot.help import views as help_views
from bot.platform.blocks import slack_date, slack_time
from bot.reviews.views import review_reminder
from bot.sessions import views as sessions_views
from tests.factories import NOW, all_text, plan, session


def test_slack_formats_the_moment_and_falls_back_on_the_plans_local_time():
    unix = int(NOW.timestamp())
    assert slack_time(NOW, "Europe/Madrid", "en") == (
        f"<!date^{unix}^{{time}}|16:00 (Europe/Madrid)>")
    assert slack_date(NOW, "America/Mexico_City", "es", "{date_long_pretty} {time}") == (
        f"<!date^{unix}^{{date_long_pretty}} {{time}}|lunes, 30 de noviembre de 2026, "
        "09:00 (America/Mexico_City)>")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_session_times_are_each_readers_own(lang):
    p = plan(language=lang)
    running = all_text(sessions_views.session_card(lang=lang, plan=p, strategy_session=session(),
                                        contributions={}, answer_count=0, idea_count=0))
    ends = int(session().ends_at.timestamp())
    assert f"<!date^{ends}^{{time}}|10:30 (America/Mexico_City)>" in running
    ended = all_text(sessions_views.session_card(lang=lang, plan=p,
                                                 strategy_session=session(ended_at=NOW),
                                      contributions={}, answer_count=0, idea_count=0))
    assert f"<!date^{int(NOW.timestamp())}^{{date_short_pretty}} {{time}}|" in ended
    help_text = all_text(help_views.help_message(lang=lang, plan=p, running=session()))
    assert f"<!date^{ends}^{{time}}|" in help_text


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
