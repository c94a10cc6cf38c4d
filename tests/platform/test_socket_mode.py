"""`rumbo socket`'s Socket Mode client (bot/platform/socket_mode.py): what it leans on in
slack_sdk, and its settings. Against the emulator's Socket Mode server:
tests/devslack/test_socket_mode.py; the real `rumbo socket`: tests/processes/."""

import hashlib
import inspect
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode import websocket_client as bolt_adapter
from slack_sdk.socket_mode import websocket_client

from bot.platform.socket_mode import (
    MAX_BACKOFF,
    PING_INTERVAL,
    PONG_TIMEOUT,
    PongTimingSocketModeClient,
    backoff,
)

# The files that were read: slack_sdk 3.48.0's slack_sdk/socket_mode/websocket_client/
# __init__.py and slack_bolt 1.30.0's slack_bolt/adapter/socket_mode/websocket_client/
# __init__.py.
READ = {
    websocket_client: "2ba7e2a2b3a2526970b9711f62a9a383b28a14ebb31f8ad2cda147ab0a9dce7c",
    bolt_adapter: "59c10ac480ce2968b39b18c8f5b4f7a8feeb3097de409127deb731787fcbeb54",
}


@pytest.mark.parametrize("module", READ, ids=lambda module: module.__name__)
def test_the_code_it_leans_on_is_the_code_that_was_read(module):
    """PongTimingSocketModeClient replaces the private `_run_current_session` of slack_sdk's
    websocket-client client (a copy of it, with ping_timeout and a backoff) and leans on
    how its receiving thread picks up each new session; RumboSocketModeHandler sets up
    Bolt's websocket-client adapter without its __init__ (which would start a client of
    slack_sdk's). When either file changes, read it again, carry its changes over and
    update the digest (slack-sdk and slack-bolt are pinned for this in pyproject.toml)."""
    source = Path(inspect.getfile(module)).read_bytes()
    assert hashlib.sha256(source).hexdigest() == READ[module]


def test_silence_is_noticed_within_about_ten_seconds():
    # A look (every PONG_TIMEOUT while nothing arrives) must fall between a pong's deadline
    # and the next ping, which moves the deadline on.
    assert PING_INTERVAL > 2 * PONG_TIMEOUT
    assert PING_INTERVAL + 2 * PONG_TIMEOUT <= 8
    with pytest.raises(ValueError, match="twice the pong timeout"):
        PongTimingSocketModeClient(app_token="xapp-1", ping_interval=3, pong_timeout=1.5)


def test_backoff_waits_longer_after_each_failed_attempt_up_to_a_limit():
    assert [backoff(n) for n in range(8)] == [0, 1, 2, 4, 8, 16, 30, 30]
    assert backoff(100) == MAX_BACKOFF
