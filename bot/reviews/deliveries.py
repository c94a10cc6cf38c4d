"""What reviews post through the outbox and when: the plan's reminders, owners' check-ins,
deadline reminders and progress summaries, kept in line with its settings; the review's
summary, its progress picture, a postponement's note and the calendar file."""

import json
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.outbox.kinds import Kind, Upload
from bot.outbox.schedule import Planned
from bot.platform.blocks import escape, local_date, mention, notice
from bot.platform.i18n import gettext_for
from bot.platform.slack import DM_ERRORS, slack_error
from bot.reviews import views
from bot.reviews.rules import (
    DEADLINE_AHEAD,
    checkins_start,
    deadline_reminders,
    next_on_cadence,
    next_summary,
    owner_moment,
    review_dates,
    review_reminders,
)
from storage import objectives, outbox, plans, reviews
from storage.db import new_session
from storage.models import Delivery, Initiative, Plan, Review

if TYPE_CHECKING:
    from bot.outbox.sender import Sending

log = logging.getLogger("rumbo")


# --- what is due when -------------------------------------------------------------------------

def reschedule_plan(db: Session, *, plan: Plan, now: datetime) -> None:
    """Bring the plan's review reminders and next summary in line with its settings, in
    the caller's transaction: when a plan is created, its settings change, a review is
    held or postponed."""
    if plan.status != "active":
        for prefix in ("review", "summary", "checkin", "deadline"):
            outbox.cancel(db, plan=plan, key_prefix=f"{prefix}:{plan.id}:", reason="archived")
        return
    if plan.next_review_on is None:
        plans.follow_cadence(db, plan=plan, day=next_on_cadence(plan, now=now))
    planned = review_reminders(plan, plan.next_review_on) if plan.next_review_on else []
    outbox.cancel(db, plan=plan, key_prefix=f"review:{plan.id}:", reason="rescheduled",
                  keep=[p.key for p in planned])
    # A reminder "ahead" already past when it is planned (a review set a few days off) is
    # not added; one planned before and still waiting stays.
    planned = [p for p in planned if p.kind != "review_ahead" or p.due_at > now]
    # The owners' check-ins before the next review (if the plan has one); others go.
    checkins_of = checkins_start(plan, plan.next_review_on) if plan.next_review_on else None
    outbox.cancel(db, plan=plan, key_prefix=f"checkin:{plan.id}:", reason="rescheduled",
                  keep_prefix=checkins_of.key if checkins_of else None)
    planned += [checkins_of] if checkins_of else []
    deadlines = deadline_reminders(plan, objectives.initiatives(db, plan=plan), now=now)
    outbox.cancel(db, plan=plan, key_prefix=f"deadline:{plan.id}:", reason="rescheduled",
                  keep=[key for p in deadlines for key in (p.key, _owner_key(p.key))])
    planned += deadlines
    summary = next_summary(plan, after=now)
    outbox.cancel(db, plan=plan, key_prefix=f"summary:{plan.id}:", reason="rescheduled",
                  keep=[summary.key] if summary else [])
    outbox.schedule(db, plan=plan, planned=planned + ([summary] if summary else []))
    db.flush()


def review_held(db: Session, *, plan: Plan, due: date | None, now: datetime) -> None:
    """The review is done: its remaining reminders go, the next one follows the cadence."""
    today = local_date(now, plan.timezone)
    plans.follow_cadence(db, plan=plan, day=review_dates(plan, after=max(due or today, today)))
    reschedule_plan(db, plan=plan, now=now)


def schedule_missing(engine, now: datetime) -> int:
    """Active plans with no check-in scheduled (made before check-ins and deadline reminders
    existed, or whose reviews are over) are brought up to date: once, when a process starts.
    Scheduling is idempotent, so processes starting together agree."""
    with new_session(engine) as db:
        missing = outbox.plans_without(db, key_prefix="checkin:")
        for plan in missing:
            reschedule_plan(db, plan=plan, now=now)
        db.commit()
    return len(missing)


# --- what is shown ----------------------------------------------------------------------------

def progress(db: Session, *, plan: Plan, title=None, changes=None) -> list[dict]:
    return views.progress_messages(
        lang=plan.language, plan=plan, categories=plans.categories(db, plan=plan),
        objectives=objectives.objectives(db, plan=plan),
        initiatives=objectives.initiatives(db, plan=plan),
        values=reviews.measured_values(db, plan=plan), title=title, changes=changes)


def review_changes(db: Session, *, plan: Plan, just_closed: Review | None = None) -> list[str]:
    """What changed since the review before; with `just_closed`, including what that
    review itself changed, abandoned items with the reason noted there."""
    closed = [r for r in reviews.closed_reviews(db, plan=plan)
              if just_closed is None or r.id != just_closed.id]
    since = closed[0].closed_at if closed else None
    reasons = {key: item.note for key, item in reviews.items_of(
        db, review=just_closed).items() if item.note} if just_closed else {}
    return views.change_lines(lang=plan.language,
                              changes=reviews.changes_since(db, plan=plan, since=since),
                              objectives=objectives.objectives(db, plan=plan),
                              initiatives=objectives.initiatives(db, plan=plan),
                              reasons=reasons, values=reviews.measured_values(db, plan=plan))


