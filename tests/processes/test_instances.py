"""Several processes on one PostgreSQL: two serving instances (what `rumbo serve` runs, each
with its scheduler) and a `rumbo worker`; a meeting's requests alternate between the
instances and Slack's retries land on the other one. Nothing is stored twice, no reply or
post goes out twice, the live card is redrawn about once a second, and a due reminder goes
out once, and not again when every process restarts."""

import json
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlmodel import select

from bot.devslack import SlackDriver, SlackEmulator
from storage.db import new_session
from storage.models import Answer, Delivery, Idea, Plan, StrategySession
from tests.processes.servers import BOT_TOKEN, SIGNING_SECRET, Rumbo, passes, wait_for_pass
from tests.scenario import AM, CLIENT, TEAMMATE, count, setup_channel, text_of

pytestmark = pytest.mark.process

CHANNEL = "C0MANY"


@pytest.fixture
def instances(engine, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("several instances run on PostgreSQL")
    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        url = engine.url.render_as_string(hide_password=False)
        logs = [tmp_path / f"serve{n}.log" for n in range(2)]
        servers = [Rumbo(api_url=emulator.api_url, database_url=url, scheduler=True,
                         log_path=log, command="server").launch()
                   for log in logs]  # side by side
        for server in servers:
            server.ready()
        drivers = [SlackDriver(f"{s.url}/slack/events", SIGNING_SECRET, emulator)
                   for s in servers]
        state = SimpleNamespace(emulator=emulator, engine=engine, servers=servers,
                                drivers=drivers, driver=drivers[0], url=url, logs=logs,
                                log=tmp_path / "worker.log", worker=None)
        setup_channel(state, CHANNEL)
        try:
            yield state
        finally:
            for server in [*servers, *([state.worker] if state.worker else [])]:
                server.end()
        assert emulator.violations == [], emulator.violations


def elsewhere(driver: SlackDriver, response, retry_num: int | None = 1):
    """Slack sends the very same request again, and this time it reaches `driver`'s
    instance."""
    return driver.post(response.body, response.content_type, retry_num=retry_num)


def test_a_meeting_spread_over_two_instances_and_a_worker(instances):
    one, two = instances.drivers
    emulator = instances.emulator

    # The plan is created through one instance, the session started through the other.
    opened = one.command(AM, CHANNEL, "new Many")
    emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                      == opened.trigger_id)
    created = one.submit(AM, {"facilitators": [AM]})
    assert created.json() is None
    assert elsewhere(two, created, retry_num=None).json() is None  # a double submit there
    with new_session(instances.engine) as db:
        (plan,) = db.exec(select(Plan)).all()
        # Its review reminder falls due now; a `rumbo worker` joins the two instances.
        reminder = db.exec(select(Delivery).where(Delivery.plan_id == plan.id,
                                                  Delivery.kind == "review_due")).one()
        reminder.due_at = datetime.now(UTC)
        db.add(reminder)
        db.commit()
    instances.worker = worker = Rumbo(api_url=emulator.api_url, database_url=instances.url,
                                      log_path=instances.log, command="worker").start()
    started = two.command(AM, CHANNEL, "session")
    assert elsewhere(one, started).status == 200
    card = emulator.wait_for("chat.postMessage", predicate=lambda c: "session_end" in str(
        c.params.get("blocks")))[-1].response["ts"]
    with new_session(instances.engine) as db:
        (strategy_session,) = db.exec(select(StrategySession)).all()

    # Answers from three people, alternating instances, each one also retried on the other.
    meta = json.dumps({"channel_id": CHANNEL, "plan_id": plan.id,
                       "session_id": strategy_session.id, "lang": "en"})
    began = time.monotonic()
    threads = []
    for n in range(24):
        driver, other = (one, two) if n % 2 else (two, one)
        user = (AM, TEAMMATE, CLIENT)[n % 3]

        def answer(n=n, driver=driver, other=other, user=user):
            sent = driver.post(*answers_request(driver, user, meta, n))
            assert sent.status == 200 and not sent.text.strip()
            elsewhere(other, sent)

        threads.append(threading.Thread(target=answer))
        threads[-1].start()
    for thread in threads:
        thread.join(timeout=30)
    burst = time.monotonic() - began
    assert count(instances, Answer, session_id=strategy_session.id) == 24
    assert count(instances, Idea, plan_id=plan.id) == 24

    # The card caught up with all of it, redrawn about once a second across instances.
    def shows_everything(call):
        shown = text_of(call.params)
        return call.params.get("ts") == card and "*24*" in shown and shown.count("(8/8)") == 3

    emulator.wait_for("chat.update", timeout=10, predicate=shows_everything)
    redraws = [c for c in emulator.calls_to("chat.update") if c.params.get("ts") == card]
    spread = redraws[-1].at - redraws[0].at if len(redraws) > 1 else 0
    assert len(redraws) <= spread + 2 and len(redraws) <= burst + 4, (len(redraws), spread)

    # End session confirmed twice, on both instances: one recap.
    clicked = one.click(AM, "session_end", channel_id=CHANNEL)
    emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                      == clicked.trigger_id)
    ended = one.submit(AM)
    elsewhere(two, ended, retry_num=None)
    emulator.wait_for("chat.postMessage", predicate=lambda c: "Session recap" in (
        c.params.get("text") or "") or "Resumen" in (c.params.get("text") or ""))
    time.sleep(1)  # any second recap would be on its way by now
    recaps = [c for c in emulator.calls_to("chat.postMessage")
              if "recap" in (c.params.get("text") or "").lower()
              or "Resumen" in (c.params.get("text") or "")]
    assert len(recaps) == 1

    # An event retried by Slack reaches the other instance: handled once.
    first = one.event({"type": "app_home_opened", "user": AM, "tab": "home"})
    elsewhere(two, first)
    emulator.wait_for("views.publish")
    time.sleep(1)
    assert len(emulator.calls_to("views.publish")) == 1

    # The reminder fell due at the start: three dispatchers (two serve, one worker) sent it
    # once. Every process is then restarted, as a deploy does, and each one's first pass of
    # the outbox (at its start) finds it sent. (Waiting for the running ones' next tick
    # would prove the same, a tick of 15 s later.)
    emulator.wait_for("chat.postMessage", timeout=40, predicate=lambda c: "review_start"
                      in str(c.params.get("blocks")))
    processes = [*instances.servers, worker]
    for process in processes:
        process.process.terminate()  # all at once, then each waited for
    for process in processes:
        process.stop()
    done = [passes(process.log_path) for process in processes]
    for process in processes:
        process.launch()  # side by side, on the same database
    for process, seen in zip(processes, done, strict=True):
        wait_for_pass(process.log_path, more_than=seen)
    reminders = [c for c in emulator.calls_to("chat.postMessage")
                 if "review_start" in str(c.params.get("blocks"))]
    assert len(reminders) == 1


def answers_request(driver: SlackDriver, user: str, meta: str, n: int) -> tuple[str, str]:
    from urllib.parse import urlencode

    from bot.devslack import view_state
    from bot.sessions import views as sessions_views

    view = sessions_views.answers_modal(lang="en", private_metadata=meta)
    payload = {
        "type": "view_submission", "team": {"id": "T0HOME", "domain": "acme"},
        "user": {"id": user, "name": user, "team_id": "T0HOME"}, "api_app_id": "A0RUMBO",
        "trigger_id": driver.emulator.new_trigger_id(user),
        "view": {**view, "id": f"VMANY{n}", "hash": "h", "team_id": "T0HOME",
                 "app_installed_team_id": "T0HOME",
                 "state": {"values": view_state(view, {"q1": f"answer {n}",
                                                       "ideas_realistic": f"idea {n}"})}},
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
