"""`rumbo serve` as an operator runs it (gunicorn's master and worker, the scheduler on, JSON
logs): /healthz and /readyz, /metrics in Prometheus' format summed over the workers, JSON
logs on its output with the Slack request's ids and never a token nor what users typed.
One server for the module; each test reads only what it caused. What the metrics count and
what the logs carry, request by request: tests/platform/test_observability.py."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.devslack import SlackDriver, SlackEmulator
from tests.processes.servers import SIGNING_SECRET, Rumbo
from tests.scenario import AM, TEAMMATE, create_plan, reply_to, setup_channel

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
def served(tmp_path_factory, sqlite_template):
    from tests.inprocess import BOT_TOKEN, sqlite_copy

    workdir = tmp_path_factory.mktemp("serve")
    engine = sqlite_copy(sqlite_template, workdir / "rumbo.db")
    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        server = Rumbo(api_url=emulator.api_url, database_url=f"sqlite:///{workdir / 'rumbo.db'}",
                       log_path=workdir / "rumbo.log", scheduler=True,
                       env={"LOG_FORMAT": "json"}).start()
        try:
            yield SimpleNamespace(
                emulator=emulator, server=server, log=workdir / "rumbo.log", engine=engine,
                driver=SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, emulator))
        finally:
            server.end()
            engine.dispose()
        assert emulator.violations == [], emulator.violations


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 (loopback)
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metrics(served) -> dict:
    status, page = get(f"{served.server.url}/metrics")
    assert status == 200
    return {family.name: family for family in text_string_to_metric_families(page)}


def totals(families, family: str, sample: str, label: str) -> Counter:
    found = families.get(family)  # none yet before the first request
    return Counter({s.labels[label]: s.value for s in (found.samples if found else [])
                    if s.name == sample})


def test_healthz_and_readyz_answer_over_http(served):
    status, body = get(f"{served.server.url}/readyz")
    assert status == 200 and json.loads(body) == {"ok": True, "status": "ok"}
    status, body = get(f"{served.server.url}/healthz")
    assert status == 200 and json.loads(body) == {"ok": True}
    assert get(f"{served.server.url}/nowhere")[0] == 404


def test_metrics_are_served_summed_over_the_workers(served):
    setup_channel(served, "C0METRICS")
    before = metrics(served)
    reply_to(served, served.driver.command(TEAMMATE, "C0METRICS", "help"))
    served.driver.command(AM, "C0METRICS", "help")  # her language is known by now
    families = metrics(served)
    requests = totals(families, "rumbo_requests", "rumbo_requests_total", "kind")
    assert requests["command"] - totals(before, "rumbo_requests", "rumbo_requests_total",
                                        "kind")["command"] == 2
    acks = totals(families, "rumbo_ack_seconds", "rumbo_ack_seconds_count", "kind")
    assert acks["command"] - totals(before, "rumbo_ack_seconds", "rumbo_ack_seconds_count",
                                    "kind")["command"] == 2
    calls = totals(families, "rumbo_slack_calls", "rumbo_slack_calls_total", "method")
    assert calls["users.info"] >= 1  # the worker's calls, through multiprocess mode
    assert "rumbo_outbox_due" in families and "rumbo_deliveries" in families


def test_json_logs_on_its_output_carry_the_request_ids_and_no_secrets(served):
    setup_channel(served, "C0LOGGED")
    create_plan(served, "C0LOGGED", "Logged Co", language="en")
    served.emulator.add_user("U0NOBODY", "nobody")
    served.emulator.add_channel("C0NOPLAN", "noplan", members=["U0NOBODY"])
    served.emulator.fail_next("users.info", "user_not_found")  # a warning, after the ack
    response = served.driver.command("U0NOBODY", "C0NOPLAN", "Secret plans of the client")
    assert response.status == 200
    reply_to(served, response)  # the help comes after the warning is written
    text = served.log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert entries and len(entries) >= len(lines) - 2  # gunicorn's own lines aside
    warning = next(e for e in entries if "users.info failed" in e["message"])
    assert warning["kind"] == "command" and warning["user"] == "U0NOBODY"
    assert warning["channel"] == "C0NOPLAN" and warning["trigger_id"]
    assert "xoxb-test" not in text and "Secret plans" not in text


def test_serve_runs_the_scheduler_in_process(served):
    assert "scheduler started" in served.log.read_text()


def test_serving_imports_nothing_only_exports_and_pictures_need():
    """matplotlib, numpy, Pillow, openpyxl and icalendar cost tens of MB per process: the
    serving processes load them only when they export (the picture: never, a child draws)."""
    loaded = subprocess.run([sys.executable, "-c", (
        "import sys, bot.platform.app, bot.platform.server, bot.outbox.sender, bot.outbox.ticks; "
        "print(' '.join(m for m in ('matplotlib', 'numpy', 'PIL', 'openpyxl', 'icalendar') "
        "if m in sys.modules))")],
        capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
