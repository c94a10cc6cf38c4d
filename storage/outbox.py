"""The outbox: every message the team depends on, written (keyed) in the same transaction
as what asked for it, and sent by the sender (bot/outbox/sender.py).

A delivery is claimed with one conditional UPDATE before it is sent, and the claim is a
lease: a process that dies while holding it loses it when the lease runs out, and
another process takes it over. However many processes run, each message goes out once.

`schedule`, `add`, `cancel` and `resume_plan` join the caller's transaction (they flush);
the sender's own steps (`claim`, `progress`, `finish`, `pause_plan`) commit at once.
"""

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.db import insert, table
from storage.models import ACTIVE, Delivery, Plan, ScoringRound, StrategySession

OPEN = ("pending", "paused")
# How long a claim holds unless RUMBO_LEASE_SECONDS says: longer than any one Slack call.
LEASE = timedelta(seconds=60)
NOT_INSTALLED = "not installed"  # a paused delivery's reason while its workspace has none


def schedule(session: Session, *, plan: Plan, planned: Iterable) -> int:
    """Put planned deliveries in the outbox; ones already there (same key) stay as they
    are, whatever their status. Returns how many were added."""
    added = 0
    for p in planned:
        added += session.exec(
            insert(session, Delivery)
            .values(team_id=plan.team_id, plan_id=plan.id, kind=p.kind, key=p.key,
                    due_at=p.due_at, payload=json.dumps(p.payload), status="pending",
                    attempts=0, parts_done=0)
            .on_conflict_do_nothing(index_elements=["team_id", "key"])
            .returning(Delivery.id)).first() is not None
    return added


def add(session: Session, *, plan: Plan, kind: str, key: str, now: datetime,
        payload: dict | None = None) -> int | None:
    """A delivery due now, in the caller's transaction: its id, or None when its key was
    there already (the same request, or the same button, again)."""
    return session.exec(
        insert(session, Delivery)
        .values(team_id=plan.team_id, plan_id=plan.id, kind=kind, key=key, due_at=now,
                payload=json.dumps(payload or {}), status="pending", attempts=0, parts_done=0)
        .on_conflict_do_nothing(index_elements=["team_id", "key"])
        .returning(Delivery.id)).scalar()


def cancel(session: Session, *, plan: Plan, key_prefix: str, reason: str,
           keep: Iterable[str] = (), keep_prefix: str | None = None) -> int:
    """Skip the plan's pending deliveries whose key starts with `key_prefix`, but those in
    `keep` or starting with `keep_prefix`."""
    query = update(Delivery).where(
        col(Delivery.plan_id) == plan.id, col(Delivery.status).in_(OPEN),
        col(Delivery.key).startswith(key_prefix), col(Delivery.key).not_in(list(keep)))
    if keep_prefix is not None:
        query = query.where(~col(Delivery.key).startswith(keep_prefix))
    return session.exec(query.values(status="skipped", last_error=reason)).rowcount


def by_key(session: Session, *, plan: Plan, key: str) -> Delivery | None:
    return session.exec(select(Delivery).where(Delivery.team_id == plan.team_id,
                                               Delivery.key == key)).first()


def remember(session: Session, *, delivery: Delivery, **values) -> None:
    """Add to a delivery's payload what a later attempt needs (a thread's ts), at once."""
    payload = {**json.loads(delivery.payload), **values}
    session.exec(update(Delivery).where(col(Delivery.id) == delivery.id)
                 .values(payload=json.dumps(payload)))
    session.commit()


def due(session: Session, *, now: datetime, limit: int) -> list[Delivery]:
    """Deliveries to send now, oldest first: pending ones that are due (and not waiting for
    a retry), and ones whose sender's lease ran out. Uses the (status, due_at) index: the
    work does not grow with plans that are not due."""
    pending = and_(col(Delivery.status) == "pending", col(Delivery.due_at) <= now,
                   or_(col(Delivery.next_attempt_at).is_(None),
                       col(Delivery.next_attempt_at) <= now))
    abandoned = and_(col(Delivery.status) == "sending", col(Delivery.claimed_until) < now)
    return list(session.exec(select(Delivery).where(or_(pending, abandoned))
                             .order_by(col(Delivery.due_at), col(Delivery.id)).limit(limit)))


def claim(session: Session, *, delivery: Delivery, now: datetime, lease: timedelta) -> bool:
    """Take the delivery for sending, as it was read (pending, or sending with a lease
    that ran out); False when another process took it first."""
    seen = (col(Delivery.claimed_until).is_(None) if delivery.claimed_until is None
            else col(Delivery.claimed_until) == delivery.claimed_until)
    result = session.exec(
        update(Delivery).where(col(Delivery.id) == delivery.id,
                               col(Delivery.status) == delivery.status, seen)
        .values(status="sending", claimed_at=now, claimed_until=now + lease,
                attempts=Delivery.attempts + 1))
    session.commit()
    return result.rowcount == 1


