"""What every request goes through (bot/platform/app.py and the runners), end to end in the
test's process: signed requests handed to the real Bolt app, Web API calls answered and
recorded by the emulator. Unsigned requests, Slack's retries and double submits, forged
ids, rate limits and channel errors, acks that wait for neither Slack nor a busy database."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from storage.models import Answer, Idea, Plan, StrategySession
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
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

# --- help -----------------------------------------------------------------------------------



def test_requests_not_signed_by_slack_are_rejected(slack):
    setup_channel(slack, "C0SIGN")
    body = "command=%2Fplan&text=idea+sneaky&channel_id=C0SIGN&user_id=U0MATE&team_id=T0HOME"
    form = "application/x-www-form-urlencoded"
    slack.emulator.reset_calls()
    assert slack.driver.post(body, form, signature="v0=" + "0" * 64).status == 401
    assert slack.driver.post(body, form, signature="").status == 401
    old = int(time.time()) - 6 * 60
    assert slack.driver.post(body, form, timestamp=old).status == 401
    assert slack.emulator.calls == []
    with db(slack) as session:
        assert session.exec(select(Idea).where(Idea.text == "sneaky")).all() == []


# --- plan creation --------------------------------------------------------------------------





# --- the strategy session -------------------------------------------------------------------



# --- retries, double clicks, forged ids ------------------------------------------------------

def test_retries_and_double_submits_never_duplicate(slack):
    setup_channel(slack, "C0RETRY")
    plan = create_plan(slack, "C0RETRY", "Initech")

    # A slash command retried by Slack (same trigger, X-Slack-Retry-Num) adds one idea.
    first = slack.driver.command(TEAMMATE, "C0RETRY", "idea Shared <b>roadmap</b>")
    reply = reply_to(slack, first)
    assert "Shared &lt;b&gt;roadmap&lt;/b&gt;" in text_of(reply)
    assert slack.driver.resend(first, retry_num=1).status == 200
    assert slack.driver.resend(first, retry_num=2).status == 200
    ts = start_session(slack, "C0RETRY")
    assert count(slack, Idea, plan_id=plan.id) == 1

    # A view submission sent twice (a double submit or a retry) stores its answers once.
    slack.driver.click(TEAMMATE, "session_add_answers", channel_id="C0RETRY")
    slack.emulator.wait_for("views.open", predicate=lambda c: "session_answers" in str(c.params)
                            and "C0RETRY" in str(c.params))
    submitted = slack.driver.submit(TEAMMATE, {"q1": "Fine", "ideas_ambitious": "Moonshot"})
    slack.driver.resend(submitted, retry_num=None)
    slack.driver.resend(submitted, retry_num=1)
    wait_card(slack, "C0RETRY", ts, f"<@{TEAMMATE}> (1/1)")
    # /plan session retried: still one session, one card.
    assert count(slack, Answer, plan_id=plan.id) == 1
    assert count(slack, Idea, plan_id=plan.id) == 2
    assert count(slack, StrategySession, plan_id=plan.id) == 1

    # A double submit of End session's confirmation posts one recap.
    end = end_session(slack, "C0RETRY")
    slack.driver.resend(end, retry_num=None)
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == "C0RETRY" and "Resumen" in c.params["text"])
    wait_card(slack, "C0RETRY", ts, "terminó")
    slack.driver.resend(end, retry_num=None)
    recaps = [c for c in slack.emulator.calls_to("chat.postMessage")
              if c.params["channel"] == "C0RETRY" and "Resumen" in c.params["text"]]
    assert len(recaps) == 1


def test_ids_from_another_channel_or_workspace_are_refused(slack):
    setup_channel(slack, "C0MINE")
    setup_channel(slack, "C0THEIRS")
    create_plan(slack, "C0MINE", "Mine")
    theirs = create_plan(slack, "C0THEIRS", "Theirs")
    ts = start_session(slack, "C0THEIRS")
    with db(slack) as session:
        their_session = session.exec(select(StrategySession).where(
            StrategySession.channel_id == "C0THEIRS")).one()

    # A legitimate click in C0THEIRS...
    click = slack.driver.click(AM, "session_add_idea", channel_id="C0THEIRS")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)

    # ...replayed as an End session click from C0MINE: refused, nothing ended.
    def to_my_channel(payload):
        payload["channel"] = {"id": "C0MINE", "name": "c0mine"}
        payload["container"]["channel_id"] = "C0MINE"
        payload["actions"][0]["value"] = str(their_session.id)
        payload["actions"][0]["action_id"] = "session_end"

    forged = slack.driver.forge(click, to_my_channel)
    assert forged.status == 200
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: c.params["channel"]
                            == "C0MINE" and "canal" in text_of(c.params))

    # A modal whose metadata points at another channel's session stores nothing.
    slack.driver.click(CLIENT, "session_add_answers", channel_id="C0THEIRS")
    slack.emulator.wait_for("views.open", predicate=lambda c: "C0THEIRS" in str(c.params)
                            and "session_answers" in str(c.params))
    submitted = slack.driver.submit(CLIENT, {"q1": "legit"})

    def other_workspace(payload):
        meta = json.loads(payload["view"]["private_metadata"])
        meta["channel_id"] = "C0MINE"
        payload["view"]["private_metadata"] = json.dumps(meta)
        payload["view"]["id"] = "V0FORGED"
        payload["view"]["state"]["values"]["q1"]["value"]["value"] = "forged"

    refused = slack.driver.forge(submitted, other_workspace)
    assert refused.json()["response_action"] == "errors"  # the text stays in the modal
    wait_card(slack, "C0THEIRS", ts, f"<@{CLIENT}> (1/0)")
    with db(slack) as session:
        texts = [a.text for a in session.exec(select(Answer))]
    assert "legit" in texts and "forged" not in texts
    with db(slack) as session:
        assert session.get(StrategySession, their_session.id).ended_at is None
        assert session.get(Plan, theirs.id).status == "active"


# --- Slack failures ---------------------------------------------------------------------------

def test_rate_limits_are_retried_and_channel_errors_explained(slack):
    setup_channel(slack, "C0LIMIT")
    create_plan(slack, "C0LIMIT", "Umbrella")
    slack.emulator.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    start_session(slack, "C0LIMIT")
    cards = [c for c in slack.emulator.calls_to("chat.postMessage")
             if c.params["channel"] == "C0LIMIT" and "session_end" in text_of(c.params)]
    assert [c.http_status for c in cards] == [429, 200]  # Retry-After honoured, then posted
    assert count(slack, StrategySession, channel_id="C0LIMIT") == 1


def test_a_channel_rumbo_cannot_post_in_keeps_the_plan_and_tells_the_user(slack):
    setup_channel(slack, "C0NOBOT", bot_is_member=False)
    response = slack.driver.command(AM, "C0NOBOT", "new Hooli")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    slack.driver.submit(AM, {"account_name": "Hooli"})
    told = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                                   == AM and "/invite @Rumbo" in text_of(c.params))
    assert "Hooli" in text_of(told[-1].params)
    assert count(slack, Plan, channel_id="C0NOBOT") == 1  # the user's input is kept

    # The session cannot start without a card: explained, and no half-started session.
    slack.driver.command(AM, "C0NOBOT", "session")
    slack.emulator.wait_for("chat.postMessage", count=2, predicate=lambda c: c.params[
        "channel"] == AM and "/invite @Rumbo" in text_of(c.params))
    assert count(slack, StrategySession, channel_id="C0NOBOT", ended_at=None) == 0




# --- App Home ---------------------------------------------------------------------------------



# --- ack first --------------------------------------------------------------------------------

def test_acks_do_not_wait_for_a_slow_slack_or_a_locked_database(slack):
    setup_channel(slack, "C0SLOW")
    create_plan(slack, "C0SLOW", "Soylent")

    # The help now shows the plan and its first review.
    shown = text_of(reply_to(slack, slack.driver.command(TEAMMATE, "C0SLOW", "help")))
    assert "Soylent" in shown and "Next review" in shown  # Tom's English, in a Spanish plan

    # Slack answers users.info (the user's language) slowly: still acknowledged at once.
    setup_channel(slack, "C0SLOWHELP")
    slack.emulator.add_user("U0NEWBIE", "nina", locale="es-MX", tz="America/Mexico_City")
    slack.emulator.slow_next("users.info", 3.5)
    response = slack.driver.command("U0NEWBIE", "C0SLOWHELP", "help")
    assert response.status == 200 and response.elapsed < 3
    help_message = slack.emulator.wait_for("response_url", timeout=10, predicate=lambda c:
                                           c.url == response.response_url)[-1].params
    assert "todavía no tiene" in text_of(help_message)
    assert [c.params["user"] for c in slack.emulator.calls_to("users.info")][-1] == "U0NEWBIE"

    # Another writer holds the database a moment: the write waits for it, and is stored
    # before the ack.
    with slack.engine.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        threading.Timer(0.5, connection.exec_driver_sql, ("ROLLBACK",)).start()
        response = slack.driver.command(AM, "C0SLOW", "idea Written while the database was busy")
    assert response.status == 200 and response.elapsed < 3
    assert count(slack, Idea, text="Written while the database was busy") == 1
    assert "Written while" in text_of(reply_to(slack, response))

    # Held longer than a write may wait: the user is told at once, where they are (the
    # command's answer, the modal's field), and nothing is half-written.
    opened = slack.driver.command(AM, "C0SLOW", "idea")  # the idea form
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == opened.trigger_id)
    with slack.engine.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        with ThreadPoolExecutor(2) as both:  # at the same moment: each waits its own while
            command = both.submit(slack.driver.command, AM, "C0SLOW", "idea Never half-written")
            form = both.submit(slack.driver.submit, AM, {"idea_text": "Not lost either"})
            command, form = command.result(), form.result()
        connection.exec_driver_sql("ROLLBACK")
    assert command.status == 200 and command.elapsed < 3
    assert "ocupada" in command.text  # Spanish: the database is busy
    assert form.json()["response_action"] == "errors" and "ocupada" in str(form.errors)
    assert count(slack, Idea, text="Never half-written") == 0
    assert count(slack, Idea, text="Not lost either") == 0



