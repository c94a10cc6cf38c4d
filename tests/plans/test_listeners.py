"""Plans end to end: `/plan new` validates in the modal and announces the plan, a second plan
never overwrites the first, settings change the plan (and its reminders) and are recorded,
the defaults make a twelve-month plan, `/plan history` reads back in words and local times."""

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.platform.blocks import long_date
from storage.models import (
    Delivery,
    Objective,
    Plan,
    PlanChange,
)
from tests.factories import ELSEWHERE_TODAY
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    count,
    create_plan,
    db,
    ideas_of,
    open_from_list,
    opened,
    reply_to,
    setup_channel,
    text_of,
)


def test_the_history_shows_names_words_and_local_times(slack):
    channel = "C0HISTORY"
    setup_channel(slack, channel)
    create_plan(slack, channel, "History Co", language="en", client_size="small")
    response = slack.driver.command(AM, channel, "settings")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    assert slack.driver.submit(AM, {"client_size": "large", "facilitators": [AM, TEAMMATE],
                                    "review_weekday": "4"}).json() is None

    def shown():
        return text_of(reply_to(slack, slack.driver.command(TEAMMATE, channel, "history")))

    text = "review day" in shown() and shown()
    assert text
    assert "client size: Smaller client (reviews every 6 months) → Large client" in text
    assert "review day: Monday → Friday" in text
    assert f"facilitator: – → <@{TEAMMATE}>" in text and f"<@{AM}>" in text
    assert re.search(r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+>", text)
    assert "large" not in text.replace("Large", "") and "small" not in text


def test_plan_creation_validates_in_the_modal_and_announces_the_plan(slack):
    setup_channel(slack, "C0NEW")
    response = slack.driver.command(AM, "C0NEW", "new Acme <Iberia> & Co")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    modal = slack.emulator.top_view(AM)
    assert modal["callback_id"] == "plan_new"
    assert modal["title"]["text"] == "Nuevo plan de cuenta"  # the creator's Slack locale
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs["account_name"]["initial_value"] == "Acme <Iberia> & Co"
    assert inputs["timezone"]["initial_value"] == "Europe/Madrid"  # the creator's Slack tz
    assert inputs["facilitators"]["initial_users"] == [AM]

    answer = slack.driver.submit(AM, {"account_name": " ", "timezone": "Europe/Atlantis",
                                      "start_date": "2027-01-01", "end_date": "2026-12-01"})
    assert answer.json()["response_action"] == "errors"
    assert set(answer.errors) == {"account_name", "timezone", "end_date"}
    assert "Zona horaria desconocida" in answer.errors["timezone"]
    with db(slack) as session:
        assert session.exec(select(Plan).where(Plan.channel_id == "C0NEW")).all() == []

    answer = slack.driver.submit(AM, {
        "account_name": "Acme <Iberia> & Co", "timezone": "Europe/Madrid",
        "start_date": "2027-01-01", "end_date": None, "period": "six_months",
        "client_size": "small", "facilitators": [AM, TEAMMATE], "review_weekday": "2",
        "review_time": "10:30", "categories": "Finanzas\nClientes"})
    assert answer.status == 200 and answer.json() is None  # the modal closes
    announcement = slack.emulator.wait_for(
        "chat.postMessage", predicate=lambda c: c.params["channel"] == "C0NEW")[-1].params
    shown = text_of(announcement)
    header = announcement["blocks"][0]
    assert header["type"] == "header" and "Acme <Iberia> & Co" in header["text"]["text"]
    assert "Acme &lt;Iberia&gt; &amp; Co" in announcement["text"]  # notifications parse it
    assert "Cada 6 meses" in shown and "Finanzas" in shown and f"<@{TEAMMATE}>" in shown

    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == "C0NEW")).one()
        assert (plan.account_name, plan.language, plan.period, plan.client_size) == (
            "Acme <Iberia> & Co", "es", "six_months", "small")
        assert str(plan.start_date) == "2027-01-01" and str(plan.end_date) == "2027-06-30"
        assert plan.review_weekday == 2 and plan.review_time.strftime("%H:%M") == "10:30"
        assert plan.team_id == "T0HOME"


