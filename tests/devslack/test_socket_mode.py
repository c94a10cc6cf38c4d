"""The emulator's Socket Mode server (bot/devslack/socket_mode.py) with the client `rumbo
socket` runs (slack_sdk's websocket-client one, bot/platform/socket_mode.py):
apps.connections.open, hello, envelopes and their acks, violations, disconnects, resets,
FINs and silent connections. `rumbo socket` on it: tests/processes/."""

import itertools
import json
import threading
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.devslack import SlackEmulator
from bot.devslack.socket_mode import SocketModeServer
from bot.platform.socket_mode import PongTimingSocketModeClient
from tests.processes.servers import BOT_TOKEN
from tests.scenario import (
    eventually,
)

APP_TOKEN = "xapp-1-A0RUMBO-1-test"  # noqa: S105 (a fake app-level token)


@pytest.fixture
def emulator():
    with SlackEmulator(app_token=APP_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def client(emulator):
    """The client `rumbo socket` runs, answering every envelope; it pings every second (the
    app: every 4 s) so that a test sees it notice silence soon."""
    client = PongTimingSocketModeClient(app_token=APP_TOKEN,
                                        web_client=WebClient(base_url=emulator.api_url),
                                        ping_interval=1, pong_timeout=0.4)
    client.received = []
    client.on_message_listeners.append(lambda _ws, raw: client.received.append(json.loads(raw)))

    def answer(socket_client, request):
        payload = {"text": f"got {request.payload.get('text')}"} \
            if request.type == "slash_commands" else None
        socket_client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload))

    client.socket_mode_request_listeners.append(answer)
    client.connect()
    yield client
    client.auto_reconnect_enabled = False
    emulator.socket_mode.drop()  # else closing waits up to 3 s for the server's close frame
    # Its close waits out its message queue's 1 s poll: let it finish while the next test
    # runs (nothing of this one's is read after).
    threading.Thread(target=client.close, daemon=True).start()


def test_apps_connections_open_takes_the_app_level_token_only(emulator):
    url = WebClient(base_url=emulator.api_url).apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    for token in (BOT_TOKEN, "xapp-1-A0OTHER-1-nope"):
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=emulator.api_url).apps_connections_open(app_token=token)
        assert refused.value.response["error"] == "invalid_auth"
    request = urllib.request.Request(f"{emulator.api_url}apps.connections.open", data=b"")
    with urllib.request.urlopen(request) as reply:  # noqa: S310 (loopback)
        assert json.load(reply) == {"ok": False, "error": "not_authed"}
    with pytest.raises(SlackApiError) as refused:  # and it is no bot token
        WebClient(token=APP_TOKEN, base_url=emulator.api_url).auth_test()
    assert refused.value.response["error"] == "invalid_auth"

    # A URL opens one connection: its ticket is spent.
    with connect(url) as websocket:
        hello = json.loads(websocket.recv(timeout=5))
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A0RUMBO"}
        with pytest.raises(InvalidStatus) as rejected:
            connect(url)
        assert rejected.value.response.status_code == 403
    assert emulator.violations == []


def test_hello_then_envelopes_and_their_acks(emulator, client):
    server = emulator.socket_mode
    link = server.wait_connected()
    hello = eventually(lambda: client.received)[0]
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert set(hello["debug_info"]) == {"host", "build_number", "approximate_connection_time"}

    ack = server.deliver("slash_commands", {"command": "/plan", "text": "help"})
    assert ack.payload == {"text": "got help"} and ack.link == link and ack.elapsed < 3
    assert ack.envelope["accepts_response_payload"] is True
    assert "retry_attempt" not in ack.envelope  # only events carry it on a first delivery

    event = server.deliver("events_api", {"type": "event_callback", "event_id": "Ev1"})
    assert event.payload is None
    assert (event.envelope["retry_attempt"], event.envelope["retry_reason"]) == (0, "")
    assert event.envelope["accepts_response_payload"] is False
    again = server.redeliver(event.envelope["envelope_id"])
    assert again.envelope["envelope_id"] != event.envelope["envelope_id"]
    assert (again.envelope["retry_attempt"], again.envelope["payload"]) == (1, event.envelope[
        "payload"])
    assert server.acks == [ack, event, again]
    assert emulator.violations == []


