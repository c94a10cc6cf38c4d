"""Acknowledged means stored, through crashes: the whole serving process tree (what `rumbo
serve` runs) is killed (SIGKILL, as an OOM kill or a node going away would, and SIGTERM) in
the middle of a burst, and started again on the same database, SQLite and PostgreSQL. The
tests of a database share its process: each kills it and starts another, the next goes on
with that one, in a channel and plan of its own."""

import http.client
import json
import signal
import threading
import time
from datetime import UTC, datetime
from io import BytesIO
from urllib.parse import urlencode

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.devslack import SlackDriver, view_state
from bot.sessions import views as sessions_views
from storage.models import Delivery, StrategySession
from tests.scenario import (
    AM,
    CLIENT,
    TEAMMATE,
    add_ideas,
    create_plan,
    end_session,
    eventually,
    open_from_list,
    start_session,
    text_of,
)

pytestmark = pytest.mark.process


def answers_body(driver: SlackDriver, user: str, metadata: dict, text: str, n: int) -> str:
    """An "Add answers" submission as Slack sends it, from a modal of its own."""
    view = sessions_views.answers_modal(lang="en", private_metadata=json.dumps(metadata))
    payload = {
        "type": "view_submission", "team": {"id": "T0HOME", "domain": "acme"},
        "user": {"id": user, "name": user, "team_id": "T0HOME"}, "api_app_id": "A0RUMBO",
        "trigger_id": driver.emulator.new_trigger_id(user),
        # A view of its own (the channel's: each test has one), or it is a retry.
        "view": {**view, "id": f"VBURST{metadata['channel_id']}{n}", "hash": "h1",
                 "team_id": "T0HOME",
                 "app_installed_team_id": "T0HOME",
                 "state": {"values": view_state(view, {"q1": text})}},
    }
    return urlencode({"payload": json.dumps(payload)})


def idea_body(driver: SlackDriver, user: str, text: str, channel: str) -> str:
    return urlencode({
        "team_id": "T0HOME", "team_domain": "acme", "channel_id": channel,
        "channel_name": "crash", "user_id": user, "user_name": user, "command": "/plan",
        "text": f"idea {text}", "api_app_id": "A0RUMBO",
        "response_url": driver.emulator.new_response_url(channel, user),
        "trigger_id": driver.emulator.new_trigger_id(user)})


def burst(rumbo, metadata: dict, *, kill_after: int, signum=None) -> dict[str, bool]:
    """Six people send answers and ideas as fast as they can; after `kill_after` acks the
    server's whole process tree gets `signum` (if any). {text: acknowledged as stored?}"""
    results: dict[str, bool] = {}
    acked = threading.Semaphore(0)
    users = [AM, TEAMMATE, CLIENT] * 2

    def person(worker: int) -> None:
        for n in range(60):
            text = f"burst {worker}-{n}"
            if n % 2:
                body = answers_body(rumbo.driver, users[worker], metadata, text,
                                    worker * 1000 + n)
            else:
                body = idea_body(rumbo.driver, users[worker], text, rumbo.channel)
            try:
                response = rumbo.driver.post(body, "application/x-www-form-urlencoded")
            except (OSError, http.client.HTTPException):
                results[text] = False  # no answer: Slack would have shown an error
                return
            # A stored answer closes its modal (an empty ack); a stored idea is confirmed, in
            # its author's language once Slack told it.
            stored = ("Idea added" in response.text or "Idea agregada" in response.text) \
                if n % 2 == 0 else not response.text.strip()
            results[text] = response.status == 200 and stored
            if results[text]:
                acked.release()

    threads = [threading.Thread(target=person, args=(w,)) for w in range(len(users))]
    for thread in threads:
        thread.start()
    for _ in range(kill_after):
        assert acked.acquire(timeout=30), "the burst stalled"
    if signum is not None:
        rumbo.server.kill(signum)
    for thread in threads:
        thread.join(timeout=60)
    return results


