"""The in-process scheduler (APScheduler 3) and what it does: on each tick send what is due
and redraw the live cards left stale; every hour the retention pass, which purges the
workspaces whose retention period is over and the idempotency keys nothing needs any more.
What is due lives in the database, so the jobs keep no state worth persisting and a restart
loses nothing."""

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from bot.outbox.sender import Sender
from bot.platform.settings import Settings
from bot.reviews.deliveries import schedule_missing
from storage import installations, requests
from storage.db import new_session
from storage.types import utc_now

log = logging.getLogger("rumbo")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
TICK_SECONDS = 15
TICK_NAME = "outbox pass"  # the tick's name in APScheduler's log lines


RETENTION_EVERY = timedelta(hours=1)
# A request's idempotency key has to outlive Slack's retries (the last comes 5 minutes
# after the first try) and a modal left open for hours, then submitted twice or reopened:
# a week covers both with room to spare and keeps the table to a week of requests.
KEYS_KEPT = timedelta(days=7)


def tick(sender: Sender) -> int:
    """One pass: returns how many deliveries were sent."""
    return sender.run_once()


def retention_pass(engine: Engine, *, now: datetime, retention: timedelta) -> list[str]:
    """Delete the data of workspaces that uninstalled Rumbo a retention period ago, and the
    idempotency keys older than `KEYS_KEPT`; returns the workspaces purged."""
    with new_session(engine) as db:
        gone = installations.to_purge(db, uninstalled_before=now - retention)
        for team_id in gone:
            log.info("purging workspace %s: uninstalled over %s days ago", team_id,
                     retention.days)
            installations.purge(db, team_id=team_id)
        forgotten = requests.purge_keys(db, before=now - KEYS_KEPT)
        db.commit()
    if forgotten:
        log.info("forgot %s idempotency keys older than %s days", forgotten, KEYS_KEPT.days)
    return gone


def start_in_background(sender: Sender, settings: Settings) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    retention = timedelta(days=settings.rumbo_retention_days)
    # The first pass at once: what a stopped process left due or half-sent goes out.
    scheduler.add_job(tick, "interval", args=(sender,), seconds=TICK_SECONDS,
                      id="deliveries", name=TICK_NAME, replace_existing=True,
                      next_run_time=utc_now())
    # Hourly, not every tick: deleting old keys scans their table (no index on its age).
    scheduler.add_job(lambda: retention_pass(sender.engine, now=sender.clock(),
                                             retention=retention),
                      "interval", seconds=RETENTION_EVERY.total_seconds(), id="retention",
                      replace_existing=True, next_run_time=utc_now())
    scheduler.add_job(lambda: schedule_missing(sender.engine, sender.clock()),
                      id="schedule_missing", replace_existing=True)  # once, now
    scheduler.start()
    log.info("scheduler started")
    return scheduler
