"""The strategy session end to end, in the test's process: the live card and its answers,
ideas and board, the facilitator stepping through the questions and ending it with a
confirmation a guest is never asked for, answers for a plan archived meanwhile."""

from sqlmodel import select

from storage.models import Answer, Idea, Plan, StrategySession
from tests.scenario import (
    AM,
    CLIENT,
    card,
    count,
    create_plan,
    db,
    end_session,
    reply_to,
    setup_channel,
    start_session,
    text_of,
    wait_card,
)


def test_a_strategy_session_with_two_participants(slack):
    setup_channel(slack, "C0MEET")
    create_plan(slack, "C0MEET", "Globex")
    ts = start_session(slack, "C0MEET", "60")
    posted = card(slack, "C0MEET", ts)
    shown = text_of(posted)
    assert "¿Dónde estamos?" in shown and "¿Cómo se debe medir el progreso?" in shown
    assert "60 minutos" in shown and "(Europe/Madrid)" in shown

    # The account manager answers two questions and adds ideas of every kind.
    slack.driver.click(AM, "session_add_answers", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_answers" in str(c.params))
    answer = slack.driver.submit(AM, {
        "q1": "Renewals are late <!channel>", "q3": "Stop the weekly report",
        "ideas_realistic": "Shared dashboard\nMonthly review", "ideas_someday": "AI forecasts"})
    assert answer.json() is None
    updated = wait_card(slack, "C0MEET", ts, f"<@{AM}> (2/3)")
    assert "*2* respuestas" in text_of(updated) and "*3* ideas" in text_of(updated)

    # The client, a guest from another organisation, contributes too.
    slack.driver.click(CLIENT, "session_add_answers", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_answers" in str(c.params)
                            and c.params.get("trigger_id", "").startswith(""), count=2)
    # Carla's Slack is in English: her form is too, in this Spanish plan.
    assert "Where do we want to go?" in text_of(slack.emulator.top_view(CLIENT))
    slack.driver.submit(CLIENT, {"q2": "A self-service portal", "ideas_ambitious": "Portal"})
    updated = wait_card(slack, "C0MEET", ts, f"<@{CLIENT}> (1/1)")
    assert "*3* respuestas" in text_of(updated)

    # The live board: during the session, the client reads what the others answered.
    board = slack.driver.click(CLIENT, "session_board", channel_id="C0MEET")
    shown = text_of(slack.emulator.wait_for("views.open", predicate=lambda c: c.params[
        "trigger_id"] == board.trigger_id)[-1].params["view"])
    assert "Renewals are late &lt;!channel&gt; — <@U0AM>" in shown
    assert "Where are we?" in shown  # in her language
    assert "A self-service portal" in shown and "AI forecasts" in shown
    assert shown.index("Renewals") < shown.index("self-service") < shown.index("weekly report")

    # A single idea from the card.
    slack.driver.click(CLIENT, "session_add_idea", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "idea_add" in str(c.params))
    slack.driver.submit(CLIENT, {"idea_text": "Quarterly executive dinner", "idea_tag":
                                 "realistic", "idea_question": "3"})
    wait_card(slack, "C0MEET", ts, f"<@{CLIENT}> (1/2)")

    # My answers: prefilled with what the account manager wrote, corrections saved.
    slack.driver.click(AM, "session_my_answers", channel_id="C0MEET")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_my_answers"
                            in str(c.params))
    mine = slack.emulator.top_view(AM)
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in mine["blocks"]
                 if b["type"] == "input"}
    assert sorted(prefilled.values()) == ["Renewals are late <!channel>",
                                          "Stop the weekly report"]
    first_block = next(k for k, v in prefilled.items() if v.startswith("Renewals"))
    slack.driver.submit(AM, {first_block: "Renewals are late in Q4"})
    with db(slack) as session:  # the correction, stored after the ack
        answers = session.exec(select(Answer).join(StrategySession).where(
            StrategySession.channel_id == "C0MEET").order_by(Answer.question)).all()
        assert [(a.question, a.text, a.user_id, a.user_team_id) for a in answers] == [
            (1, "Renewals are late in Q4", AM, "T0HOME"),
            (2, "A self-service portal", CLIENT, "T0CLIENT"),
            (3, "Stop the weekly report", AM, "T0HOME")]
        ideas = session.exec(select(Idea).join(Plan).where(Plan.channel_id == "C0MEET")
                             .order_by(Idea.id)).all()
        assert [(i.text, i.tag, i.user_id) for i in ideas] == [
            ("Shared dashboard", "realistic", AM), ("Monthly review", "realistic", AM),
            ("AI forecasts", "someday", AM), ("Portal", "ambitious", CLIENT),
            ("Quarterly executive dinner", "realistic", CLIENT)]
        assert ideas[-1].source_question == 3

    # Only facilitators end the session: the button sits apart under their label, and a
    # guest who clicks it is told at once, never asked to confirm first.
    blocks = card(slack, "C0MEET", ts)["blocks"]
    end_button = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "session_end"][0]
    assert "confirm" not in end_button
    label = blocks[[b.get("block_id") for b in blocks].index("session_facilitators") - 1]
    assert label["type"] == "context" and "Facilitadores" in text_of({"blocks": [label]})
    clicked = slack.driver.click(CLIENT, "session_end", channel_id="C0MEET")
    refusal = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c:
                                      c.params["user"] == CLIENT)[-1].params
    assert "facilitators" in text_of(refusal)  # in the client's own language, English
    assert not [c for c in slack.emulator.calls_to("views.open")
                if c.params["trigger_id"] == clicked.trigger_id]  # no confirmation for her
    with db(slack) as session:
        assert session.exec(select(StrategySession).where(
            StrategySession.channel_id == "C0MEET")).one().ended_at is None

    # The facilitator is asked to confirm, in a modal.
    end_session(slack, "C0MEET")
    recap = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                                    == "C0MEET" and "Resumen de la sesión" in c.params["text"])
    shown = text_of(recap[-1].params)
    assert shown.index("Renewals are late in Q4") < shown.index("A self-service portal") \
        < shown.index("Stop the weekly report")
    assert "&lt;!channel&gt;" not in shown  # the corrected answer replaced the original
    for idea in ("Shared dashboard", "AI forecasts", "Portal", "Quarterly executive dinner"):
        assert idea in shown
    assert "round_start" in text_of(recap[-1].params)  # next step: score the ideas
    ended = wait_card(slack, "C0MEET", ts, "terminó")
    assert "session_end" not in text_of(ended)  # no more buttons
    # Collapsed to a short summary (the prompts are gone), the answers one click away.
    assert len(text_of(ended)) < len(shown) and "¿Dónde estamos?" not in text_of(ended)
    assert "session_board" in text_of(ended)

    # From the recap, the facilitator goes straight to scoring the ideas.
    slack.driver.click(AM, "round_start", channel_id="C0MEET")
    round_card = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == "C0MEET" and "round_next" in text_of(c.params))[-1]
    assert "Shared dashboard" in text_of(round_card.params)  # the first unscored idea

    # A double click on the old card (or a late one) never posts a second recap.
    slack.driver.click(AM, "session_end", channel_id="C0MEET", message_ts=ts) \
        if "session_end" in text_of(card(slack, "C0MEET", ts)) else None
    assert len([c for c in slack.emulator.calls_to("chat.postMessage")
                if "Resumen de la sesión" in c.params["text"]]) == 1


