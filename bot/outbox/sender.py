"""The outbox's sender: claims a delivery, sends it as its kind says, and records how it went.

What to send lives in the database (the `delivery` outbox, storage/outbox.py): the nudges a
plan's settings schedule, and the posts users ask for (bot/outbox/schedule.py), each
written in the same transaction as what asked for it. The sender sends a user's request at
once after the ack (`deliver`), and on each tick everything due (`run_once`), including what
a process that died was sending once its lease runs out.

Every message it posts carries its delivery's key and part in Slack's message metadata, and
every part is recorded once posted; taking over a dead process's delivery first reads what
Slack already holds (the channel's history, a thread, the direct messages with someone), so
no part is ever posted twice. The sender owns the commits: a kind's functions read and
write in the sender's transaction, and the sender commits each step of a delivery.
"""

import json
import logging
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.outbox import views
from bot.outbox.kinds import Kind, Upload
from bot.outbox.registry import KINDS
from bot.platform.blocks import notice
from bot.platform.slack import (
    CHANNEL_ERRORS,
    Clients,
    UserDirectory,
    channel_problem,
    clients_of,
    slack_error,
    tell_user,
)
from storage import outbox, plans
from storage.db import new_session
from storage.models import Delivery, Plan

if TYPE_CHECKING:
    from bot.outbox.cards import Cards

log = logging.getLogger("rumbo")
MAX_ATTEMPTS = 8
BATCH = 500
MARK = "rumbo_delivery"  # the message metadata event type that names a delivery's part


@dataclass
class Sending:
    """One delivery on its way: what its kind's functions read (the plan, the payload, the
    moment, Slack's client and directory) and how they post."""

    sender: "Sender"
    db: Session
    client: WebClient
    plan: Plan
    delivery: Delivery
    kind: Kind
    payload: dict
    now: datetime
    abandoned: datetime | None  # the claim of a process that died sending it

    @property
    def users(self) -> UserDirectory:
        return self.sender.users

    def schedule(self, planned) -> None:
        """More deliveries, committed with this one's outcome."""
        outbox.schedule(self.db, plan=self.plan, planned=planned)

    def post_once(self, *, channel: str, message: dict, thread_ts: str | None = None) -> None:
        """Post one message (a direct message, a thread reply) marked with this delivery;
        taken over from a process that died, only if Slack does not hold it already."""
        if self.abandoned is not None and self.posted_parts(self.abandoned, channel=channel,
                                                            thread_ts=thread_ts):
            return
        self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message,
                                     metadata=_mark(self.delivery.key, 0))

    def thread(self, kind: Kind, key: str, message: dict) -> str:
        """The ts of a thread's parent message in the plan's channel, posted once whoever
        asks first: a delivery of its own (`key`), claimed like any other."""
        outbox.add(self.db, plan=self.plan, kind=kind.name, key=key, now=self.now)
        self.db.commit()
        parent = outbox.by_key(self.db, plan=self.plan, key=key)
        if parent is None:
            raise RuntimeError(f"{key} is not in the outbox")  # it was just put there
        if json.loads(parent.payload).get("ts"):
            return json.loads(parent.payload)["ts"]
        if not outbox.claim(self.db, delivery=parent, now=self.now, lease=self.sender.lease):
            raise RuntimeError(f"another process is posting {key}")  # retried later
        posted = self.client.chat_postMessage(channel=self.plan.channel_id, **message,
                                              metadata=_mark(key, 0))
        outbox.remember(self.db, delivery=parent, ts=posted["ts"])
        outbox.finish(self.db, delivery=parent, status="sent", now=self.now)
        return posted["ts"]

    def posted_parts(self, since: datetime, *, channel: str | None = None,
                     thread_ts: str | None = None) -> dict[int, str]:
        """{part: ts} of this delivery's messages that the channel (or thread, or the direct
        messages with a person) holds since a dead process's claim."""
        found = {}
        for message in self.history(channel or self.plan.channel_id, since, thread_ts):
            meta = message.get("metadata") or {}
            mark = meta.get("event_payload") or {}
            if meta.get("event_type") == MARK and mark.get("key") == self.delivery.key:
                found[int(mark.get("part", 0))] = message["ts"]
        return found

    def history(self, channel: str, since: datetime, thread_ts: str | None = None
                ) -> list[dict]:
        """A channel's (or a thread's) messages since a moment (a little before it: clocks
        differ); a person's id stands for the direct messages with them."""
        messages: list[dict] = []
        cursor = None
        oldest = f"{(since - timedelta(seconds=30)).timestamp():.6f}"
        try:
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            for _page in range(10):
                if thread_ts:
                    page = self.client.conversations_replies(
                        channel=channel, ts=thread_ts, oldest=oldest,
                        include_all_metadata=True, limit=200, cursor=cursor)
                else:
                    page = self.client.conversations_history(
                        channel=channel, oldest=oldest, include_all_metadata=True,
                        limit=200, cursor=cursor)
                messages += page.get("messages") or []
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as error:
            if slack_error(error) not in ("missing_scope", "not_allowed_token_type"):
                raise
            # An install from before the history scopes: a repeat is possible, a loss not.
            log.warning("cannot read %s's history (%s): the delivery may repeat",
                        channel, slack_error(error))
        return messages


