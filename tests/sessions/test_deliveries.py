"""The session's timers through the outbox (bot/sessions/deliveries.py), with an injected
clock against the Web API emulator, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

from bot.sessions.deliveries import cancel_timers, schedule_timers
from bot.sessions.rules import warning_lead
from storage import sessions
from storage.db import new_session
from storage.models import Plan, StrategySession
from tests.factories import dispatcher, new_plan, posts
from tests.inprocess import FakeClock

FACILITATOR = "U1"  # the web_api fixture's user


def test_session_timers(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
        start = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
        strategy_session = sessions.start_session(db, plan=plan, user_id=FACILITATOR, now=start,
                                                  ends_at=start + timedelta(minutes=90))
        schedule_timers(db, plan=plan, strategy_session=strategy_session)
        db.commit()
    clock = FakeClock(start + timedelta(minutes=80))
    run = dispatcher(engine, web_api, clock)
    assert run.run_once() == 1 and "10 minutes left" in posts(web_api)[-1].params["text"]
    clock.now = start + timedelta(minutes=90)
    assert run.run_once() == 1 and "Time is up" in posts(web_api)[-1].params["text"]

    # A session ended early takes its timers with it.
    with new_session(engine) as db:
        plan = db.get(Plan, plan.id)
        first = db.get(StrategySession, strategy_session.id)
        sessions.end_session(db, strategy_session=first, user_id=FACILITATOR, now=clock.now)
        second = sessions.start_session(db, plan=plan, user_id=FACILITATOR, now=clock.now,
                                        ends_at=clock.now + timedelta(minutes=30))
        schedule_timers(db, plan=plan, strategy_session=second)
        sessions.end_session(db, strategy_session=second, user_id=FACILITATOR, now=clock.now)
        cancel_timers(db, plan=plan, strategy_session=second)
        db.commit()
    clock.now += timedelta(minutes=40)
    assert run.run_once() == 0  # an ended session's timers are gone


def test_a_short_sessions_warning_fits_its_length(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
        start = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
        short = sessions.start_session(db, plan=plan, user_id=FACILITATOR, now=start,
                                       ends_at=start + timedelta(minutes=5))
        schedule_timers(db, plan=plan, strategy_session=short)
        db.commit()
    clock = FakeClock(start + timedelta(seconds=10))
    run = dispatcher(engine, web_api, clock)
    assert run.run_once() == 0  # not "10 minutes left" at once
    clock.now = start + timedelta(minutes=4)
    assert run.run_once() == 1 and "1 minute left" in posts(web_api)[-1].params["text"]
    assert [warning_lead(timedelta(minutes=m)).total_seconds() / 60
            for m in (5, 20, 49, 50, 90)] == [1, 4, 9, 10, 10]
