"""Plans, their facilitators and categories, their settings and the history of every change to
them."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from storage import canvas
from storage.db import insert
from storage.models import (
    ACTIVE,
    Category,
    Facilitator,
    Idea,
    Objective,
    Plan,
    PlanChange,
    StrategySession,
    Workspace,
)
from storage.types import utc_now


class ChannelHasPlan(Exception):
    """The channel already has an active plan."""


def ensure_workspace(session: Session, *, team_id: str, enterprise_id: str | None = None
                     ) -> None:
    session.exec(insert(session, Workspace).values(team_id=team_id, created_at=utc_now(),
                                                   enterprise_id=enterprise_id)
                 .on_conflict_do_nothing(index_elements=["team_id"]))


def active_plan(session: Session, *, team_id: str, channel_id: str) -> Plan | None:
    return session.exec(
        select(Plan).where(Plan.team_id == team_id, Plan.channel_id == channel_id, ACTIVE)
    ).first()


@dataclass(frozen=True)
class ChannelPlan:
    """What a request usually needs of its channel, read in one query: the active plan, its
    running strategy session, and whether the actor facilitates it; with `counts`, also the
    plan's idea count and its facilitators (the help shows them)."""

    plan: Plan
    running: StrategySession | None
    facilitator: bool
    idea_count: int = 0
    facilitators: tuple[str, ...] = ()


def _channel_plan_query(counts: bool):
    """Built once, with bound parameters: SQLAlchemy then skips making the statement's cache
    key on every request."""
    facilitates = exists().where(col(Facilitator.plan_id) == Plan.id,
                                 col(Facilitator.user_id) == bindparam("user_id"))
    columns: list[Any] = [Plan, StrategySession, facilitates]
    if counts:
        columns += [
            select(func.count()).where(col(Idea.plan_id) == Plan.id).scalar_subquery(),
            select(func.aggregate_strings(col(Facilitator.user_id), ","))
            .where(col(Facilitator.plan_id) == Plan.id).scalar_subquery()]
    return (select(*columns)
            .outerjoin(StrategySession, and_(col(StrategySession.plan_id) == Plan.id,
                                             col(StrategySession.ended_at).is_(None)))
            .where(Plan.team_id == bindparam("team_id"),
                   Plan.channel_id == bindparam("channel_id"), ACTIVE))


CHANNEL_PLAN = {counts: _channel_plan_query(counts) for counts in (False, True)}


def channel_plan(session: Session, *, team_id: str, channel_id: str, user_id: str,
                 counts: bool = False) -> ChannelPlan | None:
    row = session.exec(CHANNEL_PLAN[counts], params=dict(
        team_id=team_id, channel_id=channel_id, user_id=user_id)).first()
    if row is None:
        return None
    if not counts:
        return ChannelPlan(row[0], row[1], bool(row[2]))
    people = tuple(sorted(row[4].split(","))) if row[4] else ()
    return ChannelPlan(row[0], row[1], bool(row[2]), row[3], people)


def channel_owner(session: Session, *, channel_id: str) -> str | None:
    """The workspace whose active plan the channel holds (channel ids are unique across
    Slack), for people of other organisations who take part there."""
    return session.exec(select(Plan.team_id).where(Plan.channel_id == channel_id,
                                                   ACTIVE)).first()


def in_channel(session: Session, model: type[SQLModel], item_id: int, *, team_id: str,
               channel_id: str | None, active: bool = True) -> tuple[Any, Any]:
    """(plan, item) for a plan or anything of a plan (`model`, by id) when it belongs to this
    workspace's channel (`channel_id` None: any of its channels) and the plan is active (or
    not, without `active`); (None, None) otherwise. One query, the item with its plan."""
    found = session.exec(_with_its_plan(model, channel_id is None, active), params=dict(
        id=item_id, team_id=team_id, channel_id=channel_id)).first()
    if found is None:
        return None, None
    return (found, found) if model is Plan else (found[1], found[0])


def belongs(*items: Any, anywhere: bool = False, active: bool = True) -> Any:
    """The condition every lookup from ids found in a Slack payload asks, in SQL: the plan
    and these things of it (their models) belong to the workspace `:team_id`, in its channel
    `:channel_id` (`anywhere`: any of its channels), the plan active (or not, without
    `active`)."""
    conditions = [col(item.team_id) == bindparam("team_id") for item in (Plan, *items)]
    if not anywhere:
        conditions.append(col(Plan.channel_id) == bindparam("channel_id"))
    if active:
        conditions.append(ACTIVE)
    return and_(*conditions)


