"""The sandbox's API: the page's actions become signed requests to the real app."""

import json
import threading
import time
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.server import CHANNELS, USERS, serve

pytestmark = pytest.mark.process

ANA, TOM = USERS[0][0], USERS[1][0]
ACME = CHANNELS[0][0]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    ready = threading.Event()
    found = {}

    def started(url, box):
        found.update(url=url, box=box)
        ready.set()

    thread = threading.Thread(target=serve, daemon=True, kwargs=dict(
        port=0, data_dir=tmp_path_factory.mktemp("sandbox"), ready=started))
    thread.start()
    assert ready.wait(30)
    yield found


def call(sandbox, path, data=None):
    url = sandbox["url"] + path.lstrip("/")
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        raw = reply.read()
        return json.loads(raw) if reply.headers["Content-Type"] == "application/json" else raw


def wait_state(sandbox, check, user=ANA, channel=ACME):
    box = sandbox["box"]
    box.emulator.wait_for("auth.test", timeout=10)  # the app has started answering
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = call(sandbox, f"/api/state?user={user}&channel={channel}")
        if check(state):
            return state
        time.sleep(0.05)
    raise AssertionError("the sandbox did not get there")


def test_a_plan_is_created_from_the_page_and_the_clock_moves(sandbox):
    assert call(sandbox, "/api/command", {"user": ANA, "channel": ACME,
                                          "text": "/plan new Acme"})["ok"]
    state = wait_state(sandbox, lambda s: s["views"])
    view = state["views"][-1]
    assert view["callback_id"] == "plan_new" and view["title"]["text"] == "Nuevo plan de cuenta"
    answer = call(sandbox, "/api/submit", {"user": ANA, "view_id": view["id"],
                                           "values": {"account_name": " "}})
    assert answer["errors"] == {"account_name": "Este campo es obligatorio."}
    assert wait_state(sandbox, lambda s: s["views"])["views"][-1]["errors"]
    answer = call(sandbox, "/api/submit", {"user": ANA, "view_id": view["id"],
                                           "values": {"account_name": "Acme",
                                                      "language": "en"}})
    assert answer["ok"] and not answer["errors"]
    state = wait_state(sandbox, lambda s: s["messages"])
    assert "Account plan: Acme" in state["messages"][-1]["text"]
    assert state["messages"][-1]["user_name"] == "Rumbo"

    assert not call(sandbox, "/api/command", {"user": TOM, "channel": ACME,
                                              "text": "/other"})["ok"]
    assert call(sandbox, "/api/clock", {"advance": "minutes:10"})["ok"]
    clock = call(sandbox, "/api/clock", {"advance": "days:200"})
    assert clock["ok"] and clock["clock"] > state["clock"]
    # Months later, the review reminders the app scheduled have been posted.
    state = wait_state(sandbox, lambda s: any("review_start" in json.dumps(m["blocks"])
                                              for m in s["messages"]))
    # Stamped by the sandbox's clock, months on, like everything Slack shows there.
    reminder = next(m for m in state["messages"] if "review_start" in json.dumps(m["blocks"]))
    assert float(reminder["ts"]) > time.time() + 150 * 86400
    assert b"<html" in call(sandbox, "/").lower()
    call(sandbox, "/api/reset", {})
    state = call(sandbox, f"/api/state?user={ANA}&channel={ACME}")
    assert state["messages"] == [] and state["views"] == []


