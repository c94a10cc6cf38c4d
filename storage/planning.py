"""Queries and writes for step 3: objectives, initiatives, the plan's settings, and the
history of every change to them (who, when, what, from what to what)."""

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import (
    Category,
    Facilitator,
    Idea,
    Initiative,
    Objective,
    Plan,
    PlanChange,
)

OBJECTIVE_FIELDS = ("category_id", "statement", "target", "measure", "unit", "baseline",
                    "target_value", "target_date", "horizon", "owner_id", "status")
INITIATIVE_FIELDS = ("title", "target", "measure", "owner_id", "due_date", "status")
PLAN_FIELDS = ("account_name", "client_size", "period", "start_date", "end_date", "timezone",
               "cadence", "cadence_weeks", "reminder_days", "overdue_every_days",
               "overdue_max", "summary_frequency", "checkin_days",
               "review_weekday", "review_time", "language")


def _text(value) -> str | None:
    return None if value is None else str(value)


def _record(session, plan: Plan, *, entity: str, entity_id, field: str, before, after,
            user_id: str, now: datetime) -> None:
    session.add(PlanChange(team_id=plan.team_id, plan_id=plan.id, entity=entity,
                           entity_id=entity_id, field=field, before=_text(before),
                           after=_text(after), user_id=user_id, at=now))


def apply_changes(session, plan, item, *, entity: str, fields, values: dict, user_id,
                  now) -> int:
    """Set changed fields on `item`, recording each change; returns how many changed."""
    changed = 0
    for name in fields:
        if name in values and getattr(item, name) != values[name]:
            _record(session, plan, entity=entity, entity_id=item.id, field=name,
                    before=getattr(item, name), after=values[name], user_id=user_id, now=now)
            setattr(item, name, values[name])
            changed += 1
    return changed


# --- reading ----------------------------------------------------------------------------------

def categories(session: Session, *, plan: Plan) -> list[Category]:
    return list(session.exec(select(Category).where(Category.plan_id == plan.id)
                             .order_by(Category.position)))


def objectives(session: Session, *, plan: Plan) -> list[Objective]:
    return list(session.exec(
        select(Objective).join(Category, col(Category.id) == col(Objective.category_id))
        .where(Objective.plan_id == plan.id)
        .order_by(Category.position, Objective.created_at, Objective.id)))


def initiatives(session: Session, *, plan: Plan) -> list[Initiative]:
    return list(session.exec(select(Initiative).where(Initiative.plan_id == plan.id)
                             .order_by(Initiative.created_at, Initiative.id)))


def ideas_to_promote(session: Session, *, plan: Plan) -> list[Idea]:
    """Ideas settled at 3 that are not an objective yet."""
    promoted = select(Objective.idea_id).where(Objective.plan_id == plan.id,
                                               col(Objective.idea_id).is_not(None))
    return list(session.exec(
        select(Idea).where(Idea.plan_id == plan.id, Idea.score == "3",
                           col(Idea.merged_into_id).is_(None), col(Idea.id).not_in(promoted))
        .order_by(Idea.created_at, Idea.id)))


def objective_in_channel(session: Session, *, objective_id: int, team_id: str,
                         channel_id: str):
    """(plan, objective) when it belongs to this workspace's channel's active plan."""
    objective = session.get(Objective, objective_id)
    plan = objective and session.get(Plan, objective.plan_id)
    if (plan is None or plan.team_id != team_id or plan.channel_id != channel_id
            or plan.status != "active"):
        return None, None
    return plan, objective


def initiative_in_channel(session: Session, *, initiative_id: int, team_id: str,
                          channel_id: str):
    initiative = session.get(Initiative, initiative_id)
    plan = initiative and session.get(Plan, initiative.plan_id)
    if (plan is None or plan.team_id != team_id or plan.channel_id != channel_id
            or plan.status != "active"):
        return None, None
    return plan, initiative


def history(session: Session, *, plan: Plan, limit: int = 50) -> list[PlanChange]:
    return list(session.exec(select(PlanChange).where(PlanChange.plan_id == plan.id)
                             .order_by(col(PlanChange.at).desc(), col(PlanChange.id).desc())
                             .limit(limit)))


# --- writing ----------------------------------------------------------------------------------

