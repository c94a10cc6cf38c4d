"""What reviews send through the outbox and when (bot/reviews/deliveries.py), with an
injected clock against the Web API emulator, on SQLite and PostgreSQL: review reminders
ahead, at and overdue, across DST and month ends, cancelled once the review is held; the
monthly progress summaries; an initiative's owner reminded of its due date."""

import json
from datetime import date, timedelta

import pytest

from bot.devslack import SlackEmulator
from bot.objectives import deliveries as objectives_deliveries
from bot.outbox.sender import Sender
from bot.platform.slack import make_client
from bot.reviews.deliveries import reschedule_plan, review_held
from bot.reviews.rules import (
    review_reminders,
)
from storage import home, objectives, outbox, plans
from storage.db import new_session
from storage.models import Initiative, Plan
from tests.factories import dispatcher, madrid, make_plan, new_plan, posts, utc
from tests.inprocess import FakeClock

OWNER, GUEST = "U0OWNER", "U0GUEST"


@pytest.fixture
def owners():
    """The emulator with an owner of the plan's workspace and a guest of another."""
    with SlackEmulator() as emulator:
        emulator.add_user(OWNER, "olga", locale="es-ES", tz="Europe/Madrid")
        emulator.add_user(GUEST, "gus", tz="America/Mexico_City", team_id="T0OTHER")
        emulator.add_channel("C1", "acme", members=[OWNER, GUEST])
        yield emulator


def test_an_initiatives_owner_is_reminded_ahead_of_its_due_date(engine, owners):
    web_api = owners
    with new_session(engine) as db:
        plan = plans.create_plan(db, plan=make_plan(
            team="T0HOME", start_date=date(2027, 1, 1), timezone="Europe/Madrid", language="en",
            summary_frequency="off"), categories=["Financial"], facilitators=[])
        category = plans.categories(db, plan=plan)[0]
        objective = objectives.add_objective(db, plan=plan, idea_id=None, user_id=OWNER,
                                             now=utc(2027, 1, 1), values=dict(
                                               category_id=category.id, statement="Grow",
                                               target="More", measure="EUR", horizon="medium"))
        mine, theirs = (objectives.add_initiative(
            db, plan=plan, objective=objective, user_id=OWNER, now=utc(2027, 1, 1),
            values=dict(title=title, target="Done", measure="Shipped", owner_id=owner,
                        due_date=date(2027, 2, 10))) for title, owner in (
            ("Sign the contract", OWNER), ("Client workshop", GUEST)))
        reschedule_plan(db, plan=plan, now=utc(2027, 1, 1))
        db.commit()
        plan_id = plan.id
    # Sunday the 7th is three days ahead: each owner hears it at their own first working
    # hour, Monday 09:00 in Madrid for the owner, in Mexico City for the guest.
    in_madrid, in_mexico = utc(2027, 2, 8, 8, 0), utc(2027, 2, 8, 15, 0)
    clock = FakeClock(utc(2027, 2, 6, 12, 0))  # the 7th has begun somewhere
    run = Sender(engine, make_client(token="xoxb-test", base_url=web_api.api_url), clock)
    assert run.run_once() == 0  # the owners' reminders are planned, none sent yet
    clock.now = in_madrid - timedelta(minutes=1)
    assert run.run_once() == 0 and web_api.calls_to("chat.postMessage") == []

    def posts():
        return [c.params for c in web_api.calls_to("chat.postMessage")]

    clock.now = in_madrid
    assert run.run_once() == 1 and run.run_once() == 0
    direct = [p for p in posts() if p["channel"] == OWNER]
    assert [p["channel"] for p in posts()] == [OWNER] and "Sign the contract" in direct[0]["text"]
    assert "y eres responsable" in direct[0]["text"]  # the owner's own language
    clock.now = in_mexico - timedelta(minutes=1)
    assert run.run_once() == 0
    clock.now = in_mexico
    assert run.run_once() == 1
    in_channel = [p for p in posts() if p["channel"] == "C1"]
    assert len(in_channel) == 1 and f"<@{GUEST}>" in in_channel[0]["text"]

    with new_session(engine) as db:
        plan = db.get(Plan, plan_id)
        shown = json.dumps(objectives_deliveries.plan_messages(db, plan=plan, today=date(2027, 2,
                                                                                         11)))
        assert shown.count("Overdue* since") == 2
        assert "Overdue" not in json.dumps(objectives_deliveries.plan_messages(
            db, plan=plan, today=date(2027, 2, 10)))
        # Done: no flag, and a new due date's reminder replaces the old one.
        db.get(Initiative, mine.id).status = "done"
        db.get(Initiative, theirs.id).due_date = date(2027, 3, 10)
        db.commit()
        assert json.dumps(objectives_deliveries.plan_messages(db, plan=plan, today=date(2027, 2,
                                                                                        11))
                          ).count("Overdue* since") == 0
        reschedule_plan(db, plan=plan, now=utc(2027, 1, 2))
        db.commit()
        pending = [d.key for d in outbox.pending_for(db, plan=plan)
                   if d.key.startswith("deadline")]
        assert pending == [f"deadline:{plan_id}:{theirs.id}:2027-03-10"]
        overdue = home.overdue_for_owner(db, team_id=plan.team_id, user_id=GUEST,
                                         today=date(2027, 3, 11))
        assert [(title, due) for _plan, title, due in overdue] == [
            ("Client workshop", date(2027, 3, 10))]


