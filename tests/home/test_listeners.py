"""Step 4 end to end: a paged review through signed requests, the posted summary, the
reminder's postpone and skip buttons, the summary on demand."""

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.platform.slack import make_client
from bot.reviews.views import review_reminder
from storage import objectives, plans
from storage.models import Delivery, Initiative, Objective, Plan, PlanChange, Review
from tests.app_server import BOT_TOKEN
from tests.scenario import (
    AM,
    CLIENT,
    create_plan,
    db,
    eventually,
    reply_to,
    setup_channel,
    text_of,
)

CHANNEL = "C0REVIEW"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def objective(session, plan, statement, **values):
    category = plans.categories(session, plan=plan)[0]
    fields = dict(category_id=category.id, statement=statement, target="More", measure="Share",
                  horizon="medium")
    fields.update(values)
    return objectives.add_objective(session, plan=plan, values=fields, idea_id=None, user_id=AM,
                                  now=NOW)


def test_a_paged_review_posts_its_summary_and_moves_the_next_review(slack):
    setup_channel(slack, CHANNEL)
    plan = create_plan(slack, CHANNEL, "Review Co", language="en", facilitators=[AM],
                       client_size="large", start_date="2026-10-01", period="twelve_months")
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        portal = objective(session, plan, "Self-service portal", baseline=10, target_value=50,
                           unit="%")
        steps = [objectives.add_initiative(session, plan=plan, objective=portal, now=NOW,
                                         user_id=AM, values=dict(
                                             title=f"Step {n}", target="Done",
                                             measure="Shipped", owner_id=CLIENT))
                 for n in range(15)]
        dinner = objective(session, plan, "Quarterly dinner")
        session.commit()
        first_due = plan.next_review_on
    assert first_due == date(2027, 1, 4)

    refused = reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "review"))
    assert "facilitators" in text_of(refused)

    response = slack.driver.command(AM, CHANNEL, "review")
    page = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == response.trigger_id)[-1].params["view"]
    shown = text_of(page)
    assert "Page 1 of 2" in shown and "Since the last review" in shown
    assert "New: Self-service portal" in shown and "New: Quarterly dinner" in shown
    blocks = {b.get("block_id") for b in page["blocks"]}
    assert f"o{portal.id}_status" in blocks and f"o{dinner.id}_status" not in blocks
    answer = slack.driver.submit(AM, {
        f"o{portal.id}_status": "on_track", f"o{portal.id}_value": "30",
        f"i{steps[0].id}_status": "done", f"i{steps[1].id}_status": "at_risk",
        f"i{steps[1].id}_note": "Waiting for the client's IT"})
    assert answer.json()["response_action"] == "update"  # page 1 stored, page 2 at once
    page_two = answer.json()["view"]
    assert "Page 2 of 2" in text_of(page_two)
    assert f"o{dinner.id}_status" in {b.get("block_id") for b in page_two["blocks"]}
    answer = slack.driver.submit(AM, {
        f"o{dinner.id}_status": "abandoned", f"o{dinner.id}_note": "The client prefers calls",
        "worked": "Weekly calls", "not_worked": "Too many initiatives"})
    assert answer.json() is None

    summary = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == CHANNEL and "Review: Review Co" in c.params["text"])[-1].params
    shown = text_of(summary)
    assert "Weekly calls" in shown and "Too many initiatives" in shown
    assert "50% of the way (30 of 50)" in shown
    assert "~Step 0~ ✅" in shown  # done items are ticked off and celebrated
    assert "Step 1" in shown and "At risk" in shown
    assert "Abandoned: Quarterly dinner — The client prefers calls" in shown

    with db(slack) as session:
        assert session.get(Objective, portal.id).status == "on_track"
        assert session.get(Objective, dinner.id).status == "abandoned"  # kept, not deleted
        assert session.get(Initiative, steps[0].id).status == "done"
        review = session.exec(select(Review).where(Review.plan_id == plan.id)).one()
        assert review.closed_at is not None and review.due_on == first_due
        assert session.get(Plan, plan.id).next_review_on == date(2027, 4, 5)
        history = {(c.entity, c.entity_id, c.field, c.after) for c in session.exec(
            select(PlanChange).where(PlanChange.plan_id == plan.id))}
        assert ("objective", dinner.id, "status", "abandoned") in history
        pending = [d.key for d in session.exec(select(Delivery).where(
            Delivery.plan_id == plan.id, Delivery.status == "pending"))]
        assert not [k for k in pending if first_due.isoformat() in k]  # old reminders gone
        assert any("2027-04-05" in k for k in pending)

    on_demand = text_of(reply_to(slack, slack.driver.command(CLIENT, CHANNEL, "summary")))
    assert "Progress: Review Co" in on_demand and "50% of the way" in on_demand


