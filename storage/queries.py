"""The queries and writes the app needs. Keyword-only; writes flush and leave the commit
to the caller, so everything one request brings is committed together, with its
idempotency key (`claim_request`) and the deliveries it asks for.

Every lookup that starts from ids found in a Slack payload also takes the request's
workspace (and channel), so a forged or stale id from elsewhere finds nothing.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, union, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.db import insert
from storage.models import (
    Answer,
    Category,
    Facilitator,
    Idea,
    Plan,
    ProcessedRequest,
    StrategySession,
    Workspace,
)
from storage.types import utcnow


class DuplicateRequest(Exception):
    """The same Slack request (a retry, a double submit) was already stored."""


class ChannelHasPlan(Exception):
    """The channel already has an active plan."""


class SessionAlreadyRunning(Exception):
    """The plan already has a running strategy session."""


def claim_request(session: Session, *, team_id: str, key: str) -> None:
    """Write a request's idempotency key in the transaction that stores what the request
    brought, last, so the two commit together. Raises DuplicateRequest (and rolls back)
    when the key was stored before: a retry, a double submit."""
    session.add(ProcessedRequest(team_id=team_id, key=key))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DuplicateRequest(key) from None


def first_sighting(session: Session, *, team_id: str, key: str) -> bool:
    """Note a key; True the first time it is noted, whichever process notes it."""
    # RETURNING, not rowcount: psycopg reports no rowcount for INSERT … ON CONFLICT.
    return session.exec(insert(session, ProcessedRequest)
                        .values(team_id=team_id, key=key, created_at=utcnow())
                        .on_conflict_do_nothing(index_elements=["team_id", "key"])
                        .returning(ProcessedRequest.key)).first() is not None


def request_seen(session: Session, *, team_id: str, key: str) -> bool:
    return session.get(ProcessedRequest, (team_id, key)) is not None


def ensure_workspace(session: Session, *, team_id: str, enterprise_id: str | None = None
                     ) -> None:
    session.exec(insert(session, Workspace).values(team_id=team_id, created_at=utcnow(),
                                                   enterprise_id=enterprise_id)
                 .on_conflict_do_nothing(index_elements=["team_id"]))


def active_plan(session: Session, *, team_id: str, channel_id: str) -> Plan | None:
    return session.exec(
        select(Plan).where(
            Plan.team_id == team_id, Plan.channel_id == channel_id, Plan.status == "active"
        )
    ).first()


def channel_owner(session: Session, *, channel_id: str) -> str | None:
    """The workspace whose active plan the channel holds (channel ids are unique across
    Slack), for people of other organisations who take part there."""
    return session.exec(select(Plan.team_id).where(Plan.channel_id == channel_id,
                                                   Plan.status == "active")).first()


def plan_in_channel(session: Session, *, plan_id: int, team_id: str, channel_id: str):
    plan = session.get(Plan, plan_id)
    if plan is None or plan.team_id != team_id or plan.channel_id != channel_id:
        return None
    return plan


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
    return list(
        session.exec(
            select(Category.name).where(Category.plan_id == plan.id).order_by(Category.position)
        )
    )


def running_session(session: Session, *, plan: Plan) -> StrategySession | None:
    return session.exec(
        select(StrategySession).where(
            StrategySession.plan_id == plan.id, col(StrategySession.ended_at).is_(None)
        )
    ).first()


def start_session(
    session: Session, *, plan: Plan, user_id: str, now: datetime, ends_at: datetime
) -> StrategySession:
    if running_session(session, plan=plan):
        raise SessionAlreadyRunning(plan.id)
    strategy_session = StrategySession(
        team_id=plan.team_id,
        plan_id=plan.id,
        channel_id=plan.channel_id,
        started_by=user_id,
        started_at=now,
        ends_at=ends_at,
    )
    session.add(strategy_session)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise SessionAlreadyRunning(plan.id) from None
    return strategy_session


def session_in_channel(
    session: Session, *, session_id: int, team_id: str, channel_id: str
) -> StrategySession | None:
    strategy_session = session.get(StrategySession, session_id)
    if (
        strategy_session is None
        or strategy_session.team_id != team_id
        or strategy_session.channel_id != channel_id
    ):
        return None
    return strategy_session


def session_with_plan(
    session: Session, *, session_id: int, team_id: str, channel_id: str
) -> tuple[Plan, StrategySession] | tuple[None, None]:
    """(plan, session) in one query, checked against the workspace and channel."""
    row = session.exec(
        select(Plan, StrategySession).join(Plan, col(Plan.id) == col(StrategySession.plan_id))
        .where(StrategySession.id == session_id, StrategySession.team_id == team_id,
               StrategySession.channel_id == channel_id)).first()
    return (row[0], row[1]) if row else (None, None)


def set_session_message(session: Session, *, session_id: int, ts: str) -> None:
    session.exec(update(StrategySession).where(col(StrategySession.id) == session_id)
                 .values(message_ts=ts))


def focus_question(session: Session, *, strategy_session: StrategySession,
                   question: int | None, now: datetime) -> None:
    """Put one question in focus (None: all of them again); clicking twice changes nothing."""
    if strategy_session.focus_question == question:
        return
    strategy_session.focus_question, strategy_session.focus_since = question, now
    session.add(strategy_session)
    session.flush()


def end_session(
    session: Session, *, strategy_session: StrategySession, user_id: str, now: datetime
) -> bool:
    """End the session; False when it had already ended (a double click)."""
    result = session.exec(
        update(StrategySession)
        .where(
            col(StrategySession.id) == strategy_session.id,
            col(StrategySession.ended_at).is_(None),
        )
        .values(ended_at=now, ended_by=user_id)
    )
    return result.rowcount == 1


def add_contributions(
    session: Session,
    *,
    plan: Plan,
    strategy_session: StrategySession | None,
    user_id: str,
    user_team_id: str | None,
    answers: dict[int, str],
    ideas: list[tuple[str, str | None, int | None]],
    now: datetime,
) -> None:
    """Store one submission's answers and ideas (text, tag, source question) at once."""
    for question, text in answers.items():
        session.add(
            Answer(
                team_id=plan.team_id,
                plan_id=plan.id,
                session_id=strategy_session.id,
                question=question,
                text=text,
                user_id=user_id,
                user_team_id=user_team_id,
                created_at=now,
            )
        )
    for text, tag, source_question in ideas:
        session.add(
            Idea(
                team_id=plan.team_id,
                plan_id=plan.id,
                session_id=strategy_session.id if strategy_session else None,
                source_question=source_question,
                tag=tag,
                text=text,
                user_id=user_id,
                user_team_id=user_team_id,
                created_at=now,
            )
        )
    session.flush()