def progress(session: Session, *, delivery: Delivery, parts_done: int, now: datetime,
             lease: timedelta) -> None:
    """Record a posted part, and extend the lease for the next one."""
    session.exec(update(Delivery).where(col(Delivery.id) == delivery.id)
                 .values(parts_done=parts_done, claimed_until=now + lease))
    session.commit()


def finish(session: Session, *, delivery: Delivery, status: str, now: datetime,
           error: str | None = None, retry_at: datetime | None = None) -> None:
    values = {"status": status, "last_error": error, "next_attempt_at": retry_at,
              "claimed_until": None}
    if status == "sent":
        values["sent_at"] = now
    session.exec(update(Delivery).where(col(Delivery.id) == delivery.id).values(**values))
    session.commit()


def pause_plan(session: Session, *, plan: Plan, now: datetime, reason: str) -> bool:
    """Hold every pending nudge of the plan (Slack refuses its channel). True the first
    time, so the facilitators are told once."""
    first = session.exec(update(Plan).where(col(Plan.id) == plan.id,
                                            col(Plan.nudges_paused_at).is_(None))
                         .values(nudges_paused_at=now)).rowcount == 1
    session.exec(update(Delivery).where(col(Delivery.plan_id) == plan.id,
                                        col(Delivery.status) == "pending")
                 .values(status="paused", last_error=reason))
    session.commit()
    return first


def resume_plan(session: Session, *, plan: Plan) -> int:
    session.exec(update(Plan).where(col(Plan.id) == plan.id).values(nudges_paused_at=None))
    return session.exec(update(Delivery).where(col(Delivery.plan_id) == plan.id,
                                               col(Delivery.status) == "paused")
                        .values(status="pending", last_error=None, next_attempt_at=None)
                        ).rowcount


def pending_for(session: Session, *, plan: Plan) -> list[Delivery]:
    return list(session.exec(select(Delivery).where(
        Delivery.plan_id == plan.id, col(Delivery.status).in_(OPEN))
        .order_by(col(Delivery.due_at))))


def plans_without(session: Session, *, key_prefix: str) -> list[Plan]:
    """Active plans with no pending delivery whose key starts with `key_prefix`."""
    scheduled = select(Delivery.plan_id).where(col(Delivery.key).startswith(key_prefix),
                                               Delivery.status == "pending")
    return list(session.exec(select(Plan).where(ACTIVE,
                                                col(Plan.id).not_in(scheduled))))


def depth(engine: Engine, *, now: datetime) -> tuple[dict[str, int], int, datetime | None]:
    """({status: deliveries}, how many are due and unsent, when the oldest of them was due)."""
    with engine.connect() as connection:
        by_status = dict(connection.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        due, oldest = connection.execute(
            select(func.count(), func.min(Delivery.due_at)).where(
                col(Delivery.status) == "pending", col(Delivery.due_at) <= now)).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return by_status, due, oldest


# --- the live cards (a strategy session's, a scoring round's): marked when what they show
# changes, redrawn under a claim --------------------------------------------------------------

CARDS: dict[str, type[StrategySession] | type[ScoringRound]] = {
    "session": StrategySession, "round": ScoringRound}


def card(session: Session, *, kind: str, card_id: int) -> StrategySession | ScoringRound | None:
    return cast(StrategySession | ScoringRound | None, session.get(CARDS[kind], card_id))


def _marking(model) -> Any:
    """Built once per card table: most writes during a meeting run it."""
    cards = table(model)
    return (update(cards).where(cards.c.id == bindparam("card_id"),
                                cards.c.card_dirty_at.is_(None))
            .values(card_dirty_at=bindparam("now")))


MARKING = {kind: _marking(model) for kind, model in CARDS.items()}


def mark_card(session: Session, *, kind: str, card_id: int, now: datetime) -> None:
    """The card shows something that changed: in the writer's transaction."""
    session.connection().execute(MARKING[kind], dict(card_id=card_id, now=now))


def claim_card(session: Session, *, kind: str, card_id: int, now: datetime,
               spacing: timedelta) -> bool:
    """Take a marked card for redrawing, if it was not drawn in the last `spacing`: one
    conditional UPDATE, committed, so one process draws it whichever asks."""
    table = CARDS[kind]
    claimed = session.exec(
        update(table).where(col(table.id) == card_id, col(table.card_dirty_at).is_not(None),
                            col(table.message_ts).is_not(None),
                            col(table.card_drawn_at).is_(None)
                            | (col(table.card_drawn_at) <= now - spacing))
        .values(card_dirty_at=None, card_drawn_at=now)).rowcount == 1
    session.commit()
    return claimed


def stale_cards(session: Session, *, before: datetime) -> list[tuple[str, int]]:
    """(kind, id) of the cards marked before `before` and never redrawn."""
    return [(kind, card_id) for kind, table in CARDS.items() for card_id in session.exec(
        select(table.id).where(col(table.card_dirty_at) < before))]
