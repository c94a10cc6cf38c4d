"""What every handler may use: the database, the clock, Slack's directory, the outbox and the
live cards, and the threads that do the work after an ack."""

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.platform.slack import ChannelMembers, UserDirectory
from storage.db import new_session

if TYPE_CHECKING:
    from bot.platform.request import Interaction

log = logging.getLogger("rumbo")


FOLLOW_UP_THREADS = 8  # the work after an ack mostly waits on Slack


@dataclass
class Deps:
    engine: Engine
    clock: Callable[[], datetime]
    users: UserDirectory = field(default_factory=UserDirectory)
    members: ChannelMembers = field(default_factory=ChannelMembers)
    outbox: object = None  # bot.outbox.sender.Dispatcher: sends what users ask to post
    cards: object = None  # bot.outbox.cards.Cards: redraws the live cards
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        FOLLOW_UP_THREADS, thread_name_prefix="rumbo-after"))

    def db(self):
        return new_session(self.engine)

    def later(self, act: "Interaction", job: Callable[[], None]) -> None:
        """Run `job` after the ack, logged with the request's ids; a failure there still
        reaches the user."""
        self.pool.submit(contextvars.copy_context().run, _apologising, act, job)


def _apologising(act: "Interaction", job: Callable[[], None]) -> None:
    act.acked = True
    try:
        job()
    except Exception:
        log.exception("work after the ack failed (%s)", act.kind)
        _ = act.gettext()
        act.tell(_("Something went wrong on my side and I couldn't finish that. What you "
                   "sent is saved; please try again in a moment."))
