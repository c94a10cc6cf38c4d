"""Latency of `rumbo serve` doing its real work, next to a no-op Bolt app served the same
way. 20 concurrent clients send signed `/plan help`, `/plan idea …` and session-answer
view submissions; every write is committed before its ack. Prints p50/p95 for both and
their ratio (target: Rumbo's p95 at or under the no-op app's), how long a click during the
burst waits for its modal (views.open), and the resident memory of each process tree.
Run by hand, never in CI:

    .venv/bin/python -m benchmarks.serve_latency [--requests 600] [--clients 20]
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text

from bot.devslack import SlackDriver, SlackEmulator, view_state
from bot.sessions import views as sessions_views
from storage.db import make_engine
from tests.processes.servers import BOT_TOKEN, SIGNING_SECRET, free_port, running_rumbo

CHANNEL, USER = "C0BENCH", "U0BENCH"


def cpu_seconds(pids) -> float:
    """User + system CPU time used so far by these processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (gunicorn's worker, Rumbo's work process)."""
    kids = [int(p) for task in Path(f"/proc/{pid}/task").glob("*")
            for p in (task / "children").read_text().split()]
    return [pid] + [q for kid in kids for q in process_tree(kid)]


def ideas_in(offset: int, count: int) -> int:
    """Ideas a workload makes Rumbo store: one per `/plan idea` and per submission."""
    return sum(1 for i in range(offset, offset + count) if i % 3)


def wait_for_the_work(database: Path, expected_ideas: int, timeout: float = 120) -> str:
    """Rumbo must have really done the work it acknowledged: every idea is stored."""
    engine = make_engine(f"sqlite:///{database}")
    deadline = time.monotonic() + timeout
    stored = 0
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM idea")).scalar()
        if stored >= expected_ideas:
            break
        time.sleep(0.5)
    engine.dispose()
    status = "complete" if stored == expected_ideas else "INCOMPLETE"
    return f"{stored} of {expected_ideas} ideas stored ({status})"


def resident_mb(pids) -> float:
    """Summed resident memory (VmRSS) of these processes, in MB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


