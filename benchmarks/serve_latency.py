"""How long Slack waits for Rumbo's ack, next to the two apps it is measured against: the
store floor (benchmarks/store_floor_app.py: Bolt served as `rumbo serve` serves it,
committing one row to SQLite before each command's and submission's ack, nothing else)
and a no-op Bolt app (benchmarks/noop_app.py). All three under the same gunicorn server
and the same load: 20 concurrent clients, one interaction at a time, the apps taking
turns round after round so that the machine's noise falls on all of them alike.

Interactions: writes (`/plan idea …` in a channel with a plan and a running session, an
answers submission, a one-click score on a scoring round's card) and reads (`/plan help`,
`/plan ideas` with 30 ideas, a click that opens a modal). For each: p50/p95 of every app,
Rumbo's p95 over the floor's and over the no-op app's, and server CPU per request (the
whole process tree, the work after the acks included). Then the resident memory of each
tree, that Rumbo stored everything it acknowledged, and SQL statements per interaction
(benchmarks/statements.py). Options: `--oauth` adds Rumbo in OAuth mode (two installed
workspaces sharing the load) to the turns; `--postgres` runs Rumbo on the PostgreSQL of
RUMBO_TEST_POSTGRES_URL instead of SQLite; `--sqlalchemy-floor` adds a store floor that
commits its row through Rumbo's own engine and a session (the floor of Rumbo's stack). Run
by hand, never in CI:

    .venv/bin/python -m benchmarks.serve_latency [--requests 300] [--rounds 3] [--oauth]
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.devslack import SlackDriver, SlackEmulator, view_state
from bot.sessions import views as sessions_views
from storage.db import make_engine
from tests.processes.servers import BOT_TOKEN, SIGNING_SECRET, Rumbo, free_port
from tests.scenario import install, text_of

CHANNEL, USER, TEAM = "C0BENCH", "U0BENCH", "T0HOME"
OAUTH_CLIENT = ("111.222", "oauth-secret")
OAUTH_TEAMS = (("T0ACME", "C0ACME", "U0ANA"), ("T0GLOBEX", "C0GLOBEX", "U0GEO"))
IDEAS_LISTED = 30
# The store floors, by how they commit their row: sqlite3 itself, or Rumbo's own stack.
FLOORS = {"floor": "sqlite3", "floor-sqlalchemy": "sqlalchemy"}
WRITES = ("idea", "answers", "score")
READS = ("help", "ideas", "click")


@dataclass
class Workspace:
    """A channel with a plan, a running session and a scoring round, as the load uses it."""

    team: str
    channel: str
    user: str
    session_id: int = 0
    answers_metadata: str = ""  # as Rumbo wrote it on the answers modal it opened
    card_ts: str = ""
    round_value: str = ""
    round_ts: str = ""


@dataclass
class App:
    name: str
    url: str
    pid: int
    workspaces: list[Workspace]  # where the writes go
    readers: list[Workspace]  # where the reads go: a plan of 30 ideas the writes leave alone
    database: str | None = None  # Rumbo's, to check what it stored
    timings: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)  # warm-ups included


# --- the requests --------------------------------------------------------------------------

def command(emulator: SlackEmulator, where: Workspace, words: str) -> str:
    return urlencode({
        "token": "x", "team_id": where.team, "team_domain": "bench", "channel_id": where.channel,
        "channel_name": "bench", "user_id": where.user, "user_name": "bench",
        "command": "/plan", "text": words, "api_app_id": "A0RUMBO",
        "response_url": emulator.new_response_url(where.channel, where.user),
        "trigger_id": emulator.new_trigger_id(where.user)})


def click(emulator: SlackEmulator, where: Workspace, n: int, action_id: str, value: str,
          ts: str, block_id: str = "b") -> str:
    payload = {
        "type": "block_actions", "api_app_id": "A0RUMBO",
        "team": {"id": where.team, "domain": "bench"},
        "user": {"id": where.user, "name": "bench", "team_id": where.team},
        "trigger_id": emulator.new_trigger_id(where.user),
        "container": {"type": "message", "message_ts": ts, "channel_id": where.channel,
                      "is_ephemeral": False},
        "channel": {"id": where.channel, "name": "bench"},
        "response_url": emulator.new_response_url(where.channel, where.user, message_ts=ts),
        "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                     "value": value, "action_ts": f"{time.time():.6f}{n}"}]}
    return urlencode({"payload": json.dumps(payload)})


def answers(emulator: SlackEmulator, where: Workspace, n: int) -> str:
    view = sessions_views.answers_modal(lang="en", private_metadata=where.answers_metadata)
    values = view_state(view, {"q1": f"answer {n}", "ideas_realistic": f"idea {n}"})
    payload = {
        "type": "view_submission", "api_app_id": "A0RUMBO",
        "team": {"id": where.team, "domain": "bench"},
        "user": {"id": where.user, "name": "bench", "team_id": where.team},
        "trigger_id": emulator.new_trigger_id(where.user),
        "view": {**view, "id": f"VBENCH{n}", "hash": "h", "team_id": where.team,
                 "app_installed_team_id": where.team, "state": {"values": values}}}
    return urlencode({"payload": json.dumps(payload)})


def body(emulator: SlackEmulator, where: Workspace, interaction: str, n: int) -> str:
    if interaction in ("help", "ideas"):
        return command(emulator, where, interaction)
    if interaction == "idea":
        return command(emulator, where, f"idea benchmark idea {n}")
    if interaction == "answers":
        return answers(emulator, where, n)
    if interaction == "score":
        return click(emulator, where, n, f"round_score_{'321'[n % 3]}", where.round_value,
                     where.round_ts, "round_scores")
    return click(emulator, where, n, "session_add_idea", str(where.session_id), where.card_ts)


def bodies(emulator: SlackEmulator, app: App, interaction: str, count: int, offset: int
           ) -> list[str]:
    """The app's workspaces take turns (OAuth mode: two workspaces share the load)."""
    places = app.workspaces if interaction in WRITES else app.readers
    return [body(emulator, places[n % len(places)], interaction, offset + n)
            for n in range(count)]


