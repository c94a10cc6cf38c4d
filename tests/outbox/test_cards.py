"""The live cards (bot/outbox/cards.py): marked by the writes they show, redrawn from the
database about once a second whichever process asks, and redrawn after a crash left them
marked. SQLite and PostgreSQL, the Web API emulator, an injected clock, the redraws a
second later run when the test says (a Deferred background)."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.devslack import SlackEmulator
from bot.outbox.cards import SPACING, STALE_AFTER, Cards, mark
from bot.platform.slack import make_client
from storage import sessions
from storage.db import make_engine, new_session
from storage.models import StrategySession
from tests.factories import new_plan
from tests.inprocess import Deferred, FakeClock

T0 = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        emulator.add_channel("C1", "acme", members=["U1"])
        yield emulator


def running_card(engine, slack) -> int:
    """A session whose card is in the channel."""
    client = make_client(token="xoxb-test", base_url=slack.api_url)
    posted = client.chat_postMessage(channel="C1", text="the card")
    with new_session(engine) as db:
        plan = new_plan(db)
        strategy_session = sessions.start_session(db, plan=plan, user_id="U1", now=T0,
                                                  ends_at=T0 + timedelta(minutes=90))
        sessions.set_session_message(db, session_id=strategy_session.id, ts=posted["ts"])
        db.commit()
        return strategy_session.id


def touch(engine, card_id, at) -> None:
    with new_session(engine) as db:
        mark(db, "session", card_id, at)
        db.commit()


def cards(engine, slack, clock, background=None) -> Cards:
    return Cards(engine, make_client(token="xoxb-test", base_url=slack.api_url), clock,
                 background)


def test_a_burst_of_writes_gives_one_redraw(engine, slack):
    card_id = running_card(engine, slack)
    clock = FakeClock(T0)
    later = Deferred(clock)  # the redraws a second from now, run when the test says
    first = cards(engine, slack, clock, later)
    for _ in range(20):  # twenty submissions in the same second, one redraw request each
        touch(engine, card_id, clock.now)
        first.redraw_soon("session", card_id)
    assert slack.calls_to("chat.update") == [] and later.pending() == 1  # folded into one
    assert later.settle() == 1
    updates = slack.calls_to("chat.update")
    assert len(updates) == 1 and "Strategy session" in updates[0].params["text"]
    with new_session(engine) as db:
        card = db.get(StrategySession, card_id)
        assert card.card_dirty_at is None and card.card_drawn_at == T0 + SPACING == clock.now


def test_two_processes_redraw_a_second_apart_and_the_last_change_shows(engine, slack):
    card_id = running_card(engine, slack)
    url = engine.url.render_as_string(hide_password=False)
    clock = FakeClock(T0 - SPACING / 2)
    engines = [make_engine(url) for _ in range(2)]  # two processes, two engines
    later = Deferred(clock)
    one, other = cards(engines[0], slack, clock), cards(engines[1], slack, clock, later)
    # A write in the other process asks for a redraw in a second...
    touch(engine, card_id, clock.now)
    other.redraw_soon("session", card_id)
    # ...half a second later a facilitator's click redraws the card in this one at once...
    clock.now = T0
    touch(engine, card_id, clock.now)
    one.redraw_now("session", card_id)
    assert len(slack.calls_to("chat.update")) == 1
    # ...and the other process takes a write right after (its redraw is waiting already).
    clock.now = T0 + SPACING / 4
    touch(engine, card_id, clock.now)
    other.redraw_soon("session", card_id)
    assert later.pending() == 1
    # Its redraw comes due half a second after this one's: too soon, so it is refused and
    # waits for the spacing, then shows that last write too.
    assert later.settle() == 2
    updates = slack.calls_to("chat.update")
    assert len(updates) == 2 and clock.now == T0 + SPACING * 3 / 2
    with new_session(engine) as db:
        card = db.get(StrategySession, card_id)
        assert card.card_dirty_at is None and card.card_drawn_at == clock.now
    for e in engines:
        e.dispose()


def test_a_card_left_marked_by_a_dead_process_is_redrawn_by_the_tick(engine, slack):
    card_id = running_card(engine, slack)
    touch(engine, card_id, T0)  # the process died before its timer fired
    clock = FakeClock(T0 + STALE_AFTER / 2)
    assert cards(engine, slack, clock).redraw_stale() == 0  # its own timer may still fire
    clock.now = T0 + STALE_AFTER + timedelta(seconds=1)
    assert cards(engine, slack, clock).redraw_stale() == 1
    assert cards(engine, slack, clock).redraw_stale() == 0
    assert len(slack.calls_to("chat.update")) == 1
