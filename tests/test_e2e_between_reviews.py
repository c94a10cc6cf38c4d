"""Between reviews, end to end: the next review's date set in the plan's modals and its
reminder at that moment. `rumbo serve` answers Slack; the outbox is sent by a Dispatcher
with an injected clock (the scheduler `rumbo serve` runs), so time moves without sleeping."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.dispatch import Dispatcher
from bot.slack import make_client
from storage.models import Delivery, Plan
from tests.app_server import BOT_TOKEN
from tests.scenario import AM, create_plan, db, eventually, setup_channel, text_of


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def outbox(slack, clock) -> Dispatcher:
    return Dispatcher(slack.engine, make_client(token=BOT_TOKEN, base_url=slack.emulator.api_url),
                      clock)


def reminders(slack, channel):
    return [c for c in slack.emulator.calls_to("chat.postMessage")
            if c.params["channel"] == channel and "review_start" in text_of(c.params)]


def daytime_zone(now: datetime) -> str:
    """A timezone where it is daytime now, so that "in a few minutes" is still today."""
    for name in ("UTC", "Asia/Tokyo", "America/Los_Angeles", "Australia/Sydney"):
        if 1 <= now.astimezone(ZoneInfo(name)).hour <= 21:
            return name
    raise AssertionError("no daytime zone")


def test_a_next_review_minutes_ahead_is_reminded_then_and_moves_with_the_date(slack):
    channel = "C0NEXTREVIEW"
    setup_channel(slack, channel)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    zone = daytime_zone(now)
    at = (now + timedelta(minutes=5)).astimezone(ZoneInfo(zone))
    today = at.date()
    # A date before the plan's start, or in the past, is refused on its field.
    response = slack.driver.command(AM, channel, "new Soon SA")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    refused = slack.driver.submit(AM, {"language": "en", "timezone": zone,
                                       "start_date": today.isoformat(),
                                       "next_review_on": (today - timedelta(days=1)).isoformat()})
    assert set(refused.errors) == {"next_review_on"}
    slack.emulator.clear_views(AM)
    plan = create_plan(slack, channel, "Soon SA", language="en", timezone=zone,
                       start_date=(today - timedelta(days=10)).isoformat(),
                       review_time=at.strftime("%H:%M"), next_review_on=today.isoformat())
    assert plan.next_review_on == today

    help_text = text_of(slack.driver.command(AM, channel, "help").json())
    assert f"at {at:%H:%M} ({zone})" in help_text and "Next review" in help_text

    clock = Clock(at.astimezone(UTC) - timedelta(minutes=1))
    assert outbox(slack, clock).run_once() == 0  # no "a week ahead" for a review today
    assert reminders(slack, channel) == []
    clock.now += timedelta(minutes=1)
    assert outbox(slack, clock).run_once() == 1
    [reminder] = reminders(slack, channel)
    assert "Soon SA" in text_of(reminder.params)

    # Moved to a week later in /plan settings: the reminders follow, history records it.
    response = slack.driver.command(AM, channel, "settings")
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == response.trigger_id)[-1].params["view"]
    field = next(b for b in view["blocks"] if b.get("block_id") == "next_review_on")
    assert field["label"]["text"] == "Date of the next review"
    assert field["element"]["initial_date"] == today.isoformat()
    later = today + timedelta(days=7)
    assert slack.driver.submit(AM, {"next_review_on": later.isoformat()}).json() is None

    def pending():
        with db(slack) as session:
            return {d.key.split(":", 2)[-1]: d.due_at for d in session.exec(select(
                Delivery).where(Delivery.plan_id == plan.id, Delivery.status == "pending",
                                Delivery.kind.startswith("review")))}

    moved = eventually(lambda: (keys := pending()) and f"{later}:due" in keys and keys)
    assert not [k for k in moved if k.startswith(today.isoformat())]
    assert moved[f"{later}:due"] == datetime.combine(later, at.time(), at.tzinfo)
    with db(slack) as session:
        assert session.get(Plan, plan.id).next_review_on == later
    shown = text_of(slack.driver.command(AM, channel, "show").json())
    assert f"at {at:%H:%M} ({zone})" in shown
