"""Reads are guarded like writes (bot/platform/request.py, `require_member`): a click that
only opens or shows something about a plan, carrying a user who is not a member of the
plan's channel (another workspace's user here), shows nothing of the plan (no modal, no
list, no export, nothing in any Web API call the emulator recorded) and tells them, in
their language, that they are not in the channel. One test per kind of click."""

import json
import time

import pytest

from bot.platform.blocks import button
from storage.models import Evaluation
from tests.factories import stored_objective
from tests.scenario import (
    AM,
    TEAMMATE,
    add_ideas,
    count,
    create_plan,
    db,
    reply_to,
    setup_channel,
    text_of,
)

CHANNEL = "C0GUARD"
OUTSIDER = "U0OUTSIDER"  # of another workspace, in no channel of this one
SECRET_IDEA = "Undercut the rival by 30 percent"
ACCOUNT = "Guarded Co"


@pytest.fixture
def guarded(slack):
    """A plan with one idea, and the outsider known to Slack (Spanish)."""
    setup_channel(slack, CHANNEL)
    slack.emulator.add_user(OUTSIDER, "otto", locale="es-ES", tz="Europe/Madrid",
                            team_id="T0ELSEWHERE")
    plan = create_plan(slack, CHANNEL, ACCOUNT, language="en")
    idea = add_ideas(slack, CHANNEL, [(AM, SECRET_IDEA)])[0]
    return slack, plan, idea


def list_shown_to_am(slack, subcommand):
    """A list AM asked for, as it shows on her screen: the outsider's click forges it."""
    response = slack.driver.command(AM, CHANNEL, subcommand)
    message = reply_to(slack, response)
    slack.emulator.show_command_answer(response.response_url, message)
    return slack.emulator.ephemerals(CHANNEL, AM)[-1]


def refused(slack, since: int, response_url: str | None) -> None:
    """Since call `since`: no view opened, nothing of the plan in any call, and the outsider
    told in Spanish that they are not in the channel: through the click's response_url
    (Slack shows no ephemeral in a channel to someone not in it), or in a direct message
    from App Home, which has none."""
    calls = slack.emulator.calls[since:]
    assert [c.method for c in calls if c.method.startswith("views.")] == []
    for call in calls:
        sent = json.dumps(call.params, ensure_ascii=False)
        assert SECRET_IDEA not in sent and ACCOUNT not in sent, (call.method, sent)
    told = [c for c in calls if c.method == "chat.postMessage"  # the DM, from App Home
            and c.params.get("channel") == OUTSIDER and (c.response or {}).get("ok")
            or c.method == "response_url" and c.url == response_url]
    assert [c.method for c in told] == ["response_url" if response_url else "chat.postMessage"]
    assert "No eres miembro del canal de este plan" in told[-1].params["text"]


def test_full_evaluation_from_the_round_card(guarded):
    slack, _plan, _idea = guarded
    slack.driver.command(AM, CHANNEL, "score")
    since = len(slack.emulator.calls)
    click = slack.driver.click(OUTSIDER, "round_evaluate", channel_id=CHANNEL)
    refused(slack, since, click.response_url)


def test_a_one_click_score_from_the_round_card(guarded):
    """A write too: the outsider's score is not stored."""
    slack, _plan, idea = guarded
    slack.driver.command(AM, CHANNEL, "score")
    since = len(slack.emulator.calls)
    click = slack.driver.click(OUTSIDER, "round_score_3", channel_id=CHANNEL)
    refused(slack, since, click.response_url)
    assert count(slack, Evaluation, idea_id=idea.id) == 0


@pytest.mark.parametrize("option", ["evaluate", "settle", "edit", "merge"])
def test_an_ideas_menu(guarded, option):
    slack, _plan, idea = guarded
    shown = list_shown_to_am(slack, "ideas")
    since = len(slack.emulator.calls)
    click = slack.driver.click(OUTSIDER, "idea_menu", channel_id=CHANNEL, shown=shown,
                       selected=f"{option}:{idea.id}")
    refused(slack, since, click.response_url)


