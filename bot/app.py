"""The Bolt app factory."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import App, BoltResponse
from sqlalchemy.engine import Engine

from bot.listeners import register_listeners
from bot.listeners.common import Deps
from bot.settings import Settings
from bot.slack import make_client
from bot.work_process import hand_work_to_process


def utc_now() -> datetime:
    return datetime.now(UTC)


class RetryGuard:
    """Answer Slack's retries of a request already being handled without handling it
    again (Bolt has no de-duplication). Writes are also keyed in the database, so this
    only spares work, it is not what keeps data single."""

    def __init__(self, ttl_seconds: float = 600, size: int = 10_000):
        self._ttl, self._size = ttl_seconds, size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(body: dict) -> str | None:
        if body.get("type") == "view_submission":
            return None  # validation is pure and storage is keyed: safe to answer again
        return body.get("event_id") or body.get("trigger_id")

    def first_time(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._seen and (len(self._seen) > self._size
                                  or now - next(iter(self._seen.values())) > self._ttl):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def __call__(self, body, next):
        key = self.key(body)
        if key is not None and not self.first_time(key):
            return BoltResponse(status=200, body="")
        next()


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utc_now,
    work_in_process: bool = False,
    verify_requests: bool = True,
) -> App:
    """The Bolt app. With work_in_process, what listeners do after the ack runs in a
    separate work process (see bot/work_process.py); otherwise on Bolt's threads."""
    app = App(
        client=make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=verify_requests,
        # Listeners ack at once and hand slow work to lazy listeners; answering after the
        # ack function (rather than polling for it) keeps every reply fast.
        process_before_response=True,
        # auth.test runs on the first request instead of at start, so a start-up does not
        # depend on Slack being reachable.
        token_verification_enabled=False,
    )
    if work_in_process:
        hand_work_to_process(app, settings)
    if verify_requests:
        app.middleware(RetryGuard())
    register_listeners(app, Deps(engine=engine, clock=clock))
    return app