def run(app_url: str, payloads: list[str], clients: int) -> list[float]:
    """Latencies in ms, measured by a separate client process."""
    result = subprocess.run(
        [sys.executable, "benchmarks/load_client.py", app_url, SIGNING_SECRET, str(clients)],
        input=json.dumps(payloads), capture_output=True, text=True, check=False)
    if result.returncode != 0:  # say which app failed, and how
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the load on {app_url} failed: {last}")
    return json.loads(result.stdout)


# --- the apps ------------------------------------------------------------------------------

def prepare(driver: SlackDriver, emulator: SlackEmulator, where: Workspace) -> None:
    """A plan with 30 ideas, a running session and a scoring round on them."""
    def posted(marker: str):
        return emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                                 == where.channel and marker in text_of(c.params)
                                 and (c.response or {}).get("ok"))[-1]

    opened = driver.command(where.user, where.channel, "new Bench")
    emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                      == opened.trigger_id)
    assert driver.submit(where.user, {"account_name": "Bench", "facilitators": [where.user]}
                         ).json() is None
    driver.command(where.user, where.channel, "session")
    card = posted("session_end")
    where.card_ts = card.response["ts"]
    where.session_id = int(next(e["value"] for b in card.params["blocks"]
                                if b["type"] == "actions" for e in b["elements"]
                                if e["action_id"] == "session_end"))
    opened = driver.click(where.user, "session_add_answers", channel_id=where.channel)
    emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                      == opened.trigger_id)
    where.answers_metadata = emulator.close_top_view(where.user)["private_metadata"]
    for n in range(IDEAS_LISTED):
        driver.command(where.user, where.channel, f"idea listed idea {n}")
    driver.command(where.user, where.channel, "score")
    round_card = posted("round_scores")
    where.round_ts = round_card.response["ts"]
    where.round_value = next(e["value"] for b in round_card.params["blocks"]
                             if b.get("block_id") == "round_scores" for e in b["elements"])


def rumbo(emulator: SlackEmulator, workdir: Path, database_url: str, *, oauth: bool,
          stack: contextlib.ExitStack) -> App:
    env = {}
    if oauth:
        env = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": OAUTH_CLIENT[0],
               "SLACK_CLIENT_SECRET": OAUTH_CLIENT[1],
               "RUMBO_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    server = Rumbo(api_url=emulator.api_url, database_url=database_url, scheduler=True,
                   log_path=workdir / f"rumbo{'-oauth' if oauth else ''}.log", env=env)
    if oauth:
        server.env["SLACK_REDIRECT_URI"] = f"{server.url}/slack/oauth_redirect"
    server.start()
    stack.callback(server.stop)
    driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, emulator)
    if oauth:
        slack = type("Slack", (), {"driver": driver, "emulator": emulator})
        for team, _channel, _user in OAUTH_TEAMS:
            install(slack, team, server.env["SLACK_REDIRECT_URI"])
    workspaces, readers = places(oauth)
    for where in workspaces + readers:
        prepare(driver, emulator, where)
    return App("rumbo-oauth" if oauth else "rumbo", f"{server.url}/slack/events",
               server.process.pid, workspaces, readers, database_url)


