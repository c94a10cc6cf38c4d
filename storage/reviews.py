"""Reviews (step 4): drafts filled in page by page, closed reviews, measured values."""

from datetime import date, datetime

from sqlmodel import Session, col, select

from storage import canvas
from storage.models import CheckIn, Initiative, ItemReview, Objective, Plan, PlanChange, Review
from storage.plans import apply_changes


def open_review(session: Session, *, plan: Plan, due_on: date | None, user_id: str,
                now: datetime) -> Review:
    """The plan's review being filled in, or a new one."""
    review = session.exec(select(Review).where(Review.plan_id == plan.id,
                                               col(Review.closed_at).is_(None))).first()
    if review is None:
        review = Review(team_id=plan.team_id, plan_id=plan.id, due_on=due_on,
                        held_by=user_id, held_at=now)
        session.add(review)
        session.flush()
    return review


def review_in_plan(session: Session, *, review_id: int, plan: Plan) -> Review | None:
    review = session.get(Review, review_id)
    return review if review is not None and review.plan_id == plan.id else None


def save_items(session: Session, *, review: Review, items: list[dict]) -> None:
    """Store (or replace) the items of one page: {entity, entity_id, status, value, note}."""
    existing = {(i.entity, i.entity_id): i for i in session.exec(
        select(ItemReview).where(ItemReview.review_id == review.id))}
    for item in items:
        row = existing.get((item["entity"], item["entity_id"])) or ItemReview(
            team_id=review.team_id, review_id=review.id, entity=item["entity"],
            entity_id=item["entity_id"], status=item["status"])
        row.status, row.value, row.note = item["status"], item.get("value"), item.get("note")
        session.add(row)
    session.flush()


def close_review(session: Session, *, plan: Plan, review: Review, worked: str | None,
                 not_worked: str | None, user_id: str, now: datetime) -> bool:
    """Close the review: statuses move onto the objectives and initiatives (recorded in the
    history), done items are ticked off. False when it was closed already (a retry)."""
    if review.closed_at is not None:
        return False
    items = session.exec(select(ItemReview).where(ItemReview.review_id == review.id)).all()
    objectives = {o.id: o for o in session.exec(select(Objective).where(
        Objective.plan_id == plan.id))}
    initiatives = {i.id: i for i in session.exec(select(Initiative).where(
        Initiative.plan_id == plan.id))}
    for item in items:
        target: Objective | Initiative
        if item.entity == "objective" and item.entity_id in objectives:
            target = objectives[item.entity_id]
        elif item.entity == "initiative" and item.entity_id in initiatives:
            target = initiatives[item.entity_id]
        else:
            continue
        if apply_changes(session, plan, target, entity=item.entity, fields=("status",),
                         values={"status": item.status}, user_id=user_id, now=now):
            target.updated_at = now
            session.add(target)
    review.worked, review.not_worked = worked, not_worked
    review.closed_at, review.held_by, review.held_at = now, user_id, now
    session.add(review)
    canvas.redraw_later(session, plan=plan, now=now, user_id=user_id)  # its summary shows
    session.flush()
    close_checkins(session, plan=plan, review=review)
    return True


def closed_reviews(session: Session, *, plan: Plan) -> list[Review]:
    return list(session.exec(select(Review).where(Review.plan_id == plan.id,
                                                  col(Review.closed_at).is_not(None))
                             .order_by(col(Review.closed_at).desc())))


def measured_values(session: Session, *, plan: Plan) -> dict[int, tuple]:
    """{objective id: (value at the last review, value at the one before)}."""
    reviews = closed_reviews(session, plan=plan)[:2]
    values: dict[int, list] = {}
    for position, review in enumerate(reviews):
        for item in session.exec(select(ItemReview).where(ItemReview.review_id == review.id,
                                                          ItemReview.entity == "objective")):
            values.setdefault(item.entity_id, [None, None])[position] = item.value
    return {key: (pair[0], pair[1]) for key, pair in values.items()}


def measure_history(session: Session, *, plan: Plan) -> list[tuple[datetime, dict[int, float]]]:
    """Every closed review that measured something, oldest first: (when it was closed,
    {objective id: value}). One query."""
    history: dict[int, tuple[datetime, dict[int, float]]] = {}
    for review_id, closed_at, objective_id, value in session.exec(
            select(Review.id, col(Review.closed_at), ItemReview.entity_id, col(ItemReview.value))
            .join(ItemReview, col(ItemReview.review_id) == col(Review.id))
            .where(Review.plan_id == plan.id, col(Review.closed_at).is_not(None),
                   ItemReview.entity == "objective", col(ItemReview.value).is_not(None))
            .order_by(col(Review.closed_at), col(Review.id))):
        if closed_at is not None and value is not None:  # as the query says
            history.setdefault(review_id, (closed_at, {}))[1][objective_id] = value
    return list(history.values())


def items_of(session: Session, *, review: Review) -> dict[tuple[str, int], ItemReview]:
    return {(i.entity, i.entity_id): i for i in session.exec(
        select(ItemReview).where(ItemReview.review_id == review.id))}


def changes_since(session: Session, *, plan: Plan, since: datetime | None) -> list[PlanChange]:
    """What changed in the plan since the last review: new, ticked off, modified, abandoned."""
    query = select(PlanChange).where(PlanChange.plan_id == plan.id,
                                     col(PlanChange.entity).in_(("objective", "initiative")))
    if since is not None:
        query = query.where(PlanChange.at > since)
    return list(session.exec(query.order_by(col(PlanChange.at), col(PlanChange.id))))


SETTLED = ("done", "abandoned")  # nothing left to check in about


def owned_items(session: Session, *, plan: Plan
                ) -> dict[str, list[tuple[str, Objective | Initiative]]]:
    """{owner: [(entity, item)]}: the objectives and initiatives still under way that each
    owner answers for, objectives first."""
    objectives = list(session.exec(select(Objective).where(
        Objective.plan_id == plan.id, col(Objective.status).not_in(SETTLED))
        .order_by(col(Objective.created_at), col(Objective.id))))
    live = {o.id for o in objectives}
    initiatives = session.exec(select(Initiative).where(
        Initiative.plan_id == plan.id, col(Initiative.status).not_in(SETTLED),
        col(Initiative.objective_id).in_(live)).order_by(col(Initiative.created_at),
                                                         col(Initiative.id)))
    owners: dict[str, list[tuple[str, Objective | Initiative]]] = {}
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
    checked: list[str] = []
    missing: list[str] = []
    for owner, items in owned_items(session, plan=plan).items():
        complete = all((entity, item.id) in done for entity, item in items)
        (checked if complete else missing).append(owner)
    return checked, missing


def save_checkins(session: Session, *, plan: Plan, user_id: str, items: list[dict],
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


def close_checkins(session: Session, *, plan: Plan, review: Review) -> None:
    """The review read the open check-ins: they belong to it now."""
    for row in open_checkins(session, plan=plan).values():
        row.review_id = review.id
        session.add(row)
    session.flush()
