"""Creating a channel's plan, archiving the old one, its settings and its history."""

import logging
from datetime import date

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.outbox.schedule import request
from bot.plans import deliveries, views
from bot.plans.rules import PERIODS, plan_end
from bot.plans.views import PLAN_ARCHIVE, archive_offer
from bot.platform.blocks import escape, local_date, metadata, notice
from bot.platform.i18n import N_, gettext_for
from bot.platform.request import Interaction, Refusal, Reply, answer
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, needs_plan, store_in_ack, submission
from bot.platform.slack import slack_error
from bot.platform.state import read_state
from bot.reviews.deliveries import reschedule_plan
from bot.reviews.rules import next_on_cadence
from storage import canvas, plans
from storage.models import Plan

log = logging.getLogger("rumbo")

ALREADY_PLANNED = N_("This channel already has an active plan, *{account}*. Only its "
                     "facilitators ({people}) can archive it to start a new one.")
ONLY_THEY_ARCHIVE = N_("Only the plan's facilitators ({people}) can archive it.")
PLAN_ELSEWHERE = N_("That plan doesn't belong to this channel.")


def new_plan(act: Interaction, db: Session):
    plan = act.channel_plan(db)
    if plan is None:
        return lambda: open_new_plan_modal(act, account_name=act.text)
    act.require_facilitator(db, plan, ALREADY_PLANNED, account=escape(plan.account_name))
    return answer(act, archive_offer(lang=act.lang(plan), plan=plan))


def open_new_plan_modal(act: Interaction, account_name: str = "") -> None:
    lang, timezone = act.deps.users.profile(act.client, act.user_id)
    act.open(views.new_plan_modal(
        lang=lang, channel_id=act.channel_id, today=act.today(), timezone=timezone,
        creator_id=act.user_id, account_name=account_name[:views.NAME_MAX]))


def create_plan(act: Interaction, db, data):
    _ = gettext_for(data.language)
    if not act.channel_id or not act.in_channel(act.channel_id):
        raise Refusal(_("Only members of the channel can create its plan."))
    now = act.deps.clock()
    plan = Plan(
        team_id=act.team_id, channel_id=act.channel_id, account_name=data.account_name,
        client_size=data.client_size, period=data.period, start_date=data.start_date,
        end_date=plan_end(data.period, data.start_date, data.end_date),
        timezone=data.timezone, review_weekday=data.review_weekday,
        review_time=data.review_time, next_review_on=data.next_review_on,
        language=data.language, created_by=act.user_id,
        created_at=now)
    if data.next_review_on and data.next_review_on < act.today(plan):
        raise Refusal(_("Choose a day from today on."), block_id=views.NEXT_REVIEW)
    try:
        plans.create_plan(db, plan=plan, categories=data.categories,
                          facilitators=data.facilitators, enterprise_id=act.enterprise_id)
    except plans.ChannelHasPlan:
        raise Refusal(_("This channel got an active plan while you were filling in yours. "
                        "Archive the other plan first with `/plan new`."),
                      block_id="account_name") from None
    reschedule_plan(db, plan=plan, now=now)
    canvas.redraw_later(db, plan=plan, now=now, user_id=act.user_id)  # the channel's canvas
    announcement = request(db, plan=plan, kind=deliveries.ANNOUNCEMENT, key=f"announce:{plan.id}",
                           now=now, user_id=act.user_id)
    return Reply(then=lambda: act.deps.outbox.deliver(announcement))


def archive(act: Interaction, db: Session):
    """Archive the channel's plan (facilitators), then open the new-plan form."""
    plan, _plan = act.clicked(db, Plan, act.number(0), elsewhere=PLAN_ELSEWHERE, active=False)
    act.require_facilitator(db, plan, ONLY_THEY_ARCHIVE)
    now = act.deps.clock()
    plans.archive_plan(db, plan=plan, user_id=act.user_id, now=now)
    db.refresh(plan)
    reschedule_plan(db, plan=plan, now=now)  # its reminders go too
    account = escape(plan.account_name)

    def after():
        # Open the new form first: the trigger expires 3 seconds after the click.
        open_new_plan_modal(act)
        _ = act.gettext(plan)
        act.reply(notice(_("*{account}* is archived: it stays readable. Fill in the new "
                           "plan.").format(account=account)), replace=True)

    return after