@pytest.mark.parametrize(("subcommand", "action_id"), [
    ("ideas", "ideas_priorities"), ("objectives", "objective_new")])
def test_a_lists_buttons(guarded, subcommand, action_id):
    slack, _plan, _idea = guarded
    shown = list_shown_to_am(slack, subcommand)
    since = len(slack.emulator.calls)
    click = slack.driver.click(OUTSIDER, action_id, channel_id=CHANNEL, shown=shown)
    refused(slack, since, click.response_url)


@pytest.mark.parametrize(("action_id", "value"), [
    ("ideas_discarded", "0:1"), ("ideas_page_next", "1:0"), ("plan_export", "{plan}")])
def test_a_button_from_an_older_message(guarded, action_id, value):
    """Buttons a member's earlier message held (the discarded ideas, a list's next page,
    *Export the plan* after an initiative is saved), clicked by the outsider."""
    slack, plan, _idea = guarded
    shown = {"ts": "1700000000.000100", "text": "", "blocks": [{"type": "actions", "elements": [
        button("Go", action_id, value.format(plan=plan.id))]}]}
    since = len(slack.emulator.calls)
    click = slack.driver.click(OUTSIDER, action_id, channel_id=CHANNEL, shown=shown)
    refused(slack, since, click.response_url)


@pytest.mark.parametrize("option", ["summary", "review", "export"])
def test_app_homes_menu(guarded, option):
    slack, plan, _idea = guarded
    slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0AM",
                        "tab": "home", "event_ts": str(time.time())})
    home = slack.emulator.home(AM)
    assert ACCOUNT in text_of(home)
    since = len(slack.emulator.calls)
    click = slack.driver.click(OUTSIDER, "home_menu", view_id=home["id"],
                       selected=f"{option}:{plan.id}")
    refused(slack, since, click.response_url)


def test_a_member_still_gets_the_full_evaluation_at_no_extra_call(guarded):
    """The same click from a member opens the modal with the idea, and costs no Slack call
    before views.open: she typed a command in the channel just now (Slack placed her
    there), and anyone else's check is the channel's member list, cached for minutes."""
    slack, _plan, idea = guarded
    shown = list_shown_to_am(slack, "ideas")
    since = len(slack.emulator.calls)
    click = slack.driver.click(AM, "idea_menu", channel_id=CHANNEL, shown=shown,
                               selected=f"evaluate:{idea.id}")
    opened = slack.emulator.wait_for("views.open", predicate=lambda c: c.params[
        "trigger_id"] == click.trigger_id)[-1]
    assert SECRET_IDEA in json.dumps(opened.params["view"], ensure_ascii=False)
    assert [c.method for c in slack.emulator.calls[since:]][0] == "views.open"
    # A teammate who typed nothing: one conversations.members for the channel, then none.
    for attempt in range(2):
        since = len(slack.emulator.calls)
        slack.driver.click(TEAMMATE, "idea_menu", channel_id=CHANNEL, shown=shown,
                           selected=f"evaluate:{idea.id}")
        looked_up = [c.method for c in slack.emulator.calls[since:]
                     if c.method == "conversations.members"]
        assert looked_up == (["conversations.members"] if attempt == 0 else [])


def test_app_home_lists_only_the_plans_of_channels_one_is_in(guarded):
    """An owner of an item in the plan who is not in its channel (never was, or was removed)
    sees nothing of it in App Home."""
    slack, plan, _idea = guarded
    with db(slack) as session:
        stored_objective(session, plan, "Secret objective", owner_id=OUTSIDER,
                         status="at_risk")
        session.commit()
    slack.driver.event({"type": "app_home_opened", "user": OUTSIDER, "channel": "D0OUT",
                        "tab": "home", "event_ts": str(time.time())})
    shown = text_of(slack.emulator.home(OUTSIDER) or {})
    assert shown and ACCOUNT not in shown and "Secret objective" not in shown
