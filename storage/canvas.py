"""The plan's channel canvas: asking for it to be redrawn when the plan changes, and what
Rumbo keeps of it on the plan (its id, its sections' digests, Slack's refusal).

`redraw_later` is called where a change to what the canvas shows is recorded (the plan's
history, storage/plans.py `record_change`; settling, editing or merging an idea; closing a
review), in the writer's transaction: at most one delivery per plan and transaction, due a
moment later, so that a burst of changes is collapsed by the sender into one edit.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage import outbox
from storage.models import Delivery, Idea, Plan, Review

KIND = "canvas"  # the delivery kind (bot/canvas/deliveries.py)
# How long a change waits for the ones that follow it before the canvas is edited.
GATHER = timedelta(seconds=2)


def key_prefix(plan: Plan) -> str:
    return f"canvas:{plan.id}:"


def redraw_later(session: Session, *, plan: Plan, now: datetime, user_id: str | None = None
                 ) -> None:
    """The canvas shows something that changed: ask, once in this transaction, for it to
    be redrawn. Nothing when the plan keeps no canvas or Slack refused it (until
    `/plan canvas` asks again)."""
    if not plan.canvas_on or plan.canvas_refused or plan.status != "active":
        return
    asked = session.info.setdefault("canvas_asked", {})
    transaction = session.get_transaction()
    if asked.get(plan.id) is transaction:
        return
    asked[plan.id] = transaction
    outbox.add(session, plan=plan, kind=KIND, key=key_prefix(plan) + uuid.uuid4().hex,
               now=now + GATHER, payload={"user_id": user_id} if user_id else None)


def redraw_now(session: Session, *, plan: Plan, now: datetime, user_id: str) -> int | None:
    """`/plan canvas`: forget Slack's last refusal and redraw now; the delivery's id."""
    session.exec(update(Plan).where(col(Plan.id) == plan.id).values(canvas_refused=None))
    plan.canvas_refused = None
    return outbox.add(session, plan=plan, kind=KIND, key=key_prefix(plan) + uuid.uuid4().hex,
                      now=now, payload={"user_id": user_id})


def another_sending(session: Session, *, delivery: Delivery, now: datetime) -> bool:
    """Is another process editing this plan's canvas (a claim of another of its deliveries
    that has not run out)? Its edit and ours must not cross."""
    return session.exec(select(Delivery.id).where(
        Delivery.plan_id == delivery.plan_id, Delivery.kind == KIND,
        col(Delivery.id) != delivery.id, Delivery.status == "sending",
        col(Delivery.claimed_until) > now)).first() is not None


def written(session: Session, *, plan: Plan, canvas_id: str | None, digest: str | None
            ) -> None:
    """The canvas as Slack now holds it: its id and its sections' digests, at once."""
    session.exec(update(Plan).where(col(Plan.id) == plan.id)
                 .values(canvas_id=canvas_id, canvas_digest=digest))
    session.commit()
    plan.canvas_id, plan.canvas_digest = canvas_id, digest


def forget(session: Session, *, plan: Plan) -> None:
    """The canvas is gone (deleted in Slack): the next edit makes a new one."""
    written(session, plan=plan, canvas_id=None, digest=None)


def refuse(session: Session, *, plan: Plan, error: str) -> bool:
    """Slack will not take the plan's canvas: marked so that nothing retries it. True the
    first time, so the facilitator is told once."""
    first = session.exec(update(Plan).where(col(Plan.id) == plan.id,
                                            col(Plan.canvas_refused).is_(None))
                         .values(canvas_refused=error)).rowcount == 1
    session.commit()
    plan.canvas_refused = error
    return first


def last_review(session: Session, *, plan: Plan) -> Review | None:
    return session.exec(select(Review).where(Review.plan_id == plan.id,
                                             col(Review.closed_at).is_not(None))
                        .order_by(col(Review.closed_at).desc(), col(Review.id).desc())).first()


def ranked_ideas(session: Session, *, plan: Plan, scores: tuple[str, ...]) -> list[Idea]:
    """The ideas settled at one of `scores` (not merged into another), oldest first."""
    return list(session.exec(select(Idea).where(
        Idea.plan_id == plan.id, col(Idea.score).in_(scores), col(Idea.merged_into_id).is_(None))
        .order_by(col(Idea.created_at), col(Idea.id))))