def add_objective(session: Session, *, plan: Plan, values: dict, idea_id: int | None,
                  user_id: str, now: datetime) -> Objective:
    objective = Objective(team_id=plan.team_id, plan_id=plan.id, idea_id=idea_id,
                          created_by=user_id, created_at=now, **values)
    session.add(objective)
    session.flush()
    _record(session, plan, entity="objective", entity_id=objective.id, field="created",
            before=None, after=objective.statement, user_id=user_id, now=now)
    session.flush()
    return objective


def update_objective(session: Session, *, plan: Plan, objective: Objective, values: dict,
                     user_id: str, now: datetime) -> int:
    changed = apply_changes(session, plan, objective, entity="objective",
                            fields=OBJECTIVE_FIELDS, values=values, user_id=user_id, now=now)
    if changed:
        objective.updated_at = now
        session.add(objective)
    session.flush()
    return changed


def add_initiative(session: Session, *, plan: Plan, objective: Objective, values: dict,
                   user_id: str, now: datetime) -> Initiative:
    initiative = Initiative(team_id=plan.team_id, plan_id=plan.id, objective_id=objective.id,
                            created_by=user_id, created_at=now, **values)
    session.add(initiative)
    session.flush()
    _record(session, plan, entity="initiative", entity_id=initiative.id, field="created",
            before=None, after=initiative.title, user_id=user_id, now=now)
    session.flush()
    return initiative


def update_initiative(session: Session, *, plan: Plan, initiative: Initiative, values: dict,
                      user_id: str, now: datetime) -> int:
    changed = apply_changes(session, plan, initiative, entity="initiative",
                            fields=INITIATIVE_FIELDS, values=values, user_id=user_id, now=now)
    if changed:
        initiative.updated_at = now
        session.add(initiative)
    session.flush()
    return changed


class CategoryInUse(Exception):
    """A category that still has objectives cannot be removed."""


def set_next_review(session: Session, *, plan: Plan, day, user_id: str, now: datetime) -> int:
    """Put the next review on `day`, recorded in the history; 1 if it moved, else 0."""
    return apply_changes(session, plan, plan, entity="plan", fields=("next_review_on",),
                         values={"next_review_on": day}, user_id=user_id, now=now)


def update_settings(session: Session, *, plan: Plan, values: dict, renames: dict[int, str],
                    removed: list[int], added: list[str], facilitators: list[str],
                    user_id: str, now: datetime) -> int:
    """Change the plan's settings, categories and facilitators, recording every change."""
    changed = apply_changes(session, plan, plan, entity="plan", fields=PLAN_FIELDS, values=values,
                            user_id=user_id, now=now)
    current = {c.id: c for c in categories(session, plan=plan)}
    in_use = {o.category_id for o in objectives(session, plan=plan)}
    for category_id in removed:
        if category_id in in_use:
            raise CategoryInUse(current[category_id].name)
    for category_id, name in renames.items():
        category = current.get(category_id)
        if category is not None and category.name != name:
            _record(session, plan, entity="category", entity_id=category_id, field="name",
                    before=category.name, after=name, user_id=user_id, now=now)
            category.name = name
            session.add(category)
            changed += 1
    for category_id in removed:
        _record(session, plan, entity="category", entity_id=category_id, field="removed",
                before=current[category_id].name, after=None, user_id=user_id, now=now)
        session.delete(current[category_id])
        changed += 1
    position = max((c.position for c in current.values()), default=-1)
    for name in added:
        position += 1
        category = Category(team_id=plan.team_id, plan_id=plan.id, name=name,
                            position=position)
        session.add(category)
        session.flush()
        _record(session, plan, entity="category", entity_id=category.id, field="created",
                before=None, after=name, user_id=user_id, now=now)
        changed += 1
    existing = set(session.exec(select(Facilitator.user_id)
                                .where(Facilitator.plan_id == plan.id)))
    wanted = set(facilitators) | {plan.created_by}
    for person in sorted(wanted - existing):
        session.add(Facilitator(team_id=plan.team_id, plan_id=plan.id, user_id=person))
        _record(session, plan, entity="plan", entity_id=plan.id, field="facilitator",
                before=None, after=person, user_id=user_id, now=now)
        changed += 1
    for person in sorted(existing - wanted):
        session.delete(session.get(Facilitator, (plan.id, person)))
        _record(session, plan, entity="plan", entity_id=plan.id, field="facilitator",
                before=person, after=None, user_id=user_id, now=now)
        changed += 1
    session.add(plan)
    session.flush()
    return changed
