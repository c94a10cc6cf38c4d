"""Helpers for end-to-end scenarios, whichever way the app runs (in the test's process or a
real process): set up Slack's side, run the app's flows, read what the app posted and
stored. `slack` is anything with an `emulator`, a `driver` and an `engine`."""

import html
import json
import re
import time
from urllib.parse import urlsplit

from sqlmodel import select

from storage.db import new_session
from storage.models import Idea, Plan

AM, TEAMMATE, CLIENT = "U0AM", "U0MATE", "U0CLIENT"  # the client is a Slack Connect guest


def setup_channel(slack, channel_id, *, bot_is_member=True):
    emulator = slack.emulator
    emulator.add_user(AM, "ana", locale="es-ES", tz="Europe/Madrid")
    emulator.add_user(TEAMMATE, "tom", locale="en-US", tz="America/New_York")
    emulator.add_user(CLIENT, "carla", locale="en-GB", tz="America/Mexico_City",
                      team_id="T0CLIENT")
    emulator.add_channel(channel_id, channel_id.lower(), members=[AM, TEAMMATE, CLIENT],
                         bot_is_member=bot_is_member)


def reply_to(slack, response):
    """What the app answered a command (in its ack) or posted to its or a click's
    response_url."""
    if response.json():
        return response.json()
    calls = slack.emulator.wait_for("response_url",
                                    predicate=lambda c: c.url == response.response_url)
    return calls[-1].params


def text_of(message) -> str:
    """Every text in a message's or view's blocks, joined."""
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


def db(slack):
    return new_session(slack.engine)


def create_plan(slack, channel_id, name="Acme", **values):
    response = slack.driver.command(AM, channel_id, f"new {name}")
    assert response.status == 200
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    answer = slack.driver.submit(AM, {"facilitators": [AM], **values})
    assert answer.status == 200 and answer.json() is None, answer.text
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == channel_id)
    with db(slack) as session:
        return session.exec(select(Plan).where(Plan.channel_id == channel_id,
                                               Plan.status == "active")).one()


def start_session(slack, channel_id, minutes=""):
    response = slack.driver.command(AM, channel_id, f"session {minutes}".strip())
    assert response.status == 200
    post = slack.emulator.wait_for(
        "chat.postMessage", predicate=lambda c: c.params["channel"] == channel_id
        and "session_end" in text_of(c.params) and (c.response or {}).get("ok"))[-1]
    return post.response["ts"]


def end_session(slack, channel_id, user=AM, **click):
    """A facilitator clicks End session and confirms in the modal it opens; the
    submission's response (to resend it as Slack's retry)."""
    clicked = slack.driver.click(user, "session_end", channel_id=channel_id, **click)
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == clicked.trigger_id)
    confirmed = slack.driver.submit(user)
    assert confirmed.status == 200 and confirmed.json() is None, confirmed.text
    return confirmed


def card(slack, channel_id, ts):
    return slack.emulator.message(channel_id, ts)


def wait_card(slack, channel_id, ts, needle):
    slack.emulator.wait_for("chat.update", predicate=lambda c: c.params["ts"] == ts
                            and needle in text_of(c.params))
    return card(slack, channel_id, ts)


def count(slack, model, **where):
    with db(slack) as session:
        query = select(model)
        for field, value in where.items():
            query = query.where(getattr(model, field) == value)
        return len(session.exec(query).all())


def eventually(check, timeout=5.0):
    """Wait for what another process or thread does by itself (a real `rumbo serve`, a
    Socket Mode client): `check()` must become truthy. In the test's process there is no
    waiting: the driver settles the app's work after each request."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, "the app did not get there in time"
            return result
        time.sleep(0.02)


def opened(slack, response):
    """The view that the request's trigger_id opened (views.open)."""
    return slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == response.trigger_id)[-1].params["view"]


def install(slack, team_id: str, redirect_uri: str) -> str:
    """A user of `team_id` installs Rumbo (OAuth mode): the app's install page, Slack's
    Allow, the redirect back with the state cookie the browser kept; the page the browser
    ends on. Over HTTP or in the test's process, whichever driver `slack` has."""
    page = slack.driver.get("/slack/install")
    assert page.status == 200, page.text
    cookie = page.header("Set-Cookie").split(";")[0]
    link = html.unescape(re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.text)
                         .group(1))
    # The emulator refuses an authorize URL naming another client id.
    assert "client_id=" in link and "state=" in link and "chat:write" in link
    back = urlsplit(slack.emulator.approve_install(link, team_id=team_id,
                                                   redirect_uri=redirect_uri))
    return slack.driver.get(back.path, query=back.query, headers={"Cookie": cookie}).text


def ideas_of(slack, channel_id):
    with db(slack) as session:
        plan = session.exec(select(Plan).where(Plan.channel_id == channel_id,
                                               Plan.status == "active")).one()
        return session.exec(select(Idea).where(Idea.plan_id == plan.id)
                            .order_by(Idea.id)).all()


def add_ideas(slack, channel, texts_by_user):
    for user, text in texts_by_user:
        reply_to(slack, slack.driver.command(user, channel, f"idea {text}"))
    return ideas_of(slack, channel)


def open_from_list(slack, user, channel, option):
    """Open the ideas list and pick an idea's menu option (evaluate:ID, settle:ID, …)."""
    reply_to(slack, slack.driver.command(user, channel, "ideas"))
    click = slack.driver.click(user, "idea_menu", channel_id=channel, ephemeral=True,
                               selected=option)
    return slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                                   == click.trigger_id)[-1]
