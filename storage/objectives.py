"""Step 3: objectives and initiatives, each change recorded in the plan's history."""

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Category, Idea, Initiative, Objective, Plan
from storage.plans import apply_changes, record_change

OBJECTIVE_FIELDS = ("category_id", "statement", "target", "measure", "unit", "baseline",
                    "target_value", "target_date", "horizon", "owner_id", "status")

INITIATIVE_FIELDS = ("title", "target", "measure", "owner_id", "due_date", "status")


def objectives(session: Session, *, plan: Plan) -> list[Objective]:
    return list(session.exec(
        select(Objective).join(Category, col(Category.id) == col(Objective.category_id))
        .where(Objective.plan_id == plan.id)
        .order_by(col(Category.position), col(Objective.created_at), col(Objective.id))))


def initiatives(session: Session, *, plan: Plan) -> list[Initiative]:
    return list(session.exec(select(Initiative).where(Initiative.plan_id == plan.id)
                             .order_by(col(Initiative.created_at), col(Initiative.id))))


def ideas_to_promote(session: Session, *, plan: Plan) -> list[Idea]:
    """Ideas settled at 3 that are not an objective yet."""
    promoted = select(Objective.idea_id).where(Objective.plan_id == plan.id,
                                               col(Objective.idea_id).is_not(None))
    return list(session.exec(
        select(Idea).where(Idea.plan_id == plan.id, Idea.score == "3",
                           col(Idea.merged_into_id).is_(None), col(Idea.id).not_in(promoted))
        .order_by(col(Idea.created_at), col(Idea.id))))


def add_objective(session: Session, *, plan: Plan, values: dict, idea_id: int | None,
                  user_id: str, now: datetime) -> Objective:
    return add_objectives(session, plan=plan, items=[{**values, "idea_id": idea_id}],
                          user_id=user_id, now=now)[0]


def add_objectives(session: Session, *, plan: Plan, items: list[dict], user_id: str,
                   now: datetime) -> list[Objective]:
    """Several objectives at once (an import's): their INSERTs go in one batch."""
    made = [Objective(team_id=plan.team_id, plan_id=plan.id, created_by=user_id,
                      created_at=now, **values) for values in items]
    _added(session, plan, made, entity="objective", user_id=user_id, now=now)
    return made


def update_objective(session: Session, *, plan: Plan, objective: Objective, values: dict,
                     user_id: str, now: datetime) -> int:
    return _updated(session, plan, objective, entity="objective", fields=OBJECTIVE_FIELDS,
                    values=values, user_id=user_id, now=now)


def add_initiative(session: Session, *, plan: Plan, objective: Objective, values: dict,
                   user_id: str, now: datetime) -> Initiative:
    return add_initiatives(session, plan=plan, items=[(objective, values)], user_id=user_id,
                           now=now)[0]


def add_initiatives(session: Session, *, plan: Plan, items: list[tuple[Objective, dict]],
                    user_id: str, now: datetime) -> list[Initiative]:
    """Several initiatives (each with its objective) at once (an import's)."""
    made = [Initiative(team_id=plan.team_id, plan_id=plan.id, objective_id=objective.id,
                       created_by=user_id, created_at=now, **values)
            for objective, values in items]
    _added(session, plan, made, entity="initiative", user_id=user_id, now=now)
    return made


def update_initiative(session: Session, *, plan: Plan, initiative: Initiative, values: dict,
                      user_id: str, now: datetime) -> int:
    return _updated(session, plan, initiative, entity="initiative", fields=INITIATIVE_FIELDS,
                    values=values, user_id=user_id, now=now)


def _added(session: Session, plan: Plan, items: list, *, entity: str, user_id: str,
           now: datetime) -> None:
    """New objectives or initiatives, each recorded in the plan's history as created (by
    its statement or title); one flush for their ids (a batched INSERT), one for the
    history."""
    session.add_all(items)
    session.flush()
    for item in items:
        record_change(session, plan, entity=entity, entity_id=item.id, field="created",
                      before=None, after=item.statement if entity == "objective"
                      else item.title, user_id=user_id, now=now)
    session.flush()


def _updated(session: Session, plan: Plan, item: Objective | Initiative, *, entity: str,
             fields, values: dict, user_id: str, now: datetime) -> int:
    changed = apply_changes(session, plan, item, entity=entity, fields=fields, values=values,
                            user_id=user_id, now=now)
    if changed:
        item.updated_at = now
        session.add(item)
    session.flush()
    return changed