def test_answers_for_a_plan_archived_meanwhile_are_given_back(slack):
    setup_channel(slack, "C0GONE")
    create_plan(slack, "C0GONE", "Vandelay")
    start_session(slack, "C0GONE")
    slack.driver.click(CLIENT, "session_add_answers", channel_id="C0GONE")
    slack.emulator.wait_for("views.open", predicate=lambda c: "C0GONE" in str(c.params)
                            and "session_answers" in str(c.params))
    # Meanwhile the facilitator archives the plan.
    reply_to(slack, slack.driver.command(AM, "C0GONE", "new"))
    click = slack.driver.click(AM, "plan_archive", channel_id="C0GONE", ephemeral=True)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    refused = slack.driver.submit(CLIENT, {"q5": "Net promoter score every quarter"})
    # Told on the form itself, which keeps what they wrote: nothing is lost.
    assert refused.json()["response_action"] == "errors"
    assert "no longer exists" in str(refused.errors)  # in the client's language
    assert count(slack, Answer, text="Net promoter score every quarter") == 0
    # An idea typed there now finds no active plan: nothing stored, and how to make one.
    typed = reply_to(slack, slack.driver.command(CLIENT, "C0GONE", "idea A portal"))
    assert "/plan new" in text_of(typed) and count(slack, Idea, text="A portal") == 0


