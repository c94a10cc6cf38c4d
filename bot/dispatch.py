"""Scheduled nudges: keeping each plan's outbox up to date, and sending what is due.

The scheduler (APScheduler) only ticks; what to send lives in the database (the
`delivery` outbox), so a restart loses nothing, and each delivery is claimed by one
conditional UPDATE before it is sent, so two processes never send it twice.
"""

import json
import logging
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.blocks import nudges
from bot.blocks.progress import progress_messages
from bot.reminders import next_summary, review_dates, review_reminders, session_timers
from bot.slack import CHANNEL_ERRORS, slack_error, tell_user
from storage import deliveries, planning, queries, reviews
from storage.db import new_session
from storage.models import Delivery, Plan, StrategySession

log = logging.getLogger("rumbo")

# How late a delivery may still go out after downtime; reminders of a review not held
# stay relevant until it is.
GRACE = {"session_warning": timedelta(minutes=15), "session_end": timedelta(minutes=30),
         "summary": timedelta(days=2)}
MAX_ATTEMPTS = 8
INTERRUPTED_AFTER = timedelta(minutes=10)
BATCH = 500


# --- keeping the outbox up to date ------------------------------------------------------------

def reschedule_plan(db, *, plan: Plan, now: datetime) -> None:
    """Bring the plan's review reminders and next summary in line with its settings:
    called when a plan is created, its settings change, a review is held or postponed."""
    if plan.status != "active":
        deliveries.cancel(db, plan=plan, key_prefix=f"review:{plan.id}:", reason="archived")
        deliveries.cancel(db, plan=plan, key_prefix=f"summary:{plan.id}:", reason="archived")
        return
    if plan.next_review_on is None:
        # The first review on the cadence from today on: a plan written down for a period
        # that started months ago is not born overdue.
        plan.next_review_on = review_dates(
            plan, after=max(plan.start_date, now.date() - timedelta(days=1)))
        db.add(plan)
        db.commit()
    planned = review_reminders(plan, plan.next_review_on)
    deliveries.cancel(db, plan=plan, key_prefix=f"review:{plan.id}:", reason="rescheduled",
                      keep=[p.key for p in planned])
    summary = next_summary(plan, after=now)
    deliveries.cancel(db, plan=plan, key_prefix=f"summary:{plan.id}:", reason="rescheduled",
                      keep=[summary.key] if summary else [])
    deliveries.schedule(db, plan=plan, planned=planned + ([summary] if summary else []))


def schedule_session_timers(db, *, plan: Plan, strategy_session: StrategySession) -> None:
    deliveries.schedule(db, plan=plan, planned=session_timers(strategy_session))


def cancel_session_timers(db, *, plan: Plan, strategy_session: StrategySession) -> None:
    deliveries.cancel(db, plan=plan, key_prefix=f"session:{strategy_session.id}:",
                      reason="session ended")


def review_held(db, *, plan: Plan, due: date | None, now: datetime) -> None:
    """The review is done: its remaining reminders go, the next one follows the cadence."""
    plan.next_review_on = review_dates(plan, after=max(due or now.date(), now.date()))
    db.add(plan)
    db.commit()
    reschedule_plan(db, plan=plan, now=now)


# --- sending what is due ----------------------------------------------------------------------

def _group(delivery: Delivery) -> str:
    """Deliveries that say the same thing at different times: after downtime only the
    latest of a group goes out."""
    if delivery.kind.startswith("review"):
        return delivery.key.split(":ahead")[0].split(":due")[0].split(":overdue")[0]
    if delivery.kind.startswith("session"):
        return delivery.key.rsplit(":", 1)[0]
    return f"summary:{delivery.plan_id}"


