"""Between reviews, the rules alone: working hours, check-in moments, cadence words."""

import json
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.devslack import SlackEmulator
from bot.objectives import deliveries as objectives_deliveries
from bot.outbox.sender import Dispatcher
from bot.platform.slack import make_client
from bot.reviews.deliveries import reschedule_plan
from bot.reviews.rules import cadence_words, checkin_moment, checkins_start, working_moment
from storage import home, objectives, outbox, plans
from storage.db import new_session
from storage.models import Initiative, Plan
from tests.factories import make_plan
from tests.inprocess import FakeClock


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("earliest", "zone", "expected"), [
    (utc(2027, 1, 12, 12, 0), "Europe/Madrid", utc(2027, 1, 12, 12, 0)),  # 13:00 there
    (utc(2027, 1, 12, 3, 0), "Europe/Madrid", utc(2027, 1, 12, 8, 0)),  # night: 09:00
    (utc(2027, 1, 12, 20, 0), "Europe/Madrid", utc(2027, 1, 13, 8, 0)),  # evening: tomorrow
    (utc(2027, 1, 15, 17, 0), "Europe/Madrid", utc(2027, 1, 18, 8, 0)),  # Friday 18:00: Monday
    (utc(2027, 1, 9, 12, 0), "America/New_York", utc(2027, 1, 11, 14, 0)),  # Saturday
    (utc(2027, 1, 12, 20, 0), "America/Mexico_City", utc(2027, 1, 12, 20, 0)),  # 14:00 there
])
def test_a_working_moment_is_a_weekday_between_nine_and_five_local(earliest, zone, expected):
    moment = working_moment(earliest, zone)
    assert moment == expected
    local = moment.astimezone(ZoneInfo(zone))
    assert local.weekday() < 5 and time(9) <= local.time() < time(17)


def test_each_owner_is_asked_at_their_own_first_working_hour_of_the_check_in_day():
    plan = SimpleNamespace(id=7, timezone="Europe/Madrid", checkin_days=3)
    start = checkins_start(plan, date(2027, 1, 15))
    assert start.key == "checkin:7:2027-01-15" and start.payload["day"] == "2027-01-12"
    # Planned when the day has begun in the earliest timezone (UTC+14), before anyone's 09:00.
    assert start.due_at == utc(2027, 1, 11, 9, 0)
    day = date(2027, 1, 12)
    assert checkin_moment(day, "Asia/Tokyo", now=start.due_at) == utc(2027, 1, 12, 0, 0)
    assert checkin_moment(day, "America/New_York", now=start.due_at) == utc(2027, 1, 12, 14, 0)
    # Planned late (the review moved closer): the next working hour from now.
    late = utc(2027, 1, 12, 19, 30)
    assert checkin_moment(day, "Europe/Madrid", now=late) == utc(2027, 1, 13, 8, 0)


@pytest.mark.parametrize(("cadence", "weeks", "size", "en", "es"), [
    (None, None, "large", "Quarterly", "Trimestral"),
    (None, None, "small", "Every 6 months", "Cada 6 meses"),
    ("monthly", None, "large", "Monthly", "Mensual"),
    ("weeks", 1, "large", "Every 1 week", "Cada 1 semana"),
    ("weeks", 6, "small", "Every 6 weeks", "Cada 6 semanas"),
])
def test_the_cadence_is_worded_in_one_place(cadence, weeks, size, en, es):
    plan = SimpleNamespace(cadence=cadence, cadence_weeks=weeks, client_size=size)
    assert (cadence_words(plan, "en"), cadence_words(plan, "es")) == (en, es)


# --- deadlines: the owner's reminder (the outbox against the emulator), the overdue flag ------

OWNER, GUEST = "U0OWNER", "U0GUEST"


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        emulator.add_user(OWNER, "olga", locale="es-ES", tz="Europe/Madrid")
        emulator.add_user(GUEST, "gus", tz="America/Mexico_City", team_id="T0OTHER")
        emulator.add_channel("C1", "acme", members=[OWNER, GUEST])
        yield emulator