def test_review_reminders_ahead_at_and_overdue(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
    assert plan.next_review_on == date(2027, 4, 5)  # quarterly, on the review Monday
    clock = FakeClock(madrid(date(2027, 3, 29)) - timedelta(minutes=1))
    run = dispatcher(engine, web_api, clock)
    assert run.run_once() == 0
    expected = [(date(2027, 3, 29), "in 7 days"), (date(2027, 4, 4), "in 1 day"),
                (date(2027, 4, 5), "time to review"), (date(2027, 4, 8), "overdue by 3 days"),
                (date(2027, 4, 11), "overdue by 6 days"), (date(2027, 4, 14), "overdue by 9")]
    for number, (day, words) in enumerate(expected, 1):
        clock.now = madrid(day)
        assert run.run_once() == 1
        assert run.run_once() == 0  # the same tick twice sends nothing more
        assert len(posts(web_api)) == number
        assert words in posts(web_api)[-1].params["text"]
        assert "review_start" in str(posts(web_api)[-1].params["blocks"])
    clock.now = madrid(date(2027, 5, 1))
    assert run.run_once() == 0  # at most 3 overdue nudges


@pytest.mark.parametrize(
    ("timezone", "before", "after"),
    [("Europe/Madrid", 8, 7),  # CET → CEST on 2027-03-28: 09:00 local stays 09:00
     ("America/Mexico_City", 15, 15)],  # no daylight saving since 2022
)
def test_review_time_stays_local_across_dst(engine, timezone, before, after):
    with new_session(engine) as db:
        plan = new_plan(db, timezone=timezone, start_date=date(2026, 12, 28))
    planned = {(p.kind, p.payload.get("days")): p.due_at
               for p in review_reminders(plan, date(2027, 3, 29))}
    assert planned[("review_ahead", 7)].hour == before  # Monday 22 March
    assert planned[("review_due", None)].hour == after  # Monday 29 March


def test_a_quarterly_review_on_the_31st_stays_on_month_ends(engine):
    with new_session(engine) as db:
        plan = new_plan(db, start_date=date(2027, 1, 31), review_weekday=6,
                        period="perpetual", end_date=None)
    from bot.reviews.rules import review_dates

    dates = []
    after = plan.start_date
    for _ in range(4):
        after = review_dates(plan, after=after)
        dates.append(after)
    # Apr 30, Jul 31, Oct 31, Jan 31 (never drifting to the 30th), then the Sunday on or
    # after each.
    assert dates == [date(2027, 5, 2), date(2027, 8, 1), date(2027, 10, 31), date(2028, 2, 6)]


def test_holding_a_review_cancels_its_reminders_and_schedules_the_next(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
        review_held(db, plan=plan, due=date(2027, 4, 5), now=madrid(date(2027, 4, 1)))
        db.commit()
        assert plan.next_review_on == date(2027, 7, 5)
    clock = FakeClock(madrid(date(2027, 4, 8)))
    assert dispatcher(engine, web_api, clock).run_once() == 0  # no overdue nudge
    clock.now = madrid(date(2027, 6, 28))
    assert dispatcher(engine, web_api, clock).run_once() == 1
    assert "in 7 days" in posts(web_api)[-1].params["text"]


def test_monthly_progress_summaries(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db, summary_frequency="monthly")

    def upcoming():
        with new_session(engine) as db:
            return [d.key for d in outbox.pending_for(db, plan=db.get(Plan, plan.id))
                    if d.kind == "summary"]

    clock = FakeClock(madrid(date(2027, 2, 1)))
    run = dispatcher(engine, web_api, clock)
    assert run.run_once() == 1
    assert "Progress" in posts(web_api)[-1].params["text"]
    assert upcoming() == [f"summary:{plan.id}:2027-03-01"]
    # Down for all of March: that summary is stale, skipped, and April's is scheduled.
    clock.now = madrid(date(2027, 3, 20))
    assert run.run_once() == 0  # nothing else is due yet
    assert upcoming() == [f"summary:{plan.id}:2027-04-01"]
