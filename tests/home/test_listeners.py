"""App Home end to end, in the test's process: each user's plans, the reviews due and the
items at risk, the menu's review, summary and export; Slack's event retries ignored."""

import time
from datetime import date, timedelta

from storage.models import Plan
from tests.factories import stored_objective
from tests.scenario import (
    AM,
    CLIENT,
    create_plan,
    db,
    setup_channel,
    text_of,
)


def test_app_home_lists_the_users_plans_and_event_retries_are_ignored(slack):
    setup_channel(slack, "C0HOME")
    create_plan(slack, "C0HOME", "Stark")
    before = len(slack.emulator.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": AM, "channel": "D0AM", "tab": "home",
             "event_ts": str(time.time())}
    first = slack.driver.event(event)
    assert first.status == 200
    slack.emulator.wait_for("views.publish", count=before + 1)
    assert "Stark" in text_of(slack.emulator.home(AM))
    slack.driver.event(event, event_id=first.event_id, retry_num=1, retry_reason="http_timeout")
    # The work after the retry's ack is done: a wrongly handled retry would show by now.
    assert len(slack.emulator.calls_to("views.publish")) == before + 1


def test_app_home_shows_plans_reviews_and_items_at_risk(slack):
    channel = "C0HOMEREVIEW"
    setup_channel(slack, channel)
    plan = create_plan(slack, channel, "Home Co", language="en", facilitators=[AM],
                       start_date="2026-01-05", period="twelve_months", client_size="large")
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        assert plan.next_review_on >= date.today() - timedelta(days=1)  # not born overdue
        plan.next_review_on = date(2026, 4, 6)  # a review that was never held
        session.add(plan)
        session.commit()
        portal = stored_objective(session, plan, "Portal at risk", owner_id=CLIENT,
                                  status="at_risk")
        session.commit()
        assert portal.status == "at_risk"
    import time as clock

    # The client owns an item at risk: the plan shows in their Home, without review buttons.
    slack.driver.event({"type": "app_home_opened", "user": CLIENT, "channel": "D0C",
                        "tab": "home", "event_ts": str(clock.time())})
    home = slack.emulator.home(CLIENT)
    assert "Home Co" in text_of(home or {})
    shown = text_of(home)
    assert "Home Co" in shown and "Portal at risk" in shown and "At risk" in shown
    assert f"review:{plan.id}" not in shown and f"summary:{plan.id}" in shown

    # The facilitator sees the overdue review and starts it from Home.
    slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0A",
                        "tab": "home", "event_ts": str(clock.time())})
    home = slack.emulator.home(AM)
    assert "Home Co" in text_of(home or {})
    assert "⚠️" in text_of(home) and f"review:{plan.id}" in text_of(home)  # overdue (Spanish)
    click = slack.driver.click(AM, "home_menu", selected=f"review:{plan.id}")
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1].params["view"]
    assert view["callback_id"] == "review_page"
    click = slack.driver.click(CLIENT, "home_menu", selected=f"summary:{plan.id}")
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1].params["view"]
    assert "Portal at risk" in text_of(view)


def test_export_from_app_home(slack):
    channel = "C0HOMEEXPORT"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Home Export", language="en", facilitators=[AM])
    import time as clock

    slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0AM",
                        "tab": "home", "event_ts": str(clock.time())})
    assert "Home Export" in text_of(slack.emulator.home(AM) or {})
    before = len([f for f in slack.emulator.files if f["channel"] == channel])
    menu = next(b["accessory"] for b in slack.emulator.home(AM)["blocks"]
                if "Home Export" in str(b))
    export = next(o["value"] for o in menu["options"] if o["value"].startswith("export:"))
    click = slack.driver.click(AM, "home_menu", selected=export)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)  # the same question as /plan export
    assert slack.driver.submit(AM, {}).json() is None
    assert (len([f for f in slack.emulator.files if f["channel"] == channel])
            == before + 2)