class Clicker(threading.Thread):
    """Clicks *Add answers* on the session card every 100 ms during the burst and records
    how long each click waits until Rumbo calls views.open (the trigger lives 3 s)."""

    def __init__(self, driver: SlackDriver, emulator: SlackEmulator):
        super().__init__(daemon=True)
        self.driver, self.emulator = driver, emulator
        self.waits: list[float] = []
        self.expired = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            started = time.time()
            trigger = self.driver.click(USER, "session_add_answers",
                                        channel_id=CHANNEL).trigger_id

            def this_click(call, trigger=trigger):
                return call.params.get("trigger_id") == trigger

            call = self.emulator.wait_arrived("views.open", timeout=10, predicate=this_click)
            self.waits.append((call.at - started) * 1000)
            done = self.emulator.wait_for("views.open", predicate=this_click)[-1]
            self.expired += not done.response.get("ok")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def prepare_rumbo(driver: SlackDriver, emulator: SlackEmulator) -> dict:
    """A plan and a running session, so the workload exercises the real handlers."""
    response = driver.command(USER, CHANNEL, "new Bench")
    emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                      == response.trigger_id)
    driver.submit(USER, {"account_name": "Bench"})
    emulator.wait_for("chat.postMessage")
    driver.command(USER, CHANNEL, "session")
    card = emulator.wait_for("chat.postMessage", count=2)[-1]
    buttons = [e for b in card.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    session_id = int(next(e["value"] for e in buttons if e["action_id"] == "session_end"))
    return {"channel_id": CHANNEL, "session_id": session_id, "lang": "en"}


def answer_submission(driver: SlackDriver, n: int, metadata: dict) -> str:
    view = sessions_views.answers_modal(lang="en", private_metadata=json.dumps(metadata))
    payload = {
        "type": "view_submission",
        "team": {"id": "T0HOME", "domain": "acme"},
        "user": {"id": USER, "name": "bench", "team_id": "T0HOME"},
        "api_app_id": "A0RUMBO",
        "trigger_id": driver.emulator.new_trigger_id(USER),
        "view": {**view, "id": f"VBENCH{n}", "hash": "h", "team_id": "T0HOME",
                 "state": {"values": view_state(view, {"q1": f"answer {n}",
                                                       "ideas_realistic": f"idea {n}"})}},
    }
    return urlencode({"payload": json.dumps(payload)})


def workload(driver: SlackDriver, count: int, metadata: dict, offset: int) -> list[str]:
    """Request bodies: a third each of /plan help, /plan idea and session answers."""
    requests = []
    for i in range(offset, offset + count):
        kind = i % 3
        if kind == 2:
            requests.append(answer_submission(driver, i, metadata))
            continue
        text = "help" if kind == 0 else f"idea benchmark idea {i}"
        fields = {"token": "x", "team_id": "T0HOME", "team_domain": "acme",
                  "channel_id": CHANNEL, "channel_name": "bench", "user_id": USER,
                  "user_name": "bench", "command": "/plan", "text": text,
                  "api_app_id": "A0RUMBO", "response_url":
                  driver.emulator.new_response_url(CHANNEL, USER),
                  "trigger_id": driver.emulator.new_trigger_id(USER)}
        requests.append(urlencode(fields))
    return requests


def run(app_url: str, bodies: list[str], clients: int) -> list[float]:
    """Latencies in ms, measured by a separate client process."""
    result = subprocess.run(
        [sys.executable, "benchmarks/load_client.py", app_url, SIGNING_SECRET, str(clients)],
        input=json.dumps(bodies), capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="rumbo-bench-"))
    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        emulator.add_user(USER, "bench", locale="en-US", tz="Europe/Madrid")
        emulator.add_channel(CHANNEL, "bench", members=[USER])
        noop_port = free_port()
        noop = subprocess.Popen(
            [sys.executable, "benchmarks/noop_app.py", str(noop_port), emulator.api_url,
             SIGNING_SECRET], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_healthy_noop(noop_port)
            with running_rumbo(api_url=emulator.api_url, log_path=workdir / "rumbo.log",
                               database_url=f"sqlite:///{workdir / 'rumbo.db'}",
                               scheduler=True) as server:
                driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, emulator)
                metadata = prepare_rumbo(driver, emulator)
                apps = {"rumbo": (f"{server.url}/slack/events", server.pid),
                        "noop": (f"http://127.0.0.1:{noop_port}/slack/events", noop.pid)}
                timings = {"rumbo": [], "noop": []}
                cpu = {"rumbo": 0.0, "noop": 0.0}
                clicker = Clicker(driver, emulator)
                offset = expected = 0
                for _round in range(args.rounds):
                    for name, (app_url, pid) in apps.items():
                        run(app_url, workload(driver, 40, metadata, 10**6 + offset), args.clients)
                        if name == "rumbo":
                            expected += ideas_in(10**6 + offset, 40) + ideas_in(offset,
                                                                                args.requests)
                        bodies = workload(driver, args.requests, metadata, offset)
                        pids = process_tree(pid)
                        before = cpu_seconds(pids)
                        if name == "rumbo" and clicker.ident is None:  # the first round
                            clicker.start()
                        timings[name] += run(app_url, bodies, args.clients)
                        cpu[name] += cpu_seconds(pids) - before
                        if name == "rumbo":
                            clicker.stop.set()
                        offset += args.requests + 40
                    time.sleep(2)  # let Rumbo's work after the acks drain between rounds
                done = wait_for_the_work(workdir / "rumbo.db", expected)
                memory = {name: resident_mb(process_tree(pid))
                          for name, (_url, pid) in apps.items()}
        finally:
            noop.terminate()
            noop.wait()
    print(f"work done after the acks: {done}")
    print(f"{args.clients} concurrent clients, {args.rounds} x {args.requests} requests each "
          "(/plan help, /plan idea, session answers), gunicorn gthread 1x8")
    for name in ("rumbo", "noop"):
        values = timings[name]
        print(f"{name:>6}: p50 {statistics.median(values):6.1f} ms   "
              f"p95 {percentile(values, 0.95):6.1f} ms   n={len(values)}   "
              f"server CPU while measured {cpu[name] / len(values) * 1000:.2f} ms/request")
    ratio = percentile(timings["rumbo"], 0.95) / percentile(timings["noop"], 0.95)
    print(f" ratio: rumbo p95 / no-op p95 = {ratio:.2f} (target <= 1.0)")
    waits = clicker.waits
    print(f"clicks during the burst: {len(waits)}, views.open after p50 "
          f"{statistics.median(waits):.0f} ms, p95 {percentile(waits, 0.95):.0f} ms, max "
          f"{max(waits):.0f} ms, expired triggers {clicker.expired}")
    print(f"resident memory of the process tree: rumbo {memory['rumbo']:.0f} MB "
          f"(target <= 150), no-op {memory['noop']:.0f} MB")


def _wait_healthy_noop(port: int, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("the no-op app did not start")


if __name__ == "__main__":
    main()