def test_check_ins_arrive_when_the_clock_moves_forward(sandbox):
    from sqlmodel import select

    from storage import objectives, plans
    from tests.scenario import eventually

    def wait_state(sandbox, check, user=ANA, channel=ACME):  # no auth.test after a reset
        return eventually(lambda: (state := call(
            sandbox, f"/api/state?user={user}&channel={channel}")) and check(state) and state,
            timeout=10)

    from storage.db import new_session
    from storage.models import Plan

    box = sandbox["box"]
    call(sandbox, "/api/reset", {})
    call(sandbox, "/api/command", {"user": ANA, "channel": ACME, "text": "/plan new Acme"})
    view = wait_state(sandbox, lambda s: s["views"])["views"][-1]
    review_day = (box.now() + timedelta(days=10)).date()
    assert call(sandbox, "/api/submit", {"user": ANA, "view_id": view["id"], "values": {
        "account_name": "Acme", "language": "en",
        "next_review_on": review_day.isoformat()}})["ok"]
    wait_state(sandbox, lambda s: s["messages"])
    with new_session(box.engine) as db:
        plan = db.exec(select(Plan).where(Plan.channel_id == ACME, Plan.status == "active")).one()
        category = plans.categories(db, plan=plan)[0]
        objectives.add_objective(db, plan=plan, idea_id=None, user_id=ANA, now=box.now(),
                                 values=dict(category_id=category.id, statement="Grow",
                                             target="More", measure="EUR", horizon="medium",
                                             owner_id=TOM))
        db.commit()
    dm = box.emulator.dm_channel_id(TOM)
    assert not call(sandbox, f"/api/state?user={TOM}&channel={dm}")["messages"]
    # An hour at a time from the day before the check-in day (3 days ahead of the review),
    # whatever the real time of day: the ask comes at Tom's first working hour in New York.
    call(sandbox, "/api/clock", {"advance": "days:6"})
    for _hour in range(5 * 24):
        call(sandbox, "/api/clock", {"advance": "hours:1"})
        state = call(sandbox, f"/api/state?user={TOM}&channel={dm}")
        if state["messages"]:
            break
    assert state["messages"], "no check-in came within five days"
    in_new_york = box.now().astimezone(ZoneInfo("America/New_York"))
    assert in_new_york.date() >= review_day - timedelta(days=3)
    assert in_new_york.weekday() < 5 and 9 <= in_new_york.hour <= 17  # within the hour step
    assert any(c["id"] == dm for c in state["channels"])
    assert "Where do your items stand?" in state["messages"][-1]["text"]
    assert "checkin_update" in json.dumps(state["messages"][-1]["blocks"])


def test_a_workbook_attached_in_the_page_imports_a_plan(sandbox, monkeypatch):
    import base64
    from io import BytesIO

    from openpyxl import Workbook

    from bot.imports import workbook
    from tests.scenario import eventually

    monkeypatch.setattr(workbook, "READ_TIMEOUT", 30.0)  # a shared machine: see its test
    book = Workbook()
    book.active.append(["Categoría", "Objetivo", "Iniciativa", "Responsable"])
    book.active.append(["Clientes", "Clientes felices", None, "Tom Baker"])
    book.active.append(["Clientes", None, "Encuesta trimestral", "ana"])
    out = BytesIO()
    book.save(out)
    globex = CHANNELS[1][0]
    assert call(sandbox, "/api/command", {"user": TOM, "channel": globex,
                                          "text": "/plan import"})["ok"]
    # After the other tests' reset there is no auth.test to wait for: poll the state.
    def state_when(check):
        return eventually(lambda: (state := call(
            sandbox, f"/api/state?user={TOM}&channel={globex}")) and check(state) and state,
            timeout=10)

    view = state_when(lambda s: s["views"])["views"][-1]
    attached = call(sandbox, "/api/attach", {"user": TOM, "name": "plan.xlsx", "content":
                                             base64.b64encode(out.getvalue()).decode()})
    assert attached["ok"] and attached["file"]["size"] == len(out.getvalue())
    assert call(sandbox, "/api/submit", {"user": TOM, "view_id": view["id"],
                                         "values": {"file": [attached["file"]]}})["ok"]
    preview = state_when(lambda s: s["views"] and s["views"][-1][
        "callback_id"] == "plan_import_confirm")["views"][-1]
    assert "Encuesta trimestral" in json.dumps(preview["blocks"], ensure_ascii=False)
    assert call(sandbox, "/api/submit", {"user": TOM, "view_id": preview["id"],
                                         "values": {}})["ok"]
    state = state_when(lambda s: any("Imported into" in json.dumps(m["blocks"])
                                     for m in s["ephemerals"]))
    assert not state["views"]