class Dispatcher:
    def __init__(self, engine: Engine, client: WebClient, clock, *, batch: int = BATCH):
        self.engine, self.client, self.clock, self.batch = engine, client, clock, batch

    def run_once(self) -> int:
        """One pass: send what is due now. Returns how many messages were sent."""
        now = self.clock()
        with new_session(self.engine) as db:
            for stuck in deliveries.interrupted(db, claimed_before=now - INTERRUPTED_AFTER):
                log.error("delivery %s was interrupted while sending; not sent again",
                          stuck.key)
            due = deliveries.due(db, now=now, limit=self.batch)
            groups: dict[str, list[Delivery]] = defaultdict(list)
            for delivery in due:
                groups[_group(delivery)].append(delivery)
            sent = 0
            for members in groups.values():
                *older, latest = members
                for delivery in older:
                    if deliveries.claim(db, delivery=delivery, now=now):
                        deliveries.finish(db, delivery=delivery, status="skipped", now=now,
                                          error="collapsed into a later reminder")
                grace = GRACE.get(latest.kind)
                if grace is not None and now - latest.due_at > grace:
                    if deliveries.claim(db, delivery=latest, now=now):
                        deliveries.finish(db, delivery=latest, status="skipped", now=now,
                                          error="no longer relevant")
                        self._after(db, latest, now)
                    continue
                if deliveries.claim(db, delivery=latest, now=now):
                    sent += self._send(db, latest, now)
            return sent

    def _send(self, db, delivery: Delivery, now: datetime) -> int:
        plan = db.get(Plan, delivery.plan_id)
        if plan is None or plan.status != "active":
            deliveries.finish(db, delivery=delivery, status="skipped", now=now,
                              error="plan archived")
            return 0
        if plan.nudges_paused_at is not None:
            deliveries.finish(db, delivery=delivery, status="paused", now=now,
                              error="channel unavailable")
            return 0
        messages = self._messages(db, plan, delivery, now)
        if messages is None:
            deliveries.finish(db, delivery=delivery, status="skipped", now=now,
                              error="no longer relevant")
            return 0
        try:
            for message in messages:
                self.client.chat_postMessage(channel=plan.channel_id, **message)
        except SlackApiError as error:
            self._failed(db, plan, delivery, now, slack_error(error))
            return 0
        except Exception as error:  # a dropped connection, a bug: retry later, loudly
            log.exception("delivery %s failed", delivery.key)
            self._failed(db, plan, delivery, now, type(error).__name__)
            return 0
        deliveries.finish(db, delivery=delivery, status="sent", now=now)
        self._after(db, delivery, now)
        return 1

    def _after(self, db, delivery: Delivery, now: datetime) -> None:
        """A periodic summary, sent or skipped, makes room for the next one."""
        plan = db.get(Plan, delivery.plan_id)
        if delivery.kind == "summary" and plan is not None:
            reschedule_plan(db, plan=plan, now=now)

    def _messages(self, db, plan: Plan, delivery: Delivery, now: datetime):
        payload = json.loads(delivery.payload)
        lang = plan.language
        if delivery.kind.startswith("review"):
            due = date.fromisoformat(payload["due"])
            if plan.next_review_on != due:
                return None  # held or postponed meanwhile
            return [nudges.review_reminder(lang=lang, plan=plan, kind=delivery.kind, due=due,
                                           days=payload.get("days"),
                                           overdue_days=(now.date() - due).days)]
        if delivery.kind.startswith("session"):
            strategy_session = db.get(StrategySession, payload["session_id"])
            if strategy_session is None or strategy_session.ended_at is not None:
                return None
            return [nudges.session_timer(lang=lang, plan=plan, kind=delivery.kind,
                                         facilitators=queries.facilitators_of(db, plan=plan))]
        return progress_messages(
            lang=lang, plan=plan, categories=planning.categories(db, plan=plan),
            objectives=planning.objectives(db, plan=plan),
            initiatives=planning.initiatives(db, plan=plan),
            values=reviews.measured_values(db, plan=plan))

    def _failed(self, db, plan: Plan, delivery: Delivery, now: datetime, error: str) -> None:
        if error in CHANNEL_ERRORS:
            deliveries.finish(db, delivery=delivery, status="paused", now=now, error=error)
            if deliveries.pause_plan(db, plan=plan, now=now, reason=error):
                for user_id in queries.facilitators_of(db, plan=plan):
                    tell_user(self.client, channel_id=None, user_id=user_id,
                              message=nudges.channel_paused(lang=plan.language, plan=plan,
                                                            error=error))
            return
        if delivery.attempts >= MAX_ATTEMPTS:
            log.error("delivery %s failed %s times (%s): kept as failed", delivery.key,
                      delivery.attempts, error)
            deliveries.finish(db, delivery=delivery, status="failed", now=now, error=error)
            return
        # Exponential backoff with jitter, so many failures do not retry in one storm.
        delay = min(timedelta(seconds=30 * 2 ** delivery.attempts), timedelta(hours=1))
        delay *= 1 + random.random() / 4  # noqa: S311
        log.warning("delivery %s failed (%s); retrying in %s", delivery.key, error, delay)
        deliveries.finish(db, delivery=delivery, status="pending", now=now, error=error,
                          retry_at=now + delay)
