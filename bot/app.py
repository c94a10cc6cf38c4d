"""The Bolt app factory."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_bolt import App, BoltResponse
from sqlalchemy.engine import Engine

from bot.cards import Cards
from bot.dispatch import Dispatcher
from bot.listeners import register_listeners
from bot.listeners.common import Deps
from bot.settings import Settings
from bot.slack import make_client


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
) -> App:
    """The Bolt app, with Rumbo's dependencies (`Deps`) in every request's context."""
    client = make_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        # Listeners answer when their function returns, after the write is committed; the
        # work after the ack runs on Rumbo's own threads (Deps.later).
        process_before_response=True,
        # auth.test runs on the first request instead of at start, so a start-up does not
        # depend on Slack being reachable.
        token_verification_enabled=False,
    )
    deps = Deps(engine=engine, clock=clock)
    deps.cards = Cards(engine, client, clock)
    deps.outbox = Dispatcher(engine, client, clock, users=deps.users, cards=deps.cards,
                             lease=timedelta(seconds=settings.rumbo_lease_seconds))
    app.middleware(RetryGuard())

    @app.middleware
    def provide_deps(context, next):
        context["rumbo"] = deps
        next()

    register_listeners(app)
    app.rumbo = deps  # for the scheduler and the server's shutdown
    return app