@functools.cache
def _with_its_plan(model: Any, anywhere: bool, active: bool):
    """Built once per model and kind of lookup: every click looks up what it names so."""
    if model is Plan:
        return select(Plan).where(col(Plan.id) == bindparam("id"),
                                  belongs(anywhere=anywhere, active=active))
    return (select(model, Plan).join(Plan, col(Plan.id) == col(model.plan_id))
            .where(col(model.id) == bindparam("id"),
                   belongs(model, anywhere=anywhere, active=active)))


def create_plan(
    session: Session, *, plan: Plan, categories: Iterable[str], facilitators: Iterable[str],
    enterprise_id: str | None = None,
) -> Plan:
    ensure_workspace(session, team_id=plan.team_id, enterprise_id=enterprise_id)
    if active_plan(session, team_id=plan.team_id, channel_id=plan.channel_id):
        raise ChannelHasPlan(plan.channel_id)
    session.add(plan)
    try:
        session.flush()
    except IntegrityError:
        # Another plan won the race for the channel.
        session.rollback()
        raise ChannelHasPlan(plan.channel_id) from None
    for position, name in enumerate(categories):
        session.add(Category(team_id=plan.team_id, plan_id=plan.id, name=name, position=position))
    for user_id in dict.fromkeys([plan.created_by, *facilitators]):
        session.add(Facilitator(team_id=plan.team_id, plan_id=plan.id, user_id=user_id))
    session.flush()
    return plan


def archive_plan(session: Session, *, plan: Plan, user_id: str, now: datetime) -> bool:
    """Archive the plan (and end its running session). False when it already was."""
    result = session.exec(
        update(Plan)
        .where(col(Plan.id) == plan.id, col(Plan.status) == "active")
        .values(status="archived", archived_by=user_id, archived_at=now)
    )
    session.exec(
        update(StrategySession)
        .where(col(StrategySession.plan_id) == plan.id, col(StrategySession.ended_at).is_(None))
        .values(ended_at=now, ended_by=user_id)
    )
    return result.rowcount == 1


def is_facilitator(session: Session, *, plan: Plan, user_id: str) -> bool:
    return session.get(Facilitator, (plan.id, user_id)) is not None


def facilitators_of(session: Session, *, plan: Plan) -> list[str]:
    return list(session.exec(select(Facilitator.user_id).where(Facilitator.plan_id == plan.id)))


def categories_of(session: Session, *, plan: Plan) -> list[str]:
    return list(session.exec(select(Category.name).where(Category.plan_id == plan.id)
                             .order_by(col(Category.position))))


PLAN_FIELDS = ("account_name", "client_size", "period", "start_date", "end_date", "timezone",
               "cadence", "cadence_weeks", "reminder_days", "overdue_every_days",
               "overdue_max", "summary_frequency", "checkin_days",
               "review_weekday", "review_time", "language", "canvas_on")


def _text(value) -> str | None:
    return None if value is None else str(value)


def record_change(session, plan: Plan, *, entity: str, entity_id, field: str, before, after,
                  user_id: str, now: datetime) -> None:
    """One change in the plan's history; the channel's canvas will show it."""
    canvas.redraw_later(session, plan=plan, now=now, user_id=user_id)
    session.add(PlanChange(team_id=plan.team_id, plan_id=plan.id, entity=entity,
                           entity_id=entity_id, field=field, before=_text(before),
                           after=_text(after), user_id=user_id, at=now))


def apply_changes(session, plan, item, *, entity: str, fields, values: dict, user_id,
                  now) -> int:
    """Set changed fields on `item`, recording each change; returns how many changed."""
    changed = 0
    for name in fields:
        if name in values and getattr(item, name) != values[name]:
            record_change(session, plan, entity=entity, entity_id=item.id, field=name,
                          before=getattr(item, name), after=values[name], user_id=user_id, now=now)
            setattr(item, name, values[name])
            changed += 1
    return changed


def categories(session: Session, *, plan: Plan) -> list[Category]:
    return list(session.exec(select(Category).where(Category.plan_id == plan.id)
                             .order_by(col(Category.position))))