def review_summary(db: Session, *, plan: Plan, closed: Review) -> list[dict]:
    _ = gettext_for(plan.language)
    lines = views.review_summary_lines(lang=plan.language, review=closed, due=closed.due_on)
    return progress(db, plan=plan, title=_("Review: {account}").format(
        account=plan.account_name), changes=lines + review_changes(db, plan=plan,
                                                                   just_closed=closed))


# --- the kinds --------------------------------------------------------------------------------

def _reminder(sending: "Sending") -> list[dict] | None:
    plan, due = sending.plan, date.fromisoformat(sending.payload["due"])
    if plan.next_review_on != due:
        return None  # held or postponed meanwhile
    return [views.review_reminder(lang=plan.language, plan=plan, kind=sending.delivery.kind,
                                  due=due, days=sending.payload.get("days"),
                                  overdue_days=(local_date(sending.now, plan.timezone)
                                                - due).days)]


def _reminder_group(delivery: Delivery) -> str:
    """A review's reminders ahead, at it and overdue say the same thing at different times."""
    return delivery.key.split(":ahead")[0].split(":due")[0].split(":overdue")[0]


def _summary_posted(sending: "Sending") -> list[dict] | None:
    review = sending.db.get(Review, sending.payload["review_id"])
    return review_summary(sending.db, plan=sending.plan, closed=review) if review else None


def _postponed(sending: "Sending") -> list[dict]:
    plan, payload = sending.plan, sending.payload
    _ = gettext_for(plan.language)
    day = date.fromisoformat(payload["day"])
    return [notice(_("{who} moved the review of *{account}* to {date}; the reminders follow.")
                   .format(who=mention(payload["user_id"]), account=escape(plan.account_name),
                           date=views.review_when(plan, plan.language, day)))]


def _picture(sending: "Sending") -> Upload | None:
    """The progress picture, in the review summary's thread; drawn in a child process."""
    from bot.reviews import chart

    db, plan, payload = sending.db, sending.plan, sending.payload
    summary = outbox.by_key(db, plan=plan, key=f"review:{payload['review_id']}")
    if summary is None or summary.status in ("failed", "skipped"):
        return None
    thread_ts = json.loads(summary.payload).get("ts")
    if not thread_ts:
        raise RuntimeError("the review summary is not posted yet")  # retried later
    data = chart.chart_data(lang=plan.language, plan=plan,
                            categories=plans.categories(db, plan=plan),
                            objectives=objectives.objectives(db, plan=plan),
                            history=reviews.measure_history(db, plan=plan))
    if data is None:
        return None  # no measure to follow yet
    _ = gettext_for(plan.language)
    return Upload(_("Each objective's measure from its baseline through every review towards "
                    "its target."), [{"content": chart.render_png(data),
                                      "filename": f"{payload['base']}.png",
                                      "title": data["title"]}], thread_ts)


def _calendar(sending: "Sending") -> Upload:
    """The coming reviews (and a running session) as an iCalendar file."""
    # Imported here, like the export: only a process that makes one pays for it.
    from bot.reviews import calendar

    plan = sending.plan
    _ = gettext_for(plan.language)
    return Upload(_("The review dates of *{account}*, for your calendar. Import it again after "
                    "a postponement: the events move.").format(
                        account=escape(plan.account_name)), [
        {"content": calendar.plan_calendar(sending.db, plan=plan, now=sending.now),
         "filename": f"{sending.payload['base']}.ics",
         "title": _("Reviews: {account}").format(account=plan.account_name)}])


def _ask_owners(sending: "Sending") -> bool:
    """The check-in day has begun somewhere: plan each owner's ask at the first working
    hour of that day in their own Slack timezone (or the next one from now)."""
    db, plan, payload = sending.db, sending.plan, sending.payload
    due, day = date.fromisoformat(payload["due"]), date.fromisoformat(payload["day"])
    if plan.next_review_on != due or reviews.held(db, plan=plan, due=due):
        return False
    _checked, missing = reviews.who_checked_in(db, plan=plan)
    planned = []
    for owner in missing:
        _lang, timezone = sending.users.profile(sending.client, owner)
        planned.append(Planned(f"checkin:{plan.id}:{due.isoformat()}:ask:{owner}",
                               CHECKIN.name, owner_moment(day, timezone, now=sending.now),
                               {"due": due.isoformat(), "owner": owner}))
    sending.schedule(planned)
    return True


def _ask_owner(sending: "Sending") -> bool:
    """One owner's check-in ask (or a facilitator's nudge), in their language: a direct
    message, or in the channel's check-in thread when they cannot get one."""
    db, plan, payload = sending.db, sending.plan, sending.payload
    due, owner = date.fromisoformat(payload["due"]), payload["owner"]
    if plan.next_review_on != due or reviews.held(db, plan=plan, due=due):
        return False
    items = reviews.owned_items(db, plan=plan).get(owner, [])
    done = set(reviews.open_checkins(db, plan=plan))
    if all((entity, item.id) in done for entity, item in items):
        return False  # checked in meanwhile, or owns nothing under way any more
    ask = {"plan": plan, "due": due, "items": items, "done": done,
           "nudge": bool(payload.get("nudge"))}
    if _direct(sending, owner, lambda lang: views.ask(lang=lang, **ask)):
        return True
    thread = sending.thread(CHECKIN_THREAD, f"checkin:{plan.id}:{due.isoformat()}:thread",
                            views.thread_parent(lang=plan.language, plan=plan, due=due))
    sending.post_once(channel=plan.channel_id, thread_ts=thread,
                      message=views.ask(lang=plan.language, user_id=owner, **ask))
    return True


