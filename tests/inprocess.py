"""Rumbo's Bolt app in the test's own process, the way bolt-python tests its scenarios: the
Web API emulator in a thread (real HTTP on loopback), signed requests handed to
`App.dispatch` (`AppDriver`), and the work the app leaves for after its acks run when the
test says (`Deferred`), on a clock the test moves (`FakeClock`).

The driver settles after every request: when a call returns, everything the app did after
its ack (the answer in the response_url, the card's redraw a second later, the upload) has
happened, so a test asserts at once, with no sleeping and no polling.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.devslack import AppDriver, SlackEmulator
from bot.platform.app import create_app
from bot.platform.deps import Background
from bot.platform.settings import Settings
from storage.db import make_engine, migrate

SIGNING_SECRET = "test-signing-secret"  # noqa: S105 (the tests' own)
BOT_TOKEN = "xoxb-test"  # noqa: S105 (the emulator's)
SETTLE_LIMIT = 10_000  # jobs one settle() may run: more is a loop that never ends


class FakeClock:
    """The app's clock in a test: timezone-aware, standing still unless moved
    (`advance`, or `now` set); it starts at the real now unless given a moment."""

    def __init__(self, now: datetime | None = None):
        if now is not None and now.tzinfo is None:
            raise ValueError("a FakeClock's moment must be timezone-aware")
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


class Deferred(Background):
    """A Background that runs nothing by itself: `run` jobs wait for `settle()`, `run_in`
    jobs too, due at the clock's now + their seconds."""

    def __init__(self, clock: FakeClock):  # no threads: nothing of Background's own
        self.clock = clock
        self._queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self._serial = itertools.count()
        self._lock = threading.Lock()
        self._settling = threading.RLock()

    def run(self, job: Callable[[], None]) -> None:
        self._put(self.clock(), job)

    def run_in(self, seconds: float, job: Callable[[], None]) -> None:
        self._put(self.clock() + timedelta(seconds=seconds), job)

    def shutdown(self) -> None:
        """A stop finishes what was started, as Background's does."""
        self.settle()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def settle(self) -> int:
        """Run everything queued, in due order, and what those jobs queue in turn; a job
        due later than the clock's now moves the clock to its due time first. A job's
        exception is raised here (threads would have dropped it). Returns how many ran."""
        ran = 0
        with self._settling:  # one settler at a time, however many threads ask
            while True:
                with self._lock:
                    if not self._queue:
                        return ran
                    due, _, job = heapq.heappop(self._queue)
                if due > self.clock():
                    self.clock.advance(due - self.clock())
                job()
                ran += 1
                if ran >= SETTLE_LIMIT:
                    raise RuntimeError(f"settle() ran {ran} jobs and more keep coming")

    def _put(self, due: datetime, job: Callable[[], None]) -> None:
        # The context (the request's ids, for the logs) of the thread that asked, as
        # Background's threads have it.
        job = _in_context(job)
        with self._lock:
            heapq.heappush(self._queue, (due, next(self._serial), job))


def _in_context(job: Callable[[], None]) -> Callable[[], None]:
    context = contextvars.copy_context()
    return lambda: context.run(job)


# --- databases -------------------------------------------------------------------------------

def migrated_template(path: Path) -> Path:
    """A migrated SQLite database file to copy for each test (migrating takes far longer
    than a copy)."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as connection:  # everything in the main file, none in the WAL
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


def sqlite_copy(template: Path, path: Path) -> Engine:
    """A fresh migrated SQLite database at `path`, copied from `template`."""
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


# --- the app ---------------------------------------------------------------------------------

def settings_for(emulator: SlackEmulator, engine: Engine, **values) -> Settings:
    """Rumbo's settings for a test, every one given (nothing read from the environment or
    a .env file): one workspace's bot token, unless `values` say OAuth."""
    given = dict(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                 slack_app_token=None, slack_api_url=emulator.api_url,
                 database_url=engine.url.render_as_string(hide_password=False),
                 log_level="INFO", log_format="text", slack_client_id=None,
                 slack_client_secret=None, slack_scopes=None, slack_redirect_uri=None,
                 rumbo_encryption_key=None)
    given.update(values)
    return Settings(_env_file=None, **given)


class InProcessApp:
    """Slack's side and Rumbo between them, in this process: `emulator`, `driver` (an
    AppDriver that settles after every request), `engine`, `clock`, `app`, `outbox`
    (whose `run_once()` sends what is due at the clock's now), `settings`."""

    def __init__(self, emulator: SlackEmulator, engine: Engine, settings: Settings,
                 clock: FakeClock):
        self.emulator, self.engine, self.settings, self.clock = emulator, engine, settings, clock
        self.driver = AppDriver(None, SIGNING_SECRET, emulator, after_request=self.settle)
        self.start()

    def start(self) -> None:
        """A fresh app (and background) on the same database and Slack: what a process
        restart keeps. Work the old app left unsettled is dropped, as a killed process's."""
        self.background = Deferred(self.clock)
        self.app = create_app(self.settings, self.engine, clock=self.clock,
                              background=self.background)
        self.driver.app = self.app

    restart = start

    @property
    def outbox(self):
        return self.app.rumbo.outbox

    def settle(self) -> int:
        """Run the work the app left for after its acks (the driver does it after every
        request; a test calls it after sending the outbox itself)."""
        return self.background.settle()


@contextmanager
def in_process(engine: Engine, *, clock: FakeClock | None = None, emulator_args=None,
               **settings) -> Iterator[InProcessApp]:
    """The emulator and the app on `engine`; fails if the emulator recorded a violation
    (a message or view Slack would refuse, a protocol mistake)."""
    with SlackEmulator(**{"bot_token": BOT_TOKEN, **(emulator_args or {})}) as emulator:
        rumbo = InProcessApp(emulator, engine, settings_for(emulator, engine, **settings),
                             clock or FakeClock())
        yield rumbo
        rumbo.settle()
    assert emulator.violations == [], emulator.violations
