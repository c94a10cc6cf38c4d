"""Step 3 end to end: ideas settled at 3 become objectives with a target and a measure,
initiatives are added, the plan is shown, edited, exported (XLSX opened and checked, and
Markdown), and every change is in the history. Real server, signed requests, emulator."""

from datetime import date, timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import select

from storage.models import Delivery, Initiative, Objective, PlanChange
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    count,
    create_plan,
    db,
    eventually,
    ideas_of,
    open_from_list,
    reply_to,
    setup_channel,
    text_of,
)

CHANNEL = "C0PLAN"
OUTSIDER = "U0OUTSIDE"  # a client stakeholder who is not in the channel


def settle(slack, idea_id, score="3"):
    open_from_list(slack, AM, CHANNEL, f"settle:{idea_id}")
    slack.driver.submit(AM, {"score": score})
    eventually(lambda: count(slack, PlanChange) >= 0 and _score(slack, idea_id) == score)


def _score(slack, idea_id):
    from storage.models import Idea

    with db(slack) as session:
        return session.get(Idea, idea_id).score


def objectives_list(slack, user=AM):
    return reply_to(slack, slack.driver.command(user, CHANNEL, "objectives"))


def opened(slack, click):
    return slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1].params["view"]


def test_objectives_initiatives_show_edit_and_export(slack):
    setup_channel(slack, CHANNEL)
    slack.emulator.add_user(OUTSIDER, "olga", real_name="Olga Outside", team_id="T0CLIENT")
    create_plan(slack, CHANNEL, "Globex", language="en", facilitators=[AM],
                period="calendar_year", start_date="2027-01-01", client_size="large",
                categories="Financial\nCustomer experience\nProcess\nTechnology")
    portal, dinner = add_ideas(slack, CHANNEL, [(CLIENT, "Self-service portal"),
                                                (TEAMMATE, "Quarterly dinner")])
    settle(slack, portal.id)
    settle(slack, dinner.id, "2")

    # Only the 3 is offered for promotion.
    listing = objectives_list(slack)
    shown = text_of(listing)
    assert "listas para convertirse en objetivos" in shown and "Self-service portal" in shown
    assert "Quarterly dinner" not in shown
    click = slack.driver.click(AM, "objective_promote", channel_id=CHANNEL, ephemeral=True,
                               value=str(portal.id))
    modal = opened(slack, click)
    statement = next(b for b in modal["blocks"] if b["block_id"] == "statement")
    assert statement["element"]["initial_value"] == "Self-service portal"
    category = next(b for b in modal["blocks"] if b["block_id"] == "category")
    process_id = next(o["value"] for o in category["element"]["options"]
                      if o["text"]["text"].startswith("Process"))

    # The method insists: no target or measure, no objective. A date outside the period
    # is a clear warning until the user says to keep it.
    answer = slack.driver.submit(AM, {"category": process_id, "target": " ", "measure": " ",
                                      "target_date": "2028-03-01"}, )
    assert set(answer.errors) == {"target", "measure", "target_date"}
    assert "fuera del período del plan" in answer.errors["target_date"]  # Ana's Spanish
    answer = slack.driver.submit(AM, {
        "category": process_id, "target_date": "2028-03-01",
        "target": "Half of the tickets solved by the client", "measure": "Share of tickets",
        "unit": "%", "baseline": "10", "target_value": "50", "horizon": "medium",
        "owner": OUTSIDER, "keep_dates": ["yes"]})
    assert answer.json() is None, answer.errors
    note = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                                   == AM and "Guardado" in text_of(c.params))[-1]
    assert f"<@{OUTSIDER}> no está en este canal" in text_of(note.params)
    objective = eventually(lambda: _objective(slack, "Self-service portal"))
    assert (objective.idea_id, objective.baseline, objective.target_value, objective.unit,
            str(objective.target_date)) == (portal.id, 10.0, 50.0, "%", "2028-03-01")

    # Written directly, without an idea (new objectives come up during the year).
    objectives_list(slack)
    click = slack.driver.click(AM, "objective_new", channel_id=CHANNEL, ephemeral=True)
    opened(slack, click)
    slack.driver.submit(AM, {"category": process_id, "statement": "Lose 15 lb by Christmas",
                             "target": "15 lb", "measure": "Weight", "horizon": "quick_win"})
    direct = eventually(lambda: _objective(slack, "Lose 15 lb by Christmas"))
    assert direct.idea_id is None

    # An initiative: a milestone, with its own target and measure.
    objectives_list(slack)
    click = slack.driver.click(AM, "objective_menu", channel_id=CHANNEL, ephemeral=True,
                               selected=f"initiative:{direct.id}")
    opened(slack, click)
    slack.driver.submit(AM, {"title": "Run 3 times a week", "target": "3 runs a week",
                             "measure": "Runs logged", "owner": CLIENT,
                             "due_date": "2027-06-30"})
    eventually(lambda: count(slack, Initiative, objective_id=direct.id) == 1)
    assert _objective(slack, "Self-service portal") is not None

    # The plan holds itself to the method: the completeness check shows the gaps.
    shown = "".join(text_of(reply_to(slack, slack.driver.command(TEAMMATE, CHANNEL, "show"))))
    assert "Lose 15 lb by Christmas" in shown and "Run 3 times a week" in shown
    assert "Categories with no objective" in shown and "Financial" in shown
    assert "Objectives with no initiative" in shown and "Self-service portal" in shown

    # Editing: re-categorise and re-own; both changes are in the history.
    objectives_list(slack)
    click = slack.driver.click(AM, "objective_menu", channel_id=CHANNEL, ephemeral=True,
                               selected=f"edit:{direct.id}")
    view = opened(slack, click)
    financial = next(o["value"] for b in view["blocks"] if b["block_id"] == "category"
                     for o in b["element"]["options"] if o["text"]["text"].startswith("Fin"))
    slack.driver.submit(AM, {"category": financial, "owner": TEAMMATE})
    eventually(lambda: _objective(slack, "Lose 15 lb by Christmas").owner_id == TEAMMATE)
    with db(slack) as session:
        changes = session.exec(select(PlanChange).where(PlanChange.entity == "objective",
                                                        PlanChange.entity_id == direct.id)
                               .order_by(PlanChange.id)).all()
    assert [(c.field, c.before, c.after, c.user_id) for c in changes] == [
        ("created", None, "Lose 15 lb by Christmas", AM),
        ("category_id", process_id, financial, AM), ("owner_id", None, TEAMMATE, AM)]
    assert "owner" in text_of(reply_to(slack, slack.driver.command(TEAMMATE, CHANNEL,
                                                                     "history")))

    # Export: an upload Slack refuses is explained, changes nothing, and a retry works.
    slack.emulator.fail_next("files.getUploadURLExternal", "not_in_channel")
    slack.driver.command(AM, CHANNEL, "export channel")
    failed = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params[
        "user"] == AM and "not_in_channel" in text_of(c.params))[-1].params
    assert "/invite" in text_of(failed)
    response = slack.driver.command(AM, CHANNEL, "export channel")
    slack.emulator.wait_for("files.completeUploadExternal")
    files = {f["name"]: f for f in slack.emulator.files if f["channel"] == CHANNEL}
    assert response.status == 200
    xlsx = next(f for name, f in files.items() if name.endswith(".xlsx"))
    markdown = next(f for name, f in files.items() if name.endswith(".md"))
    workbook = load_workbook(BytesIO(xlsx["content"]))
    cells = [str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows()
             for c in row if c.value is not None]
    assert "Lose 15 lb by Christmas" in cells and "Run 3 times a week" in cells
    assert "Olga Outside" in cells  # owners by name
    assert "Self-service portal" in markdown["content"].decode()


