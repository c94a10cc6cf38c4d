"""A whole meeting as its three people play it, counting every action they take: the plan,
a session where each gives two answers, seven ideas scored and settled, an objective with an
initiative, the export. Signed requests to the app in the test's process, the Web API
emulator."""

from collections import Counter

import pytest

from storage.models import Idea, Initiative, Objective
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    count,
    create_plan,
    ideas_of,
    setup_channel,
    start_session,
    text_of,
)

CHANNEL = "C0MEETING"
ACTIONS = ("command", "click", "submit")
# What each person answers (two questions) and the ideas they bring: seven in all.
ANSWERS = {
    AM: {"q1": "Renewals are late", "q3": "Stop the weekly report",
         "ideas_realistic": "Self-service portal\nShared dashboard\nMonthly review"},
    TEAMMATE: {"q2": "Twice the usage", "q4": "Support and sales together",
               "ideas_ambitious": "AI forecasts\nCustomer advisory board"},
    CLIENT: {"q1": "Onboarding is slow", "q5": "Tickets solved in a day",
             "ideas_someday": "Blockchain invoices\nTeam dinner"},
}
# How the three score each idea, in the order they came: they agree, one click settles.
SCORES = ["3", "3", "2", "2", "1", "discard", "discard"]


@pytest.fixture
def actions(slack):
    """Counts every command, click and submission the driver sends from here on."""
    counts = Counter()
    for name in ACTIONS:
        def counting(*args, _send=getattr(slack.driver, name), _name=name, **kwargs):
            counts[_name] += 1
            return _send(*args, **kwargs)

        setattr(slack.driver, name, counting)
    yield counts
    for name in ACTIONS:
        delattr(slack.driver, name)


def test_a_three_person_meeting_takes_few_actions(slack, actions, capsys):
    setup_channel(slack, CHANNEL)
    plan = create_plan(slack, CHANNEL, "Acme", facilitators=[AM])  # in Spanish, Ana's
    start_session(slack, CHANNEL)
    for user, values in ANSWERS.items():
        click = slack.driver.click(user, "session_add_answers", channel_id=CHANNEL)
        slack.emulator.wait_for("views.open", predicate=lambda c, t=click.trigger_id:
                                c.params["trigger_id"] == t)
        assert slack.driver.submit(user, values).json() is None
    click = slack.driver.click(AM, "session_end", channel_id=CHANNEL)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    assert slack.driver.submit(AM).json() is None  # End session asks "are you sure?"
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == CHANNEL and "round_start" in text_of(c.params))

    # Scoring: one click per person and idea, one for the facilitator to settle.
    slack.driver.click(AM, "round_start", channel_id=CHANNEL)
    card = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == CHANNEL and "round_score_3" in text_of(c.params))[-1].response["ts"]
    ideas = [i.text for i in ideas_of(slack, CHANNEL)]
    assert len(ideas) == 7
    for number, (idea, score) in enumerate(zip(ideas, SCORES, strict=True), start=1):
        assert f"Idea {number} de 7" in shown(slack, card)
        assert idea in shown(slack, card)
        for user in ANSWERS:
            slack.driver.click(user, f"round_score_{score}", channel_id=CHANNEL,
                               message_ts=card)
        assert "Puntuada por 3 de 3" in shown(slack, card)
        slack.driver.click(AM, "round_settle_suggested", channel_id=CHANNEL, message_ts=card)
    assert "objective_promote" in shown(slack, card)
    assert [i.score for i in ideas_of(slack, CHANNEL)] == SCORES

    # The round's end offers its 3s; the saved objective offers its initiative; the saved
    # initiative offers the export.
    portal = next(i for i in ideas_of(slack, CHANNEL) if i.text == "Self-service portal")
    click = slack.driver.click(AM, "objective_promote", channel_id=CHANNEL, message_ts=card,
                               value=str(portal.id))
    view = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1].params["view"]
    category = next(b for b in view["blocks"] if b["block_id"] == "category")
    answer = slack.driver.submit(AM, {
        "category": category["element"]["options"][0]["value"],
        "target": "Half of the tickets solved by the client", "measure": "Share of tickets",
        "horizon": "medium", "owner": CLIENT})
    assert answer.json() is None, answer.errors
    # The round's card follows: the promoted idea is no longer offered.
    assert shown(slack, card).count("objective_promote") == 1
    assert (any("objective_add_initiative" in text_of(m)
                for m in slack.emulator.ephemerals(CHANNEL, AM)))
    click = slack.driver.click(AM, "objective_add_initiative", channel_id=CHANNEL,
                               ephemeral=True)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    answer = slack.driver.submit(AM, {"title": "Launch the portal", "target": "Live",
                                      "measure": "Launched", "owner": TEAMMATE})
    assert answer.json() is None, answer.errors
    assert (any("plan_export" in text_of(m)
                for m in slack.emulator.ephemerals(CHANNEL, AM)))
    click = slack.driver.click(AM, "plan_export", channel_id=CHANNEL, ephemeral=True)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    assert slack.driver.submit(AM, {}).json() is None  # to the channel, as it offers first
    assert len([f for f in slack.emulator.files if f["channel"] == CHANNEL]) == 2

    assert count(slack, Idea, plan_id=plan.id) == 7
    assert count(slack, Objective, plan_id=plan.id) == 1
    assert count(slack, Initiative, plan_id=plan.id) == 1
    total = sum(actions.values())
    with capsys.disabled():
        print(f"\nuser actions for the whole meeting: {total} ({dict(actions)})")
    assert total < 70


def shown(slack, ts) -> str:
    return text_of(slack.emulator.message(CHANNEL, ts))
