"""Step 4: the review, its reminders' buttons (start, postpone, skip), owners' check-ins, the
progress summary on demand, the calendar, and resuming nudges after a channel problem."""

from datetime import date

from slack_bolt import App

from bot.exports import listeners as exports_listeners
from bot.exports.listeners import export_filename
from bot.outbox.schedule import request
from bot.platform.blocks import input_block, long_date, mention, metadata, modal
from bot.platform.i18n import gettext_for
from bot.platform.request import (
    Interaction,
    Refusal,
    Reply,
    answer,
    channel_plan,
    facilitators_only,
    no_plan,
    view_metadata,
)
from bot.platform.runners import after_ack, store_in_ack, submission
from bot.platform.state import read_state
from bot.reviews import deliveries, views
from bot.reviews.deliveries import reschedule_plan, review_held
from bot.reviews.rules import local_today
from storage import objectives, outbox, plans, reviews
from storage.models import Plan, PlanChange, Review

POSTPONE_CALLBACK = "review_postpone_date"


def review_page(db, plan: Plan, review: Review, page: int, now) -> dict:
    items = views.items_for_review(objectives.objectives(db, plan=plan),
                                objectives.initiatives(db, plan=plan))
    page = min(page, views.pages_of(items) - 1)
    values = {key: current for key, (current, _previous)
              in reviews.measured_values(db, plan=plan).items()}
    return views.review_page(
        lang=plan.language, plan=plan, items=items, page=page,
        current=reviews.items_of(db, review=review), values=values,
        changes=deliveries.review_changes(db, plan=plan) if page == 0 else [],
        checkins=reviews.open_checkins(db, plan=plan),
        checked_in=reviews.who_checked_in(db, plan=plan) if page == 0 else None,
        today=local_today(now, plan.timezone),
        private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                  lang=plan.language, review_id=review.id, page=page,
                                  pages=views.pages_of(items)))


def start_review(act: Interaction, db, plan: Plan, *, tell):
    """Open the plan's review draft (facilitators), then its first page after the ack."""
    if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
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


def review_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return start_review(act, db, plan, tell=act.say)


def summary_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return answer(act, *deliveries.progress(db, plan=plan))


def resume_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    _ = gettext_for(plan.language)
    if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: act.say(refusal)
    resumed = outbox.resume_plan(db, plan=plan)
    db.refresh(plan)
    reschedule_plan(db, plan=plan, now=act.deps.clock())
    return lambda: act.say(_("Reminders and summaries are back on ({count} waiting).").format(
        count=resumed))


