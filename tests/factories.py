"""What tests build their data from, in one place: plans, sessions and a big plan as the
views see them (unsaved), and rows stored the way a request stores them."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.outbox.sender import Sender
from bot.platform.slack import make_client
from bot.reviews.deliveries import reschedule_plan
from bot.reviews.rules import local_moment
from storage import objectives, plans, requests, sessions
from storage.models import Category, Initiative, Objective, Plan, StrategySession

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
# Where the date is not UTC's: (timezone, the moment, the date it is there).
LATE_IN_MEXICO = ("America/Mexico_City", datetime(2026, 12, 4, 1, 0, tzinfo=UTC),
                  date(2026, 12, 3))  # 19:00 on the 3rd, the 4th in UTC
EARLY_IN_TOKYO = ("Asia/Tokyo", datetime(2026, 12, 3, 23, 30, tzinfo=UTC),
                  date(2026, 12, 4))  # 08:30 on the 4th, still the 3rd in UTC
ELSEWHERE_TODAY = pytest.param(*LATE_IN_MEXICO, id="late-mexico"), pytest.param(
    *EARLY_IN_TOKYO, id="early-tokyo")
EVIL = "Ping <!channel> & <https://evil.example|click me> <@U0BOSS>"
LANGS = ["en", "es"]


def utc(*args) -> datetime:
    """datetime(*args) in UTC."""
    return datetime(*args, tzinfo=UTC)


# --- as the views see them ---------------------------------------------------------------------

def plan(**extra) -> Plan:
    """A plan as a view gets it (id 7, in Mexico City, in English), not stored."""
    values = dict(id=7, team_id="T1", channel_id="C1", account_name="Acme & <Sons>",
                  client_size="large", period="twelve_months", start_date=date(2026, 12, 1),
                  end_date=date(2027, 11, 30), timezone="America/Mexico_City",
                  review_weekday=0, review_time=time(9, 0), language="en", created_by="U1",
                  created_at=NOW)
    values.update(extra)
    return Plan(**values)


def session(**extra) -> StrategySession:
    values = dict(id=3, team_id="T1", plan_id=7, channel_id="C1", started_by="U1",
                  started_at=NOW, ends_at=NOW + timedelta(minutes=90))
    values.update(extra)
    return StrategySession(**values)


def big_plan(objectives=50, initiatives=200):
    """(categories, objectives, initiatives) of plan 7, with long texts."""
    categories = [Category(id=i + 1, team_id="T1", plan_id=7, name=f"Category {i}", position=i)
                  for i in range(4)]
    objs = [Objective(id=i + 1, team_id="T1", plan_id=7, category_id=i % 4 + 1,
                      statement=f"Objective {i} " + "o" * 200, target="t" * 300,
                      measure="Share of tickets", unit="%", baseline=10, target_value=50,
                      target_date=date(2027, 6, 30), horizon="medium", owner_id="U1",
                      created_by="U1") for i in range(objectives)]
    inits = [Initiative(id=i + 1, team_id="T1", plan_id=7, objective_id=i % objectives + 1,
                        title=f"Initiative {i} " + "i" * 200, target="x" * 200,
                        measure="Runs", owner_id="U2" if i % 5 else None,
                        due_date=date(2027, 3, 1) if i % 7 else None, created_by="U1")
             for i in range(initiatives)]
    return categories, objs, inits


def all_text(message) -> str:
    """The texts of a message's blocks (sections, their fields, contexts), one a line."""
    parts = []
    for block in message["blocks"]:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for element in block.get("elements", []) + block.get("fields", []):
            if isinstance(element, dict) and "text" in element and element.get("type") in (
                    "mrkdwn", "plain_text"):
                parts.append(element["text"])
    return "\n".join(parts)


# --- stored ------------------------------------------------------------------------------------

def make_plan(channel="C1", team="T1", **extra) -> Plan:
    """A plan row to store (in Madrid, in Spanish)."""
    values = dict(
        team_id=team, channel_id=channel, account_name="Acme", client_size="large",
        period="twelve_months", start_date=date(2026, 12, 1), end_date=date(2027, 11, 30),
        timezone="Europe/Madrid", review_weekday=0, review_time=time(9, 0), language="es",
        created_by="U1", created_at=NOW)
    values.update(extra)
    return Plan(**values)


def once(db, key: str, write, team="T1"):
    """A request's unit of work: its idempotency key, the write, one commit."""
    requests.claim_request(db, team_id=team, key=key, now=NOW)
    result = write()
    db.commit()
    return result


def create(db, channel="C1", key="k1", **extra) -> Plan:
    """A plan stored as `/plan new` stores it (categories A and B, facilitator U2)."""
    return once(db, key, lambda: plans.create_plan(
        db, plan=make_plan(channel, **extra), categories=["A", "B"], facilitators=["U2"]),
        team=extra.get("team", "T1"))


def start(db, plan, key="s1"):
    """A 90-minute strategy session started by U1."""
    return once(db, key, lambda: sessions.start_session(
        db, plan=plan, user_id="U1", now=NOW, ends_at=NOW + timedelta(minutes=90)))


def contribute(db, plan: Plan, strategy_session: StrategySession | None = None, *,
               user_id="U7", user_team_id="T1", answers=None, ideas=(), now=NOW) -> bool:
    """Answers and ideas stored as a submission in the plan's channel stores them."""
    return sessions.add_contributions(
        db, team_id=plan.team_id, channel_id=plan.channel_id, plan_id=plan.id,
        session_id=strategy_session.id if strategy_session else None, user_id=user_id,
        user_team_id=user_team_id, answers=answers or {}, ideas=list(ideas), now=now)


def new_plan(db, **extra) -> Plan:
    """A calendar-year 2027 plan in Madrid, its reviews scheduled (as the outbox sees it)."""
    values = dict(start_date=date(2027, 1, 1), client_size="large", review_weekday=0,
                  timezone="Europe/Madrid", language="en", period="calendar_year",
                  team="T0HOME", summary_frequency="off")
    values.update(extra)
    plan = plans.create_plan(db, plan=make_plan(**values), categories=["Financial"],
                             facilitators=[])
    reschedule_plan(db, plan=plan, now=datetime(2027, 1, 1, tzinfo=UTC))
    db.commit()
    return plan


def stored_objective(db, plan: Plan, statement: str, *, user_id="U0AM", now=NOW,
                     **values) -> Objective:
    """An objective in the plan's first category, as the objective modal stores it (not
    committed): a target, a measure, a medium horizon unless `values` say otherwise."""
    category = plans.categories(db, plan=plan)[0]
    fields = dict(category_id=category.id, statement=statement, target="More", measure="Share",
                  horizon="medium")
    fields.update(values)
    return objectives.add_objective(db, plan=plan, values=fields, idea_id=None, user_id=user_id,
                                    now=now)


# --- the outbox, against the Web API emulator ---------------------------------------------------

def dispatcher(engine, emulator, clock) -> Sender:
    """The outbox's sender on `engine`, calling the emulator, on `clock`."""
    return Sender(engine, make_client(token="xoxb-test", base_url=emulator.api_url), clock)


def posts(emulator, channel="C1"):
    """The messages Slack took in `channel` (chat.postMessage answered ok)."""
    return [c for c in emulator.calls_to("chat.postMessage")
            if c.params["channel"] == channel and c.http_status == 200 and c.response["ok"]]


def madrid(day, hour=9, minute=0):
    """That day's moment on Madrid's clock (the plans of new_plan are in Madrid)."""
    return local_moment(day, time(hour, minute), "Europe/Madrid")
