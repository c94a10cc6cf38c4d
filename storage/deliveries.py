"""The outbox of scheduled messages. A delivery is written (keyed) before it is due and
claimed with one conditional UPDATE before it is sent, so however many scheduler
processes run, each message goes out once."""

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Delivery, Plan


def schedule(session: Session, *, plan: Plan, planned: Iterable) -> int:
    """Put planned deliveries in the outbox; ones already there (same key) stay as they
    are, whatever their status. Returns how many were added."""
    planned = list(planned)
    keys = [p.key for p in planned]
    existing = set(session.exec(select(Delivery.key).where(
        Delivery.team_id == plan.team_id, col(Delivery.key).in_(keys)))) if keys else set()
    added = 0
    for p in planned:
        if p.key in existing:
            continue
        session.add(Delivery(team_id=plan.team_id, plan_id=plan.id, kind=p.kind, key=p.key,
                             due_at=p.due_at, payload=json.dumps(p.payload)))
        added += 1
    try:
        session.commit()
    except IntegrityError:  # another process scheduled the same keys meanwhile
        session.rollback()
        return schedule(session, plan=plan, planned=planned)
    return added


def cancel(session: Session, *, plan: Plan, key_prefix: str, reason: str,
           keep: Iterable[str] = ()) -> int:
    """Skip the plan's pending deliveries whose key starts with `key_prefix`."""
    result = session.exec(
        update(Delivery)
        .where(col(Delivery.plan_id) == plan.id, col(Delivery.status).in_(("pending",
                                                                           "paused")),
               col(Delivery.key).startswith(key_prefix), col(Delivery.key).not_in(list(keep)))
        .values(status="skipped", last_error=reason)
    )
    session.commit()
    return result.rowcount


def due(session: Session, *, now: datetime, limit: int) -> list[Delivery]:
    """Pending deliveries due by now (and not waiting for a retry), oldest first. Uses
    the (status, due_at) index: the work does not grow with plans that are not due."""
    return list(session.exec(
        select(Delivery)
        .where(Delivery.status == "pending", Delivery.due_at <= now)
        .where((col(Delivery.next_attempt_at).is_(None)) | (Delivery.next_attempt_at <= now))
        .order_by(Delivery.due_at, Delivery.id).limit(limit)))


def claim(session: Session, *, delivery: Delivery, now: datetime) -> bool:
    """Take the delivery for sending; False when another process took it first."""
    result = session.exec(
        update(Delivery).where(col(Delivery.id) == delivery.id,
                               col(Delivery.status) == "pending")
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1))
    session.commit()
    return result.rowcount == 1


def interrupted(session: Session, *, claimed_before: datetime) -> list[Delivery]:
    """Deliveries claimed long ago and never finished: the process died while sending.
    Marked failed, not sent again: Slack may have posted them, and a double post is worse
    than a missing one; the caller logs them so they are not lost silently."""
    stuck = list(session.exec(select(Delivery).where(
        Delivery.status == "sending", Delivery.claimed_at < claimed_before)))
    for delivery in stuck:
        delivery.status, delivery.last_error = "failed", "interrupted while sending"
        session.add(delivery)
    session.commit()
    return stuck


def finish(session: Session, *, delivery: Delivery, status: str, now: datetime,
           error: str | None = None, retry_at: datetime | None = None) -> None:
    values = {"status": status, "last_error": error, "next_attempt_at": retry_at}
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
    result = session.exec(update(Delivery).where(col(Delivery.plan_id) == plan.id,
                                                 col(Delivery.status) == "paused")
                          .values(status="pending", last_error=None, next_attempt_at=None))
    session.commit()
    return result.rowcount


def pending_for(session: Session, *, plan: Plan) -> list[Delivery]:
    return list(session.exec(select(Delivery).where(
        Delivery.plan_id == plan.id, col(Delivery.status).in_(("pending", "paused")))
        .order_by(Delivery.due_at)))