def test_postpone_and_skip_from_the_reminder(slack):
    channel = "C0POSTPONE"
    setup_channel(slack, channel)
    plan = create_plan(slack, channel, "Later Ltd", language="en", facilitators=[AM],
                       start_date="2026-10-01", period="twelve_months")
    with db(slack) as session:
        plan = session.get(Plan, plan.id)
        due = plan.next_review_on
    # The scheduler posts a reminder (the e2e server runs without it; post it as it would).
    client = make_client(token=BOT_TOKEN, base_url=slack.emulator.api_url)
    client.chat_postMessage(channel=channel, **review_reminder(
        lang="en", plan=plan, kind="review_ahead", due=due, days=7))

    slack.driver.click(CLIENT, "review_postpone", channel_id=channel)
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))

    click = slack.driver.click(AM, "review_skip", channel_id=channel)
    skipped = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params[
        "user"] == AM and "Skipped the reminder" in text_of(c.params))
    assert click.status == 200 and skipped
    with db(slack) as session:
        statuses = {d.key.split(":", 3)[-1]: d.status for d in session.exec(select(
            Delivery).where(Delivery.plan_id == plan.id, Delivery.kind.startswith("review")))}
    assert statuses["ahead:7"] == "skipped" and statuses["ahead:1"] == "pending"

    click = slack.driver.click(AM, "review_postpone", channel_id=channel)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    answer = slack.driver.submit(AM, {"date": "2020-01-01"})
    assert "date" in answer.errors  # not in the past
    answer = slack.driver.submit(AM, {"date": "2027-02-15"})
    assert answer.json() is None
    moved = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == channel and "moved the review" in c.params["text"])[-1].params["text"]
    assert "<!date^" in moved and "{date_long_pretty} {time}|" in moved  # the reader's zone
    with db(slack) as session:
        assert session.get(Plan, plan.id).next_review_on == date(2027, 2, 15)
        pending = [d.key for d in session.exec(select(Delivery).where(
            Delivery.plan_id == plan.id, Delivery.status == "pending"))]
    assert any("2027-02-15:due" in k for k in pending)
    assert not any(due.isoformat() in k for k in pending)


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
        portal = objective(session, plan, "Portal at risk", owner_id=CLIENT, status="at_risk")
        session.commit()
        assert portal.status == "at_risk"
    import time as clock

    # The client owns an item at risk: the plan shows in their Home, without review buttons.
    slack.driver.event({"type": "app_home_opened", "user": CLIENT, "channel": "D0C",
                        "tab": "home", "event_ts": str(clock.time())})
    home = eventually(lambda: "Home Co" in text_of(slack.emulator.home(CLIENT) or {})
                      and slack.emulator.home(CLIENT))
    shown = text_of(home)
    assert "Home Co" in shown and "Portal at risk" in shown and "At risk" in shown
    assert f"review:{plan.id}" not in shown and f"summary:{plan.id}" in shown

    # The facilitator sees the overdue review and starts it from Home.
    slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0A",
                        "tab": "home", "event_ts": str(clock.time())})
    home = eventually(lambda: "Home Co" in text_of(slack.emulator.home(AM) or {})
                      and slack.emulator.home(AM))
    assert "⚠️" in text_of(home) and f"review:{plan.id}" in text_of(home)  # overdue (Spanish)
    click = slack.driver.click(AM, "home_menu", selected=f"review:{plan.id}")
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1].params["view"]
    assert view["callback_id"] == "review_page"
    click = slack.driver.click(CLIENT, "home_menu", selected=f"summary:{plan.id}")
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1].params["view"]
    assert "Portal at risk" in text_of(view)