def test_acks_late_twice_unknown_or_with_an_ignored_payload_are_violations(emulator):
    server = SocketModeServer(emulator, ack_timeout=0.3).start()
    try:
        ack = server.deliver("events_api", {"type": "event_callback"})  # nobody connected
        assert ack.elapsed is None and ack.link == 0
        with connect(server.new_url()) as websocket:
            assert json.loads(websocket.recv(timeout=5))["type"] == "hello"
            unanswered = server.deliver("slash_commands", {"text": ""})
            assert unanswered.elapsed is None and unanswered.link == 1
            envelope_id = json.loads(websocket.recv(timeout=5))["envelope_id"]
            websocket.send(json.dumps({"envelope_id": envelope_id}))  # too late
            websocket.send(json.dumps({"envelope_id": envelope_id}))  # and twice
            websocket.send(json.dumps({"envelope_id": "never-sent"}))
            websocket.send("hello?")
            eventually(lambda: len(emulator.violations) >= 5)
            assert server.acks[0].elapsed >= 0.3  # the late ack is still recorded
        violations = "\n".join(emulator.violations)
        for expected in ("no open connection", "not acknowledged within 0.3 s",
                         "acknowledged twice", "never sent", "not an ack"):
            assert expected in violations
    finally:
        server.stop()


@pytest.mark.parametrize("reason", ["refresh_requested", "too_many_websockets"])
def test_the_client_reconnects_after_a_disconnect_and_after_a_reset(emulator, client, reason):
    server = emulator.socket_mode
    first = server.wait_connected()
    server.disconnect(reason)
    second = server.wait_connected(newer_than=first)
    assert server.deliver("slash_commands", {"text": "a"}).link == second

    server.drop()  # a network reset: no disconnect, no close frame
    third = server.wait_connected(newer_than=second)
    assert server.deliver("slash_commands", {"text": "b"}).link == third
    assert len(emulator.calls_to("apps.connections.open")) == 3  # a fresh URL each time
    kinds = [m.get("type") or "ack" for m in client.received]
    assert kinds == ["hello", "disconnect", "hello", "slash_commands", "hello", "slash_commands"]
    assert client.received[1]["reason"] == reason
    assert emulator.violations == []


def test_a_fin_is_noticed_at_once_and_a_silent_connection_by_its_missing_pongs(emulator,
                                                                             client):
    server = emulator.socket_mode
    first = server.wait_connected()
    eventually(lambda: client.received)  # its hello is through: the wire holds nothing
    server.drop(reset=False)  # a proxy closes the TCP connection under the websocket
    second = server.wait_connected(newer_than=first, timeout=3)
    assert server.deliver("slash_commands", {"text": "c"}).link == second

    # Half-open: nothing read, no pong, the socket open. Only the client's pings can tell:
    # here one a second, a pong later than 0.4 s ends it (and its closing handshake waits
    # 3 s for an answer that never comes).
    server.silence()
    lost = server.deliver("slash_commands", {"text": "lost"})
    assert lost.elapsed is None and lost.link == second  # no ack, and no violation
    third = server.wait_connected(newer_than=second, timeout=10)
    assert server.deliver("slash_commands", {"text": "d"}).link == third
    kinds = [m.get("type") or "ack" for m in client.received]
    assert kinds == ["hello", "hello", "slash_commands", "hello", "slash_commands"]
    assert emulator.violations == []


def test_attempts_that_open_no_connection_wait_longer_and_longer(emulator, client):
    server = emulator.socket_mode
    first = server.wait_connected()
    eventually(lambda: client.received)
    before = len(emulator.calls_to("apps.connections.open"))
    server.refusing = True  # an outage: every handshake is turned away
    server.drop()

    def urls():
        return [c.at for c in emulator.calls_to("apps.connections.open")][before:]

    # One URL for each attempt: the first at once, then 1, 2 … s after each failure (with
    # no backoff, one every half second).
    fetched = eventually(lambda: len(urls()) >= 4 and urls(), timeout=10)
    gaps = [later - earlier for earlier, later in itertools.pairwise(fetched)]
    assert gaps[1] > 0.9 and gaps[2] > 1.9, gaps
    server.refusing = False
    second = server.wait_connected(newer_than=first, timeout=10)
    assert server.deliver("slash_commands", {"text": "back"}).link == second
    assert client.failures == 0
    assert emulator.violations == []
