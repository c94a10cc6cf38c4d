"""The due-delivery pass at scale: 10,000 plans, each with its review reminders and a
summary in the outbox, and only a few of them due. Prints how long a pass takes when
nothing is due and when 50 deliveries are, on SQLite (and PostgreSQL when
RUMBO_TEST_POSTGRES_URL is set). Run by hand:

    .venv/bin/python -m benchmarks.dispatch_scale
"""

import json
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import select

from bot.devslack import SlackEmulator
from bot.outbox.sender import Sender
from bot.platform.slack import make_client
from bot.reviews.rules import next_summary, review_reminders
from storage import outbox
from storage.db import make_engine, migrate, new_session
from storage.models import Delivery, Plan, Workspace

PLANS = 10_000
DUE = 50
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def populate(engine) -> None:
    """10,000 plans with reminders months ahead; 50 plans with one reminder due now."""
    with new_session(engine) as db:
        db.add(Workspace(team_id="T0HOME"))
        db.commit()
    plan_rows, delivery_rows = [], []
    for n in range(PLANS):
        plan_rows.append(dict(
            id=n + 1, team_id="T0HOME", channel_id=f"C{n:05d}", account_name=f"Account {n}",
            client_size="large", period="perpetual", start_date=date(2027, 1, 1),
            timezone="Europe/Madrid", review_weekday=0, review_time=datetime(2027, 1, 1, 9)
            .time(), language="en", status="active", created_by="U1", created_at=NOW,
            next_review_on=date(2027, 7, 5), reminder_days="7,1", overdue_every_days=3,
            overdue_max=3, summary_frequency="monthly"))
    with engine.begin() as connection:
        connection.execute(insert(Plan), plan_rows)
    with new_session(engine) as db:
        for plan in db.exec(select(Plan)).all():
            planned = review_reminders(plan, plan.next_review_on)
            planned.append(next_summary(plan, after=NOW))
            for p in planned:
                due_at = NOW - timedelta(minutes=1) if plan.id <= DUE and p.kind == \
                    "review_ahead" and p.payload.get("days") == 7 else p.due_at
                delivery_rows.append(dict(team_id="T0HOME", plan_id=plan.id, kind=p.kind,
                                          key=p.key, due_at=due_at, status="pending",
                                          attempts=0, payload=json.dumps(p.payload)))
    with engine.begin() as connection:
        connection.execute(insert(Delivery), delivery_rows)


def best_of(runs, function) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def measure(label: str, url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    populate(engine)
    with new_session(engine) as db:
        total = db.exec(text("SELECT count(*) FROM delivery")).one()[0]
    with SlackEmulator() as emulator:
        for n in range(DUE):
            emulator.add_channel(f"C{n:05d}", f"c{n}")
        client = make_client(token="xoxb-test", base_url=emulator.api_url)
        with new_session(engine) as db:
            query_ms = best_of(5, lambda: outbox.due(db, now=NOW, limit=500))
        started = time.perf_counter()
        sent = Sender(engine, client, lambda: NOW).run_once()
        busy_ms = (time.perf_counter() - started) * 1000
        idle_ms = best_of(5, lambda: Sender(engine, client, lambda: NOW).run_once())
    print(f"{label}: {PLANS} plans, {total} deliveries in the outbox")
    print(f"  select what is due ({DUE} due): {query_ms:7.1f} ms")
    print(f"  a pass that sends {sent} messages to the emulator: {busy_ms:7.1f} ms "
          f"({busy_ms / max(sent, 1):.1f} ms per message, mostly the HTTP round trip)")
    print(f"  a pass with nothing due: {idle_ms:7.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    workdir = Path(tempfile.mkdtemp(prefix="rumbo-dispatch-"))
    measure("SQLite", f"sqlite:///{workdir / 'bench.db'}")
    if os.environ.get("RUMBO_TEST_POSTGRES_URL"):
        url = os.environ["RUMBO_TEST_POSTGRES_URL"]
        pg = make_engine(url)
        with pg.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        pg.dispose()
        measure("PostgreSQL", url)
