"""What an operator watches: Prometheus metrics, readiness, and logs (JSON with the Slack
request's ids when LOG_FORMAT=json, never a token nor what users typed).

Under gunicorn the metrics use prometheus_client's multiprocess mode (bot/platform/server.py sets
PROMETHEUS_MULTIPROC_DIR before the worker starts). What several processes share lives in
the database and is read at scrape time: the outbox's depth, the age of its oldest due
delivery, deliveries by status.
"""

import contextvars
import json
import logging
import os
import time
import traceback
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine

from storage import outbox
from storage.db import migrations
from storage.types import utc_now

REQUESTS = Counter("rumbo_requests", "Requests from Slack, by kind", ["kind"])

# Measured from Rumbo's first middleware, once Bolt has read the request and checked its
# signature, to the ack: the part of Slack's 3 seconds that Rumbo's own work takes.
ACK_SECONDS = Histogram("rumbo_ack_seconds",
                        "From Rumbo's first middleware (the request parsed and its signature "
                        "checked) to its ack, by kind",
                        ["kind"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5))

SLACK_CALLS = Counter("rumbo_slack_calls", "Web API calls, by method and error (ok if none)",
                      ["method", "error"])

RATE_LIMIT_WAITS = Counter("rumbo_rate_limit_wait_seconds",
                           "Seconds spent waiting for Slack's Retry-After")

# The Slack request being handled, for the logs.
REQUEST_IDS: contextvars.ContextVar[dict | None] = contextvars.ContextVar("rumbo_request",
                                                                          default=None)


class CountedWebClient(WebClient):
    """A WebClient that counts its calls by method and error."""

    def api_call(self, api_method: str, **kwargs):
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            SLACK_CALLS.labels(api_method, str(error.response.get("error", "unknown"))).inc()
            raise
        except Exception as error:
            SLACK_CALLS.labels(api_method, type(error).__name__).inc()
            raise
        SLACK_CALLS.labels(api_method, "ok").inc()
        return response


class CountedRateLimitHandler(RateLimitErrorRetryHandler):
    def prepare_for_next_attempt(self, **kwargs) -> None:
        started = time.monotonic()
        try:
            super().prepare_for_next_attempt(**kwargs)
        finally:
            RATE_LIMIT_WAITS.inc(time.monotonic() - started)


def arrived(body: dict, context) -> None:
    """A request from Slack reaches Rumbo: its ids for the logs of this thread, and the
    moment its ack is timed from."""
    REQUEST_IDS.set(ids_of(body, context))
    body["_rumbo_arrived"] = time.perf_counter()


def acked(kind: str, body: dict) -> None:
    REQUESTS.labels(kind).inc()
    started = body.get("_rumbo_arrived")
    if started is not None:
        ACK_SECONDS.labels(kind).observe(time.perf_counter() - started)


def request_kind(body: dict) -> str:
    if "command" in body:
        return "command"
    return {"event_callback": "event"}.get(body.get("type", ""), body.get("type") or "other")


class OutboxCollector:
    """The outbox as the database holds it, whichever process sends."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def collect(self):
        now = utc_now()
        by_status, depth, oldest = outbox.depth(self.engine, now=now)
        statuses = GaugeMetricFamily("rumbo_deliveries", "Outbox deliveries by status",
                                     labels=["status"])
        for status, number in sorted(by_status.items()):
            statuses.add_metric([status], number)
        yield statuses
        yield GaugeMetricFamily("rumbo_outbox_due", "Deliveries due now, not yet sent",
                                value=depth)
        yield GaugeMetricFamily("rumbo_outbox_oldest_due_seconds",
                                "How long the oldest due delivery has waited",
                                value=(now - oldest).total_seconds() if oldest else 0)


def metrics_page(engine: Engine) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    page = generate_latest(registry)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(engine))
    return page + generate_latest(outbox)


def ready(engine: Engine) -> tuple[bool, str]:
    """Is the database reachable and its schema at the newest migration?"""
    try:
        current, head = migrations(engine)
    except Exception as error:
        return False, f"database: {type(error).__name__}"
    if current != head:
        return False, f"migrations: at {current}, head is {head}"
    return True, "ok"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the Slack request's ids, and
    for an exception its type and where it was raised (not its message, which may quote
    what a user typed)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage(), **(REQUEST_IDS.get() or {})}
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["where"] = [f"{f.filename}:{f.lineno} {f.name}"
                              for f in traceback.extract_tb(record.exc_info[2])][-5:]
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Alembic, imported only to migrate, announces each of its plugins at INFO as it loads.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def ids_of(body: dict, context) -> dict:
    """The ids that let an operator follow one Slack request through the logs."""
    ids = {"kind": request_kind(body), "team": context.get("team_id"),
           "user": context.get("user_id"), "channel": context.get("channel_id")}
    for name in ("envelope_id", "trigger_id", "event_id"):
        if body.get(name):
            ids[name] = body[name]
    if isinstance(body.get("view"), dict):
        ids["view"] = body["view"].get("id")
    return {key: value for key, value in ids.items() if value}