def test_the_facilitator_steps_through_the_questions_one_at_a_time(slack):
    setup_channel(slack, "C0STEPS")
    create_plan(slack, "C0STEPS", "Vandelay", language="en")
    ts = start_session(slack, "C0STEPS", "60")
    assert "Where are we?" in text_of(card(slack, "C0STEPS", ts))

    slack.driver.click(CLIENT, "session_focus", channel_id="C0STEPS")  # a guest: refused
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                            == CLIENT and "facilitators" in text_of(c.params))
    slack.driver.click(AM, "session_focus", channel_id="C0STEPS")
    first = wait_card(slack, "C0STEPS", ts, "question 1 of 5")
    assert "about 12 minutes" in text_of(first)  # 60 minutes, five questions
    assert "Next question" in text_of(first)
    slack.driver.click(AM, "session_focus", channel_id="C0STEPS")
    second = wait_card(slack, "C0STEPS", ts, "question 2 of 5")
    shown = text_of(second)
    # The question in focus has its prompts; the others only their titles.
    from bot.sessions.rules import QUESTIONS
    assert QUESTIONS[1].prompts[0] in shown and QUESTIONS[0].prompts[0] not in shown
    assert "1. Where are we?" in shown  # still named, for reference
    with db(slack) as session:
        running = session.exec(select(StrategySession).where(
            StrategySession.channel_id == "C0STEPS")).one()
    assert running.focus_question == 2


def test_a_guest_clicking_end_session_is_told_at_once(slack):
    setup_channel(slack, "C0GUEST")
    create_plan(slack, "C0GUEST", "Guest Co", language="en")
    ts = start_session(slack, "C0GUEST")
    clicked = slack.driver.click(CLIENT, "session_end", channel_id="C0GUEST")
    told = slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["user"]
                                   == CLIENT and c.params["channel"] == "C0GUEST")[-1]
    assert "Only the plan's facilitators" in text_of(told.params)
    assert not [c for c in slack.emulator.calls_to("views.open")
                if c.params["trigger_id"] == clicked.trigger_id]
    assert "session_end" in text_of(card(slack, "C0GUEST", ts))  # still running

    # The facilitator gets the question in a modal (in her language); closing it changes
    # nothing.
    clicked = slack.driver.click(AM, "session_end", channel_id="C0GUEST")
    opened = slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                     == clicked.trigger_id)[-1].params
    assert opened["view"]["title"]["text"] == "¿Finalizar la sesión?"
    assert "resumen" in text_of(opened["view"])
    slack.driver.close(AM)
    assert "session_end" in text_of(card(slack, "C0GUEST", ts))


def test_a_confirmation_that_can_no_longer_be_done_says_why_in_its_place(slack):
    setup_channel(slack, "C0GONE")
    plan = create_plan(slack, "C0GONE", "Gone Co", language="en")
    start_session(slack, "C0GONE")
    clicked = slack.driver.click(AM, "session_end", channel_id="C0GONE")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == clicked.trigger_id)
    with db(slack) as session:  # meanwhile the plan is archived
        archived = session.get(Plan, plan.id)
        archived.status = "archived"
        session.add(archived)
        session.commit()
    answer = slack.driver.submit(AM).json()
    assert answer["response_action"] == "update"  # no input to show an error on
    assert "ya no está activo" in text_of(answer["view"])  # in her language, Spanish
    assert "submit" not in answer["view"]
    assert slack.emulator.top_view(AM)["title"] == answer["view"]["title"]
