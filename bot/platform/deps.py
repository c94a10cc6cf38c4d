"""What every handler may use: the database, the clock, Slack's directory, the outbox and the
live cards, and where the work Slack does not wait for runs (`Background`)."""

import contextvars
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.platform.slack import ChannelMembers, UserDirectory
from storage.db import new_session

if TYPE_CHECKING:
    from bot.outbox.cards import Cards
    from bot.outbox.sender import Sender
    from bot.platform.installations import RumboInstallationStore
    from bot.platform.request import Interaction

log = logging.getLogger("rumbo")
FOLLOW_UP_THREADS = 8  # the work after an ack mostly waits on Slack


class Background:
    """Where the work Slack does not wait for runs: after an ack (`run`), or in a moment
    (`run_in`, a card's next redraw). Threads of this process: a pool, and one thread that
    hands it the delayed work when due (not a thread per delay); a test replaces it with one
    that runs the work when the test says (tests/inprocess.py), so nothing sleeps."""

    def __init__(self, threads: int = FOLLOW_UP_THREADS):
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="rumbo-after")
        self._due: list[tuple[float, int, contextvars.Context, Callable[[], None]]] = []
        self._serial = itertools.count()
        self._changed = threading.Condition()
        self._timer: threading.Thread | None = None

    def run(self, job: Callable[[], None]) -> None:
        """Run `job` on another thread, with the context (the request's ids) of this one."""
        self._pool.submit(contextvars.copy_context().run, job)

    def run_in(self, seconds: float, job: Callable[[], None]) -> None:
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + seconds, next(self._serial),
                                       contextvars.copy_context(), job))
            if self._timer is None:
                self._timer = threading.Thread(target=self._hand_over, daemon=True,
                                               name="rumbo-timer")
                self._timer.start()
            self._changed.notify()

    def _hand_over(self) -> None:
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._changed.wait(self._due[0][0] - time.monotonic() if self._due
                                       else None)
                _at, _serial, context, job = heapq.heappop(self._due)
            self._pool.submit(context.run, job)

    def shutdown(self) -> None:
        """Finish what was started (a stop after the acks already given)."""
        self._pool.shutdown(wait=True)


@dataclass
class Deps:
    engine: Engine
    clock: Callable[[], datetime]
    outbox: "Sender"  # sends what users ask to post
    cards: "Cards"  # redraws the live cards
    background: Background
    users: UserDirectory = field(default_factory=UserDirectory)
    members: ChannelMembers = field(default_factory=ChannelMembers)
    installations: "RumboInstallationStore | None" = None  # OAuth mode's

    def db(self) -> Session:
        return new_session(self.engine)

    def later(self, act: "Interaction", job: Callable[[], None]) -> None:
        """Run `job` after the ack, logged with the request's ids; a failure there still
        reaches the user."""
        self.background.run(lambda: _apologising(act, job))


def _apologising(act: "Interaction", job: Callable[[], None]) -> None:
    act.acked = True
    try:
        job()
    except Exception:
        log.exception("work after the ack failed (%s)", act.kind)
        _ = act.gettext()
        act.tell(_("Something went wrong on my side and I couldn't finish that. What you "
                   "sent is saved; please try again in a moment."))
