"""What an operator watches, from the real server: /metrics in Prometheus' format whose
counts match what the emulator recorded, /readyz, and JSON logs with the Slack request's
ids and never a token nor what users typed."""

import json
import urllib.request
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from storage.db import make_engine
from tests.conftest import CHANNEL
from tests.scenario import AM, CLIENT, create_plan, eventually, start_session


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 (loopback)
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metrics(rumbo) -> dict:
    status, page = get(f"{rumbo.server.url}/metrics")
    assert status == 200
    return {family.name: family for family in text_string_to_metric_families(page)}


def test_metrics_count_what_happened(rumbo):
    create_plan(rumbo, CHANNEL, "Metrics Co", language="en")
    start_session(rumbo, CHANNEL)
    rumbo.driver.command(CLIENT, CHANNEL, "idea Counted")
    rumbo.emulator.fail_next("chat.postEphemeral", "channel_not_found")
    rumbo.driver.click(CLIENT, "session_end", channel_id=CHANNEL)  # refused, told... or not
    rumbo.emulator.wait_for("chat.postEphemeral")
    rumbo.emulator.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"]
                            == CLIENT)  # the refusal goes by DM when the channel fails
    families = metrics(rumbo)

    requests = {s.labels["kind"]: s.value for s in families["rumbo_requests"].samples
                if s.name == "rumbo_requests_total"}
    assert requests == {"command": 3, "view_submission": 1, "block_actions": 1}
    acks = [s for s in families["rumbo_ack_seconds"].samples
            if s.name == "rumbo_ack_seconds_count"]
    assert sum(s.value for s in acks) == 5

    def counted_and_recorded():
        counted = Counter()
        for sample in metrics(rumbo)["rumbo_slack_calls"].samples:
            if sample.name == "rumbo_slack_calls_total":
                counted[(sample.labels["method"], sample.labels["error"])] += sample.value
        recorded = Counter((c.method, (c.response or {}).get("error") or "ok")
                           for c in rumbo.emulator.calls
                           # Bolt's own auth.test, once per process, goes by its own client.
                           if c.method not in ("response_url", "file_upload", "auth.test"))
        return counted, recorded

    # The work after the acks (card redraws) may still be on its way: until it settles.
    eventually(lambda: (lambda pair: pair[0] == pair[1])(counted_and_recorded()))
    counted, recorded = counted_and_recorded()
    assert counted == recorded
    assert counted[("chat.postEphemeral", "channel_not_found")] == 1

    depth = families["rumbo_outbox_due"].samples[0].value
    assert depth >= 0
    statuses = {s.labels["status"]: s.value for s in families["rumbo_deliveries"].samples}
    assert statuses["sent"] >= 2  # the announcement and the session card


def test_readyz_says_whether_the_database_is_reachable_and_migrated(rumbo, tmp_path):
    status, body = get(f"{rumbo.server.url}/readyz")
    assert status == 200 and json.loads(body) == {"ok": True, "status": "ok"}
    assert get(f"{rumbo.server.url}/healthz")[0] == 200

    from bot.platform.observability import ready

    unmigrated = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    ok, why = ready(unmigrated)
    assert not ok and why.startswith("migrations: at None")
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert ready(unreachable) == (False, "database: OperationalError")


def test_json_logs_carry_the_request_ids_and_no_secrets(rumbo):
    from tests.app_server import Rumbo

    rumbo.server.stop()
    rumbo.server = Rumbo(api_url=rumbo.emulator.api_url,
                         database_url=rumbo.engine.url.render_as_string(hide_password=False),
                         log_path=rumbo.log, env={"LOG_FORMAT": "json"}).start()
    rumbo.driver.app_url = f"{rumbo.server.url}/slack/events"
    rumbo.log.write_text("")
    create_plan(rumbo, CHANNEL, "Logged Co", language="en")
    rumbo.emulator.add_user("U0NOBODY", "nobody")
    rumbo.emulator.add_channel("C0NOPLAN", "noplan", members=["U0NOBODY"])
    rumbo.emulator.fail_next("users.info", "user_not_found")  # a warning, after the ack
    response = rumbo.driver.command("U0NOBODY", "C0NOPLAN", "Secret plans of the client")
    assert response.status == 200
    rumbo.emulator.wait_for("users.info", predicate=lambda c: c.params.get("user") == "U0NOBODY")
    rumbo.server.stop()
    lines = [line for line in rumbo.log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert entries and len(entries) >= len(lines) - 2  # gunicorn's own lines aside
    warning = next(e for e in entries if "users.info failed" in e["message"])
    assert warning["kind"] == "command" and warning["user"] == "U0NOBODY"
    assert warning["channel"] == "C0NOPLAN" and warning["trigger_id"]
    text = rumbo.log.read_text()
    assert "xoxb-test" not in text and "Secret plans" not in text and AM
