"""What a session posts through the outbox: its card, its recap and its timers' notes, drawn
from the database when they are sent."""

import logging

from sqlmodel import Session

from bot.sessions import views
from bot.sessions.rules import session_timers
from storage import outbox, plans, sessions
from storage.models import Plan, StrategySession


def session_card(db: Session, *, plan: Plan, strategy_session: StrategySession) -> dict:
    contributions = sessions.contributors(db, strategy_session=strategy_session)
    return views.session_card(
        lang=plan.language, plan=plan, strategy_session=strategy_session,
        contributions=contributions,
        answer_count=sum(answers for answers, _ideas in contributions.values()),
        idea_count=sum(ideas for _answers, ideas in contributions.values()))


def session_recap(db: Session, *, plan: Plan, strategy_session: StrategySession) -> list[dict]:
    return views.session_recap(
        lang=plan.language, plan=plan,
        answers=sessions.answers_of(db, strategy_session=strategy_session),
        ideas=sessions.ideas_of(db, plan=plan, strategy_session=strategy_session))


log = logging.getLogger("rumbo")


def schedule_session_timers(db, *, plan: Plan, strategy_session: StrategySession) -> None:
    outbox.schedule(db, plan=plan, planned=session_timers(strategy_session))


def cancel_session_timers(db, *, plan: Plan, strategy_session: StrategySession) -> None:
    outbox.cancel(db, plan=plan, key_prefix=f"session:{strategy_session.id}:",
                      reason="session ended")


def _session_timer(db, plan, payload, now):
    strategy_session = db.get(StrategySession, payload["session_id"])
    if strategy_session is None or strategy_session.ended_at is not None:
        return None
    return [views.session_timer(lang=plan.language, plan=plan, kind=payload["kind"],
                                 facilitators=plans.facilitators_of(db, plan=plan),
                                 minutes=payload.get("minutes", 10))]


def _session(db, payload):
    return db.get(StrategySession, payload["session_id"])


def _session_card(db, plan, payload, now):
    strategy_session = _session(db, payload)
    if strategy_session is None or strategy_session.message_ts:
        return None
    return [session_card(db, plan=plan, strategy_session=strategy_session)]


def _recap(db, plan, payload, now):
    strategy_session = _session(db, payload)
    if strategy_session is None:
        return None
    return session_recap(db, plan=plan, strategy_session=strategy_session)


def _end_session(db, payload, now):
    """A session nobody can see the card of is not left running."""
    strategy_session = _session(db, payload)
    plan = db.get(Plan, strategy_session.plan_id)
    sessions.end_session(db, strategy_session=strategy_session,
                        user_id=strategy_session.started_by, now=now)
    cancel_session_timers(db, plan=plan, strategy_session=strategy_session)