def _objective(slack, statement):
    with db(slack) as session:
        return session.exec(select(Objective).where(Objective.statement == statement)).first()


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
    eventually(lambda: count(slack, Category, plan_id=plan.id, name="Customers") == 1)
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

    eventually(lambda: pending_reviews() == ["ahead:3", "due", "overdue:1"])
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


def test_export_from_app_home(slack):
    channel = "C0HOMEEXPORT"
    setup_channel(slack, channel)
    create_plan(slack, channel, "Home Export", language="en", facilitators=[AM])
    import time as clock

    slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0AM",
                        "tab": "home", "event_ts": str(clock.time())})
    eventually(lambda: "Home Export" in text_of(slack.emulator.home(AM) or {}))
    before = len([f for f in slack.emulator.files if f["channel"] == channel])
    menu = next(b["accessory"] for b in slack.emulator.home(AM)["blocks"]
                if "Home Export" in str(b))
    export = next(o["value"] for o in menu["options"] if o["value"].startswith("export:"))
    click = slack.driver.click(AM, "home_menu", selected=export)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)  # the same question as /plan export
    assert slack.driver.submit(AM, {}).json() is None
    eventually(lambda: len([f for f in slack.emulator.files if f["channel"] == channel])
               == before + 2)


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
    eventually(lambda: long_date(half, "es") in end_hint())
    slack.driver.click(AM, "value", block_id="period", selected="twelve_months")
    eventually(lambda: long_date(year_on, "es") in end_hint())
    assert slack.driver.submit(AM, {"facilitators": [AM]}).json() is None
    eventually(lambda: count(slack, Plan, channel_id=channel) == 1)
    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == channel)).one()
    assert (plan.period, plan.end_date) == ("twelve_months", year_on)
    assert plan.next_review_on <= plan.end_date

    # An objective due in five months is within the period: accepted with no warning.
    (idea,) = add_ideas(slack, channel, [(CLIENT, "Quarterly business reviews")])
    open_from_list(slack, AM, channel, f"settle:{idea.id}")
    slack.driver.submit(AM, {"score": "3"})
    eventually(lambda: ideas_of(slack, channel)[0].score == "3")
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
        eventually(lambda: session.get(Plan, plan.id).end_date == half or session.expire_all())
    opened(slack, slack.driver.command(AM, channel, "settings"))
    typed = add_months(today, 9)
    assert slack.driver.submit(AM, {"end_date": typed.isoformat()}).json() is None
    with db(slack) as session:
        eventually(lambda: session.get(Plan, plan.id).end_date == typed or session.expire_all())
    # Emptied, the end is the period's again, as the field's hint says.
    opened(slack, slack.driver.command(AM, channel, "settings"))
    assert slack.driver.submit(AM, {"end_date": None}).json() is None
    with db(slack) as session:
        eventually(lambda: session.get(Plan, plan.id).end_date == half or session.expire_all())
