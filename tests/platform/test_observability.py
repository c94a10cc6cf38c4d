"""What an operator watches, from the app in the test's process: the metrics count what
happened (each request, each ack, each Web API call as the emulator recorded it), readiness
says whether the database is reachable and migrated, and the JSON logs carry the Slack
request's ids and never a token nor what users typed. Served over HTTP by `rumbo serve`:
tests/processes/test_serve.py."""

import io
import json
import logging
from collections import Counter

from prometheus_client.parser import text_string_to_metric_families

from bot.platform.observability import JsonFormatter, metrics_page, ready
from storage.db import make_engine
from tests.scenario import AM, CLIENT, create_plan, setup_channel, start_session

CHANNEL = "C0WATCHED"


def metrics(slack) -> dict:
    """The metrics page as /metrics serves it, by family."""
    page = metrics_page(slack.engine).decode()
    return {family.name: family for family in text_string_to_metric_families(page)}


def totals(families, family: str, sample: str, *labels: str) -> Counter:
    """A family's samples named `sample`, summed by the labels' values."""
    found = Counter()
    for s in families[family].samples if family in families else []:
        if s.name == sample:
            found[tuple(s.labels[label] for label in labels)] += s.value
    return found


def test_metrics_count_what_happened(slack_each_db):
    slack = slack_each_db
    setup_channel(slack, CHANNEL)
    # The counters belong to this process, which ran other tests: what this one adds.
    before = metrics(slack)
    create_plan(slack, CHANNEL, "Metrics Co", language="en")
    start_session(slack, CHANNEL)
    slack.driver.command(CLIENT, CHANNEL, "idea Counted")
    slack.emulator.fail_next("chat.postEphemeral", "channel_not_found")
    click = slack.driver.click(CLIENT, "session_end", channel_id=CHANNEL)  # refused, told
    slack.emulator.wait_for("chat.postEphemeral")
    slack.emulator.wait_for("response_url", predicate=lambda c: c.url == click.response_url
                            )  # the refusal goes by the click's response_url when that fails
    families = metrics(slack)

    def added(family, sample, *labels):
        now, then = (totals(f, family, sample, *labels) for f in (families, before))
        return {key: value - then[key] for key, value in now.items() if value != then[key]}

    requests = added("rumbo_requests", "rumbo_requests_total", "kind")
    assert requests == {("command",): 3, ("view_submission",): 1, ("block_actions",): 1}
    assert sum(added("rumbo_ack_seconds", "rumbo_ack_seconds_count", "kind").values()) == 5

    counted = Counter(added("rumbo_slack_calls", "rumbo_slack_calls_total", "method", "error"))
    recorded = Counter((c.method, (c.response or {}).get("error") or "ok")
                       for c in slack.emulator.calls
                       # Bolt's own auth.test, once per app, goes by its own client.
                       if c.method not in ("response_url", "file_upload", "auth.test"))
    assert counted == recorded  # the work after the acks (card redraws) is settled
    assert counted[("chat.postEphemeral", "channel_not_found")] == 1

    depth = families["rumbo_outbox_due"].samples[0].value
    assert depth >= 0
    statuses = {s.labels["status"]: s.value for s in families["rumbo_deliveries"].samples}
    assert statuses["sent"] >= 2  # the announcement and the session card


def test_ready_says_whether_the_database_is_reachable_and_migrated(engine, tmp_path):
    assert ready(engine) == (True, "ok")
    unmigrated = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    ok, why = ready(unmigrated)
    assert not ok and why.startswith("migrations: at None")
    unreachable = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert ready(unreachable) == (False, "database: OperationalError")


def test_json_logs_carry_the_request_ids_and_no_secrets(slack_each_db):
    slack = slack_each_db
    setup_channel(slack, CHANNEL)
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger()  # where configure_logging puts its handler
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        create_plan(slack, CHANNEL, "Logged Co", language="en")
        slack.emulator.add_user("U0NOBODY", "nobody")
        slack.emulator.add_channel("C0NOPLAN", "noplan", members=["U0NOBODY"])
        slack.emulator.fail_next("users.info", "user_not_found")  # a warning, after the ack
        response = slack.driver.command("U0NOBODY", "C0NOPLAN", "Secret plans of the client")
        assert response.status == 200
        slack.emulator.wait_for("users.info", predicate=lambda c: c.params.get("user")
                                == "U0NOBODY")
    finally:
        logger.removeHandler(handler)
        logger.level = level
    text = written.getvalue()
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert entries  # every line is one JSON object
    warning = next(e for e in entries if "users.info failed" in e["message"])
    assert warning["kind"] == "command" and warning["user"] == "U0NOBODY"
    assert warning["channel"] == "C0NOPLAN" and warning["trigger_id"]
    assert "xoxb-test" not in text and "Secret plans" not in text and AM
