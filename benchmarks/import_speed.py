"""How long `/plan import` takes to read a workbook at its limits: 2,000 rows of the plan
sheet (400 objectives, 1,600 initiatives, every column filled). Prints the best of N runs
of the zip checks and the child's read (start-up included), the headings and changes, the
preview, and storing it all into a new plan (a temporary SQLite database, one transaction),
in milliseconds, and the file's size. The preview's ack and the confirmation's must come
within Slack's 3 seconds with the download and the Slack look-ups on top. Run by hand:

    .venv/bin/python -m benchmarks.import_speed [--runs 5] [--database URL]
"""

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook

from bot.exports.rules import PLAN_COLUMNS
from bot.imports import rules, views, workbook
from storage import imports, plans
from storage.db import make_engine, migrate, new_session
from storage.models import Plan


def big_workbook(rows: int = workbook.MAX_ROWS - 1) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([msgid for _key, msgid in PLAN_COLUMNS])
    for i in range(rows):
        objective = i % 5 == 0
        sheet.append(["Financial", "Objective" if objective else "Initiative",
                      f"Item {i}: a title as long as a real one tends to be", "Half the calls "
                      "by the end of the year", "Calls a month", "calls", 100.0, 50.0,
                      date(2027, 6, 30), date(2027, 3, 1), "Medium term", f"Person {i % 9}",
                      "On track"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def best(runs: int, job) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", help="a SQLAlchemy URL of an empty database to store "
                        "into (default: a temporary SQLite file)")
    arguments = parser.parse_args()
    runs = arguments.runs
    workbook.READ_TIMEOUT = 60.0  # measured here, not refused
    data = big_workbook()
    read_ms, cells = best(runs, lambda: workbook.cells(data))
    rules_ms, (sheet, (changes, problems)) = best(runs, lambda: (
        s := rules.read_sheet(cells), rules.changes(s, rules.Existing(), people={}, lang="en")))
    view_ms, view = best(runs, lambda: views.preview_modal(
        lang="en", filename="big.xlsx", sheet=sheet, changes=changes, problems=problems,
        unmatched=[], new_account="Big", private_metadata="{}"))
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(arguments.database or f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)

        def store():
            now = datetime.now(UTC)
            with new_session(engine) as db:
                plan = plans.create_plan(db, plan=Plan(
                    team_id="T1", channel_id=f"C{time.time_ns()}", created_by="U1",
                    created_at=now, **rules.plan_settings(
                        sheet.plan, today=now.date(), timezone="UTC", lang="en")),
                    categories=["Financial"], facilitators=[])
                imports.apply(db, plan=plan, changes=changes, user_id="U1", now=now)
                db.commit()

        store_ms, _none = best(runs, store)
        engine.dispose()
    print(f"file: {len(data) / 1024:.0f} KiB, {len(sheet.rows)} rows, "
          f"{len(view['blocks'])} blocks in the preview")
    print(f"zip checks + child read: {read_ms:.0f} ms")
    print(f"headings + changes:      {rules_ms:.0f} ms")
    print(f"preview view:            {view_ms:.0f} ms")
    print(f"stored ({engine.dialect.name}): "
          f"{store_ms:.0f} ms")


if __name__ == "__main__":
    main()
