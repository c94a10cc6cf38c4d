"""What a session posts through the outbox: its card, its recap and its timers' notes, drawn
from the database when they are sent."""

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.outbox.kinds import Kind
from bot.sessions import views
from bot.sessions.rules import session_timers
from storage import outbox, plans, sessions
from storage.models import Delivery, Plan, StrategySession

if TYPE_CHECKING:
    from bot.outbox.sender import Sending


def session_card(db: Session, *, plan: Plan, strategy_session: StrategySession) -> dict:
    contributions = sessions.contributors(db, strategy_session=strategy_session)
    return views.session_card(
        lang=plan.language, plan=plan, strategy_session=strategy_session,
        contributions=contributions,
        answer_count=sum(answers for answers, _ideas in contributions.values()),
        idea_count=sum(ideas for _answers, ideas in contributions.values()))


def schedule_timers(db: Session, *, plan: Plan, strategy_session: StrategySession) -> None:
    outbox.schedule(db, plan=plan, planned=session_timers(strategy_session))


def cancel_timers(db: Session, *, plan: Plan, strategy_session: StrategySession) -> None:
    outbox.cancel(db, plan=plan, key_prefix=f"session:{strategy_session.id}:",
                  reason="session ended")


def _of(sending: "Sending") -> StrategySession | None:
    return sending.db.get(StrategySession, sending.payload["session_id"])


def _timer(sending: "Sending") -> list[dict] | None:
    strategy_session, plan = _of(sending), sending.plan
    if strategy_session is None or strategy_session.ended_at is not None:
        return None
    return [views.session_timer(lang=plan.language, plan=plan, kind=sending.delivery.kind,
                                facilitators=plans.facilitators_of(sending.db, plan=plan),
                                minutes=sending.payload.get("minutes", 10))]


def _card(sending: "Sending") -> list[dict] | None:
    strategy_session = _of(sending)
    if strategy_session is None or strategy_session.message_ts:
        return None
    return [session_card(sending.db, plan=sending.plan, strategy_session=strategy_session)]


def _recap(sending: "Sending") -> list[dict] | None:
    strategy_session, db, plan = _of(sending), sending.db, sending.plan
    if strategy_session is None:
        return None
    return views.session_recap(
        lang=plan.language, plan=plan,
        answers=sessions.answers_of(db, strategy_session=strategy_session),
        ideas=sessions.ideas_of(db, plan=plan, strategy_session=strategy_session))


def _card_refused(db: Session, payload: dict, now) -> None:
    """A session nobody can see the card of is not left running."""
    strategy_session = db.get_one(StrategySession, payload["session_id"])
    plan = db.get_one(Plan, strategy_session.plan_id)
    sessions.end_session(db, strategy_session=strategy_session,
                         user_id=strategy_session.started_by, now=now)
    cancel_timers(db, plan=plan, strategy_session=strategy_session)


def _timer_group(delivery: Delivery) -> str:
    return delivery.key.rsplit(":", 1)[0]  # the session's: its warning and its end


WARNING = Kind("session_warning", draw=_timer, scheduled=True, group=_timer_group,
               grace=timedelta(minutes=15))
END = Kind("session_end", draw=_timer, scheduled=True, group=_timer_group,
           grace=timedelta(minutes=30))
CARD = Kind("session_card", draw=_card, refused=_card_refused,
            posted=lambda db, payload, ts: sessions.set_session_message(
                db, session_id=payload["session_id"], ts=ts))
RECAP = Kind("recap", draw=_recap, any_plan=True)
KINDS = (WARNING, END, CARD, RECAP)