def _still_due(sending: "Sending") -> Initiative | None:
    """The initiative a deadline reminder is for, while it is still under way and due then."""
    plan, payload = sending.plan, sending.payload
    item = sending.db.get(Initiative, payload["initiative_id"])
    if (item is None or item.plan_id != plan.id or not item.owner_id
            or str(item.due_date) != payload["due"] or item.status in ("done", "abandoned")):
        return None
    return item


def _owner_key(key: str) -> str:
    """The key of the owner's own reminder, which the deadline's plans."""
    return f"{key}:owner"


def _plan_reminder(sending: "Sending") -> bool:
    """The reminder's day has begun somewhere: plan it for the owner at the first working
    hour of that day in their own Slack timezone (or the next one from now), as check-ins."""
    item = _still_due(sending)
    if item is None or item.owner_id is None or item.due_date is None:
        return False
    _lang, timezone = sending.users.profile(sending.client, item.owner_id)
    sending.schedule([Planned(
        _owner_key(sending.delivery.key), DEADLINE_OWNER.name,
        owner_moment(item.due_date - DEADLINE_AHEAD, timezone, now=sending.now),
        sending.payload)])
    return True


def _remind_owner(sending: "Sending") -> bool:
    """An initiative's due date is near: its owner hears it, directly when possible, else
    with a mention in the account channel."""
    plan, item = sending.plan, _still_due(sending)
    if item is None or item.owner_id is None:
        return False
    if not _direct(sending, item.owner_id, lambda lang: views.deadline_reminder(
            lang=lang, plan=plan, initiative=item)):
        sending.post_once(channel=plan.channel_id, message=views.deadline_reminder(
            lang=plan.language, plan=plan, initiative=item, mention_owner=True))
    return True


def _direct(sending: "Sending", user_id: str, message) -> bool:
    """A direct message to someone Rumbo may write to, in their language (`message(lang)`);
    False when they cannot get one (a guest, another organisation, DMs closed)."""
    if not sending.users.can_message(sending.client, user_id, sending.plan.team_id):
        return False
    lang, _timezone = sending.users.profile(sending.client, user_id)
    try:
        sending.post_once(channel=user_id, message=message(lang))
    except SlackApiError as error:
        if slack_error(error) not in DM_ERRORS:
            raise
        log.info("cannot message %s directly (%s): in the channel instead", user_id,
                 slack_error(error))
        return False
    return True


def _next_summary(db: Session, plan: Plan, now: datetime) -> None:
    """A periodic summary, sent or skipped, makes room for the next one."""
    reschedule_plan(db, plan=plan, now=now)


AHEAD = Kind("review_ahead", draw=_reminder, scheduled=True, group=_reminder_group)
DUE = Kind("review_due", draw=_reminder, scheduled=True, group=_reminder_group)
OVERDUE = Kind("review_overdue", draw=_reminder, scheduled=True, group=_reminder_group)
SUMMARY = Kind("summary", draw=lambda sending: progress(sending.db, plan=sending.plan),
               scheduled=True, grace=timedelta(days=2), after=_next_summary,
               group=lambda delivery: f"summary:{delivery.plan_id}")
POSTPONED = Kind("postponed", draw=_postponed)
REVIEW_SUMMARY = Kind("review_summary", draw=_summary_posted, any_plan=True, keeps_ts=True)
PICTURE = Kind("chart", upload=_picture, extensions=(".png",), any_plan=True)
CALENDAR = Kind("calendar", upload=_calendar, extensions=(".ics",))
# Owners' check-ins: the plan's, when its check-in day starts somewhere, plans each owner's
# ask at a working hour of theirs; the thread where those who cannot get a direct message
# are asked is posted once, by the first ask that needs it.
CHECKINS = Kind("checkins", send=_ask_owners, scheduled=True, counted=False)
CHECKIN = Kind("checkin", send=_ask_owner)
CHECKIN_THREAD = Kind("checkin_thread", draw=lambda sending: None)
# Deadline reminders the same way: the plan's, when the day begins somewhere, plans the
# owner's at a working hour of theirs.
DEADLINE = Kind("deadline", send=_plan_reminder, scheduled=True, counted=False)
DEADLINE_OWNER = Kind("deadline_owner", send=_remind_owner)
KINDS = (AHEAD, DUE, OVERDUE, SUMMARY, POSTPONED, REVIEW_SUMMARY, PICTURE, CALENDAR, CHECKINS,
         CHECKIN, CHECKIN_THREAD, DEADLINE, DEADLINE_OWNER)
