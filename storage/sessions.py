"""Strategy sessions and what people contribute to them: answers and ideas."""

import functools
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, func, insert, null, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage import plans
from storage.db import new_rows, table
from storage.models import Answer, Idea, Plan, StrategySession


class SessionAlreadyRunning(Exception):
    """The plan already has a running strategy session."""


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


# What a submission brings to each kind of contribution, besides who, where and when.
GIVEN = {Answer: ("question", "text"), Idea: ("source_question", "tag", "text")}


def add_contributions(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    plan_id: int,
    session_id: int | None,
    user_id: str,
    user_team_id: str | None,
    answers: dict[int, str],
    ideas: list[tuple[str, str | None, int | None]],
    now: datetime,
) -> bool:
    """Store one submission's answers and ideas (text, tag, source question) in the plan
    `plan_id` and its strategy session `session_id` (answers need one), when they belong to
    this workspace's channel and the plan is active. One INSERT … SELECT for each kind, with
    the check inside it: False, and nothing stored, when they do not belong. Those of a
    strategy session mark its card themselves (a trigger: migration 0010)."""
    if answers and session_id is None:
        raise ValueError("answers belong to a strategy session")
    where = dict(team_id=team_id, channel_id=channel_id, plan_id=plan_id,
                 session_id=session_id, user_id=user_id, user_team_id=user_team_id,
                 created_at=now)
    for model, rows in (
            (Answer, [dict(question=question, text=text) for question, text in answers.items()]),
            (Idea, [dict(source_question=source_question, tag=tag, text=text)
                    for text, tag, source_question in ideas])):
        if rows and not session.connection().execute(
                _adding(model, "plan" if session_id is None else "session"),
                [dict(where, **row) for row in rows]).rowcount:
            return False  # the first kind found no plan to go to: neither would the second
    return True


class IdeaAdded(NamedTuple):
    """What the answer to `/plan idea` shows, returned by the idea's own INSERT."""

    session_id: int | None
    account_name: str
    language: str


def add_idea_here(session: Session, *, team_id: str, channel_id: str, user_id: str,
                  user_team_id: str | None, text: str, now: datetime) -> IdeaAdded | None:
    """`/plan idea <text>`: the idea, in the channel's active plan and its running strategy
    session if one runs, found by the INSERT itself, which returns what the answer shows.
    None, and nothing stored, when the channel has no active plan."""
    row = session.connection().execute(_adding_here(), dict(
        team_id=team_id, channel_id=channel_id, user_id=user_id, user_team_id=user_team_id,
        created_at=now, source_question=None, tag=None, text=text)).first()
    return IdeaAdded(*row) if row is not None else None


@functools.cache
def _adding_here() -> Any:
    its_plan = [select(column).where(col(Plan.id) == new_rows(Idea, "plan_id"))
                .scalar_subquery() for column in (Plan.account_name, Plan.language)]
    return _adding(Idea, "channel").returning(table(Idea).c.session_id, *its_plan)


@functools.cache
def _adding(model: Any, source: str) -> Any:
    """INSERT … SELECT, built once, into the plan `:plan_id` (`source` "plan"), and its
    session `:session_id` ("session"), or into the channel's active plan and its running
    session if one runs ("channel"). The SELECT finds them only where they belong
    (`plans.belongs`), so nothing is inserted anywhere else."""
    target = table(model)
    given = ("user_id", "user_team_id", "created_at", *GIVEN[model])
    rows = select(col(Plan.team_id), col(Plan.id),
                  null() if source == "plan" else col(StrategySession.id),
                  *(bindparam(name, type_=target.c[name].type) for name in given))
    if source == "session":
        rows = rows.join(StrategySession, and_(
            col(StrategySession.id) == bindparam("session_id"),
            col(StrategySession.plan_id) == col(Plan.id))).where(
            col(Plan.id) == bindparam("plan_id"), plans.belongs(StrategySession))
    elif source == "channel":  # one running session at most (uq_session_running_plan)
        rows = rows.outerjoin(StrategySession, and_(
            col(StrategySession.plan_id) == col(Plan.id),
            col(StrategySession.ended_at).is_(None))).where(plans.belongs())
    else:
        rows = rows.where(col(Plan.id) == bindparam("plan_id"), plans.belongs())
    return (insert(target).from_select(["team_id", "plan_id", "session_id", *given], rows)
            .execution_options(preserve_rowcount=True))  # an INSERT's count is kept only so


def answers_of(
    session: Session, *, strategy_session: StrategySession, user_id: str | None = None
) -> list[Answer]:
    query = select(Answer).where(
        Answer.session_id == strategy_session.id, col(Answer.deleted_at).is_(None)
    )
    if user_id is not None:
        query = query.where(Answer.user_id == user_id)
    return list(session.exec(query.order_by(col(Answer.question), col(Answer.created_at),
                                            col(Answer.id))))


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
    return list(session.exec(query.order_by(col(Idea.created_at), col(Idea.id))))


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
