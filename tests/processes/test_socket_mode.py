"""Socket Mode end to end: the real `rumbo socket` (Bolt's SocketModeHandler on slack_sdk's
builtin client) against the emulator's Socket Mode server, driven with the same payloads
as `rumbo serve` over HTTP. The server itself, with slack_sdk's client:
tests/devslack/test_socket_mode.py."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlmodel import select

from bot.devslack import SlackEmulator
from bot.devslack.driver import SocketDriver
from storage.db import make_engine, new_session
from storage.models import Answer, Delivery, Evaluation, Idea, Plan, StrategySession
from tests.processes.servers import BOT_TOKEN, passes, start_socket_mode, wait_for_pass
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    count,
    create_plan,
    eventually,
    open_from_list,
    setup_channel,
    start_session,
    text_of,
    wait_card,
)

pytestmark = pytest.mark.process

APP_TOKEN = "xapp-1-A0RUMBO-1-test"  # noqa: S105 (a fake app-level token)


# --- `rumbo socket` end to end ------------------------------------------------------------------

@pytest.fixture(scope="module")
def slack(tmp_path_factory):
    """The emulator, its Socket Mode server, a driver delivering envelopes, and the real
    `rumbo socket` connected to it, on a fresh SQLite database; `restart()` kills the
    process and starts another on the same database."""
    workdir = tmp_path_factory.mktemp("rumbo-socket")
    database_url = f"sqlite:///{workdir / 'rumbo.db'}"
    with SlackEmulator(bot_token=BOT_TOKEN, app_token=APP_TOKEN) as emulator:
        server = emulator.socket_mode
        state = SimpleNamespace(emulator=emulator, server=server,
                                driver=SocketDriver(emulator),
                                engine=make_engine(database_url), log=workdir / "rumbo.log")

        def start():
            before = server.opened
            state.rumbo = start_socket_mode(
                app_token=APP_TOKEN, connected=lambda: any(n > before for n in server.live()),
                api_url=emulator.api_url, database_url=database_url, log_path=state.log)

        def restart():
            state.rumbo.kill()
            state.passes_before_start = passes(state.log)
            start()

        state.restart = restart
        start()
        try:
            yield state
        finally:
            state.rumbo.end()  # a clean stop waits out the client's 3 s receive timeout
            state.engine.dispose()
        assert emulator.violations == [], emulator.violations


def test_plan_new_creates_the_plan_and_announces_it(slack):
    setup_channel(slack, "C0SNEW")
    plan = create_plan(slack, "C0SNEW", "Acme <Iberia>", language="en")
    assert (plan.account_name, plan.team_id) == ("Acme <Iberia>", "T0HOME")
    announcement = slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params[
        "channel"] == "C0SNEW")[-1].params
    assert "Acme &lt;Iberia&gt;" in announcement["text"]
    # One slash command, then the modal's submission: each acked at once over the socket.
    kinds = [(a.envelope["type"], a.envelope["payload"].get("type")) for a in slack.server.acks
             if "C0SNEW" in json.dumps(a.envelope["payload"])]
    assert kinds == [("slash_commands", None), ("interactive", "view_submission")]
    assert all(a.elapsed < 3 for a in slack.server.acks)


def test_help_answers_in_the_ack(slack):
    setup_channel(slack, "C0SHELP")
    create_plan(slack, "C0SHELP", "Globex", language="es")
    # The first time, Slack has not told Tom's language: the ack is empty, and the help
    # follows at once through the response_url, in English.
    first = slack.driver.command(TEAMMATE, "C0SHELP", "help")
    assert first.status == 200 and first.json() is None
    later = slack.emulator.wait_for("response_url", predicate=lambda c: c.url
                                    == first.response_url)[-1].params
    assert "Globex" in text_of(later) and "Next review" in text_of(later)
    # Now it is known: the help comes in the ack itself.
    response = slack.driver.command(TEAMMATE, "C0SHELP", "help")
    answer = response.json()
    assert response.status == 200 and answer["response_type"] == "ephemeral"
    assert "Globex" in text_of(answer) and "/plan session" in text_of(answer)
    # Slack shows the ack's message to the one who typed it; no response_url was needed.
    shown = slack.emulator.ephemerals("C0SHELP", TEAMMATE)[-1]
    assert len(shown["blocks"]) == len(answer["blocks"]) and "Globex" in text_of(shown)
    assert not [c for c in slack.emulator.calls_to("response_url")
                if c.url == response.response_url]
    assert "Next review" in text_of(answer)  # Tom's English, in a Spanish plan


def test_a_session_where_two_people_answer(slack):
    setup_channel(slack, "C0SMEET")
    plan = create_plan(slack, "C0SMEET", "Initech")
    ts = start_session(slack, "C0SMEET")

    answer_as(slack, AM, "C0SMEET", {"q1": "Renewals are late", "ideas_realistic": "Dashboard"})
    wait_card(slack, "C0SMEET", ts, f"<@{AM}> (1/1)")
    answer_as(slack, CLIENT, "C0SMEET", {"q2": "A portal", "q3": "Weekly report"})
    updated = wait_card(slack, "C0SMEET", ts, f"<@{CLIENT}> (2/0)")
    assert "*3* respuestas" in text_of(updated)
    assert count(slack, Answer, plan_id=plan.id) == 3
    assert count(slack, Idea, plan_id=plan.id) == 1


def test_an_idea_scored_through_the_evaluation_modal(slack):
    setup_channel(slack, "C0SSCORE")
    create_plan(slack, "C0SSCORE", "Wayne", language="en")
    (portal,) = add_ideas(slack, "C0SSCORE", [(CLIENT, "Self-service portal")])
    view = open_from_list(slack, AM, "C0SSCORE", f"evaluate:{portal.id}").params["view"]
    assert view["callback_id"] == "idea_evaluate"
    answer = slack.driver.submit(AM, {"score": "3", "pros": "Fewer tickets"})
    assert answer.status == 200 and answer.json() is None  # the modal closes
    eventually(lambda: count(slack, Evaluation, idea_id=portal.id, user_id=AM, score="3"))
    assert slack.emulator.top_view(AM) is None


def test_a_field_error_comes_back_in_the_ack(slack):
    setup_channel(slack, "C0SERR")
    response = slack.driver.command(AM, "C0SERR", "new Umbrella")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    answer = slack.driver.submit(AM, {"timezone": "Europe/Atlantis"})
    assert answer.json()["response_action"] == "errors" and set(answer.errors) == {"timezone"}
    assert slack.server.acks[-1].envelope["accepts_response_payload"] is True
    assert slack.emulator.top_view(AM)["callback_id"] == "plan_new"  # still open
    assert count(slack, Plan, channel_id="C0SERR") == 0

    assert slack.driver.submit(AM, {"timezone": "Europe/Madrid"}).json() is None
    eventually(lambda: count(slack, Plan, channel_id="C0SERR") == 1)


def test_the_app_keeps_working_after_a_refresh_and_after_a_connection_reset(slack):
    setup_channel(slack, "C0SLINK")
    create_plan(slack, "C0SLINK", "Stark")
    ts = start_session(slack, "C0SLINK")
    answer_as(slack, AM, "C0SLINK", {"q1": "Before"})
    wait_card(slack, "C0SLINK", ts, f"<@{AM}> (1/0)")

    # Slack asks for a reconnect: the app opens a new connection by itself.
    before = slack.server.opened
    slack.server.disconnect("refresh_requested")
    now = slack.server.wait_connected(newer_than=before)
    answer_as(slack, CLIENT, "C0SLINK", {"q2": "After the refresh"})
    wait_card(slack, "C0SLINK", ts, f"<@{CLIENT}> (1/0)")
    assert slack.server.acks[-1].link == now

    # The connection vanishes (a network reset): the app notices and opens another.
    slack.server.drop()
    now = slack.server.wait_connected(newer_than=now)
    reply = slack.driver.command(TEAMMATE, "C0SLINK", "idea After the reset")
    assert "After the reset" in text_of(reply.json())
    wait_card(slack, "C0SLINK", ts, f"<@{TEAMMATE}> (0/1)")
    assert slack.server.acks[-1].link == now
    assert len(slack.emulator.calls_to("apps.connections.open")) >= 3


def test_an_envelope_delivered_again_after_a_reconnect_is_not_handled_twice(slack):
    setup_channel(slack, "C0SAGAIN")
    plan = create_plan(slack, "C0SAGAIN", "Cyberdyne")
    ts = start_session(slack, "C0SAGAIN")
    idea = slack.driver.command(TEAMMATE, "C0SAGAIN", "idea Shared roadmap")
    assert "Shared roadmap" in text_of(idea.json())
    answers = answer_as(slack, AM, "C0SAGAIN", {"q1": "Once", "ideas_someday": "Moonshot"})
    wait_card(slack, "C0SAGAIN", ts, f"<@{AM}> (1/1)")
    home = slack.driver.event({"type": "app_home_opened", "user": AM, "channel": "D0AM",
                               "tab": "home"})
    slack.emulator.wait_for("views.publish", predicate=lambda c: c.params["user_id"] == AM)

    def stored_once():
        assert count(slack, Idea, plan_id=plan.id) == 2
        assert count(slack, Answer, plan_id=plan.id) == 1

    # Slack moves the app to a new connection and delivers there again what it holds no ack
    # for (as after a connection lost before the acks came through; losing one is the test
    # above: noticing it takes Bolt's client its ping interval).
    before = slack.server.opened
    slack.server.disconnect("refresh_requested")
    slack.server.wait_connected(newer_than=before)
    for first in (idea, answers, home):
        again = slack.driver.resend(first, retry_num=1)
        assert again.status == 200 and again.json() is None, again.text  # nothing new to say
        assert slack.server.acks[-1].envelope["retry_attempt"] == 1
    # App Home is drawn after the ack: another user's Home drawn after the retry shows the
    # retry was let through by then, had it been.
    slack.driver.event({"type": "app_home_opened", "user": CLIENT, "channel": "D0CLIENT",
                        "tab": "home"})
    slack.emulator.wait_for("views.publish", predicate=lambda c: c.params["user_id"] == CLIENT)
    assert len([c for c in slack.emulator.calls_to("views.publish")
                if c.params["user_id"] == AM]) == 1
    stored_once()

    # A new process has none of the first one's memory: the idempotency keys in the
    # database still keep the writes single.
    slack.restart()
    for first in (idea, answers):
        assert slack.driver.resend(first, retry_num=2).json() is None
    stored_once()
    assert count(slack, StrategySession, plan_id=plan.id) == 1


def test_a_due_review_reminder_goes_out_once_across_a_reconnect_and_a_restart(slack):
    """`rumbo socket` runs the scheduler itself: a review falling due is announced once,
    whatever happens to the connection and the process around it."""
    setup_channel(slack, "C0SREVIEW")
    plan = create_plan(slack, "C0SREVIEW", "Soylent", language="en")
    with new_session(slack.engine) as db:
        reminder = db.exec(select(Delivery).where(Delivery.plan_id == plan.id,
                                                  Delivery.kind == "review_due")).one()
        reminder.due_at = datetime.now(UTC)
        db.add(reminder)
        db.commit()

    def reminders():
        return [c for c in slack.emulator.calls_to("chat.postMessage")
                if c.params["channel"] == "C0SREVIEW" and "review_start" in str(
                    c.params.get("blocks"))]

    # A process that starts takes a pass of the outbox at once: the reminder goes out.
    slack.restart()
    eventually(lambda: len(reminders()) == 1, timeout=40)
    # Slack renews the connection, the process is killed and another starts: its first pass
    # finds the reminder sent.
    before = slack.server.opened
    slack.server.disconnect("too_many_websockets")
    slack.server.wait_connected(newer_than=before)
    slack.restart()
    wait_for_pass(slack.log, more_than=slack.passes_before_start)
    assert len(reminders()) == 1
    # Its button opens the review over the new process's connection, within the trigger.
    click = slack.driver.click(AM, "review_start", channel_id="C0SREVIEW")
    assert click.status == 200
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)


def answer_as(slack, user, channel, values):
    """Open the session card's Add answers modal as `user` and submit `values`."""
    click = slack.driver.click(user, "session_add_answers", channel_id=channel)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    answer = slack.driver.submit(user, values)
    assert answer.status == 200 and answer.json() is None, answer.text
    return answer
