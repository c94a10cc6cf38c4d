"""Input a hostile or careless user sends (bot/platform/request.py and state.py), through the
app's endpoint in the test's process, on SQLite and PostgreSQL: control characters, text
too long to echo, modal metadata naming a channel the user is not in."""

import json

import pytest
from sqlmodel import Session, select

from storage.models import Answer, Idea, StrategySession
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    create_plan,
    reply_to,
    setup_channel,
    start_session,
    text_of,
)

DIRTY = "Ahorrar\x00 costos\x07 \x1b[31mya\x1b[0m\r\nsegunda línea\tcon tab · שלום 👋"
CHANNEL = "C0INPUT"
CLEAN = "Ahorrar costos [31mya[0m\nsegunda línea\tcon tab · שלום 👋"


@pytest.fixture
def rumbo(slack_each_db):
    setup_channel(slack_each_db, CHANNEL)
    return slack_each_db


def stored_texts(rumbo, model) -> list[str]:
    with Session(rumbo.engine) as db:
        return list(db.exec(select(model.text)))


def open_form(rumbo, user, action_id, channel=CHANNEL):
    click = rumbo.driver.click(user, action_id, channel_id=channel)
    rumbo.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)


def test_control_characters_are_dropped_and_everything_else_kept(rumbo):
    create_plan(rumbo, CHANNEL, "Limpio", language="es")
    start_session(rumbo, CHANNEL)
    open_form(rumbo, CLIENT, "session_add_answers")
    assert rumbo.driver.submit(CLIENT, {"q1": DIRTY}).json() is None
    open_form(rumbo, TEAMMATE, "session_add_idea")
    assert rumbo.driver.submit(TEAMMATE, {"idea_text": "modal " + DIRTY}).json() is None
    response = rumbo.driver.command(AM, CHANNEL, "idea comando " + DIRTY.replace("\r\n", " "))
    assert "Idea agregada" in text_of(response.json())
    assert stored_texts(rumbo, Answer) == [CLEAN]
    assert sorted(stored_texts(rumbo, Idea)) == [
        "comando " + CLEAN.replace("\n", " "), "modal " + CLEAN]


def test_text_too_long_to_echo_is_shortened_to_fit_its_block(rumbo):
    create_plan(rumbo, CHANNEL, "Largo", language="en")
    # Slack refuses a section over 3,000 characters: each answer must still arrive (the
    # fixture fails on any message Slack would refuse).
    help_answer = reply_to(rumbo, rumbo.driver.command(CLIENT, CHANNEL, "x" * 5000))
    assert "didn't understand" in text_of(help_answer) and "x" * 500 not in text_of(help_answer)
    ampersands = "&" * 2999  # 14,995 characters once escaped
    added = reply_to(rumbo, rumbo.driver.command(CLIENT, CHANNEL, "idea " + ampersands))
    assert "&amp;" * 100 in text_of(added)
    too_long = reply_to(rumbo, rumbo.driver.command(CLIENT, CHANNEL, "idea " + "y" * 4000))
    assert "too long" in text_of(too_long)
    given_back = "".join(b["text"]["text"] for b in too_long["blocks"][1:])
    assert given_back.count("y") == 4000  # all of it handed back, over several sections
    assert stored_texts(rumbo, Idea) == [ampersands]


def test_modal_metadata_naming_a_channel_the_user_is_not_in_stores_nothing(rumbo):
    rumbo.emulator.add_channel("C0PRIVATE", "private", members=[AM])
    create_plan(rumbo, CHANNEL, "Open", language="en")
    private = create_plan(rumbo, "C0PRIVATE", "Private", language="en")
    start_session(rumbo, CHANNEL)
    start_session(rumbo, "C0PRIVATE")
    with Session(rumbo.engine) as db:
        their_session = db.exec(select(StrategySession).where(
            StrategySession.plan_id == private.id)).one()

    open_form(rumbo, CLIENT, "session_add_answers")
    legit = rumbo.driver.submit(CLIENT, {"q1": "In my own channel"})
    assert legit.json() is None

    def into_the_private_channel(payload):
        payload["view"]["id"] = "V0ELSEWHERE"
        payload["view"]["private_metadata"] = json.dumps({
            "channel_id": "C0PRIVATE", "plan_id": private.id,
            "session_id": their_session.id, "lang": "en"})
        payload["view"]["state"]["values"]["q1"]["value"]["value"] = "Smuggled in"

    refused = rumbo.driver.forge(legit, into_the_private_channel)
    assert refused.json()["response_action"] == "errors"
    assert stored_texts(rumbo, Answer) == ["In my own channel"]
    # Not a member: Slack was asked, and said so.
    assert any(c.params["channel"] == "C0PRIVATE"
               for c in rumbo.emulator.calls_to("conversations.members"))


def test_clean_drops_control_characters_and_keeps_the_rest():
    from bot.platform.state import clean

    assert clean("a\x00b\x07c\x1b[0m\x7f") == "abc[0m"
    assert clean("one\r\ntwo\rthree\tfour\n") == "one\ntwo\nthree\tfour\n"
    assert clean("שלום 👋 ñ") == "שלום 👋 ñ"
