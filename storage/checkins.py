"""Owners' check-ins before a review: each owner's word on their items (status, value,
note), open until the review that reads them closes."""

from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.models import CheckIn, Initiative, Objective, Plan, Review

SETTLED = ("done", "abandoned")  # nothing left to check in about


def owned_items(session: Session, *, plan: Plan) -> dict[str, list[tuple[str, object]]]:
    """{owner: [(entity, item)]}: the objectives and initiatives still under way that each
    owner answers for, objectives first."""
    objectives = list(session.exec(select(Objective).where(
        Objective.plan_id == plan.id, col(Objective.status).not_in(SETTLED))
        .order_by(Objective.created_at, Objective.id)))
    live = {o.id for o in objectives}
    initiatives = session.exec(select(Initiative).where(
        Initiative.plan_id == plan.id, col(Initiative.status).not_in(SETTLED),
        col(Initiative.objective_id).in_(live)).order_by(Initiative.created_at, Initiative.id))
    owners: dict[str, list[tuple[str, object]]] = {}
    for entity, item in [("objective", o) for o in objectives] + [
            ("initiative", i) for i in initiatives]:
        if item.owner_id:
            owners.setdefault(item.owner_id, []).append((entity, item))
    return owners


def open_checkins(session: Session, *, plan: Plan) -> dict[tuple[str, int], CheckIn]:
    """The check-ins waiting for the next review, by item."""
    return {(c.entity, c.entity_id): c for c in session.exec(select(CheckIn).where(
        CheckIn.plan_id == plan.id, col(CheckIn.review_id).is_(None)))}


def who_checked_in(session: Session, *, plan: Plan) -> tuple[list[str], list[str]]:
    """(owners who checked in on every item they own, owners who did not yet)."""
    done = open_checkins(session, plan=plan)
    checked, missing = [], []
    for owner, items in owned_items(session, plan=plan).items():
        complete = all((entity, item.id) in done for entity, item in items)
        (checked if complete else missing).append(owner)
    return checked, missing


def save(session: Session, *, plan: Plan, user_id: str, items: list[dict],
         now: datetime) -> int:
    """Store the owner's check-ins ({entity, entity_id, status, value, note}) on the items
    they own; others' items are ignored. Returns how many were stored."""
    mine = {(entity, item.id) for entity, item in
            owned_items(session, plan=plan).get(user_id, [])}
    current = open_checkins(session, plan=plan)
    stored = 0
    for item in items:
        key = (item["entity"], item["entity_id"])
        if key not in mine:
            continue
        row = current.get(key) or CheckIn(team_id=plan.team_id, plan_id=plan.id,
                                          entity=key[0], entity_id=key[1], user_id=user_id,
                                          status=item["status"])
        row.user_id, row.status = user_id, item["status"]
        row.value, row.note, row.updated_at = item.get("value"), item.get("note"), now
        session.add(row)
        stored += 1
    session.flush()
    return stored


def held(session: Session, *, plan: Plan, due: date) -> bool:
    """Whether the review on `due` was held already: its check-ins are closed."""
    return session.exec(select(Review.id).where(
        Review.plan_id == plan.id, Review.due_on == due,
        col(Review.closed_at).is_not(None))).first() is not None


def close(session: Session, *, plan: Plan, review: Review) -> None:
    """The review read the open check-ins: they belong to it now."""
    for row in open_checkins(session, plan=plan).values():
        row.review_id = review.id
        session.add(row)
    session.flush()
