"""Step 4: the review, its reminders' buttons (start, postpone, skip), owners' check-ins, the
progress summary on demand, the calendar, and resuming nudges after a channel problem."""

from datetime import date

from sqlmodel import Session

from bot.exports.rules import export_filename
from bot.outbox.schedule import request
from bot.platform.blocks import local_date, long_date, mention, metadata
from bot.platform.i18n import N_, gettext_for
from bot.platform.request import PLAN_GONE, Interaction, Refusal, Reply, answer, view_metadata
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, needs_plan, store_in_ack, submission
from bot.reviews import deliveries, views
from bot.reviews.deliveries import reschedule_plan, review_held
from storage import objectives, outbox, plans, reviews
from storage.models import Plan, Review

FROM_TODAY = N_("Choose a day from today on.")


def review_page(db: Session, plan: Plan, review: Review, page: int, now) -> dict:
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
        today=local_date(now, plan.timezone),
        private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                  lang=plan.language, review_id=review.id, page=page,
                                  pages=views.pages_of(items)))


def start_review(act: Interaction, db: Session, plan: Plan):
    """Open the plan's review draft (facilitators), then its first page after the ack."""
    act.require_facilitator(db, plan)
    review = reviews.open_review(db, plan=plan, due_on=plan.next_review_on,
                                 user_id=act.user_id, now=act.deps.clock())
    plan_id, review_id = plan.id, review.id

    def open_first_page():
        with act.deps.db() as fresh:
            act.open(review_page(fresh, fresh.get_one(Plan, plan_id),
                                 fresh.get_one(Review, review_id), 0, act.deps.clock()))

    return open_first_page


@needs_plan
def review_command(act: Interaction, db: Session, plan: Plan):
    return start_review(act, db, plan)


@needs_plan
def summary_command(act: Interaction, db: Session, plan: Plan):
    return answer(act, *deliveries.progress(db, plan=plan))


@needs_plan
def resume_command(act: Interaction, db: Session, plan: Plan):
    act.require_facilitator(db, plan)
    _ = gettext_for(plan.language)
    resumed = outbox.resume_plan(db, plan=plan)
    db.refresh(plan)
    reschedule_plan(db, plan=plan, now=act.deps.clock())
    return lambda: act.say(_("Reminders and summaries are back on ({count} waiting).").format(
        count=resumed))


def reminder_plan(act: Interaction, db: Session) -> Plan:
    """The plan of a reminder's button (its value is "plan_id:due date") in this channel."""
    plan, _plan = act.clicked(db, Plan, act.number(0), elsewhere=None)
    return plan


def start(act: Interaction, db: Session):
    return start_review(act, db, reminder_plan(act, db))


def postpone(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = reminder_plan(act, db)
        act.require_facilitator(db, plan)
    act.open(views.postpone_modal(lang=plan.language, plan=plan, private_metadata=metadata(
        plan_id=plan.id, channel_id=plan.channel_id, lang=plan.language)))


def skip(act: Interaction, db: Session):
    plan, due = reminder_plan(act, db), act.day(1)
    if due is None:
        return None
    act.require_facilitator(db, plan)
    now = act.deps.clock()
    upcoming = [d for d in outbox.pending_for(db, plan=plan)
                if d.key.startswith(f"review:{plan.id}:{due.isoformat()}:") and d.due_at > now]
    if not upcoming:
        raise Refusal(N_("There is no reminder left to skip for this review."))
    outbox.cancel(db, plan=plan, key_prefix=upcoming[0].key, reason=f"skipped by {act.user_id}")
    _ = gettext_for(plan.language)
    day = long_date(local_date(upcoming[0].due_at, plan.timezone), plan.language)
    return lambda: act.tell(_("Skipped the reminder of {date}; the others stay.").format(
        date=day))


def save_postpone(act: Interaction, db: Session, day):
    plan = act.plan_of_view(db)
    if day < act.today(plan):
        raise Refusal(FROM_TODAY, block_id="date")
    act.require_facilitator(db, plan)
    now = act.deps.clock()
    plans.set_next_review(db, plan=plan, day=day, user_id=act.user_id, now=now)
    reschedule_plan(db, plan=plan, now=now)
    note = request(db, plan=plan, kind=deliveries.POSTPONED, key=f"postponed:{act.key}", now=now,
                   user_id=act.user_id, day=day.isoformat())
    return Reply(then=lambda: act.deps.outbox.deliver(note))


def save_page(act: Interaction, db: Session, parsed):
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
                      base=export_filename(plan, act.today(plan)) + "-progress")

    def after():
        act.deps.outbox.deliver(summary)
        act.deps.outbox.deliver(picture)  # in the summary's thread: after it

    return Reply(then=after)


