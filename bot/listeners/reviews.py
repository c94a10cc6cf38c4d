"""Step 4: the review, its reminders' buttons (start, postpone, skip), the progress
summary on demand, and resuming nudges after a channel problem."""

from datetime import date

from slack_bolt import App

from bot import surfaces
from bot.blocks import nudges
from bot.blocks import review as ui
from bot.blocks.inputs import input_block, metadata, modal
from bot.blocks.state import read_state
from bot.blocks.text import long_date
from bot.dispatch import request, reschedule_plan, review_held
from bot.i18n import gettext_for
from bot.listeners.common import (
    Interaction,
    Refusal,
    Reply,
    after_ack,
    answer,
    channel_plan,
    facilitators_only,
    no_plan,
    store_in_ack,
    submission,
)
from bot.listeners.exports import export_filename
from bot.reminders import local_today
from storage import checkins, deliveries, planning, queries, reviews
from storage.models import Plan, PlanChange, Review

POSTPONE_CALLBACK = "review_postpone_date"


def review_page(db, plan: Plan, review: Review, page: int, now) -> dict:
    items = ui.items_for_review(planning.objectives(db, plan=plan),
                                planning.initiatives(db, plan=plan))
    page = min(page, ui.pages_of(items) - 1)
    values = {key: current for key, (current, _previous)
              in reviews.measured_values(db, plan=plan).items()}
    return ui.review_page(
        lang=plan.language, plan=plan, items=items, page=page,
        current=reviews.items_of(db, review=review), values=values,
        changes=surfaces.review_changes(db, plan=plan) if page == 0 else [],
        checkins=checkins.open_checkins(db, plan=plan),
        checked_in=checkins.who_checked_in(db, plan=plan) if page == 0 else None,
        today=local_today(now, plan.timezone),
        private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                  lang=plan.language, review_id=review.id, page=page,
                                  pages=ui.pages_of(items)))


def start_review(act: Interaction, db, plan: Plan, *, tell):
    """Open the plan's review draft (facilitators), then its first page after the ack."""
    if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: tell(refusal)
    review = reviews.open_review(db, plan=plan, due_on=plan.next_review_on,
                                 user_id=act.user_id, now=act.deps.clock())
    plan_id, review_id = plan.id, review.id

    def open_first_page():
        with act.deps.db() as fresh:
            act.open(review_page(fresh, fresh.get(Plan, plan_id), fresh.get(Review, review_id),
                                 0, act.deps.clock()))

    return open_first_page


# --- commands ---------------------------------------------------------------------------------

def review_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return start_review(act, db, plan, tell=act.say)


def summary_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return answer(act, *surfaces.progress(db, plan=plan))


def resume_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    _ = gettext_for(plan.language)
    if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: act.say(refusal)
    resumed = deliveries.resume_plan(db, plan=plan)
    db.refresh(plan)
    reschedule_plan(db, plan=plan, now=act.deps.clock())
    return lambda: act.say(_("Reminders and summaries are back on ({count} waiting).").format(
        count=resumed))


# --- the reminders' buttons: value "plan_id:due date" -----------------------------------------

def reminder_plan(act: Interaction, db) -> tuple[Plan | None, date | None]:
    """(plan, due date) from a reminder's button, checked against workspace and channel."""
    plan_id, _sep, due = act.value.partition(":")
    if not plan_id.isdigit() or not act.channel_id:
        return None, None
    plan = queries.plan_in_channel(db, plan_id=int(plan_id), team_id=act.team_id,
                                   channel_id=act.channel_id)
    if plan is None or plan.status != "active":
        return None, None
    try:
        return plan, date.fromisoformat(due)
    except ValueError:
        return plan, None


def start(act: Interaction, db):
    plan, _due = reminder_plan(act, db)
    return start_review(act, db, plan, tell=act.tell) if plan is not None else None


def postpone(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, _due = reminder_plan(act, db)
        if plan is None:
            return
        if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
            return act.tell(facilitators_only(db, plan))
    _ = gettext_for(plan.language)
    element = {"type": "datepicker"}
    if plan.next_review_on:
        element["initial_date"] = plan.next_review_on.isoformat()
    act.open(modal(POSTPONE_CALLBACK, lang=plan.language, title=_("Postpone the review"),
                   submit=_("Postpone"), blocks=[input_block(
                       "date", _("New date"), element,
                       hint=_("A holiday, the client's year-end… the reminders follow."))],
                   private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                             lang=plan.language)))


