"""Every kind of delivery the outbox sends, and how."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.objectives import deliveries as objectives_deliveries
from bot.plans import deliveries as plans_deliveries
from bot.reviews import deliveries as reviews_deliveries
from bot.reviews.deliveries import _postponed, _review_reminder, _review_summary
from bot.scoring import deliveries as scoring_deliveries
from bot.scoring.deliveries import _end_round, _round_card
from bot.sessions.deliveries import _end_session, _recap, _session_card, _session_timer
from storage import scoring, sessions
from storage.models import Delivery, Plan

log = logging.getLogger("rumbo")


@dataclass(frozen=True)
class Kind:
    # The messages to post, drawn when sending; None when no longer relevant.
    draw: Callable[[Session, Plan, dict, datetime], list[dict] | None]
    scheduled: bool = False  # a nudge from the plan's settings, not a user's request
    grace: timedelta | None = None  # how late a nudge may still go out after downtime
    any_plan: bool = False  # sent even when the plan was archived meanwhile
    posted: Callable[[Session, dict, str], None] | None = None  # the first message's ts
    refused: Callable[[Session, dict, datetime], None] | None = None  # Slack said no
    posts: bool = True  # False: it only plans other deliveries (not counted as sent)
    keeps_ts: bool = False  # its first message's ts is kept: others reply in its thread


KINDS: dict[str, Kind] = {
    "review_ahead": Kind(_review_reminder, scheduled=True),
    "review_due": Kind(_review_reminder, scheduled=True),
    "review_overdue": Kind(_review_reminder, scheduled=True),
    "session_warning": Kind(_session_timer, scheduled=True, grace=timedelta(minutes=15)),
    "session_end": Kind(_session_timer, scheduled=True, grace=timedelta(minutes=30)),
    "summary": Kind(lambda db, plan, payload, now: reviews_deliveries.progress(db, plan=plan),
                    scheduled=True, grace=timedelta(days=2)),
    "session_card": Kind(_session_card, refused=_end_session,
                         posted=lambda db, p, ts: sessions.set_session_message(
                             db, session_id=p["session_id"], ts=ts)),
    "recap": Kind(_recap, any_plan=True),
    "round_card": Kind(_round_card, refused=_end_round,
                       posted=lambda db, p, ts: scoring.set_round_message(
                           db, round_id=p["round_id"], ts=ts)),
    "announcement": Kind(lambda db, plan, payload, now: [plans_deliveries.announcement(db,
                                                                                       plan=plan)]),
    "postponed": Kind(_postponed),
    "plan_post": Kind(lambda db, plan, payload, now: objectives_deliveries.plan_messages(
        db, plan=plan, today=now.date(), shared=True)),
    "priorities_post": Kind(lambda db, plan, payload, now: scoring_deliveries.priorities(
        db, plan=plan, shared=True)),
    "review_summary": Kind(_review_summary, any_plan=True, keeps_ts=True),
    "export": Kind(lambda db, plan, payload, now: []),  # an upload: see Dispatcher._upload
    # Owners' check-ins: the plan's (when its check-in day starts) asks each owner's at a
    # working hour of theirs (Dispatcher._ask_owners, _ask_owner); the thread where those
    # who cannot get a direct message are asked is posted once, by the first of them.
    "checkins": Kind(lambda db, plan, payload, now: [], scheduled=True, posts=False),
    "checkin": Kind(lambda db, plan, payload, now: []),
    "checkin_thread": Kind(lambda db, plan, payload, now: None),
    "deadline": Kind(lambda db, plan, payload, now: [], scheduled=True),  # _remind_owner
    "calendar": Kind(lambda db, plan, payload, now: []),  # an upload
    "chart": Kind(lambda db, plan, payload, now: [], any_plan=True),  # in the summary's thread
}


# The uploads (Dispatcher._upload): kind: its files' extensions.
UPLOADS = {"export": (".xlsx", ".md"), "calendar": (".ics",), "chart": (".png",)}


def _group(delivery: Delivery) -> str:
    """Nudges that say the same thing at different times: after downtime only the latest
    of a group goes out. A user's request is a group of its own."""
    if delivery.kind.startswith("review"):
        return delivery.key.split(":ahead")[0].split(":due")[0].split(":overdue")[0]
    if delivery.kind.startswith("session_") and KINDS[delivery.kind].scheduled:
        return delivery.key.rsplit(":", 1)[0]
    if delivery.kind == "summary":
        return f"summary:{delivery.plan_id}"
    return delivery.key