def period_or_start_chosen(act: Interaction) -> None:
    """In the new-plan or settings modal, a period or start was chosen: the end date's hint
    shows the end they imply."""
    chosen = read_state(act.values)
    period = chosen.get(views.PERIOD)
    try:
        start = date.fromisoformat(chosen.get(views.START) or "")
    except ValueError:
        start = act.today()
    if period not in PERIODS:
        period = views.DEFAULT_PERIOD
    view = views.with_end_hint(act.view, act.lang(), period, start)
    try:
        act.client.views_update(view_id=act.view.get("id"), hash=act.view.get("hash"),
                                view=view)
    except SlackApiError as error:  # changed again meanwhile: that change redraws it
        log.info("end date hint not redrawn: %s", slack_error(error))


@needs_plan
def show_history(act: Interaction, db: Session, plan: Plan):
    return answer(act, views.history_message(
        lang=act.lang(plan), plan=plan, changes=plans.history(db, plan=plan),
        categories={c.id: c.name for c in plans.categories(db, plan=plan)}))


@needs_plan
def open_settings(act: Interaction, db: Session, plan: Plan):
    act.require_facilitator(db, plan)
    categories = plans.categories(db, plan=plan)
    facilitators = plans.facilitators_of(db, plan=plan)

    def open_modal():  # after the ack: in the facilitator's own language
        lang = act.lang(plan)
        act.open(views.settings_modal(
            lang=lang, plan=plan, categories=categories, facilitators=facilitators,
            private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                      lang=lang)))

    return open_modal


def _cadence_settings(plan) -> tuple:
    return (plan.cadence, plan.cadence_weeks, plan.client_size, plan.start_date,
            plan.end_date, plan.review_weekday)


def save_settings(act: Interaction, db, parsed):
    plan_values, renames, removed, added, facilitators = parsed
    plan = act.plan_of_view(db)
    act.require_facilitator(db, plan)
    now = act.deps.clock()
    plan_values["end_date"] = plan_end(plan_values["period"], plan_values["start_date"],
                                       plan_values.get("end_date"),
                                       before=(plan.period, plan.start_date, plan.end_date))
    wanted = plan_values.pop("next_review_on", None)
    if wanted is not None and wanted != plan.next_review_on and wanted < local_date(
            now, plan_values.get("timezone") or plan.timezone):
        _ = act.gettext(plan)
        raise Refusal(_("Choose a day from today on."), block_id=views.NEXT_REVIEW)
    cadence_before = _cadence_settings(plan)
    try:
        changed = plans.update_settings(
            db, plan=plan, values=plan_values, renames=renames, removed=removed, added=added,
            facilitators=facilitators, user_id=act.user_id, now=now)
    except plans.CategoryInUse as error:
        _ = act.gettext(plan)
        raise Refusal(_("“{category}” still has objectives: move them to another category "
                        "first. Nothing was changed.").format(
                            category=escape(str(error)))) from None
    # The date typed wins; emptied, or with the cadence changed, the cadence decides.
    if wanted is None or (wanted == plan.next_review_on
                          and _cadence_settings(plan) != cadence_before):
        wanted = next_on_cadence(plan, now=now)
    changed += plans.set_next_review(db, plan=plan, day=wanted, user_id=act.user_id,
                                     now=now)
    if changed:
        # The date, day, time or timezone may have moved: the reminders follow.
        reschedule_plan(db, plan=plan, now=now)
    _ = act.gettext(plan)  # the language may have just changed
    return Reply(then=lambda: act.tell(_(
        "Settings saved: {count} changes, all recorded in `/plan history`.").format(
            count=changed)))


def register(app: Routes) -> None:
    for block_id in (views.PERIOD, views.START):
        app.action({"block_id": block_id, "action_id": "value"})(
            after_ack(period_or_start_chosen))
    app.view(views.NEW_PLAN_CALLBACK)(submission(views.parse_new_plan, create_plan))
    app.action(PLAN_ARCHIVE)(store_in_ack(archive))
    app.view(views.SETTINGS_CALLBACK)(submission(views.parse_settings, save_settings))