def skip(act: Interaction, db):
    plan, due = reminder_plan(act, db)
    if plan is None or due is None:
        return None
    if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: act.tell(refusal)
    now = act.deps.clock()
    upcoming = [d for d in deliveries.pending_for(db, plan=plan)
                if d.key.startswith(f"review:{plan.id}:{due.isoformat()}:") and d.due_at > now]
    _ = gettext_for(plan.language)
    if not upcoming:
        return lambda: act.tell(_("There is no reminder left to skip for this review."))
    deliveries.cancel(db, plan=plan, key_prefix=upcoming[0].key,
                      reason=f"skipped by {act.user_id}")
    day = long_date(upcoming[0].due_at.date(), plan.language)
    return lambda: act.tell(_("Skipped the reminder of {date}; the others stay.").format(
        date=day))


# --- submissions ------------------------------------------------------------------------------

def parse_postpone(values: dict, lang: str):
    """(the new review date, errors)."""
    chosen = read_state(values).get("date")
    try:
        return date.fromisoformat(chosen), {}
    except (TypeError, ValueError):
        _ = gettext_for(lang)
        return None, {"date": _("Choose a day from today on.")}


def save_postpone(act: Interaction, db, day):
    plan = act.plan_of_view(db)
    if day < act.deps.clock().date():
        _ = act.gettext(plan)
        raise Refusal(_("Choose a day from today on."), block_id="date")
    act.require_facilitator(db, plan)
    now = act.deps.clock()
    db.add(PlanChange(team_id=plan.team_id, plan_id=plan.id, entity="plan", entity_id=plan.id,
                      field="next_review_on", before=str(plan.next_review_on), after=str(day),
                      user_id=act.user_id, at=now))
    plan.next_review_on = day
    db.add(plan)
    reschedule_plan(db, plan=plan, now=now)
    note = request(db, plan=plan, kind="postponed", key=f"postponed:{act.key}", now=now,
                   user_id=act.user_id, day=day.isoformat())
    return Reply(then=lambda: act.deps.outbox.deliver(note))


def save_page(act: Interaction, db, parsed):
    """One page of the review, stored as it is submitted; the last one closes it."""
    items, worked, not_worked = parsed
    plan = act.plan_of_view(db)
    act.require_facilitator(db, plan)
    review = (reviews.review_in_plan(db, review_id=act.meta["review_id"], plan=plan)
              if isinstance(act.meta.get("review_id"), int) else None)
    if review is None or review.closed_at is not None:
        return None  # closed meanwhile (another facilitator, or a retry)
    mine = {("objective", o.id) for o in planning.objectives(db, plan=plan)}
    mine |= {("initiative", i.id) for i in planning.initiatives(db, plan=plan)}
    reviews.save_items(db, review=review, items=[
        i for i in items if (i["entity"], i["entity_id"]) in mine])
    page = act.meta.get("page", 0)
    if page < act.meta.get("pages", 1) - 1:
        return Reply(ack={"response_action": "update",
                          "view": review_page(db, plan, review, page + 1,
                                              act.deps.clock())})
    now = act.deps.clock()
    reviews.close_review(db, plan=plan, review=review, worked=worked, not_worked=not_worked,
                         user_id=act.user_id, now=now)
    review_held(db, plan=plan, due=review.due_on, now=now)
    summary = request(db, plan=plan, kind="review_summary", key=f"review:{review.id}",
                      now=now, review_id=review.id, user_id=act.user_id)
    picture = request(db, plan=plan, kind="chart", key=f"chart:{review.id}", now=now,
                      review_id=review.id, user_id=act.user_id,
                      base=export_filename(plan, now.date()) + "-progress")

    def after():
        act.deps.outbox.deliver(summary)
        act.deps.outbox.deliver(picture)  # in the summary's thread: after it

    return Reply(then=after)


def register(app: App) -> None:
    app.action(nudges.REVIEW_START)(store_in_ack(start))
    app.action(nudges.REVIEW_POSTPONE)(after_ack(postpone))
    app.action(nudges.REVIEW_SKIP)(store_in_ack(skip))
    app.view(POSTPONE_CALLBACK)(submission(parse_postpone, save_postpone))
    app.view(ui.CALLBACK)(submission(ui.parse_page, save_page))
