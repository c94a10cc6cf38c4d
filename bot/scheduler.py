"""The in-process scheduler (APScheduler 3). The reminders it runs arrive with reviews."""

import logging

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("rumbo")

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def start_in_background() -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    scheduler.start()
    log.info("scheduler started")
    return scheduler
