"""How long `/plan export` takes on a big plan: 200 ideas with 3 evaluations each, 50
objectives, 200 initiatives and a strategy session of 100 answers, in a temporary SQLite
database. Prints the best of 5 runs of collect, to_xlsx and to_markdown, in milliseconds,
and the document sizes. Run by hand, never in CI:

    .venv/bin/python -m benchmarks.export_speed [--runs 5]
"""

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlmodel import select

from bot.exports import document as exports_document
from storage import exports, plans
from storage.db import make_engine, migrate, new_session
from storage.models import (
    Answer,
    Category,
    Evaluation,
    Idea,
    Initiative,
    Objective,
    Plan,
    StrategySession,
)

IDEAS, EVALUATIONS_PER_IDEA, OBJECTIVES, INITIATIVES, ANSWERS = 200, 3, 50, 200, 100
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LOREM = ("Reduce the time the client's team spends on renewals by moving the paperwork to the "
         "portal; agree the measure with finance first. ")


def build(db) -> Plan:
    plan = plans.create_plan(
        db,
        plan=Plan(team_id="T1", channel_id="C1", account_name="Acme Benchmark",
                  client_size="large", period="twelve_months", start_date=date(2026, 12, 1),
                  end_date=date(2027, 11, 30), timezone="Europe/Madrid", review_weekday=0,
                  review_time=clock(9, 0), language="en",
                  created_by="U0", created_at=START),
        categories=["Financial", "Customer experience", "Process", "Technology"],
        facilitators=["U1", "U2"])
    categories = list(db.exec(select(Category).where(Category.plan_id == plan.id)))
    session = StrategySession(team_id="T1", plan_id=plan.id, channel_id="C1", started_by="U0",
                              started_at=START, ends_at=START + timedelta(minutes=90),
                              ended_at=START + timedelta(minutes=90), ended_by="U0")
    db.add(session)
    db.flush()
    db.add_all(Answer(team_id="T1", plan_id=plan.id, session_id=session.id,
                      question=i % 5 + 1, text=f"Answer {i}: {LOREM}", user_id=f"U{i % 9}",
                      created_at=START + timedelta(seconds=30 * i)) for i in range(ANSWERS))
    ideas = [Idea(team_id="T1", plan_id=plan.id, session_id=session.id,
                  source_question=2 + i % 2, tag=("realistic", "ambitious", "someday")[i % 3],
                  text=f"Idea {i}: {LOREM}", user_id=f"U{i % 9}",
                  created_at=START + timedelta(seconds=20 * i),
                  score=("3", "2", "1", None, "discard")[i % 5]) for i in range(IDEAS)]
    db.add_all(ideas)
    db.flush()
    db.add_all(Evaluation(team_id="T1", idea_id=idea.id, user_id=f"U{j}", pros=LOREM,
                          cons="=1+1 " + LOREM, likelihood="likely", costs="20k", need="need",
                          time_resources="Two sprints", urgency="both", effort="hard",
                          worth_it="yes", score=("3", "2", "1")[j], created_at=START)
               for idea in ideas for j in range(EVALUATIONS_PER_IDEA))
    objectives = [Objective(team_id="T1", plan_id=plan.id, category_id=categories[i % 4].id,
                            statement=f"Objective {i}: {LOREM}", target="Half the calls",
                            measure="Calls a month", unit="calls", baseline=100.0,
                            target_value=50.0, target_date=date(2027, 6, 30),
                            horizon=("quick_win", "medium", "long")[i % 3], owner_id=f"U{i % 9}",
                            status="on_track", created_by="U0",
                            created_at=START + timedelta(seconds=i)) for i in range(OBJECTIVES)]
    db.add_all(objectives)
    db.flush()
    db.add_all(Initiative(team_id="T1", plan_id=plan.id,
                          objective_id=objectives[i % OBJECTIVES].id,
                          title=f"Initiative {i}: run 3 times a week", target="Done",
                          measure="Yes/no", owner_id=f"U{i % 9}",
                          due_date=date(2027, 1, 1) + timedelta(days=i), created_by="U0",
                          created_at=START + timedelta(seconds=i)) for i in range(INITIATIVES))
    db.commit()
    return plan


def best_ms(runs: int, work) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        with new_session(engine) as db:
            plan = build(db)
        names = {f"U{i}": f"Person {i}" for i in range(9)}

        def collect():
            with new_session(engine) as db:
                return exports.collect(db, plan=plan, names=names)

        collect_ms, doc = best_ms(args.runs, collect)
        xlsx_ms, xlsx = best_ms(args.runs, lambda: exports_document.to_xlsx(doc))
        markdown_ms, markdown = best_ms(args.runs, lambda: exports_document.to_markdown(doc))
        engine.dispose()
    print(f"plan: {IDEAS} ideas × {EVALUATIONS_PER_IDEA} evaluations, {OBJECTIVES} objectives, "
          f"{INITIATIVES} initiatives, {ANSWERS} answers; best of {args.runs} runs")
    print(f"collect      {collect_ms:8.1f} ms")
    print(f"to_xlsx      {xlsx_ms:8.1f} ms   ({len(xlsx) / 1024:.0f} KiB)")
    print(f"to_markdown  {markdown_ms:8.1f} ms   ({len(markdown.encode()) / 1024:.0f} KiB)")
    print(f"total        {collect_ms + xlsx_ms + markdown_ms:8.1f} ms")


if __name__ == "__main__":
    main()
