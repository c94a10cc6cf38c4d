"""`rumbo socket`'s Socket Mode client (bot/platform/socket_mode.py): what it leans on in
slack_sdk, and its settings. Against the emulator's Socket Mode server:
tests/devslack/test_socket_mode.py; the real `rumbo socket`: tests/processes/."""

import hashlib
import inspect
from pathlib import Path

import pytest
from slack_sdk.socket_mode import websocket_client

from bot.platform.socket_mode import (
    MAX_BACKOFF,
    PING_INTERVAL,
    PONG_TIMEOUT,
    PongTimingSocketModeClient,
    backoff,
)

# slack_sdk 3.48.0's slack_sdk/socket_mode/websocket_client/__init__.py.
READ_SOURCE = "2ba7e2a2b3a2526970b9711f62a9a383b28a14ebb31f8ad2cda147ab0a9dce7c"


def test_the_slack_sdk_client_it_overrides_is_the_one_that_was_read():
    """PongTimingSocketModeClient replaces the private `_run_current_session` of slack_sdk's
    websocket-client client (a copy of it, with ping_timeout and a backoff) and leans on
    how its receiving thread picks up each new session. When slack_sdk changes that file,
    read it again, carry its changes over and update the digest (slack-sdk is pinned for
    this in pyproject.toml)."""
    source = Path(inspect.getfile(websocket_client)).read_bytes()
    assert hashlib.sha256(source).hexdigest() == READ_SOURCE


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