def metadata_of_session(rumbo, plan) -> dict:
    """What the "Add answers" modal of the plan's running session carries."""
    with Session(rumbo.engine) as db:
        session_id = db.exec(select(StrategySession.id).where(
            StrategySession.plan_id == plan.id)).one()
    return {"channel_id": rumbo.channel, "plan_id": plan.id, "session_id": session_id,
            "lang": "en"}


def exported_cells(rumbo) -> list[str]:
    """Every cell of the XLSX `/plan export` uploads to the channel."""
    before = len(rumbo.emulator.files)
    response = rumbo.driver.command(AM, rumbo.channel, "export channel")
    assert response.status == 200
    eventually(lambda: len(rumbo.emulator.files) >= before + 2, timeout=20)
    xlsx = next(f for f in rumbo.emulator.files[before:] if f["name"].endswith(".xlsx"))
    book = load_workbook(BytesIO(xlsx["content"]))
    return [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows()
            for c in row if c.value is not None]


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_every_acknowledged_submission_survives_the_server_being_killed(rumbo, signum):
    plan = create_plan(rumbo, rumbo.channel, "Crash Co", language="en")
    start_session(rumbo, rumbo.channel)

    results = burst(rumbo, metadata_of_session(rumbo, plan), kill_after=60, signum=signum)
    acknowledged = {text for text, ok in results.items() if ok}
    assert len(acknowledged) >= 60
    if signum == signal.SIGKILL:
        assert len(acknowledged) < len(results), "the kill came after the burst"

    rumbo.restart()
    cells = exported_cells(rumbo)
    sent = [cell for cell in cells if cell.startswith("burst ")]
    assert acknowledged <= set(sent), sorted(acknowledged - set(sent))[:10]
    assert len(sent) == len(set(sent)), "something was stored twice"


def test_a_recap_interrupted_by_a_crash_is_posted_once_after_the_restart(rumbo):
    plan = create_plan(rumbo, rumbo.channel, "Recap Co", language="en")
    start_session(rumbo, rumbo.channel)
    opened = rumbo.driver.click(TEAMMATE, "session_add_answers", channel_id=rumbo.channel)
    rumbo.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == opened.trigger_id)
    assert rumbo.driver.submit(TEAMMATE, {"q1": "Renewals are late"}).json() is None

    # Slack takes the recap slowly; the server dies while it waits, having stored the end.
    rumbo.emulator.slow_next("chat.postMessage", 0.5)  # less than the lease: Slack answers
    end_session(rumbo, rumbo.channel)
    rumbo.emulator.wait_arrived("chat.postMessage", timeout=10, predicate=lambda c: "Session "
                                "recap" in (c.params.get("text") or ""))
    rumbo.server.kill(signal.SIGKILL)
    with pytest.raises(AssertionError):  # not posted before the crash
        rumbo.emulator.wait_for("chat.postMessage", timeout=0.1, predicate=_recap)

    restart_once_its_lease_is_over(rumbo, plan, "recap")
    # Slack did post the one in flight; after the lease the new process finds it there.
    eventually(lambda: _status(rumbo, plan, "recap") == "sent", timeout=20)
    recaps = [c for c in rumbo.emulator.calls_to("chat.postMessage") if _recap(c)]
    assert len(recaps) == 1 and "Renewals are late" in text_of(recaps[0].params)
    assert rumbo.emulator.calls_to("conversations.history")  # it looked before posting


def test_an_export_whose_process_died_is_uploaded_by_the_next_one(rumbo):
    plan = create_plan(rumbo, rumbo.channel, "Export Co", language="en")
    # The server dies before its upload reaches Slack.
    rumbo.emulator.slow_next("files.getUploadURLExternal", 30)
    assert rumbo.driver.command(AM, rumbo.channel, "export channel").status == 200
    rumbo.emulator.wait_arrived("files.getUploadURLExternal", timeout=10)
    rumbo.server.kill(signal.SIGKILL)
    assert rumbo.emulator.files == []

    restart_once_its_lease_is_over(rumbo, plan, "export")
    eventually(lambda: _status(rumbo, plan, "export") == "sent", timeout=20)
    names = [f["name"] for f in rumbo.emulator.files]
    assert len(names) == 2 and names[0].endswith(".xlsx") and names[1].endswith(".md")