def reminder_plan(act: Interaction, db) -> tuple[Plan | None, date | None]:
    """(plan, due date) from a reminder's button, checked against workspace and channel."""
    plan_id, _sep, due = act.value.partition(":")
    if not plan_id.isdigit() or not act.channel_id:
        return None, None
    plan = plans.plan_in_channel(db, plan_id=int(plan_id), team_id=act.team_id,
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
        if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
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
    if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: act.tell(refusal)
    now = act.deps.clock()
    upcoming = [d for d in outbox.pending_for(db, plan=plan)
                if d.key.startswith(f"review:{plan.id}:{due.isoformat()}:") and d.due_at > now]
    _ = gettext_for(plan.language)
    if not upcoming:
        return lambda: act.tell(_("There is no reminder left to skip for this review."))
    outbox.cancel(db, plan=plan, key_prefix=upcoming[0].key,
                      reason=f"skipped by {act.user_id}")
    day = long_date(upcoming[0].due_at.date(), plan.language)
    return lambda: act.tell(_("Skipped the reminder of {date}; the others stay.").format(
        date=day))


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
    note = request(db, plan=plan, kind=deliveries.POSTPONED, key=f"postponed:{act.key}", now=now,
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
    mine = {("objective", o.id) for o in objectives.objectives(db, plan=plan)}
    mine |= {("initiative", i.id) for i in objectives.initiatives(db, plan=plan)}
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
    summary = request(db, plan=plan, kind=deliveries.REVIEW_SUMMARY, key=f"review:{review.id}",
                      now=now, review_id=review.id, user_id=act.user_id)
    picture = request(db, plan=plan, kind=deliveries.PICTURE, key=f"chart:{review.id}", now=now,
                      review_id=review.id, user_id=act.user_id,
                      base=export_filename(plan, now.date()) + "-progress")

    def after():
        act.deps.outbox.deliver(summary)
        act.deps.outbox.deliver(picture)  # in the summary's thread: after it

    return Reply(then=after)


def _asked(act: Interaction, db) -> tuple[Plan | None, date | None]:
    """(plan, review date) of an ask's button, "plan_id:date": a plan of this workspace."""
    plan_id, _sep, day = act.value.partition(":")
    plan = db.get(Plan, int(plan_id)) if plan_id.isdigit() else None
    if plan is None or plan.team_id != act.team_id or plan.status != "active":
        return None, None
    try:
        return plan, date.fromisoformat(day)
    except ValueError:
        return None, None


def open_checkin(act: Interaction) -> None:
    lang = act.lang()  # the owner's own language, not the plan's
    _ = gettext_for(lang)
    with act.deps.db() as db:
        plan, due = _asked(act, db)
        if plan is None:
            return act.tell(_("That plan is no longer active here; nothing was saved."))
        if reviews.held(db, plan=plan, due=due):
            return act.tell(views.closed_note(lang))
        items = reviews.owned_items(db, plan=plan).get(act.user_id, [])
        if not items:
            return act.tell(_("You own no objective or initiative of this plan that is still "
                              "under way."))
        values = {key: current for key, (current, _previous)
                  in reviews.measured_values(db, plan=plan).items()}
        view = views.checkin_modal(
            lang=lang, plan=plan, due=due, items=items,
            current=reviews.open_checkins(db, plan=plan), values=values,
            private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id, lang=lang,
                                      due=due.isoformat()))
    act.open(view)


def parse_checkin(values: dict, lang: str):
    (items, _worked, _not_worked), errors = views.parse_page(values, lang)
    return items, errors


def save_checkin(act: Interaction, db, items):
    plan = act.plan_of_view(db)
    lang = act.meta.get("lang") or plan.language
    try:
        due = date.fromisoformat(act.meta.get("due") or "")
    except ValueError:
        raise Refusal(views.closed_note(lang)) from None
    if reviews.held(db, plan=plan, due=due):
        raise Refusal(views.closed_note(lang))
    reviews.save_checkins(db, plan=plan, user_id=act.user_id, items=items, now=act.deps.clock())
    return Reply(ack={"response_action": "update", "view": views.saved_view(lang=lang)})


def nudge(act: Interaction, db):
    """From the review modal: ask again, once per click, the owners who did not check in."""
    meta = view_metadata(act.view)
    plan = None
    if isinstance(meta.get("plan_id"), int) and isinstance(meta.get("channel_id"), str):
        plan = plans.plan_in_channel(db, plan_id=meta["plan_id"], team_id=act.team_id,
                                       channel_id=meta["channel_id"])
    if plan is None or plan.status != "active" or plan.next_review_on is None:
        return None
    if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: act.tell(refusal)
    _checked, missing = reviews.who_checked_in(db, plan=plan)
    now, due = act.deps.clock(), plan.next_review_on.isoformat()
    asks = [request(db, plan=plan, kind=deliveries.CHECKIN, now=now, owner=owner, due=due,
                    nudge=True,
                    key=f"checkin:{plan.id}:{due}:nudge:{owner}:{act.key}")
            for owner in missing]
    _ = gettext_for(plan.language)

    def after():
        for ask in asks:
            act.deps.outbox.deliver(ask)
        act.tell(_("Nudged: {people}.").format(people=", ".join(mention(u) for u in missing))
                 if missing else _("Everyone has checked in."))

    return after


def calendar_command(act: Interaction, db):
    """The coming review dates as an .ics file, uploaded to the channel (the outbox)."""
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    now = act.deps.clock()
    delivery = request(db, plan=plan, kind=deliveries.CALENDAR, key=f"calendar:{act.key}", now=now,
                       user_id=act.user_id,
                       base=exports_listeners.export_filename(plan, now.date()) + "-reviews")
    return lambda: act.deps.outbox.deliver(delivery)


def register(app: App) -> None:
    app.action(views.REVIEW_START)(store_in_ack(start))
    app.action(views.REVIEW_POSTPONE)(after_ack(postpone))
    app.action(views.REVIEW_SKIP)(store_in_ack(skip))
    app.view(POSTPONE_CALLBACK)(submission(parse_postpone, save_postpone))
    app.view(views.REVIEW_CALLBACK)(submission(views.parse_page, save_page))
    app.action(views.CHECKIN_UPDATE)(after_ack(open_checkin))
    app.view(views.CHECKIN_CALLBACK)(submission(parse_checkin, save_checkin))
    app.action(views.CHECKIN_NUDGE)(store_in_ack(nudge))