def test_an_initiatives_owner_is_reminded_ahead_of_its_due_date(engine, slack):
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
    ahead = utc(2027, 2, 8, 8, 0)  # Sunday the 7th is three days ahead: Monday 09:00 Madrid
    clock = FakeClock(ahead - timedelta(minutes=1))
    run = Dispatcher(engine, make_client(token="xoxb-test", base_url=slack.api_url), clock)
    run.run_once()
    assert slack.calls_to("chat.postMessage") == []
    clock.now = ahead
    assert run.run_once() == 2
    run.run_once()
    posts = [c.params for c in slack.calls_to("chat.postMessage")]
    direct = [p for p in posts if p["channel"] == OWNER]
    in_channel = [p for p in posts if p["channel"] == "C1"]
    assert len(direct) == 1 and "Sign the contract" in direct[0]["text"]
    assert "y eres responsable" in direct[0]["text"]  # the owner's own language
    assert len(in_channel) == 1 and f"<@{GUEST}>" in in_channel[0]["text"]

    with new_session(engine) as db:
        plan = db.get(Plan, plan_id)
        shown = json.dumps(objectives_deliveries.plan_messages(db, plan=plan, today=date(2027, 2,
                                                                                         11)))
        assert shown.count("Overdue* since") == 2
        assert "Overdue" not in json.dumps(objectives_deliveries.plan_messages(db, plan=plan,
                                                                  today=date(2027, 2, 10)))
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


def test_the_review_and_app_home_flag_an_overdue_initiative():
    from bot.home.views import home_view
    from bot.reviews.views import item_inputs

    item = SimpleNamespace(id=3, title="Workshop", target="Held", status="on_track",
                           due_date=date(2027, 2, 10))
    flagged = json.dumps(item_inputs("en", "initiative", item, None, None, date(2027, 2, 11)),
                         ensure_ascii=False)
    assert "⚠️ *Overdue* since February 10, 2027" in flagged
    assert "Overdue" not in json.dumps(item_inputs("en", "initiative", item, None, None,
                                                   date(2027, 2, 10)))
    plan = SimpleNamespace(account_name="Acme", channel_id="C1", id=1, next_review_on=None)
    home = json.dumps(home_view(lang="es", plans=[], today=date(2027, 2, 11), at_risk=[],
                                overdue=[(plan, "Workshop", date(2027, 2, 10))]),
                      ensure_ascii=False)
    assert "Tus iniciativas con la fecha límite pasada" in home and "Workshop" in home


def test_an_owner_checks_in_on_their_own_items_only_until_the_review_closes(db):
    from storage import reviews

    plan = plans.create_plan(db, plan=make_plan(), categories=["Financial"],
                               facilitators=[])
    category = plans.categories(db, plan=plan)[0]
    values = dict(category_id=category.id, target="More", measure="EUR", horizon="medium")
    mine = objectives.add_objective(db, plan=plan, idea_id=None, user_id="U1", now=utc(2027, 1, 1),
                                  values=dict(values, statement="Mine", owner_id="U2"))
    other = objectives.add_objective(db, plan=plan, idea_id=None, user_id="U1",
                                   now=utc(2027, 1, 1),
                                   values=dict(values, statement="Theirs", owner_id="U3"))
    items = [{"entity": "objective", "entity_id": item.id, "status": "at_risk", "value": 5.0,
              "note": "forged?"} for item in (mine, other)]
    assert reviews.save_checkins(db, plan=plan, user_id="U2", items=items, now=utc(2027, 1, 2)) == 1
    assert reviews.save_checkins(db, plan=plan, user_id="U2", items=items, now=utc(2027, 1, 3)) == 1
    assert set(reviews.open_checkins(db, plan=plan)) == {("objective", mine.id)}
    assert reviews.who_checked_in(db, plan=plan) == (["U2"], ["U3"])
    review = reviews.open_review(db, plan=plan, due_on=date(2027, 3, 1), user_id="U1",
                                 now=utc(2027, 3, 1))
    reviews.close_review(db, plan=plan, review=review, worked=None, not_worked=None,
                         user_id="U1", now=utc(2027, 3, 1))
    assert reviews.open_checkins(db, plan=plan) == {}  # the review read them
    assert reviews.held(db, plan=plan, due=date(2027, 3, 1))
    assert reviews.who_checked_in(db, plan=plan) == ([], ["U2", "U3"])