def restart_once_its_lease_is_over(rumbo, plan, kind: str) -> None:
    """Start a new process once the killed one's claim on its `kind` delivery has run out
    (RUMBO_LEASE_SECONDS): the new process's first pass, as it starts, takes the delivery
    over then, rather than its next tick (15 s later). The wait is for that moment, which
    the database holds, not a guess."""
    with Session(rumbo.engine) as db:
        until = db.exec(select(Delivery.claimed_until).where(
            Delivery.kind == kind, Delivery.plan_id == plan.id)).one()
    assert until is not None, f"the {kind} delivery was not being sent"
    left = (until - datetime.now(UTC)).total_seconds()
    if left > 0:
        time.sleep(left + 0.05)
    rumbo.restart()


def _recap(call) -> bool:
    return ("Session recap" in (call.params.get("text") or "") and call.response
            and call.response["ok"])


def _status(rumbo, plan, kind: str) -> str | None:
    with Session(rumbo.engine) as db:
        return db.exec(select(Delivery.status).where(Delivery.kind == kind,
                                                     Delivery.plan_id == plan.id)).first()


def test_a_click_during_a_burst_opens_its_modal_within_the_triggers_life(rumbo):
    plan = create_plan(rumbo, rumbo.channel, "Busy Co", language="en")
    start_session(rumbo, rumbo.channel)
    metadata = metadata_of_session(rumbo, plan)
    opened = []

    def click_meanwhile():
        for _ in range(10):
            click = rumbo.driver.click(AM, "session_add_answers", channel_id=rumbo.channel)
            call = rumbo.emulator.wait_for("views.open", predicate=lambda c, t=click.trigger_id:
                                           c.params["trigger_id"] == t)[-1]
            opened.append(call.response["ok"])  # the emulator expires triggers after 3 s

    clicker = threading.Thread(target=click_meanwhile)
    clicker.start()
    results = burst(rumbo, metadata, kill_after=200)
    clicker.join(timeout=60)
    assert all(results.values()) and len(results) == 360
    assert opened == [True] * 10


def test_a_change_stored_just_before_a_crash_reaches_the_canvas_once(rumbo):
    plan = create_plan(rumbo, rumbo.channel, "Canvas Co", language="en")
    restart_once_the_canvas_is_due(rumbo, plan, kill=True)
    eventually(lambda: rumbo.emulator.canvas(rumbo.channel), timeout=20)
    (idea,) = add_ideas(rumbo, rumbo.channel, [(CLIENT, "Crash-proof portal")])
    open_from_list(rumbo, AM, rumbo.channel, f"settle:{idea.id}")
    edits_before = len(rumbo.emulator.calls_to("canvases.edit"))
    # Acknowledged means stored; the server dies before the canvas is edited.
    assert rumbo.driver.submit(AM, {"score": "3"}).json() is None
    rumbo.server.kill(signal.SIGKILL)
    assert "Crash-proof portal" not in rumbo.emulator.canvas(rumbo.channel).markdown

    restart_once_the_canvas_is_due(rumbo, plan, kill=False)
    eventually(lambda: "Crash-proof portal" in rumbo.emulator.canvas(rumbo.channel).markdown,
               timeout=20)
    assert len(rumbo.emulator.calls_to("canvases.edit")) == edits_before + 1


def restart_once_the_canvas_is_due(rumbo, plan, *, kill: bool) -> None:
    """Start a new process once the plan's pending canvas edit is due (the changes that
    asked for it were gathered a moment): its first pass, as it starts, sends it. The wait
    is for that moment, which the database holds."""
    with Session(rumbo.engine) as db:
        due = max(db.exec(select(Delivery.due_at).where(
            Delivery.kind == "canvas", Delivery.plan_id == plan.id,
            Delivery.status == "pending")))
    left = (due - datetime.now(UTC)).total_seconds()
    if left > 0:
        time.sleep(left + 0.05)
    if kill:
        rumbo.server.kill(signal.SIGKILL)
    rumbo.restart()
