"""The Web API emulator (bot/devslack/emulator.py) with slack_sdk's own client: Slack's
answers and errors, injected failures, triggers, response_urls, views and files."""

from __future__ import annotations

import time
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from bot.devslack import SlackEmulator
from tests.devslack.samples import APPROVE, modal


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


@pytest.fixture
def clock():
    return FakeClock()


# ---- signing ----------------------------------------------------------------------------------


# ---- Web API ----------------------------------------------------------------------------------


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


def test_a_file_attached_in_a_modal_is_served_to_the_bot_token_only(slack, client):
    found = slack.attach_file("U1", "plan 1.xlsx", b"PK\x03\x04 bytes")
    assert (found["name"], found["filetype"], found["size"]) == ("plan 1.xlsx", "xlsx", 10)
    assert client.files_info(file=found["id"])["file"] == found
    with pytest.raises(SlackApiError) as error:
        client.files_info(file="F404")
    assert error.value.response["error"] == "file_not_found"
    url = found["url_private_download"]
    assert url.startswith(slack.base_url)
    with urlopen(Request(url, headers={"Authorization": f"Bearer {slack.bot_token}"})) as got:  # noqa: S310
        assert got.read() == b"PK\x03\x04 bytes"
    for headers in ({}, {"Authorization": "Bearer xoxb-someone-else"}):
        with pytest.raises(HTTPError) as refused:
            urlopen(Request(url, headers=headers))  # noqa: S310
        assert refused.value.code == 403
    assert [c.http_status for c in slack.calls_to("file_download")] == [200, 403, 403]


def test_users_lookup_by_email(slack, client):
    slack.add_user("U7", "eva", email="Eva@Example.com")
    assert client.users_lookupByEmail(email="eva@example.com")["user"]["id"] == "U7"
    with pytest.raises(SlackApiError) as error:
        client.users_lookupByEmail(email="nobody@example.com")
    assert error.value.response["error"] == "users_not_found"


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


def test_wait_for_times_out_quickly(slack):
    started = time.monotonic()
    with pytest.raises(AssertionError, match="chat.postMessage"):
        slack.wait_for("chat.postMessage", timeout=0.05)
    assert time.monotonic() - started < 1


# ---- Block Kit checks -------------------------------------------------------------------------
