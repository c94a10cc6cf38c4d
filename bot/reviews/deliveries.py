"""What reviews post through the outbox and when: the plan's reminders, check-ins, deadline
reminders and summaries kept in line with its settings; the review's summary and its
picture."""

import logging
from datetime import date, datetime

from sqlmodel import Session

from bot.platform.blocks import escape, mention, notice
from bot.platform.i18n import gettext_for
from bot.reviews import views
from bot.reviews.rules import (
    checkins_start,
    deadline_reminders,
    next_on_cadence,
    next_summary,
    review_dates,
    review_reminders,
)
from bot.reviews.views import progress_messages, review_moment
from storage import objectives, outbox, plans, reviews
from storage.models import Plan, Review

log = logging.getLogger("rumbo")


def reschedule_plan(db: Session, *, plan: Plan, now: datetime) -> None:
    """Bring the plan's review reminders and next summary in line with its settings, in
    the caller's transaction: when a plan is created, its settings change, a review is
    held or postponed."""
    if plan.status != "active":
        for prefix in ("review", "summary", "checkin", "deadline"):
            outbox.cancel(db, plan=plan, key_prefix=f"{prefix}:{plan.id}:",
                              reason="archived")
        return
    if plan.next_review_on is None:
        plan.next_review_on = next_on_cadence(plan, now=now)
        db.add(plan)
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
                      keep=[p.key for p in deadlines])
    planned += deadlines
    summary = next_summary(plan, after=now)
    outbox.cancel(db, plan=plan, key_prefix=f"summary:{plan.id}:", reason="rescheduled",
                      keep=[summary.key] if summary else [])
    outbox.schedule(db, plan=plan, planned=planned + ([summary] if summary else []))
    db.flush()


def review_held(db, *, plan: Plan, due: date | None, now: datetime) -> None:
    """The review is done: its remaining reminders go, the next one follows the cadence."""
    plan.next_review_on = review_dates(plan, after=max(due or now.date(), now.date()))
    db.add(plan)
    reschedule_plan(db, plan=plan, now=now)


def _review_reminder(db, plan, payload, now):
    due = date.fromisoformat(payload["due"])
    if plan.next_review_on != due:
        return None  # held or postponed meanwhile
    kind = payload.get("kind")
    return [views.review_reminder(lang=plan.language, plan=plan, kind=kind, due=due,
                                   days=payload.get("days"),
                                   overdue_days=(now.date() - due).days)]


def _review_summary(db, plan, payload, now):
    review = db.get(Review, payload["review_id"])
    return review_summary(db, plan=plan, closed=review) if review else None


def _postponed(db, plan, payload, now):
    _ = gettext_for(plan.language)
    return [notice(_("{who} moved the review of *{account}* to {date}; the reminders follow.")
                   .format(who=mention(payload["user_id"]), account=escape(plan.account_name),
                           date=review_moment(plan, date.fromisoformat(payload["day"]))))]


def progress(db: Session, *, plan: Plan, title=None, changes=None) -> list[dict]:
    return progress_messages(
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
