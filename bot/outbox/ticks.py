"""The in-process scheduler (APScheduler 3): it runs the delivery dispatcher."""

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("rumbo")


JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


TICK_SECONDS = 15


def start_in_background(dispatcher=None) -> BackgroundScheduler:
    """The scheduler ticks; what is due lives in the database (bot/outbox/), so the
    job itself keeps no state worth persisting and a restart loses nothing."""
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    if dispatcher is not None:
        # The first pass at once: what a stopped process left due or half-sent goes out.
        scheduler.add_job(dispatcher.run_once, "interval", seconds=TICK_SECONDS,
                          id="deliveries", replace_existing=True,
                          next_run_time=datetime.now(UTC))
        scheduler.add_job(dispatcher.schedule_missing, id="schedule_missing",
                          replace_existing=True)  # once, now
    scheduler.start()
    log.info("scheduler started")
    return scheduler