def answers_of(
    session: Session, *, strategy_session: StrategySession, user_id: str | None = None
) -> list[Answer]:
    query = select(Answer).where(
        Answer.session_id == strategy_session.id, col(Answer.deleted_at).is_(None)
    )
    if user_id is not None:
        query = query.where(Answer.user_id == user_id)
    return list(session.exec(query.order_by(Answer.question, Answer.created_at, Answer.id)))


def edit_answers(
    session: Session,
    *,
    strategy_session: StrategySession,
    user_id: str,
    texts: dict[int, str],
    now: datetime,
) -> int:
    """Apply a user's corrections to their own answers; an emptied answer is hidden,
    not deleted. Returns how many answers changed."""
    changed = 0
    for answer in answers_of(session, strategy_session=strategy_session, user_id=user_id):
        if answer.id not in texts or texts[answer.id] == answer.text:
            continue
        if texts[answer.id]:
            answer.text = texts[answer.id]
            answer.updated_at = now
        else:
            answer.deleted_at = now
        session.add(answer)
        changed += 1
    session.flush()
    return changed


def ideas_of(
    session: Session, *, plan: Plan, strategy_session: StrategySession | None = None
) -> list[Idea]:
    query = select(Idea).where(Idea.plan_id == plan.id)
    if strategy_session is not None:
        query = query.where(Idea.session_id == strategy_session.id)
    return list(session.exec(query.order_by(Idea.created_at, Idea.id)))


def count_ideas(session: Session, *, plan: Plan) -> int:
    return session.exec(select(func.count()).where(Idea.plan_id == plan.id)).one()


def contributors(session: Session, *, strategy_session: StrategySession) -> dict[str, list[int]]:
    """{user_id: [answers, ideas]} for the session card, in order of first contribution."""
    answers = session.exec(
        select(Answer.user_id, func.count(), func.min(Answer.created_at))
        .where(Answer.session_id == strategy_session.id, col(Answer.deleted_at).is_(None))
        .group_by(Answer.user_id)
    ).all()
    ideas = session.exec(
        select(Idea.user_id, func.count(), func.min(Idea.created_at))
        .where(Idea.session_id == strategy_session.id)
        .group_by(Idea.user_id)
    ).all()
    counts: dict[str, list[int]] = {}
    first: dict[str, datetime] = {}
    for kind, rows in ((0, answers), (1, ideas)):
        for user_id, number, earliest in rows:
            counts.setdefault(user_id, [0, 0])[kind] = number
            first[user_id] = min(first.get(user_id, earliest), earliest)
    return {user_id: counts[user_id] for user_id in sorted(counts, key=first.__getitem__)}


def plans_for_user(session: Session, *, team_id: str, user_id: str) -> list[Plan]:
    """Active plans the user facilitates or owns something in, for App Home."""
    from storage.models import Initiative, Objective

    mine = union(
        select(Facilitator.plan_id).where(Facilitator.user_id == user_id),
        select(Objective.plan_id).where(Objective.owner_id == user_id),
        select(Initiative.plan_id).where(Initiative.owner_id == user_id),
    )
    return list(session.exec(
        select(Plan).where(Plan.team_id == team_id, Plan.status == "active",
                           col(Plan.id).in_(mine)).order_by(Plan.account_name)))


def overdue_for_owner(session: Session, *, team_id: str, user_id: str, today) -> list[tuple]:
    """(plan, title, due date) of the initiatives the user owns that are past their due date
    and neither done nor abandoned, in active plans."""
    from storage.models import Initiative

    return list(session.exec(
        select(Plan, Initiative.title, Initiative.due_date)
        .join(Plan, col(Plan.id) == col(Initiative.plan_id))
        .where(Plan.team_id == team_id, Plan.status == "active",
               Initiative.owner_id == user_id, col(Initiative.due_date) < today,
               col(Initiative.status).not_in(("done", "abandoned")))
        .order_by(Initiative.due_date)).all())


def at_risk_for_owner(session: Session, *, team_id: str, user_id: str) -> list[tuple]:
    """(plan, title, status) of the objectives and initiatives the user owns that are at
    risk or off track, in active plans."""
    from storage.models import Initiative, Objective

    rows = []
    for model, title in ((Objective, Objective.statement), (Initiative, Initiative.title)):
        rows += session.exec(
            select(Plan, title, model.status).join(Plan, col(Plan.id) == col(model.plan_id))
            .where(Plan.team_id == team_id, Plan.status == "active",
                   model.owner_id == user_id,
                   col(model.status).in_(("at_risk", "off_track")))).all()
    return rows
