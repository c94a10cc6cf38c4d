"""What App Home shows a person: their plans and the items they own that need them."""

from sqlalchemy import union
from sqlmodel import Session, col, select

from storage.models import ACTIVE, Facilitator, Plan


def plans_for_user(session: Session, *, team_id: str, user_id: str) -> list[Plan]:
    """Active plans the user facilitates or owns something in, for App Home."""
    from storage.models import Initiative, Objective

    mine = union(
        select(Facilitator.plan_id).where(Facilitator.user_id == user_id),
        select(Objective.plan_id).where(Objective.owner_id == user_id),
        select(Initiative.plan_id).where(Initiative.owner_id == user_id),
    )
    return list(session.exec(
        select(Plan).where(Plan.team_id == team_id, ACTIVE,
                           col(Plan.id).in_(mine)).order_by(col(Plan.account_name))))


def overdue_for_owner(session: Session, *, team_id: str, user_id: str, today) -> list[tuple]:
    """(plan, title, due date) of the initiatives the user owns that are past their due date
    and neither done nor abandoned, in active plans."""
    from storage.models import Initiative

    return list(session.exec(
        select(Plan, Initiative.title, col(Initiative.due_date))
        .join(Plan, col(Plan.id) == col(Initiative.plan_id))
        .where(Plan.team_id == team_id, ACTIVE,
               Initiative.owner_id == user_id, col(Initiative.due_date) < today,
               col(Initiative.status).not_in(("done", "abandoned")))
        .order_by(col(Initiative.due_date))).all())


def at_risk_for_owner(session: Session, *, team_id: str, user_id: str) -> list[tuple]:
    """(plan, title, status) of the objectives and initiatives the user owns that are at
    risk or off track, in active plans."""
    from storage.models import Initiative, Objective

    rows: list[tuple] = []
    for model, title in ((Objective, Objective.statement), (Initiative, Initiative.title)):
        rows += session.exec(
            select(Plan, title, model.status).join(Plan, col(Plan.id) == col(model.plan_id))
            .where(Plan.team_id == team_id, ACTIVE,
                   model.owner_id == user_id,
                   col(model.status).in_(("at_risk", "off_track")))).all()
    return rows
