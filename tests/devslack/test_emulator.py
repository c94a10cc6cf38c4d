"""Tests of the Slack stand-in itself: the Web API emulator, the driver, the Block Kit checks."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import Request, urlopen

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from bot.devslack import SlackDriver, SlackEmulator, check_message, check_view

SECRET = "test-signing-secret"


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class NoSleepRateLimitHandler(RateLimitErrorRetryHandler):
    """slack_sdk's handler, minus the sleep: records the Retry-After it would wait."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.waits = []

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None):
        self.waits.append(response.headers.get("Retry-After"))
        state.next_attempt_requested = True
        state.increment_current_attempt()


def serve(answer):
    """Serve answer(body: bytes, headers) -> (status, headers, body: str) on a free port."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, text = answer(body, self.headers)
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/slack/events"


def modal(callback_id="plan_modal", **extra):
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": "New plan"},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": [
            {"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "Name"},
             "element": {"type": "plain_text_input", "action_id": "v", "initial_value": "Q3"}},
            {"type": "input", "block_id": "kind", "label": {"type": "plain_text", "text": "Kind"},
             "element": {"type": "static_select", "action_id": "v", "options": [
                 {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
                 {"text": {"type": "plain_text", "text": "B"}, "value": "b"}],
                 "initial_option": {"text": {"type": "plain_text", "text": "B"}, "value": "b"}}},
            {"type": "input", "block_id": "tags", "optional": True,
             "label": {"type": "plain_text", "text": "Tags"},
             "element": {"type": "checkboxes", "action_id": "v", "options": [
                 {"text": {"type": "plain_text", "text": "X"}, "value": "x"},
                 {"text": {"type": "plain_text", "text": "Y"}, "value": "y"}]}},
            {"type": "input", "block_id": "due", "label": {"type": "plain_text", "text": "Due"},
             "element": {"type": "datepicker", "action_id": "v", "initial_date": "2024-05-01"}},
            {"type": "input", "block_id": "owner", "optional": True,
             "label": {"type": "plain_text", "text": "Owner"},
             "element": {"type": "users_select", "action_id": "v"}},
        ],
        **extra,
    }


APPROVE = [{"type": "actions", "block_id": "row", "elements": [
    {"type": "button", "action_id": "approve", "value": "p1",
     "text": {"type": "plain_text", "text": "Approve"}},
    {"type": "overflow", "action_id": "more", "options": [
        {"text": {"type": "plain_text", "text": "Delete"}, "value": "delete"}]},
]}]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        emulator.add_user("U1", "alice", real_name="Alice", locale="es-ES", tz="Europe/Madrid")
        emulator.add_channel("C1", "general", members=["U1"])
        yield emulator


@pytest.fixture
def client(slack):
    return WebClient(token="xoxb-test", base_url=slack.api_url)


@pytest.fixture
def app(slack):
    """A tiny Bolt app wired to the emulator, and a driver pointed at it."""
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

    server, url = serve(answer)
    yield SlackDriver(url, SECRET, slack), seen
    server.shutdown()
    server.server_close()


# ---- signing ----------------------------------------------------------------------------------


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


# ---- Web API ----------------------------------------------------------------------------------


def test_bolt_checks_its_token_with_auth_test(app, slack):
    assert slack.calls_to("auth.test")[0].response["user_id"] == "U0BOT"


def test_users_info_gives_locale_only_when_asked(client):
    user = client.users_info(user="U1")["user"]
    assert "locale" not in user
    assert user["tz"] == "Europe/Madrid"
    assert user["tz_offset"] in (3600, 7200)
    assert user["profile"]["real_name"] == "Alice"
    assert client.users_info(user="U1", include_locale=True)["user"]["locale"] == "es-ES"
    with pytest.raises(SlackApiError) as error:
        client.users_info(user="U404")
    assert error.value.response["error"] == "user_not_found"


def test_post_update_delete_and_channel_errors(slack, client):
    slack.add_channel("C2", "quiet", bot_is_member=False)
    slack.add_channel("C3", "old", is_archived=True)
    for channel, error in (("C2", "not_in_channel"), ("C3", "is_archived"),
                           ("C404", "channel_not_found")):
        with pytest.raises(SlackApiError) as failed:
            client.chat_postMessage(channel=channel, text="hi")
        assert failed.value.response["error"] == error
    first = client.chat_postMessage(channel="C1", text="one")
    second = client.chat_postMessage(channel="C1", text="two", thread_ts=first["ts"])
    assert first["ts"] < second["ts"]
    client.chat_update(channel="C1", ts=first["ts"], text="uno", blocks=APPROVE)
    assert [m["text"] for m in slack.messages("C1")] == ["uno", "two"]
    assert slack.message("C1", first["ts"])["blocks"][0]["block_id"] == "row"
    assert slack.messages("C1")[1]["thread_ts"] == first["ts"]
    client.chat_delete(channel="C1", ts=second["ts"])
    assert len(slack.messages("C1")) == 1
    with pytest.raises(SlackApiError) as failed:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert failed.value.response["error"] == "message_not_found"
    assert slack.violations == []


def test_posting_to_a_user_id_opens_a_dm(slack, client):
    posted = client.chat_postMessage(channel="U1", text="psst")
    assert posted["channel"] == slack.dm_channel_id("U1")
    assert slack.messages("U1")[0]["text"] == "psst"


def test_ephemeral_messages(slack, client):
    with pytest.raises(SlackApiError) as failed:
        client.chat_postEphemeral(channel="C1", user="U2", text="hi")
    assert failed.value.response["error"] == "user_not_in_channel"
    ts = client.chat_postEphemeral(channel="C1", user="U1", text="just you")["message_ts"]
    assert slack.ephemerals("C1", "U1")[0]["ts"] == ts
    assert slack.ephemerals("C1", "U2") == []


def test_invalid_blocks_are_refused_and_recorded(slack, client):
    blocks = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C1", text="many", blocks=blocks)
    assert failed.value.response["error"] == "invalid_blocks"
    assert "51 blocks" in failed.value.response["errors"][0]
    assert slack.violations and slack.violations[0].startswith("chat.postMessage")
    assert slack.messages("C1") == []


def test_ratelimited_answers_429_with_retry_after(slack, client):
    slack.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel="C1", text="hi")
    assert failed.value.response.status_code == 429
    assert failed.value.response.headers["Retry-After"] == "7"
    assert slack.calls_to("chat.postMessage")[0].http_status == 429

    slack.fail_next("chat.postMessage", retry_after=3)
    handler = NoSleepRateLimitHandler(max_retry_count=1)
    patient = WebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[handler])
    assert patient.chat_postMessage(channel="C1", text="hi")["ok"]
    assert handler.waits == [["3"]]
    assert [c.http_status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]


def test_other_injected_failures(slack, client):
    slack.fail_next("users.info", http_status=500)
    slack.fail_next("users.info", "fatal_error")
    with pytest.raises(SlackApiError) as failed:
        client.users_info(user="U1")
    assert failed.value.response.status_code == 500
    with pytest.raises(SlackApiError) as failed:
        client.users_info(user="U1")
    assert failed.value.response["error"] == "fatal_error"
    assert client.users_info(user="U1")["ok"]


def test_auth_and_unknown_methods(slack):
    with pytest.raises(SlackApiError) as failed:
        WebClient(base_url=slack.api_url).auth_test()
    assert failed.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as failed:
        WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()
    assert failed.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as failed:
        WebClient(token="xoxb-test", base_url=slack.api_url).api_call("nope.nothing")
    assert failed.value.response["error"] == "unknown_method"


def test_files_upload_v2(slack, client):
    client.files_upload_v2(channel="C1", content=b"a,b\n1,2\n", filename="plan.csv",
                           title="Plan", initial_comment="Here it is")
    (uploaded,) = slack.files
    assert (uploaded["name"], uploaded["title"], uploaded["content"], uploaded["channel"]) == (
        "plan.csv", "Plan", b"a,b\n1,2\n", "C1")
    message = slack.messages("C1")[-1]
    assert message["text"] == "Here it is"
    assert message["files"][0]["id"] == uploaded["id"]


def test_conversations_members_pages(slack, client):
    slack.add_channel("C9", "big", members=[f"U{i}" for i in range(5)])
    first = client.conversations_members(channel="C9", limit=4)
    rest = client.conversations_members(
        channel="C9", cursor=first["response_metadata"]["next_cursor"])
    assert first["members"] + rest["members"] == ["U0", "U1", "U2", "U3", "U4", "U0BOT"]
    assert rest["response_metadata"]["next_cursor"] == ""


# ---- views and triggers -----------------------------------------------------------------------


def test_trigger_ids_expire_and_are_single_use(clock):
    with SlackEmulator(clock=clock) as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)

        def open_with(trigger_id):
            try:
                return client.views_open(trigger_id=trigger_id, view=modal())["view"]
            except SlackApiError as failed:
                return failed.response["error"]

        late = slack.new_trigger_id("U1")
        clock.now += 3.5
        assert open_with(late) == "expired_trigger_id"
        fresh = slack.new_trigger_id("U1")
        clock.now += 2.9
        view = open_with(fresh)
        assert view["id"] == view["root_view_id"] and view["hash"]
        assert open_with(fresh) == "exchanged_trigger_id"
        assert open_with("123.456.nope") == "invalid_trigger_id"
        assert slack.top_view("U1")["callback_id"] == "plan_modal"


def test_view_stack_update_and_home(slack, client):
    opened = client.views_open(trigger_id=slack.new_trigger_id("U1"), view=modal())["view"]
    for _ in range(2):
        client.views_push(trigger_id=slack.new_trigger_id("U1"), view=modal("more"))
    with pytest.raises(SlackApiError) as failed:
        client.views_push(trigger_id=slack.new_trigger_id("U1"), view=modal("more"))
    assert failed.value.response["error"] == "push_limit_reached"
    stack = slack.view_stack("U1")
    assert [v["root_view_id"] for v in stack] == [opened["id"]] * 3
    assert stack[1]["previous_view_id"] == opened["id"]

    with pytest.raises(SlackApiError) as failed:
        client.views_update(view_id=opened["id"], hash="stale", view=modal())
    assert failed.value.response["error"] == "hash_conflict"
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"],
                                  view=modal(private_metadata="42"))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert slack.view(opened["id"])["private_metadata"] == "42"
    with pytest.raises(SlackApiError) as failed:
        client.views_update(external_id="missing", view=modal())
    assert failed.value.response["error"] == "not_found"

    hello = {"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}
    home = {"type": "home", "blocks": [hello]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view=home)["view"]
    assert first["id"] == again["id"] and slack.home("U1")["hash"] == again["hash"]
    assert slack.violations == []


def test_invalid_view_is_refused(slack, client):
    bad = modal(private_metadata="x" * 3001)
    with pytest.raises(SlackApiError) as failed:
        client.views_open(trigger_id=slack.new_trigger_id("U1"), view=bad)
    assert failed.value.response["error"] == "invalid_blocks"
    assert any("private_metadata" in v for v in slack.violations)


# ---- driver and Bolt end to end ---------------------------------------------------------------


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


def test_response_url_limits(clock):
    with SlackEmulator(clock=clock) as slack:
        url = slack.new_response_url("C1", "U1")

        def post(body=b'{"text": "hi"}'):
            request = Request(url, data=body, headers={"Content-Type": "application/json"})
            try:
                with urlopen(request) as reply:
                    return reply.status
            except Exception as error:  # urllib raises HTTPError for 4xx
                return error.code

        assert [post() for _ in range(6)] == [200] * 5 + [404]
        assert slack.calls_to("response_url")[-1].response["error"] == "used_url"
        assert len(slack.ephemerals("C1", "U1")) == 5
        url = slack.new_response_url("C1", "U1")
        clock.now += 31 * 60
        assert post() == 404
        assert slack.calls_to("response_url")[-1].response["error"] == "expired_url"
        url = slack.new_response_url("C1", "U1")
        assert post(b'{"text": "hi", "response_type": "in_channel"}') == 200
        assert slack.messages("C1")[-1]["text"] == "hi"


def test_event_delivery(app, slack):
    driver, _ = app
    response = driver.event({"type": "app_mention", "user": "U1", "channel": "C1",
                             "text": "<@U0BOT> hi", "ts": "1.000100"})
    assert response.status == 200 and response.event_id.startswith("Ev")
    assert slack.wait_for("chat.postMessage")[0].params["text"] == "Hello"


def test_wait_for_times_out_quickly(slack):
    started = time.monotonic()
    with pytest.raises(AssertionError, match="chat.postMessage"):
        slack.wait_for("chat.postMessage", timeout=0.05)
    assert time.monotonic() - started < 1


# ---- Block Kit checks -------------------------------------------------------------------------


def test_check_message_limits():
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "actions", "block_id": "same", "elements": [button]},
        {"type": "actions", "block_id": "same", "elements": [
            {"type": "button", "action_id": "d", "text": {"type": "plain_text", "text": "1"}},
            {"type": "button", "action_id": "d", "text": {"type": "plain_text", "text": "2"}}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": "s"}, "accessory": {
            "type": "overflow", "action_id": "o", "options": [
                {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)}
                for i in range(6)]}},
    ]
    problems = "\n".join(check_message(blocks, "t" * 40001))
    for expected in ("40001", "header", "more than 75", "duplicate block_id",
                     "duplicate action_id", "overflow takes 1 to 5"):
        assert expected in problems
    assert check_message(APPROVE, "ok") == []
    assert check_message(None, "ok") == []
    assert check_message([{"type": "nonsense"}], None)


def test_check_view_limits():
    assert check_view(modal()) == []
    no_submit = modal()
    del no_submit["submit"]
    assert "submit" in " ".join(check_view(no_submit))
    long_title = modal()
    long_title["title"]["text"] = "t" * 25
    assert "title" in " ".join(check_view(long_title))
    too_long = modal()
    too_long["blocks"][0]["element"]["max_length"] = 3001
    assert "max_length" in " ".join(check_view(too_long))
    many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert "101 blocks" in " ".join(check_view(many))
