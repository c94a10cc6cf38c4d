"""A plan brought in from a spreadsheet, stored in the caller's one transaction."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import objectives, plans
from storage.models import Initiative, Objective, Plan


def apply(session: Session, *, plan: Plan, changes: list[Any], user_id: str,
          now: datetime) -> None:
    """Store what the import's changes (bot/imports/rules.py `Change`: made against this
    plan as it stands) create and update, each recorded in the plan's history. Flushes;
    the caller commits once."""
    category_ids = {c.name: c.id for c in plans.categories(session, plan=plan)}
    new_categories = [c.category for c in changes
                      if c.kind == "category" and c.category not in category_ids]
    for category in plans.add_categories(session, plan=plan, names=new_categories,
                                         user_id=user_id, now=now):
        category_ids[category.name] = category.id
    creating = [c for c in changes if c.action == "create" and c.kind == "objective"]
    made = dict(zip([(c.category, c.title) for c in creating], objectives.add_objectives(
        session, plan=plan, user_id=user_id, now=now, items=[{
            **c.values, "statement": c.title, "category_id": category_ids[c.category]}
            for c in creating]), strict=True))  # this import's objectives
    objectives.add_initiatives(session, plan=plan, user_id=user_id, now=now, items=[(
        made.get((c.category, c.objective)) or _own(session, Objective, c, plan,
                                                    item_id=c.objective_id),
        {**c.values, "title": c.title})
        for c in changes if c.action == "create" and c.kind == "initiative"])
    for change in changes:
        if change.action != "update":
            continue
        if change.kind == "objective":
            objectives.update_objective(session, plan=plan, values=change.values,
                                        objective=_own(session, Objective, change, plan),
                                        user_id=user_id, now=now)
        else:
            objectives.update_initiative(session, plan=plan, values=change.values,
                                         initiative=_own(session, Initiative, change, plan),
                                         user_id=user_id, now=now)


def _own(session: Session, model, change, plan: Plan, item_id: int | None = None):
    """The plan's own objective or initiative a change names (never another plan's)."""
    item = session.get(model, item_id if item_id is not None else change.item_id)
    if item is None or item.plan_id != plan.id:
        raise LookupError(f"{model.__name__} of row {change.row} is not in plan {plan.id}")
    return item
