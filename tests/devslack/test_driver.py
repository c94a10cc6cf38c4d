"""The driver (bot/devslack/driver.py) against a tiny Bolt app wired to the emulator, over
both transports: signed HTTP requests (SlackDriver) and the same requests handed to
`App.dispatch` in this process (AppDriver); payloads built from the emulator's state and
the app's answers applied back to it."""

from __future__ import annotations

import time

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.devslack import AppDriver, SlackDriver
from tests.devslack.samples import APPROVE, SECRET, modal, serve


@pytest.fixture(params=["http", "in_process"])
def app(request, slack):
    """A tiny Bolt app wired to the emulator, and a driver for it: over HTTP (the app behind
    a server in a thread) or in this process (AppDriver hands the requests to Bolt)."""
    bolt = App(client=WebClient(token="xoxb-test", base_url=slack.api_url),
               signing_secret=SECRET)
    seen = {}

    def ack_plan(ack):
        ack()

    def open_plan(body, client):
        client.views_open(trigger_id=body["trigger_id"], view=modal(notify_on_close=True))

    def post_later(body, client):
        client.chat_postMessage(channel=body["channel_id"], text="Planning started")

    bolt.command("/plan")(ack=ack_plan, lazy=[open_plan, post_later])

    @bolt.action("approve")
    def approve(ack, respond, body):
        ack()
        seen["action"] = body
        respond(text="Approved", replace_original=True)

    @bolt.action("more")
    def more(ack, body):
        ack()
        seen["more"] = body

    @bolt.view("plan_modal")
    def submitted(ack, view):
        seen["state"] = view["state"]["values"]
        name = view["state"]["values"]["name"]["v"]["value"]
        if name == "bad":
            ack(response_action="errors", errors={"name": "Pick another name"})
        elif name == "next":
            ack(response_action="push", view=modal("step_two"))
        else:
            ack()

    @bolt.view_closed("plan_modal")
    def closed(ack, body):
        ack()
        seen["closed"] = body

    @bolt.event("app_mention")
    def mention(event, say):
        say(text="Hello", channel=event["channel"])

    def answer(body, headers):
        request = BoltRequest(body=body.decode(), headers={k: v for k, v in headers.items()})
        response = bolt.dispatch(request)
        headers = {k: v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        return response.status, headers, response.body

    if request.param == "in_process":
        yield AppDriver(bolt, SECRET, slack), seen
        return
    server, url = serve(answer)
    yield SlackDriver(url, SECRET, slack), seen
    server.shutdown()
    server.server_close()


def test_driver_signs_like_slack(slack):
    got = {}

    def capture(body, headers):
        got.update(body=body, headers=dict(headers.items()))
        return 200, {}, ""

    server, url = serve(capture)
    try:
        driver = SlackDriver(url, SECRET, slack)
        assert driver.command("U1", "C1", "hello").status == 200
        driver.post("x=1", "application/x-www-form-urlencoded", retry_num=2)
    finally:
        server.shutdown()
        server.server_close()
    headers = got["headers"]
    assert SignatureVerifier(SECRET).is_valid(
        got["body"], headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert headers["X-Slack-Retry-Num"] == "2"
    assert headers["X-Slack-Retry-Reason"] == "http_timeout"


def test_bolt_accepts_signed_requests_and_rejects_bad_ones(app):
    driver, _ = app
    assert driver.command("U1", "C1").status == 200
    assert driver.post("text=x", "application/x-www-form-urlencoded",
                       signature="v0=bad").status == 401
    old = int(time.time()) - 10 * 60
    assert driver.post("text=x", "application/x-www-form-urlencoded", timestamp=old).status == 401
    assert driver.url_verification("abc").json() == {"challenge": "abc"}


def test_bolt_checks_its_token_with_auth_test(app, slack):
    assert slack.calls_to("auth.test")[0].response["user_id"] == "U0BOT"


def test_command_opens_modal_and_lazy_work_is_awaited(app, slack):
    driver, _ = app
    response = driver.command("U1", "C1", "new")
    assert response.status == 200 and response.text == ""
    slack.wait_for("views.open")
    posted = slack.wait_for("chat.postMessage")
    assert posted[0].params["text"] == "Planning started"
    assert slack.top_view("U1")["callback_id"] == "plan_modal"
    assert slack.violations == []


def test_submit_builds_state_from_initial_values(app, slack):
    driver, seen = app
    driver.command("U1", "C1")
    slack.wait_for("views.open")
    response = driver.submit("U1", {"tags": ["y"], "owner": "U1"})
    assert response.status == 200
    state = seen["state"]
    assert state["name"]["v"] == {"type": "plain_text_input", "value": "Q3"}
    assert state["kind"]["v"]["selected_option"]["value"] == "b"
    assert [o["value"] for o in state["tags"]["v"]["selected_options"]] == ["y"]
    assert state["due"]["v"] == {"type": "datepicker", "selected_date": "2024-05-01"}
    assert state["owner"]["v"] == {"type": "users_select", "selected_user": "U1"}
    assert slack.top_view("U1") is None  # an empty ack closes the view


def test_submit_answers_apply_to_the_view_stack(app, slack):
    driver, seen = app
    driver.command("U1", "C1")
    slack.wait_for("views.open")
    with pytest.raises(ValueError, match="required input 'name'"):
        driver.submit("U1", {"name": ""})
    response = driver.submit("U1", {"name": "bad"})
    assert response.errors == {"name": "Pick another name"}
    assert driver.last_submission["response_action"] == "errors"
    assert slack.top_view("U1")["callback_id"] == "plan_modal"
    driver.submit("U1", {"name": "next"})
    assert [v["callback_id"] for v in slack.view_stack("U1")] == ["plan_modal", "step_two"]
    slack.close_top_view("U1")
    assert driver.close("U1").status == 200  # notify_on_close
    assert seen["closed"]["view"]["callback_id"] == "plan_modal"
    assert slack.view_stack("U1") == []
    assert slack.violations == []


def test_click_and_response_url(app, slack, client):
    driver, seen = app
    client.chat_postMessage(channel="C1", text="Plan ready", blocks=APPROVE)
    response = driver.click("U1", "approve", channel_id="C1")
    assert response.status == 200
    (call,) = slack.wait_for("response_url")
    assert call.params["replace_original"] is True and call.url == response.response_url
    assert slack.messages("C1")[0]["text"] == "Approved"
    action = seen["action"]["actions"][0]
    assert (action["type"], action["value"], action["block_id"]) == ("button", "p1", "row")
    assert seen["action"]["container"]["channel_id"] == "C1"

    with pytest.raises(LookupError, match="approve"):
        driver.click("U1", "approve", channel_id="C1")  # the reply replaced the buttons


def test_overflow_selection(app, slack, client):
    driver, seen = app
    client.chat_postMessage(channel="C1", text="Plan", blocks=APPROVE)
    assert driver.click("U1", "more", channel_id="C1", selected="delete").status == 200
    assert seen["more"]["actions"][0]["selected_option"]["value"] == "delete"


def test_event_delivery(app, slack):
    driver, _ = app
    response = driver.event({"type": "app_mention", "user": "U1", "channel": "C1",
                             "text": "<@U0BOT> hi", "ts": "1.000100"})
    assert response.status == 200 and response.event_id.startswith("Ev")
    assert slack.wait_for("chat.postMessage")[0].params["text"] == "Hello"