def _mark(key: str, part: int) -> dict:
    return {"event_type": MARK, "event_payload": {"key": key, "part": part}}


class Sender:
    def __init__(self, engine: Engine, client: WebClient | Clients, clock, *,
                 lease: timedelta = outbox.LEASE, batch: int = BATCH,
                 users: UserDirectory | None = None, cards: "Cards | None" = None):
        self.engine, self.clients, self.clock = engine, clients_of(client), clock
        self.lease, self.batch = lease, batch
        self.users = users or UserDirectory()
        self.cards = cards  # bot/outbox/cards.py: redraws what a dead process left marked

    def run_once(self) -> int:
        """One pass: send what is due now, and redraw the cards left stale. Returns how many
        deliveries were sent."""
        now = self.clock()
        sent = 0
        with new_session(self.engine) as db:
            groups: dict[str, list[Delivery]] = defaultdict(list)
            for delivery in outbox.due(db, now=now, limit=self.batch):
                groups[KINDS[delivery.kind].group(delivery)].append(delivery)
            for members in groups.values():
                *older, latest = members
                for delivery in older:
                    self._skip(db, delivery, now, "collapsed into a later reminder")
                grace = KINDS[latest.kind].grace
                if grace is not None and now - latest.due_at > grace:
                    if self._skip(db, latest, now, "no longer relevant"):
                        self._after(db, latest, now)  # a summary makes room for the next
                    continue
                sent += self._claim_and_send(db, latest, now)
        if self.cards is not None:
            self.cards.redraw_stale()
        return sent

    def deliver(self, delivery_id: int | None) -> bool:
        """Send one delivery now (a user just asked for it). False when it is not pending:
        sent already, or another process is sending it."""
        if delivery_id is None:
            return False
        with new_session(self.engine) as db:
            delivery = db.get(Delivery, delivery_id)
            if delivery is None or delivery.status != "pending":
                return False
            return bool(self._claim_and_send(db, delivery, self.clock()))

    def _skip(self, db: Session, delivery: Delivery, now: datetime, why: str) -> bool:
        if not outbox.claim(db, delivery=delivery, now=now, lease=self.lease):
            return False
        outbox.finish(db, delivery=delivery, status="skipped", now=now, error=why)
        return True

    def _claim_and_send(self, db: Session, delivery: Delivery, now: datetime) -> int:
        abandoned = delivery.claimed_at if delivery.status == "sending" else None
        if not outbox.claim(db, delivery=delivery, now=now, lease=self.lease):
            return 0
        if abandoned is not None:
            log.warning("taking over delivery %s, abandoned by a process since %s",
                        delivery.key, abandoned.isoformat())
        return self._send(db, delivery, now, abandoned=abandoned)

    def _send(self, db: Session, delivery: Delivery, now: datetime, *,
              abandoned: datetime | None) -> int:
        kind = KINDS[delivery.kind]
        payload = json.loads(delivery.payload)
        plan = db.get(Plan, delivery.plan_id)
        if plan is None or (plan.status != "active" and not kind.any_plan):
            outbox.finish(db, delivery=delivery, status="skipped", now=now,
                          error="plan archived")
            return 0
        if kind.scheduled and plan.nudges_paused_at is not None:
            outbox.finish(db, delivery=delivery, status="paused", now=now,
                          error="channel unavailable")
            return 0
        client = self.clients(plan.team_id)
        if client is None:  # waits for a reinstall (storage/installations.py)
            outbox.finish(db, delivery=delivery, status="paused", now=now,
                          error=outbox.NOT_INSTALLED)
            return 0
        sending = Sending(self, db, client, plan, delivery, kind, payload, now, abandoned)
        try:
            if kind.send is not None:
                done = kind.send(sending)
            elif kind.upload is not None:
                done = self._upload(sending, kind.upload)
            elif kind.draw is not None:
                done = self._post(sending, kind.draw)
            else:
                raise ValueError(f"the {kind.name} delivery has no way of being sent")
        except SlackApiError as error:
            db.rollback()
            self._failed(sending, slack_error(error), error)
            return 0
        except Exception as error:  # a dropped connection, a bug: retry later, loudly
            db.rollback()
            log.exception("delivery %s failed", delivery.key)
            self._failed(sending, type(error).__name__, None)
            return 0
        if not done:
            outbox.finish(db, delivery=delivery, status="skipped", now=now,
                          error="no longer relevant")
            return 0
        outbox.finish(db, delivery=delivery, status="sent", now=now)
        self._after(db, delivery, now)
        return 1 if kind.counted else 0

    def _post(self, sending: Sending, draw: Callable[[Sending], list[dict] | None]) -> bool:
        """The kind's messages in the plan's channel, part by part, each recorded once
        posted; taken over, only the parts Slack does not hold yet."""
        db, delivery = sending.db, sending.delivery
        messages = draw(sending)
        if messages is None:
            return False
        done = delivery.parts_done
        if sending.abandoned is not None:
            found = sending.posted_parts(sending.abandoned)
            if 0 in found:
                self._first_posted(sending, found[0])
            done = max([done] + [part + 1 for part in found])
            outbox.progress(db, delivery=delivery, parts_done=done, now=sending.now,
                            lease=self.lease)
        for part, message in enumerate(messages):
            if part < done:
                continue
            posted = sending.client.chat_postMessage(
                channel=sending.plan.channel_id, **message, metadata=_mark(delivery.key, part))
            if part == 0:
                self._first_posted(sending, posted["ts"])
            outbox.progress(db, delivery=delivery, parts_done=part + 1, now=self.clock(),
                            lease=self.lease)
        return True

    def _first_posted(self, sending: Sending, ts: str) -> None:
        if sending.kind.posted:
            sending.kind.posted(sending.db, sending.payload, ts)
        if sending.kind.keeps_ts:
            outbox.remember(sending.db, delivery=sending.delivery, ts=ts)

    def _upload(self, sending: Sending, files: Callable[[Sending], Upload | None]) -> bool:
        """The kind's files, uploaded to the plan's channel (or a thread of it), or to the
        direct messages of whoever asked for a private copy; taken over, not again if the
        files are there already."""
        payload, client = sending.payload, sending.client
        channel = client.conversations_open(users=payload["user_id"])["channel"]["id"] \
            if payload.get("private") else sending.plan.channel_id
        names = {payload["base"] + extension for extension in sending.kind.extensions}
        if sending.abandoned is not None and any(
                names & {f.get("name") for f in message.get("files") or []}
                for message in sending.history(channel, sending.abandoned)):
            return True  # the dead process got it there
        upload = files(sending)
        if upload is None:
            return False
        client.files_upload_v2(channel=channel, initial_comment=upload.comment,
                               file_uploads=upload.files, thread_ts=upload.thread_ts)
        return True

    def _after(self, db: Session, delivery: Delivery, now: datetime) -> None:
        after = KINDS[delivery.kind].after
        plan = db.get(Plan, delivery.plan_id)
        if after is not None and plan is not None:
            after(db, plan, now)
            db.commit()

    def _failed(self, sending: Sending, error: str, slack: SlackApiError | None) -> None:
        kind, db, plan, delivery = sending.kind, sending.db, sending.plan, sending.delivery
        now = sending.now
        if error in CHANNEL_ERRORS and kind.scheduled:
            outbox.finish(db, delivery=delivery, status="paused", now=now, error=error)
            if outbox.pause_plan(db, plan=plan, now=now, reason=error):
                for user_id in plans.facilitators_of(db, plan=plan):
                    tell_user(sending.client, channel_id=None, user_id=user_id,
                              message=views.channel_paused(lang=plan.language, plan=plan,
                                                           error=error))
            return
        if error in CHANNEL_ERRORS or (slack is not None and kind.upload is not None):
            # A request Slack will not take as it is: tell whoever asked, do not insist.
            if kind.refused:
                kind.refused(db, sending.payload, now)
                db.commit()
            outbox.finish(db, delivery=delivery, status="failed", now=now, error=error)
            self._tell_requester(sending, error, slack)
            return
        if delivery.attempts >= MAX_ATTEMPTS:
            log.error("delivery %s failed %s times (%s): kept as failed", delivery.key,
                      delivery.attempts, error)
            outbox.finish(db, delivery=delivery, status="failed", now=now, error=error)
            return
        # Exponential backoff with jitter, so many failures do not retry in one storm.
        delay = min(timedelta(seconds=30 * 2 ** delivery.attempts), timedelta(hours=1))
        delay *= 1 + random.random() / 4  # noqa: S311
        log.warning("delivery %s failed (%s); retrying in %s", delivery.key, error, delay)
        outbox.finish(db, delivery=delivery, status="pending", now=now, error=error,
                      retry_at=now + delay)

    def _tell_requester(self, sending: Sending, error: str, slack: SlackApiError | None
                        ) -> None:
        user_id = sending.payload.get("user_id")
        if not user_id:
            return
        plan = sending.plan
        text = sending.kind.told(plan, error, slack) if sending.kind.told else \
            channel_problem(slack, plan.language)
        tell_user(sending.client, channel_id=plan.channel_id, user_id=user_id,
                  message=notice(text))
