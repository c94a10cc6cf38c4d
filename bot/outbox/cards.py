"""The live cards in a channel (the strategy session's, the scoring round's).

A card is drawn from the database, never from memory. Every write that a card shows marks
it in the writer's transaction: `mark`, or the database itself for the commonest writes
of a meeting (triggers, migration 0010, one statement fewer each): an answer or an idea
stored in a session marks its card, a score stored or changed its plan's round card.
Redrawing claims the mark with one conditional UPDATE that also spaces redraws a second
apart (chat.update's pace per channel), so however many processes take writes, a burst
gives about one update a second, and the last one shows everything. A mark left by a
process that died before redrawing is picked up by the sender's tick (`redraw_stale`).
"""

import logging
import threading
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.platform.deps import Background
from bot.platform.slack import Clients, clients_of, slack_error
from bot.scoring.deliveries import round_card
from bot.sessions.deliveries import session_card
from storage import outbox
from storage.db import new_session
from storage.models import Plan

log = logging.getLogger("rumbo")
SPACING = timedelta(seconds=1)
STALE_AFTER = timedelta(seconds=5)


def draw(db: Session, kind: str, card) -> dict:
    plan = db.get_one(Plan, card.plan_id)
    if kind == "session":
        return session_card(db, plan=plan, strategy_session=card)
    return round_card(db, plan=plan, scoring_round=card)


def mark(db: Session, kind: str, card_id: int, now: datetime) -> None:
    """The card shows something that changed: in the writer's transaction."""
    outbox.mark_card(db, kind=kind, card_id=card_id, now=now)


class Cards:
    def __init__(self, engine: Engine, client: WebClient | Clients, clock,
                 background: Background | None = None):
        self.engine, self.clients, self.clock = engine, clients_of(client), clock
        self.background = background or Background()
        self._lock = threading.Lock()
        self._waiting: set[tuple[str, int]] = set()

    def redraw_soon(self, kind: str, card_id: int) -> None:
        """Redraw within about a second; more requests meanwhile fold into that one."""
        with self._lock:
            if (kind, card_id) in self._waiting:
                return
            self._waiting.add((kind, card_id))
        self.background.run_in(SPACING.total_seconds(), lambda: self._run(kind, card_id))

    def redraw_now(self, kind: str, card_id: int) -> None:
        """Redraw at once: a facilitator clicked and is looking at the card."""
        self._redraw(kind, card_id, spacing=timedelta(0))

    def redraw_stale(self) -> int:
        """Cards marked a while ago and never redrawn (their process died): redraw them."""
        with new_session(self.engine) as db:
            stale = outbox.stale_cards(db, before=self.clock() - STALE_AFTER)
        return sum(self._redraw(kind, card_id, spacing=SPACING) for kind, card_id in stale)

    def _run(self, kind: str, card_id: int) -> None:
        with self._lock:
            self._waiting.discard((kind, card_id))
        try:
            self._redraw(kind, card_id, spacing=SPACING)
        except Exception:
            log.exception("redrawing the %s card %s failed", kind, card_id)

    def _redraw(self, kind: str, card_id: int, *, spacing: timedelta) -> bool:
        with new_session(self.engine) as db:
            claimed = outbox.claim_card(db, kind=kind, card_id=card_id, now=self.clock(),
                                        spacing=spacing)
            card = outbox.card(db, kind=kind, card_id=card_id)
            if card is None or card.message_ts is None:
                return False
            if not claimed:
                if card.card_dirty_at is not None and card.message_ts:
                    self.redraw_soon(kind, card_id)  # drawn a moment ago elsewhere: later
                return False
            drawn = draw(db, kind, card)
        client = self.clients(card.team_id)
        if client is None:
            return False  # not installed there any more
        try:
            client.chat_update(channel=card.channel_id, ts=card.message_ts, **drawn)
        except SlackApiError as error:
            # The data is stored: the card catches up with the next change.
            log.warning("could not update the %s card: %s", kind, slack_error(error))
            return False
        return True