def changes_to_plan(session: Session, *, plan: Plan) -> int:
    """How many times the plan's own settings changed (a calendar's SEQUENCE)."""
    return session.exec(select(func.count()).select_from(PlanChange).where(
        col(PlanChange.plan_id) == plan.id, col(PlanChange.entity) == "plan")).one()


def history(session: Session, *, plan: Plan, limit: int = 50) -> list[PlanChange]:
    return list(session.exec(select(PlanChange).where(PlanChange.plan_id == plan.id)
                             .order_by(col(PlanChange.at).desc(), col(PlanChange.id).desc())
                             .limit(limit)))


class CategoryInUse(Exception):
    """A category that still has objectives cannot be removed."""


def follow_cadence(session: Session, *, plan: Plan, day) -> None:
    """The next review moves to `day` as the cadence has it: nobody changed the plan."""
    plan.next_review_on = day
    session.add(plan)


def set_next_review(session: Session, *, plan: Plan, day, user_id: str, now: datetime) -> int:
    """Put the next review on `day`, recorded in the history; 1 if it moved, else 0."""
    return apply_changes(session, plan, plan, entity="plan", fields=("next_review_on",),
                         values={"next_review_on": day}, user_id=user_id, now=now)


def add_categories(session: Session, *, plan: Plan, names: Iterable[str], user_id: str,
                   now: datetime, after: int | None = None) -> list[Category]:
    """New categories at the end of the plan's (after position `after`, else the last),
    each recorded in its history."""
    if after is None:
        after = max((c.position for c in categories(session, plan=plan)), default=-1)
    added = []
    for position, name in enumerate(names, start=after + 1):
        category = Category(team_id=plan.team_id, plan_id=plan.id, name=name,
                            position=position)
        session.add(category)
        session.flush()
        record_change(session, plan, entity="category", entity_id=category.id, field="created",
                      before=None, after=name, user_id=user_id, now=now)
        added.append(category)
    return added


def update_settings(session: Session, *, plan: Plan, values: dict, renames: dict[int, str],
                    removed: list[int], added: list[str], facilitators: list[str],
                    user_id: str, now: datetime) -> int:
    """Change the plan's settings, categories and facilitators, recording every change."""
    canvas_was_on = plan.canvas_on
    changed = apply_changes(session, plan, plan, entity="plan", fields=PLAN_FIELDS, values=values,
                            user_id=user_id, now=now)
    if plan.canvas_on and not canvas_was_on:  # turned on again: Slack is asked again
        plan.canvas_refused = None
        canvas.redraw_later(session, plan=plan, now=now, user_id=user_id)
    current = {c.id: c for c in categories(session, plan=plan)}
    in_use = set(session.exec(select(Objective.category_id).where(Objective.plan_id == plan.id)))
    for category_id in removed:
        if category_id in in_use:
            raise CategoryInUse(current[category_id].name)
    for category_id, name in renames.items():
        category = current.get(category_id)
        if category is not None and category.name != name:
            record_change(session, plan, entity="category", entity_id=category_id, field="name",
                          before=category.name, after=name, user_id=user_id, now=now)
            category.name = name
            session.add(category)
            changed += 1
    for category_id in removed:
        record_change(session, plan, entity="category", entity_id=category_id, field="removed",
                      before=current[category_id].name, after=None, user_id=user_id, now=now)
        session.delete(current[category_id])
        changed += 1
    changed += len(add_categories(session, plan=plan, names=added, user_id=user_id, now=now,
                                  after=max((c.position for c in current.values()),
                                            default=-1)))
    existing = set(session.exec(select(Facilitator.user_id)
                                .where(Facilitator.plan_id == plan.id)))
    wanted = set(facilitators) | {plan.created_by}
    for person in sorted(wanted - existing):
        session.add(Facilitator(team_id=plan.team_id, plan_id=plan.id, user_id=person))
        record_change(session, plan, entity="plan", entity_id=plan.id, field="facilitator",
                      before=None, after=person, user_id=user_id, now=now)
        changed += 1
    for person in sorted(existing - wanted):
        session.delete(session.get(Facilitator, (plan.id, person)))
        record_change(session, plan, entity="plan", entity_id=plan.id, field="facilitator",
                      before=person, after=None, user_id=user_id, now=now)
        changed += 1
    session.add(plan)
    session.flush()
    return changed
