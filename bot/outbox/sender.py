"""The outbox's sender, and each plan's scheduled nudges kept in the outbox.

What to send lives in the database (the `delivery` outbox, storage/outbox.py). It comes
from two places: the nudges a plan's settings schedule (review reminders, session timers,
progress summaries: `reschedule_plan`), and the posts users ask for (a session's card and
recap, a review's summary, the plan or the priority list posted to the channel, an export:
`request`, written in the same transaction as what asked for it).

The Dispatcher sends them: a user's request at once after the ack (`deliver`), and on each
scheduler tick everything due, including what a process that died was sending once its
lease runs out. Every message it posts carries its delivery's key and part in Slack's
message metadata; taking over a dead process's delivery first reads what the channel
already holds (conversations.history), so no part is ever posted twice.
"""

import json
import logging
import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.exports import views as exports_views
from bot.outbox.kinds import KINDS, UPLOADS, _group
from bot.outbox.schedule import Planned
from bot.platform.blocks import escape, notice
from bot.platform.i18n import gettext_for
from bot.platform.slack import (
    CHANNEL_ERRORS,
    DM_ERRORS,
    Clients,
    UserDirectory,
    channel_problem,
    clients_of,
    slack_error,
    tell_user,
)
from bot.reviews import chart as reviews_chart
from bot.reviews import views as reviews_views
from bot.reviews.deliveries import reschedule_plan
from bot.reviews.rules import checkin_moment
from storage import installations, objectives, outbox, plans, reviews
from storage.db import new_session
from storage.models import Delivery, Initiative, Plan

log = logging.getLogger("rumbo")


MAX_ATTEMPTS = 8


LEASE = timedelta(seconds=60)


BATCH = 500


MARK = "rumbo_delivery"  # the message metadata event type that names a delivery's part


