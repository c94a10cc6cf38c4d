"""The plan as the channel's canvas, end to end: signed requests to the app in the test's
process, the Web API emulator keeping the canvas. Created with the plan, edited once after
a burst of changes (the one section that changed), rebuilt whole after a hand edit removed
its sections, refused on a free workspace with one notice, taken up after a crash lost its
id, turned off in the settings."""

from datetime import timedelta

from sqlmodel import select

from storage.db import new_session
from storage.models import Plan
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    create_plan,
    open_from_list,
    opened,
    reply_to,
    setup_channel,
    text_of,
)

CHANNEL = "C0CANVAS"


def send_due(slack) -> None:
    """The outbox's pass once the changes' gathering moment is over."""
    slack.clock.advance(timedelta(seconds=3))
    slack.outbox.run_once()
    slack.settle()


def settle(slack, idea_id, score):
    open_from_list(slack, AM, CHANNEL, f"settle:{idea_id}")
    assert slack.driver.submit(AM, {"score": score}).json() is None


def edits(slack):
    return slack.emulator.calls_to("canvases.edit")


def plan_of(slack) -> Plan:
    with new_session(slack.engine) as db:
        return db.exec(select(Plan).where(Plan.channel_id == CHANNEL)).one()


def test_created_with_the_plan_then_one_edit_for_a_burst_of_changes(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Initech", language="en")
    assert slack.emulator.canvas(CHANNEL) is None  # not before the changes are gathered
    send_due(slack)
    made = slack.emulator.canvas(CHANNEL)
    assert made is not None and plan_of(slack).canvas_id == made.id
    assert "# Account plan" in made.markdown and "**Initech**" in made.markdown
    assert "overwritten at the next change" in made.markdown
    assert f"![](@{AM})" in made.markdown  # the facilitator, as a mention
    assert "## Priority list" in made.markdown and "_None._" in made.markdown

    # Three ideas settled in a row: the priority list changes three times, one edit.
    portal, dinner, survey = add_ideas(slack, CHANNEL, [
        (CLIENT, "Self-service portal"), (TEAMMATE, "Quarterly dinner"),
        (CLIENT, "Yearly survey")])
    for idea, score in ((portal, "3"), (dinner, "1"), (survey, "2")):
        settle(slack, idea.id, score)
    slack.emulator.reset_calls()
    send_due(slack)
    assert len(edits(slack)) == 1
    change = edits(slack)[0].params["changes"][0]
    assert change["operation"] == "replace" and change["section_id"]  # that section only
    assert change["document_content"]["markdown"].startswith("## Priority list")
    markdown = slack.emulator.canvas(CHANNEL).markdown
    winners = markdown.index("### 3 · Obvious winner (1)")
    assert winners < markdown.index("Self-service portal") < markdown.index(
        "### 2 · Has potential (1)") < markdown.index("Yearly survey") < markdown.index(
        "### 1 · Sounds good, unlikely right now (1)") < markdown.index("Quarterly dinner")
    assert markdown.count("## Priority list") == 1  # replaced, not appended

    # Nothing changed since: the next pass edits nothing.
    slack.emulator.reset_calls()
    send_due(slack)
    assert edits(slack) == [] and slack.emulator.calls_to("canvases.sections.lookup") == []


def test_an_objective_with_an_overdue_initiative_and_its_owner(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Umbrella", language="en", start_date="2026-01-01",
                period="calendar_year", categories="Financial\nProcess")
    send_due(slack)
    reply_to(slack, slack.driver.command(AM, CHANNEL, "objectives"))
    view = opened(slack, slack.driver.click(AM, "objective_new", channel_id=CHANNEL,
                                            ephemeral=True))
    process = next(o["value"] for b in view["blocks"] if b["block_id"] == "category"
                   for o in b["element"]["options"] if o["text"]["text"] == "Process")
    assert slack.driver.submit(AM, {"category": process, "statement": "Faster onboarding",
                                    "target": "Two weeks", "measure": "Days to go live",
                                    "horizon": "medium", "owner": TEAMMATE}).json() is None
    objective_id = _objective_id(slack)
    reply_to(slack, slack.driver.command(AM, CHANNEL, "objectives"))
    opened(slack, slack.driver.click(AM, "objective_menu", channel_id=CHANNEL, ephemeral=True,
                                     selected=f"initiative:{objective_id}"))
    slack.driver.submit(AM, {"title": "Kick-off checklist", "target": "Used by all",
                             "measure": "Projects using it", "owner": CLIENT,
                             "due_date": "2026-02-01"})
    slack.emulator.reset_calls()
    send_due(slack)
    assert len(edits(slack)) == 1
    markdown = slack.emulator.canvas(CHANNEL).markdown
    section = markdown[markdown.index("### Process"):markdown.index("## Priority list")]
    assert "**Faster onboarding**" in section and f"Owner: ![](@{TEAMMATE})" in section
    assert "Initiative: Kick-off checklist" in section and f"![](@{CLIENT})" in section
    assert "February 1, 2026 ⚠️ **Overdue**" in section  # the clock is past it


def _objective_id(slack) -> int:
    from storage.models import Objective

    with new_session(slack.engine) as db:
        return db.exec(select(Objective)).one().id


def test_rebuilt_whole_after_a_hand_edit_removed_its_sections(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Hooli", language="en")
    send_due(slack)
    slack.emulator.edit_canvas_by_hand(CHANNEL, "# Our notes\n\nSomeone tidied up.")
    (idea,) = add_ideas(slack, CHANNEL, [(CLIENT, "Shared roadmap")])
    settle(slack, idea.id, "3")
    slack.emulator.reset_calls()
    send_due(slack)
    assert len(edits(slack)) == 1
    change = edits(slack)[0].params["changes"][0]
    assert change["operation"] == "replace" and "section_id" not in change  # whole
    markdown = slack.emulator.canvas(CHANNEL).markdown
    assert "Our notes" not in markdown and "Shared roadmap" in markdown
    for heading in ("# Account plan", "## Objectives and initiatives", "## Priority list",
                    "## Next review", "## Last review"):
        assert heading in markdown


def test_refused_on_a_free_workspace_the_facilitator_is_told_once_in_spanish(slack):
    setup_channel(slack, CHANNEL)
    slack.emulator.free_tier()
    create_plan(slack, CHANNEL, "Pied Piper", language="en")
    send_due(slack)
    assert slack.emulator.canvas(CHANNEL) is None
    assert plan_of(slack).canvas_refused == "team_tier_cannot_create_channel_canvases"
    told = [c for c in slack.emulator.calls_to("chat.postEphemeral")
            if c.params["user"] == AM and "lienzo" in text_of(c.params)]
    assert len(told) == 1  # Ana's Spanish, in the channel, only to her
    assert "plan de Slack" in text_of(told[0].params)

    # The plan goes on without it, and nothing tries again by itself.
    (idea,) = add_ideas(slack, CHANNEL, [(CLIENT, "Loyalty scheme")])
    settle(slack, idea.id, "3")
    send_due(slack)
    assert len(slack.emulator.calls_to("conversations.canvases.create")) == 1
    assert len([c for c in slack.emulator.calls_to("chat.postEphemeral")
                if "lienzo" in text_of(c.params)]) == 1

    # `/plan canvas` asks Slack again, on demand.
    answer = reply_to(slack, slack.driver.command(AM, CHANNEL, "canvas"))
    assert "lienzo" in text_of(answer)
    assert len(slack.emulator.calls_to("conversations.canvases.create")) == 2


def test_someone_elses_channel_canvas_is_left_alone(slack):
    setup_channel(slack, CHANNEL)
    slack.emulator.edit_canvas_by_hand(CHANNEL, "# Team notes\n\nOurs.", user_id=TEAMMATE)
    create_plan(slack, CHANNEL, "Vandelay", language="en")
    send_due(slack)
    assert slack.emulator.canvas(CHANNEL).markdown == "# Team notes\n\nOurs.\n"
    assert plan_of(slack).canvas_refused == "channel_canvas_already_exists"
    assert edits(slack) == []


def test_a_canvas_whose_id_a_crash_lost_is_taken_up_not_refused(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Soylent", language="en")
    send_due(slack)
    made = slack.emulator.canvas(CHANNEL)
    with new_session(slack.engine) as db:  # created, then the process died
        plan = db.exec(select(Plan).where(Plan.channel_id == CHANNEL)).one()
        plan.canvas_id = plan.canvas_digest = None
        db.add(plan)
        db.commit()
    (idea,) = add_ideas(slack, CHANNEL, [(CLIENT, "Green packaging")])
    settle(slack, idea.id, "2")
    send_due(slack)
    assert plan_of(slack).canvas_id == made.id and plan_of(slack).canvas_refused is None
    assert "Green packaging" in slack.emulator.canvas(CHANNEL).markdown


def test_turned_off_in_the_settings_and_on_again(slack):
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Wonka", language="en")
    send_due(slack)
    view = opened(slack, slack.driver.command(AM, CHANNEL, "settings"))
    assert any(b.get("block_id") == "canvas" for b in view["blocks"])
    assert slack.driver.submit(AM, {"canvas": []}).json() is None
    assert plan_of(slack).canvas_on is False
    (idea,) = add_ideas(slack, CHANNEL, [(CLIENT, "Chocolate river")])
    settle(slack, idea.id, "3")
    slack.emulator.reset_calls()
    send_due(slack)
    assert edits(slack) == []
    answer = reply_to(slack, slack.driver.command(TEAMMATE, CHANNEL, "canvas"))
    assert "turned off" in text_of(answer)

    opened(slack, slack.driver.command(AM, CHANNEL, "settings"))
    assert slack.driver.submit(AM, {"canvas": ["on"]}).json() is None
    send_due(slack)
    assert "Chocolate river" in slack.emulator.canvas(CHANNEL).markdown


def test_app_home_refreshes_the_canvas_at_once(slack):
    setup_channel(slack, CHANNEL)
    plan = create_plan(slack, CHANNEL, "Globex", language="en")
    slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0AM", "tab": "home"})
    home = slack.emulator.home(AM)
    assert f"canvas:{plan.id}" in str(home["blocks"])
    assert slack.emulator.canvas(CHANNEL) is None  # the plan's own edit is still gathering
    slack.driver.click(AM, "home_menu", selected=f"canvas:{plan.id}")  # sent at once
    assert "**Globex**" in slack.emulator.canvas(CHANNEL).markdown