def places(oauth: bool) -> tuple[list[Workspace], list[Workspace]]:
    """The channels for writes and for reads: one workspace's, or two's in OAuth mode."""
    teams = OAUTH_TEAMS if oauth else ((TEAM, CHANNEL, USER),)
    return ([Workspace(*names) for names in teams],
            [Workspace(team, f"{channel}R", user) for team, channel, user in teams])


def yardstick(name: str, emulator: SlackEmulator, workdir: Path, like: App,
              stack: contextlib.ExitStack) -> App:
    port = free_port()
    extra = [str(workdir / f"{name}.db"), FLOORS[name]] if name in FLOORS else []
    script = "benchmarks/store_floor_app.py" if name in FLOORS else "benchmarks/noop_app.py"
    process = subprocess.Popen([sys.executable, script, str(port), emulator.api_url,
                                SIGNING_SECRET, *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(lambda: (process.terminate(), process.wait()))
    _wait_listening(port)
    return App(name, f"http://127.0.0.1:{port}/slack/events", process.pid, like.workspaces,
               like.readers)


def slack_side(emulator: SlackEmulator, *, oauth: bool) -> None:
    emulator.add_user(USER, "bench", locale="en-US", tz="Europe/Madrid")
    for channel in (CHANNEL, f"{CHANNEL}R"):
        emulator.add_channel(channel, channel.lower(), members=[USER])
    if oauth:
        emulator.oauth_client = OAUTH_CLIENT
        for team, channel, user in OAUTH_TEAMS:
            emulator.add_workspace(team, team)
            emulator.add_user(user, user.lower(), locale="en-US", tz="Europe/Madrid",
                              team_id=team)
            for name in (channel, f"{channel}R"):
                emulator.add_channel(name, name.lower(), members=[user])


# --- measuring -----------------------------------------------------------------------------

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


def resident_mb(pids) -> float:
    """Summed resident memory (VmRSS) of these processes, in MB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(apps: list[App], emulator: SlackEmulator, interactions, requests: int,
            clients: int, rounds: int) -> None:
    offset = 0
    for _round in range(rounds):
        for interaction in interactions:
            for app in apps:
                run(app.url, bodies(emulator, app, interaction, 30, 10**6 + offset), clients)
                payloads = bodies(emulator, app, interaction, requests, offset)
                pids = process_tree(app.pid)
                before = cpu_seconds(pids)
                app.timings.setdefault(interaction, []).extend(run(app.url, payloads, clients))
                app.cpu[interaction] = app.cpu.get(interaction, 0) + cpu_seconds(pids) - before
                app.sent[interaction] = app.sent.get(interaction, 0) + requests + 30
                offset += requests + 30
            time.sleep(1)  # the work after the acks (card redraws, notes) settles


def stored(app: App) -> tuple[int, int]:
    """(ideas, answers) Rumbo holds: everything acknowledged must be there."""
    engine = make_engine(app.database or "")
    with engine.connect() as connection:
        ideas = connection.execute(text("SELECT count(*) FROM idea")).scalar()
        answered = connection.execute(text("SELECT count(*) FROM answer")).scalar()
    engine.dispose()
    return ideas or 0, answered or 0


def report(apps: list[App], interactions, clients: int) -> None:
    by_name = {app.name: app for app in apps}
    floor, noop = by_name["floor"], by_name["noop"]
    print(f"{clients} concurrent clients; p50 / p95 of the ack in ms; server CPU per request "
          "in ms (the process tree, the work after the acks included)")
    for interaction in interactions:
        kind = "write" if interaction in WRITES else "read"
        line = [f"{interaction:<8} ({kind})"]
        for app in apps:
            values = app.timings[interaction]
            line.append(f"{app.name} {statistics.median(values):5.1f} / "
                        f"{percentile(values, 0.95):5.1f} cpu "
                        f"{app.cpu[interaction] / len(values) * 1000:4.2f}")
        print("  ".join(line))
        for app in apps:
            if not app.name.startswith("rumbo"):
                continue
            p95 = percentile(app.timings[interaction], 0.95)
            to_floor = p95 / percentile(floor.timings[interaction], 0.95)
            to_noop = p95 / percentile(noop.timings[interaction], 0.95)
            line = (f"    {app.name}: p95 / floor's {to_floor:4.2f} (writes: target <= 1.25)"
                    f"   p95 / no-op's {to_noop:4.2f} (reads: target <= 1.05)")
            if "floor-sqlalchemy" in by_name:
                stack_floor = percentile(by_name["floor-sqlalchemy"].timings[interaction], 0.95)
                line += f"   p95 / the SQLAlchemy floor's {p95 / stack_floor:4.2f}"
            print(line)
    if "rumbo-oauth" in by_name:
        single, oauth = by_name["rumbo"], by_name["rumbo-oauth"]
        ratios = [percentile(oauth.timings[i], 0.95) / percentile(single.timings[i], 0.95)
                  for i in interactions]
        print("OAuth mode p95 / single-workspace p95: " + ", ".join(
            f"{i} {r:.2f}" for i, r in zip(interactions, ratios, strict=True))
              + " (target <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=",".join(WRITES + READS))
    parser.add_argument("--oauth", action="store_true")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--sqlalchemy-floor", action="store_true",
                        help="also the store floor committing through Rumbo's own stack")
    args = parser.parse_args()
    interactions = args.only.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="rumbo-bench-"))
    with SlackEmulator(bot_token=BOT_TOKEN) as emulator, contextlib.ExitStack() as stack:
        slack_side(emulator, oauth=args.oauth)
        database = f"sqlite:///{workdir / 'rumbo.db'}"
        if args.postgres:
            from tests.postgres import own_schema

            base = os.environ.get("RUMBO_TEST_POSTGRES_URL") or sys.exit(
                "--postgres needs RUMBO_TEST_POSTGRES_URL (scripts/postgres-throwaway start)")
            database = stack.enter_context(own_schema(base, "bench"))[0]
        apps = [rumbo(emulator, workdir, database, oauth=False, stack=stack)]
        if args.oauth:
            apps.append(rumbo(emulator, workdir, f"sqlite:///{workdir / 'oauth.db'}",
                              oauth=True, stack=stack))
        yardsticks = ["floor"] + ["floor-sqlalchemy"] * args.sqlalchemy_floor + ["noop"]
        apps += [yardstick(name, emulator, workdir, apps[0], stack) for name in yardsticks]
        expected = {app.name: stored(app) for app in apps if app.database}
        measure(apps, emulator, interactions, args.requests, args.clients, args.rounds)
        time.sleep(2)
        memory = {app.name: resident_mb(process_tree(app.pid)) for app in apps}
        for app in apps:
            if app.database:
                now = stored(app)
                gained = (now[0] - expected[app.name][0], now[1] - expected[app.name][1])
                due = (app.sent.get("idea", 0) + app.sent.get("answers", 0),
                       app.sent.get("answers", 0))
                print(f"{app.name}: stored {gained[0]} ideas and {gained[1]} answers of "
                      f"{due[0]} and {due[1]} acknowledged "
                      f"({'complete' if gained == due else 'INCOMPLETE'})")
    report(apps, interactions, args.clients)
    print("resident memory of each process tree after the load: " + ", ".join(
        f"{name} {mb:.0f} MB" for name, mb in memory.items()) + " (rumbo: target <= 120)")
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'} for Rumbo, SQLite for "
          "the floor")
    from benchmarks import statements

    statements.main()


def _wait_listening(port: int, timeout: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


# For benchmarks/instances.py: its mixed workload.
def prepare_rumbo(driver: SlackDriver, emulator: SlackEmulator) -> Workspace:
    where = Workspace(TEAM, CHANNEL, USER)
    prepare(driver, emulator, where)
    return where


def workload(driver: SlackDriver, count: int, where: Workspace, offset: int) -> list[str]:
    """A third each of /plan help, /plan idea and session answers."""
    kinds: tuple[str, ...] = ("help", "idea", "answers")
    return [body(driver.emulator, where, kinds[n % 3], offset + n) for n in range(count)]


if __name__ == "__main__":
    main()