class Dispatcher:
    def __init__(self, engine: Engine, client: WebClient | Clients, clock, *,
                 lease: timedelta = LEASE, batch: int = BATCH,
                 users: UserDirectory | None = None, cards=None,
                 retention: timedelta | None = None):
        self.engine, self.clients, self.clock = engine, clients_of(client), clock
        self.lease, self.batch, self.retention = lease, batch, retention
        self.users = users or UserDirectory()
        self.cards = cards  # redraws live cards a dead process left marked (cards.py)

    def run_once(self) -> int:
        """One pass: send what is due now. Returns how many deliveries were sent."""
        now = self.clock()
        sent = 0
        with new_session(self.engine) as db:
            groups: dict[str, list[Delivery]] = defaultdict(list)
            for delivery in outbox.due(db, now=now, limit=self.batch):
                groups[_group(delivery)].append(delivery)
            for members in groups.values():
                *older, latest = members
                for delivery in older:
                    if outbox.claim(db, delivery=delivery, now=now, lease=self.lease):
                        outbox.finish(db, delivery=delivery, status="skipped", now=now,
                                          error="collapsed into a later reminder")
                grace = KINDS[latest.kind].grace
                if grace is not None and now - latest.due_at > grace:
                    if outbox.claim(db, delivery=latest, now=now, lease=self.lease):
                        outbox.finish(db, delivery=latest, status="skipped", now=now,
                                          error="no longer relevant")
                        self._after(db, latest, now)
                    continue
                sent += self._claim_and_send(db, latest, now)
        if self.cards is not None:
            self.cards.redraw_stale()
        if self.retention is not None:
            self.purge_uninstalled(now)
        return sent

    def schedule_missing(self) -> int:
        """Active plans with no check-in scheduled (made before check-ins and deadline
        reminders existed, or whose reviews are over) are brought up to date: once, when a
        process starts. Scheduling is idempotent, so processes starting together agree."""
        now = self.clock()
        with new_session(self.engine) as db:
            scheduled = set(db.exec(select(Delivery.plan_id).where(
                col(Delivery.key).startswith("checkin:"), Delivery.status == "pending")))
            plans = [p for p in db.exec(select(Plan).where(Plan.status == "active"))
                     if p.id not in scheduled]
            for plan in plans:
                reschedule_plan(db, plan=plan, now=now)
            db.commit()
        return len(plans)

    def purge_uninstalled(self, now: datetime) -> list[str]:
        """Delete the data of workspaces that uninstalled Rumbo a retention period ago."""
        with new_session(self.engine) as db:
            gone = installations.to_purge(db, uninstalled_before=now - self.retention)
            for team_id in gone:
                log.info("purging workspace %s: uninstalled over %s days ago", team_id,
                         self.retention.days)
                installations.purge(db, team_id=team_id)
            db.commit()
        return gone

    def deliver(self, delivery_id: int) -> bool:
        """Send one delivery now (a user just asked for it). False when it is not pending:
        sent already, or another process is sending it."""
        if delivery_id is None:
            return False
        with new_session(self.engine) as db:
            delivery = db.get(Delivery, delivery_id)
            if delivery is None or delivery.status != "pending":
                return False
            return bool(self._claim_and_send(db, delivery, self.clock()))

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
        payload = {**json.loads(delivery.payload), "kind": delivery.kind}
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
        custom = {"export": self._upload, "calendar": self._upload, "chart": self._upload,
                  "checkins": self._ask_owners,
                  "checkin": self._ask_owner, "deadline": self._remind_owner}.get(delivery.kind)
        try:
            if custom is not None:
                done = custom(client, db, plan, delivery, payload, now, abandoned)
            else:
                done = self._post(client, db, plan, delivery, payload, now, abandoned)
        except SlackApiError as error:
            db.rollback()
            self._failed(client, db, plan, delivery, payload, now, slack_error(error), error)
            return 0
        except Exception as error:  # a dropped connection, a bug: retry later, loudly
            db.rollback()
            log.exception("delivery %s failed", delivery.key)
            self._failed(client, db, plan, delivery, payload, now, type(error).__name__, None)
            return 0
        if not done:
            outbox.finish(db, delivery=delivery, status="skipped", now=now,
                              error="no longer relevant")
            return 0
        outbox.finish(db, delivery=delivery, status="sent", now=now)
        self._after(db, delivery, now)
        return 1 if kind.posts else 0

    def _post(self, client, db, plan, delivery, payload, now, abandoned) -> bool:
        kind = KINDS[delivery.kind]
        messages = kind.draw(db, plan, payload, now)
        if messages is None:
            return False
        done = delivery.parts_done
        if abandoned is not None:
            found = self._posted_parts(client, plan, delivery, since=abandoned)
            if 0 in found and kind.posted:
                kind.posted(db, payload, found[0])
            if 0 in found and kind.keeps_ts:
                outbox.remember(db, delivery=delivery, ts=found[0])
            done = max([done] + [part + 1 for part in found])
            outbox.progress(db, delivery=delivery, parts_done=done, now=now,
                                lease=self.lease)
        for part, message in enumerate(messages):
            if part < done:
                continue
            posted = client.chat_postMessage(
                channel=plan.channel_id, **message,
                metadata={"event_type": MARK,
                          "event_payload": {"key": delivery.key, "part": part}})
            if part == 0 and kind.posted:
                kind.posted(db, payload, posted["ts"])
            if part == 0 and kind.keeps_ts:
                outbox.remember(db, delivery=delivery, ts=posted["ts"])
            outbox.progress(db, delivery=delivery, parts_done=part + 1, now=self.clock(),
                                lease=self.lease)
        return True

    def _posted_parts(self, client, plan: Plan, delivery: Delivery, *, since: datetime,
                      channel: str | None = None, thread_ts: str | None = None) -> dict:
        """{part: ts} of this delivery's messages the channel (or thread) already holds."""
        found = {}
        for message in self._history(client, channel or plan.channel_id, since, thread_ts):
            meta = message.get("metadata") or {}
            mark = meta.get("event_payload") or {}
            if meta.get("event_type") == MARK and mark.get("key") == delivery.key:
                found[int(mark.get("part", 0))] = message["ts"]
        return found

    def _history(self, client, channel: str, since: datetime,
                 thread_ts: str | None = None) -> list[dict]:
        """A channel's (or a thread's) messages since a moment (a little before it, clocks
        differ); a person's id stands for the direct messages with them."""
        messages, cursor = [], None
        oldest = f"{(since - timedelta(seconds=30)).timestamp():.6f}"
        try:
            if channel.startswith(("U", "W")):
                channel = client.conversations_open(users=channel)["channel"]["id"]
            for _page in range(10):
                if thread_ts:
                    page = client.conversations_replies(
                        channel=channel, ts=thread_ts, oldest=oldest,
                        include_all_metadata=True, limit=200, cursor=cursor)
                else:
                    page = client.conversations_history(
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

    def _post_once(self, client, plan: Plan, delivery: Delivery, abandoned, *, channel: str,
                   message: dict, thread_ts: str | None = None) -> None:
        """Post one message (a direct message, a thread reply) marked with its delivery;
        taken over from a process that died, only if Slack does not hold it already."""
        if abandoned is not None and self._posted_parts(
                client, plan, delivery, since=abandoned, channel=channel, thread_ts=thread_ts):
            return
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message,
                                metadata={"event_type": MARK,
                                          "event_payload": {"key": delivery.key, "part": 0}})

    def _upload(self, client, db, plan, delivery, payload, now, abandoned) -> bool:
        """Files uploaded to the plan's channel (the template, the calendar; the progress
        picture in its summary's thread), drawn by the kind's `_files_*`; a private copy
        of the template goes to the direct messages of whoever asked."""
        base = payload["base"]
        channel = client.conversations_open(users=payload["user_id"])["channel"]["id"] \
            if payload.get("private") else plan.channel_id
        filenames = {base + ext for ext in UPLOADS[delivery.kind]}
        if abandoned is not None and any(
                filenames & {f.get("name") for f in message.get("files") or []}
                for message in self._history(client, channel, abandoned)):
            return True  # the dead process got it there
        drawn = getattr(self, f"_files_{delivery.kind}")(client, db, plan, payload, now)
        if drawn is None:
            return False
        comment, files, thread_ts = drawn
        client.files_upload_v2(channel=channel, initial_comment=comment,
                               file_uploads=files,
                               **({"thread_ts": thread_ts} if thread_ts else {}))
        return True

    def _files_export(self, client, db, plan, payload, now):
        """The filled-in template: XLSX and Markdown, told apart by their titles; a private
        copy in its reader's language, the channel's in the plan's."""
        # Imported here: openpyxl brings numpy and Pillow along where they are installed
        # (matplotlib needs them); only a process that exports pays for them.
        from bot.exports import document as exports_document
        from storage import exports

        base, private = payload["base"], payload.get("private", False)
        people = exports.people_in(db, plan=plan)
        names = {user_id: self.users.name(client, user_id) for user_id in people}
        document = exports.collect(db, plan=plan, names=names,
                                  lang=payload.get("lang") if private else None,
                                  per_person=payload.get("per_person", False))
        xlsx_title, markdown_title = exports_document.titles(document)
        return exports_views.upload_comment(lang=document.lang, plan=plan, private=private,
                                      per_person=document.per_person), [
            {"content": exports_document.to_xlsx(document), "filename": f"{base}.xlsx",
             "title": xlsx_title},
            {"content": exports_document.to_markdown(document).encode(), "filename": f"{base}.md",
             "title": markdown_title}], None

    def _files_chart(self, client, db, plan, payload, now):
        """The progress picture, in the review summary's thread; drawn in a child process."""
        summary = outbox.by_key(db, plan=plan, key=f"review:{payload['review_id']}")
        if summary is None or summary.status in ("failed", "skipped"):
            return None
        thread_ts = json.loads(summary.payload).get("ts")
        if not thread_ts:
            raise RuntimeError("the review summary is not posted yet")  # retried later
        data = reviews_chart.chart_data(lang=plan.language, plan=plan,
                                categories=plans.categories(db, plan=plan),
                                objectives=objectives.objectives(db, plan=plan),
                                history=reviews.measure_history(db, plan=plan))
        if data is None:
            return None  # no measure to follow yet
        _ = gettext_for(plan.language)
        return _("Each objective's measure from its baseline through every review towards its "
                 "target."), [{"content": reviews_chart.render_png(data),
                               "filename": f"{payload['base']}.png",
                               "title": data["title"]}], thread_ts

    def _files_calendar(self, client, db, plan, payload, now):
        """The coming reviews (and a running session) as an iCalendar file."""
        # Imported here, like the export: only a process that makes one pays for it.
        from bot.reviews import calendar as reviews_calendar

        _ = gettext_for(plan.language)
        return _("The review dates of *{account}*, for your calendar. Import it again after "
                 "a postponement: the events move.").format(
            account=escape(plan.account_name)), [
            {"content": reviews_calendar.plan_calendar(db, plan=plan, now=now),
             "filename": f"{payload['base']}.ics",
             "title": _("Reviews: {account}").format(account=plan.account_name)}], None

    def _ask_owners(self, client, db, plan, delivery, payload, now, abandoned) -> bool:
        """The check-in day has begun somewhere: plan each owner's ask at the first working
        hour of that day in their own Slack timezone (or the next one from now)."""
        due, day = date.fromisoformat(payload["due"]), date.fromisoformat(payload["day"])
        if plan.next_review_on != due or reviews.held(db, plan=plan, due=due):
            return False
        _checked, missing = reviews.who_checked_in(db, plan=plan)
        planned = []
        for owner in missing:
            _lang, timezone = self.users.profile(client, owner)
            planned.append(Planned(f"checkin:{plan.id}:{due.isoformat()}:ask:{owner}", "checkin",
                                   checkin_moment(day, timezone, now=now),
                                   {"due": due.isoformat(), "owner": owner}))
        outbox.schedule(db, plan=plan, planned=planned)
        db.commit()
        return True

    def _ask_owner(self, client, db, plan, delivery, payload, now, abandoned) -> bool:
        """One owner's check-in ask (or a facilitator's nudge), in their language: a direct
        message, or in the channel's check-in thread when they cannot get one."""
        due, owner = date.fromisoformat(payload["due"]), payload["owner"]
        if plan.next_review_on != due or reviews.held(db, plan=plan, due=due):
            return False
        items = reviews.owned_items(db, plan=plan).get(owner, [])
        done = set(reviews.open_checkins(db, plan=plan))
        if all((entity, item.id) in done for entity, item in items):
            return False  # checked in meanwhile, or owns nothing under way any more
        ask = {"plan": plan, "due": due, "items": items, "done": done,
               "nudge": bool(payload.get("nudge"))}
        if self.users.can_message(client, owner, plan.team_id):
            lang, _timezone = self.users.profile(client, owner)
            try:
                self._post_once(client, plan, delivery, abandoned, channel=owner,
                                message=reviews_views.ask(lang=lang, **ask))
                return True
            except SlackApiError as error:
                if slack_error(error) not in DM_ERRORS:
                    raise
                log.info("cannot message %s directly (%s): asking in the channel's thread",
                         owner, slack_error(error))
        self._post_once(client, plan, delivery, abandoned, channel=plan.channel_id,
                        thread_ts=self._checkin_thread(client, db, plan, due, now),
                        message=reviews_views.ask(lang=plan.language, user_id=owner, **ask))
        return True

    def _remind_owner(self, client, db, plan, delivery, payload, now, abandoned) -> bool:
        """An initiative's due date is near: its owner hears it, directly when possible,
        else with a mention in the account channel."""
        item = db.get(Initiative, payload["initiative_id"])
        if (item is None or item.plan_id != plan.id or not item.owner_id
                or str(item.due_date) != payload["due"] or item.status in ("done", "abandoned")):
            return False
        if self.users.can_message(client, item.owner_id, plan.team_id):
            lang, _timezone = self.users.profile(client, item.owner_id)
            try:
                self._post_once(client, plan, delivery, abandoned, channel=item.owner_id,
                                message=reviews_views.deadline_reminder(lang=lang, plan=plan,
                                                                 initiative=item))
                return True
            except SlackApiError as error:
                if slack_error(error) not in DM_ERRORS:
                    raise
        self._post_once(client, plan, delivery, abandoned, channel=plan.channel_id,
                        message=reviews_views.deadline_reminder(lang=plan.language, plan=plan,
                                                         initiative=item, mention_owner=True))
        return True

    def _checkin_thread(self, client, db, plan, due: date, now: datetime) -> str:
        """The ts of the channel's check-in thread for the review on `due`, posted by the
        first ask that needs it (claimed like any delivery: posted once)."""
        key = f"checkin:{plan.id}:{due.isoformat()}:thread"
        outbox.add(db, plan=plan, kind="checkin_thread", key=key, now=now)
        db.commit()
        parent = outbox.by_key(db, plan=plan, key=key)
        if json.loads(parent.payload).get("ts"):
            return json.loads(parent.payload)["ts"]
        if not outbox.claim(db, delivery=parent, now=now, lease=self.lease):
            raise RuntimeError("another process is posting the check-in thread")  # retried
        posted = client.chat_postMessage(
            channel=plan.channel_id, **reviews_views.thread_parent(
                lang=plan.language, plan=plan, due=due),
            metadata={"event_type": MARK, "event_payload": {"key": key, "part": 0}})
        outbox.remember(db, delivery=parent, ts=posted["ts"])
        outbox.finish(db, delivery=parent, status="sent", now=now)
        return posted["ts"]

    def _after(self, db, delivery: Delivery, now: datetime) -> None:
        """A periodic summary, sent or skipped, makes room for the next one."""
        plan = db.get(Plan, delivery.plan_id)
        if delivery.kind == "summary" and plan is not None:
            reschedule_plan(db, plan=plan, now=now)
            db.commit()

    def _failed(self, client, db, plan: Plan, delivery: Delivery, payload: dict,
                now: datetime, error: str, slack: SlackApiError | None) -> None:
        kind = KINDS[delivery.kind]
        if error in CHANNEL_ERRORS and kind.scheduled:
            outbox.finish(db, delivery=delivery, status="paused", now=now, error=error)
            if outbox.pause_plan(db, plan=plan, now=now, reason=error):
                for user_id in plans.facilitators_of(db, plan=plan):
                    tell_user(client, channel_id=None, user_id=user_id,
                              message=reviews_views.channel_paused(lang=plan.language, plan=plan,
                                                            error=error))
            return
        if error in CHANNEL_ERRORS or (slack is not None and delivery.kind in UPLOADS):
            # A request Slack will not take as it is: tell whoever asked, do not insist.
            if kind.refused:
                kind.refused(db, payload, now)
                db.commit()
            outbox.finish(db, delivery=delivery, status="failed", now=now, error=error)
            self._tell_requester(client, plan, payload, error, slack)
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

    def _tell_requester(self, client, plan: Plan, payload: dict, error: str, slack) -> None:
        user_id = payload.get("user_id")
        if not user_id:
            return
        _ = gettext_for(plan.language)
        if payload["kind"] == "export":
            text = _("Slack did not take the export ({error}). Nothing in the plan changed: try "
                     "`/plan export` again in a moment.").format(error=error)
            if error in CHANNEL_ERRORS:
                text += "\n" + channel_problem(slack, plan.language)
        else:
            text = channel_problem(slack, plan.language)
        if payload["kind"] == "announcement":
            text = _("The plan *{account}* is saved.").format(
                account=escape(plan.account_name)) + " " + text
        tell_user(client, channel_id=plan.channel_id, user_id=user_id,
                  message=notice(text))