def test_a_second_plan_is_never_overwritten_and_archiving_is_for_facilitators(slack):
    setup_channel(slack, "C0TWICE")
    first = create_plan(slack, "C0TWICE", "First")

    # The teammate is not a facilitator: told who can archive it, offered no button.
    response = slack.driver.command(TEAMMATE, "C0TWICE", "new Second")
    told = reply_to(slack, response)
    assert "First" in text_of(told) and "plan_archive" not in text_of(told)
    assert f"<@{AM}>" in text_of(told)
    opened = [c.params["trigger_id"] for c in slack.emulator.calls_to("views.open")]
    assert response.trigger_id not in opened

    # An offer she still sees (say, from before she stopped being a facilitator) is
    # refused on the server: nothing changes.
    offer = reply_to(slack, slack.driver.command(AM, "C0TWICE", "new Second"))
    slack.emulator.show_command_answer(response.response_url, offer)
    click = slack.driver.click(TEAMMATE, "plan_archive", channel_id="C0TWICE", ephemeral=True)
    assert click.status == 200
    refusal = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params[
        "user"] == TEAMMATE and c.params["channel"] == "C0TWICE")[-1].params
    assert "facilitators" in text_of(refusal) or "facilitador" in text_of(refusal)
    with db(slack) as session:
        assert session.get(Plan, first.id).status == "active"

    # The facilitator archives it and gets the new-plan modal straight away.
    reply_to(slack, slack.driver.command(AM, "C0TWICE", "new"))
    click = slack.driver.click(AM, "plan_archive", channel_id="C0TWICE", ephemeral=True)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    slack.driver.submit(AM, {"account_name": "Second"})
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == "C0TWICE" and "Second" in c.params["text"])
    with db(slack) as session:
        plans = session.exec(select(Plan).where(Plan.channel_id == "C0TWICE")
                             .order_by(Plan.id)).all()
        assert [(p.account_name, p.status) for p in plans] == [
            ("First", "archived"), ("Second", "active")]


def test_settings_change_the_plan_and_are_recorded(slack):
    channel = "C0SETTINGS"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Initech", language="en", facilitators=[AM],
                client_size="large", categories="Money\nPeople\nTools")
    from storage.models import Category, Plan

    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == channel)).one()
        money, people, tools = session.exec(select(Category).where(Category.plan_id == plan.id)
                                            .order_by(Category.position)).all()
        session.add(Objective(team_id=plan.team_id, plan_id=plan.id, category_id=tools.id,
                              statement="Automate invoices", target="All", measure="Share",
                              horizon="medium", created_by=AM))
        session.commit()

    # Not a facilitator: refused.
    refusal = reply_to(slack, slack.driver.command(CLIENT, channel, "settings"))
    assert "facilitators" in text_of(refusal)

    def open_settings():
        response = slack.driver.command(AM, channel, "settings")
        return opened(slack, response)

    view = open_settings()
    assert {b["block_id"] for b in view["blocks"]} >= {f"cat_{money.id}", "new_categories",
                                                       "client_size", "facilitators"}
    # Removing a category that still has objectives is refused; nothing changes.
    refused = slack.driver.submit(AM, {f"cat_{tools.id}": None})
    assert "todavía tiene objetivos" in str(refused.errors)
    assert count(slack, Category, plan_id=plan.id) == 3

    open_settings()
    slack.driver.submit(AM, {f"cat_{money.id}": "Finance", f"cat_{people.id}": None,
                             "new_categories": "Customers", "client_size": "small",
                             "facilitators": [AM, TEAMMATE]})
    assert count(slack, Category, plan_id=plan.id, name="Customers") == 1
    with db(slack) as session:
        names = [c.name for c in session.exec(select(Category).where(
            Category.plan_id == plan.id).order_by(Category.position))]
        changes = {(c.entity, c.field, c.before, c.after) for c in session.exec(
            select(PlanChange).where(PlanChange.plan_id == plan.id))}
        assert session.get(Plan, plan.id).client_size == "small"
    assert names == ["Finance", "Tools", "Customers"]

    # The cadence, lead times and timezone are settings too; the reminders follow them.
    open_settings()
    answer = slack.driver.submit(AM, {"cadence": "weeks", "cadence_weeks": "4",
                                      "reminder_days": "3", "overdue_max": "99"})
    assert set(answer.errors) == {"overdue_max"}
    answer = slack.driver.submit(AM, {"cadence": "weeks", "cadence_weeks": "4",
                                      "reminder_days": "3", "overdue_max": "1",
                                      "timezone": "America/Mexico_City"})
    assert answer.json() is None

    def pending_reviews():
        with db(slack) as session:
            return sorted(d.key.split(":", 3)[-1] for d in session.exec(select(Delivery).where(
                Delivery.plan_id == plan.id, Delivery.status == "pending",
                Delivery.kind.startswith("review"))))

    assert pending_reviews() == ["ahead:3", "due", "overdue:1"]
    with db(slack) as session:
        changed = session.get(Plan, plan.id)
        assert (changed.cadence, changed.cadence_weeks, changed.timezone) == (
            "weeks", 4, "America/Mexico_City")
        due = session.exec(select(Delivery).where(Delivery.plan_id == plan.id,
                                                  Delivery.status == "pending",
                                                  Delivery.key.endswith(":due"))).one()
        assert due.due_at.hour == 15  # 09:00 in Mexico City
    assert {("category", "name", "Money", "Finance"), ("category", "removed", "People", None),
            ("category", "created", None, "Customers"), ("plan", "client_size", "large", "small"),
            ("plan", "facilitator", None, TEAMMATE)} <= changes