def open_checkin(act: Interaction) -> None:
    """An owner's *Update* on their check-in ask (a direct message or the channel's
    thread: its value is "plan_id:review date"): their own items, in their language."""
    lang = act.lang()  # the owner's own language, not the plan's
    with act.deps.db() as db:
        plan, _plan = act.clicked(db, Plan, act.number(0), elsewhere=PLAN_GONE, anywhere=True)
        due = act.day(1)
        if due is None or reviews.held(db, plan=plan, due=due):
            raise Refusal(views.CHECKINS_CLOSED)
        items = reviews.owned_items(db, plan=plan).get(act.user_id, [])
        if not items:
            raise Refusal(N_("You own no objective or initiative of this plan that is still "
                             "under way."))
        values = {key: current for key, (current, _previous)
                  in reviews.measured_values(db, plan=plan).items()}
        view = views.checkin_modal(
            lang=lang, plan=plan, due=due, items=items,
            current=reviews.open_checkins(db, plan=plan), values=values,
            private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id, lang=lang,
                                      due=due.isoformat()))
    act.open(view)


def save_checkin(act: Interaction, db: Session, items):
    plan = act.plan_of_view(db)
    lang = act.meta.get("lang") or plan.language
    try:
        due = date.fromisoformat(act.meta.get("due") or "")
    except ValueError:
        raise Refusal(views.CHECKINS_CLOSED) from None
    if reviews.held(db, plan=plan, due=due):
        raise Refusal(views.CHECKINS_CLOSED)
    reviews.save_checkins(db, plan=plan, user_id=act.user_id, items=items, now=act.deps.clock())
    return Reply(ack={"response_action": "update", "view": views.saved_view(lang=lang)})


def nudge(act: Interaction, db: Session):
    """From the review modal: ask again, once per click, the owners who did not check in."""
    meta = view_metadata(act.view)
    plan = None
    if isinstance(meta.get("plan_id"), int) and isinstance(meta.get("channel_id"), str):
        plan, _plan = plans.in_channel(db, Plan, meta["plan_id"], team_id=act.team_id,
                                       channel_id=meta["channel_id"])
    if plan is None or plan.next_review_on is None:
        return None
    act.require_member(plan)
    act.require_facilitator(db, plan)
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


@needs_plan
def calendar_command(act: Interaction, db: Session, plan: Plan):
    """The coming review dates as an .ics file, uploaded to the channel (the outbox)."""
    now = act.deps.clock()
    delivery = request(db, plan=plan, kind=deliveries.CALENDAR, key=f"calendar:{act.key}", now=now,
                       user_id=act.user_id,
                       base=export_filename(plan, act.today(plan)) + "-reviews")
    return lambda: act.deps.outbox.deliver(delivery)


def register(app: Routes) -> None:
    app.action(views.REVIEW_START)(store_in_ack(start))
    app.action(views.REVIEW_POSTPONE)(after_ack(postpone))
    app.action(views.REVIEW_SKIP)(store_in_ack(skip))
    app.view(views.POSTPONE_CALLBACK)(submission(views.parse_postpone, save_postpone))
    app.view(views.REVIEW_CALLBACK)(submission(views.parse_page, save_page))
    app.action(views.CHECKIN_UPDATE)(after_ack(open_checkin))
    app.view(views.CHECKIN_CALLBACK)(submission(views.parse_checkin, save_checkin))
    app.action(views.CHECKIN_NUDGE)(store_in_ack(nudge))
