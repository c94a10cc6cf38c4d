"""`rumbo socket`'s connection to Slack: Bolt's websocket-client Socket Mode adapter, with a
pong timeout and a backoff between failed connection attempts.

Why this adapter: websocket-client notices a reset or a FIN under the websocket at once
(its read fails, the connection closes, slack_sdk opens a new one through
`apps.connections.open`). slack_sdk's builtin client, handed a FIN, reads nothing in a
busy loop until five pings in a row fail (measured: ten seconds of one core at a 2 s ping
interval), and a reset goes the same way whenever a ping takes the error before the read
does. The aiohttp adapter needs an async Bolt app. What slack_sdk's websocket-client client
lacks is a pong timeout: it hands websocket-client its ping interval and no `ping_timeout`,
so a silent half-open connection would never be noticed. `PongTimingSocketModeClient`
hands one over.
"""

from __future__ import annotations

import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk.socket_mode.websocket_client import SocketModeClient

PING_INTERVAL = 4.0  # seconds between the app's pings
# A pong later than this ends the connection. websocket-client looks every PONG_TIMEOUT
# seconds while nothing arrives, and a late pong counts only until the next ping: with
# PING_INTERVAL > 2 * PONG_TIMEOUT a look always falls in between, so a silent connection is
# noticed within PING_INTERVAL + 2 * PONG_TIMEOUT (7 s); its closing handshake then waits
# up to 3 s for an answer that never comes, and the new connection is open within 11 s.
PONG_TIMEOUT = 1.5
MAX_BACKOFF = 30.0  # seconds between connection attempts, at most, while none succeeds


def backoff(failures: int) -> float:
    """Seconds to wait before the next connection attempt after `failures` in a row: none
    after a connection that worked, then 1, 2, 4 … up to MAX_BACKOFF."""
    return 0.0 if failures == 0 else min(MAX_BACKOFF, 2.0 ** (failures - 1))


class PongTimingSocketModeClient(SocketModeClient):
    """slack_sdk's websocket-client Socket Mode client, with missing pongs timed out,
    attempts that do not open a connection spaced out (`backoff`), and one URL fetched per
    connection (`is_connected`)."""

    def __init__(self, *, ping_interval: float = PING_INTERVAL,
                 pong_timeout: float = PONG_TIMEOUT, **kwargs) -> None:
        if ping_interval <= 2 * pong_timeout:
            raise ValueError("the ping interval must be over twice the pong timeout")
        self.pong_timeout = pong_timeout
        self.failures = 0  # connection attempts in a row that opened nothing
        self._opened = False  # the current attempt opened its connection
        self._started: object = None  # the last session the receiving thread started
        self._closing = threading.Event()
        # Starts the thread that calls _run_current_session.
        super().__init__(ping_interval=ping_interval, **kwargs)
        self.on_open_listeners.append(self._on_open)

    def _on_open(self, _ws) -> None:
        self._opened, self.failures = True, 0

    def is_connected(self) -> bool:
        """Also while a new session waits to be started: else slack_sdk's monitor, and the
        old session's on_close after a `disconnect`, each fetch another URL for it (its
        ticket never used) and replace it before it ran."""
        current = self.current_session
        return super().is_connected() or (current is not None and current is not self._started)

    def close(self) -> None:
        self._closing.set()  # a backoff under way ends at once
        super().close()

    def _run_current_session(self) -> None:
        # slack_sdk 3.48.0's, with ping_timeout and the backoff added. A private method:
        # tests/platform/test_socket_mode.py fails the day slack_sdk's changes.
        if self.current_session is not None:
            if self._closing.wait(backoff(self.failures)):
                return
            self._started, self._opened = self.current_session, False
            try:
                self.logger.info("Starting to receive messages from a new connection")
                self.current_session.run_forever(
                    ping_interval=self.ping_interval,
                    ping_timeout=self.pong_timeout,
                    http_proxy_host=self.http_proxy_host,
                    http_proxy_port=self.http_proxy_port,
                    http_proxy_auth=self.http_proxy_auth,
                    proxy_type=self.proxy_type,
                )
                self.logger.info("Stopped receiving messages from a connection")
            except Exception as e:
                self.logger.exception(f"Failed to start or stop the current session: {e}")
                # To let the monitoring job detect the connection issue, closing this session
                if self.current_session is not None:
                    self.current_session.close()
            if not self._opened:
                self.failures += 1


class RumboSocketModeHandler(SocketModeHandler):
    """Bolt's websocket-client adapter (its `handle`: the app runs each envelope and acks
    it) on PongTimingSocketModeClient."""

    def __init__(self, app: App, app_token: str | None, *, ping_interval: float = PING_INTERVAL,
                 pong_timeout: float = PONG_TIMEOUT) -> None:
        # Bolt's own __init__ would start a client of slack_sdk's: this one instead.
        if not app_token:
            raise ValueError("Socket Mode needs the app-level token (SLACK_APP_TOKEN)")
        self.app = app
        self.app_token = app_token
        self.client = PongTimingSocketModeClient(
            app_token=app_token, logger=app.logger, web_client=app.client,
            ping_interval=ping_interval, pong_timeout=pong_timeout)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