def test_the_defaults_make_a_twelve_month_plan_and_the_end_follows_the_period(slack):
    from bot.plans.rules import add_months
    from bot.platform.blocks import long_date
    from storage.models import Plan

    channel = "C0DEFAULTS"
    setup_channel(slack, channel)
    today = date.today()
    year_on = add_months(today, 12) - timedelta(days=1)

    def end_hint():
        view = slack.emulator.top_view(AM)
        return next(b for b in view["blocks"] if b.get("block_id") == "end_date")["hint"]["text"]

    view = opened(slack, slack.driver.command(AM, channel, "new Hooli"))
    period = next(b for b in view["blocks"] if b.get("block_id") == "period")
    assert period["element"]["initial_option"]["value"] == "twelve_months"
    assert long_date(year_on, "es") in end_hint()  # the end the defaults imply, in Ana's words
    # Choosing another period redraws the hint at once; the fields keep what was chosen.
    slack.driver.click(AM, "value", block_id="period", selected="six_months")
    half = add_months(today, 6) - timedelta(days=1)
    assert long_date(half, "es") in end_hint()
    slack.driver.click(AM, "value", block_id="period", selected="twelve_months")
    assert long_date(year_on, "es") in end_hint()
    assert slack.driver.submit(AM, {"facilitators": [AM]}).json() is None
    assert count(slack, Plan, channel_id=channel) == 1
    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == channel)).one()
    assert (plan.period, plan.end_date) == ("twelve_months", year_on)
    assert plan.next_review_on <= plan.end_date

    # An objective due in five months is within the period: accepted with no warning.
    (idea,) = add_ideas(slack, channel, [(CLIENT, "Quarterly business reviews")])
    open_from_list(slack, AM, channel, f"settle:{idea.id}")
    slack.driver.submit(AM, {"score": "3"})
    assert ideas_of(slack, channel)[0].score == "3"
    reply_to(slack, slack.driver.command(AM, channel, "objectives"))
    view = opened(slack, slack.driver.click(AM, "objective_promote", channel_id=channel,
                                            ephemeral=True))
    category = next(b for b in view["blocks"] if b["block_id"] == "category")
    answer = slack.driver.submit(AM, {
        "category": category["element"]["options"][0]["value"], "target": "Every quarter",
        "measure": "Reviews held", "horizon": "quick_win",
        "target_date": add_months(today, 5).isoformat()})
    assert answer.json() is None, answer.errors

    # Settings: a new period moves the end the plan had; a typed end stays.
    opened(slack, slack.driver.command(AM, channel, "settings"))
    assert slack.driver.submit(AM, {"period": "six_months"}).json() is None
    with db(slack) as session:
        assert session.get(Plan, plan.id).end_date == half
    opened(slack, slack.driver.command(AM, channel, "settings"))
    typed = add_months(today, 9)
    assert slack.driver.submit(AM, {"end_date": typed.isoformat()}).json() is None
    with db(slack) as session:
        assert session.get(Plan, plan.id).end_date == typed
    # Emptied, the end is the period's again, as the field's hint says.
    opened(slack, slack.driver.command(AM, channel, "settings"))
    assert slack.driver.submit(AM, {"end_date": None}).json() is None
    with db(slack) as session:
        assert session.get(Plan, plan.id).end_date == half


@pytest.mark.parametrize(("zone", "now", "today"), ELSEWHERE_TODAY)
def test_the_new_plan_starts_on_the_creators_today(slack, zone, now, today):
    """Slack's users.info gives the creator's timezone: the modal proposes their today (not
    UTC's) as the start and as the end's hint, and the next review may be their today, not
    their yesterday."""
    slack.clock.now = now
    slack.emulator.add_user("U0FAR", "fer", locale="es-MX", tz=zone)
    slack.emulator.add_channel("C0TODAY", "c0today", members=["U0FAR"])
    response = slack.driver.command("U0FAR", "C0TODAY", "new Far Co")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    modal = slack.emulator.top_view("U0FAR")
    inputs = {b["block_id"]: b for b in modal["blocks"] if b["type"] == "input"}
    assert inputs["start_date"]["element"]["initial_date"] == today.isoformat()
    assert inputs["timezone"]["element"]["initial_value"] == zone
    year_on = long_date(today.replace(year=today.year + 1) - timedelta(days=1), "es")
    assert year_on in inputs["end_date"]["hint"]["text"]

    answer = slack.driver.submit("U0FAR", {
        "facilitators": ["U0FAR"], "next_review_on": (today - timedelta(days=1)).isoformat()})
    assert "next_review_on" in answer.errors  # their yesterday, even if UTC's today
    assert count(slack, Plan, channel_id="C0TODAY") == 0
    answer = slack.driver.submit("U0FAR", {"next_review_on": today.isoformat()})
    assert answer.json() is None, answer.text  # this evening / this morning is still today
    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == "C0TODAY")).one()
        assert (plan.start_date, plan.next_review_on, plan.timezone) == (today, today, zone)
