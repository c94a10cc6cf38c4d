"""Step 3 end to end: ideas settled at 3 become objectives with a target and a measure,
initiatives are added, the plan is shown, edited, exported (XLSX opened and checked, and
Markdown), and every change is in the history. Signed requests to the app in the test's
process, the Web API emulator."""

from io import BytesIO

from openpyxl import load_workbook
from sqlmodel import select

from storage.models import Initiative, Objective, PlanChange
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    count,
    create_plan,
    db,
    open_from_list,
    opened,
    reply_to,
    setup_channel,
    text_of,
)

CHANNEL = "C0PLAN"
OUTSIDER = "U0OUTSIDE"  # a client stakeholder who is not in the channel


def settle(slack, idea_id, score="3"):
    open_from_list(slack, AM, CHANNEL, f"settle:{idea_id}")
    slack.driver.submit(AM, {"score": score})
    assert count(slack, PlanChange) >= 0 and _score(slack, idea_id) == score


def _score(slack, idea_id):
    from storage.models import Idea

    with db(slack) as session:
        return session.get(Idea, idea_id).score


def objectives_list(slack, user=AM):
    return reply_to(slack, slack.driver.command(user, CHANNEL, "objectives"))


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
    objective = _objective(slack, "Self-service portal")
    assert objective
    assert (objective.idea_id, objective.baseline, objective.target_value, objective.unit,
            str(objective.target_date)) == (portal.id, 10.0, 50.0, "%", "2028-03-01")

    # Written directly, without an idea (new objectives come up during the year).
    objectives_list(slack)
    click = slack.driver.click(AM, "objective_new", channel_id=CHANNEL, ephemeral=True)
    opened(slack, click)
    slack.driver.submit(AM, {"category": process_id, "statement": "Lose 15 lb by Christmas",
                             "target": "15 lb", "measure": "Weight", "horizon": "quick_win"})
    direct = _objective(slack, "Lose 15 lb by Christmas")
    assert direct
    assert direct.idea_id is None

    # An initiative: a milestone, with its own target and measure.
    objectives_list(slack)
    click = slack.driver.click(AM, "objective_menu", channel_id=CHANNEL, ephemeral=True,
                               selected=f"initiative:{direct.id}")
    opened(slack, click)
    slack.driver.submit(AM, {"title": "Run 3 times a week", "target": "3 runs a week",
                             "measure": "Runs logged", "owner": CLIENT,
                             "due_date": "2027-06-30"})
    assert count(slack, Initiative, objective_id=direct.id) == 1
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
    assert _objective(slack, "Lose 15 lb by Christmas").owner_id == TEAMMATE
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






