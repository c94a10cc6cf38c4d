"""Creating a channel's plan (the new-plan modal) and archiving the old one."""

import logging
from datetime import date

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks import plan_form
from bot.blocks.messages import PLAN_ARCHIVE, notice
from bot.blocks.state import read_state
from bot.blocks.text import escape, mention
from bot.dispatch import request, reschedule_plan
from bot.domain import plan_end
from bot.i18n import gettext_for
from bot.listeners.commands import open_new_plan_modal
from bot.listeners.common import (
    Interaction,
    Refusal,
    Reply,
    after_ack,
    store_in_ack,
    submission,
)
from bot.method import PERIODS
from bot.reminders import local_today
from bot.slack import slack_error
from storage import queries
from storage.models import Plan

log = logging.getLogger("rumbo")


def create_plan(act: Interaction, db, data):
    _ = gettext_for(data.language)
    if not act.channel_id or not act.in_channel(act.channel_id):
        raise Refusal(_("Only members of the channel can create its plan."))
    now = act.deps.clock()
    if data.next_review_on and data.next_review_on < local_today(now, data.timezone):
        raise Refusal(_("Choose a day from today on."), block_id=plan_form.NEXT_REVIEW)
    plan = Plan(
        team_id=act.team_id, channel_id=act.channel_id, account_name=data.account_name,
        client_size=data.client_size, period=data.period, start_date=data.start_date,
        end_date=plan_end(data.period, data.start_date, data.end_date),
        timezone=data.timezone, review_weekday=data.review_weekday,
        review_time=data.review_time, next_review_on=data.next_review_on,
        language=data.language, created_by=act.user_id,
        created_at=now)
    try:
        queries.create_plan(db, plan=plan, categories=data.categories,
                            facilitators=data.facilitators, enterprise_id=act.enterprise_id)
    except queries.ChannelHasPlan:
        raise Refusal(_("This channel got an active plan while you were filling in yours. "
                        "Archive the other plan first with `/plan new`."),
                      block_id="account_name") from None
    reschedule_plan(db, plan=plan, now=now)
    announcement = request(db, plan=plan, kind="announcement", key=f"announce:{plan.id}",
                           now=now, user_id=act.user_id)
    return Reply(then=lambda: act.deps.outbox.deliver(announcement))


def archive(act: Interaction, db):
    """Archive the channel's plan (facilitators), then open the new-plan form."""
    plan = None
    if act.value.isdigit() and act.channel_id:
        plan = queries.plan_in_channel(db, plan_id=int(act.value), team_id=act.team_id,
                                       channel_id=act.channel_id)
    if plan is None:
        def elsewhere():
            _ = act.gettext()
            act.reply(notice(_("That plan doesn't belong to this channel.")))

        return elsewhere
    _ = act.gettext(plan)
    if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        people = ", ".join(mention(u) for u in queries.facilitators_of(db, plan=plan))
        return lambda: act.reply(notice(_(
            "Only the plan's facilitators ({people}) can archive it.").format(people=people)))
    now = act.deps.clock()
    queries.archive_plan(db, plan=plan, user_id=act.user_id, now=now)
    db.refresh(plan)
    reschedule_plan(db, plan=plan, now=now)  # its reminders go too
    account = escape(plan.account_name)

    def after():
        # Open the new form first: the trigger expires 3 seconds after the click.
        open_new_plan_modal(act)
        act.reply(notice(_("*{account}* is archived: it stays readable. Fill in the new "
                           "plan.").format(account=account)), replace=True)

    return after


def period_or_start_chosen(act: Interaction) -> None:
    """In the new-plan or settings modal, a period or start was chosen: the end date's hint
    shows the end they imply."""
    chosen = read_state(act.values)
    period = chosen.get(plan_form.PERIOD)
    try:
        start = date.fromisoformat(chosen.get(plan_form.START) or "")
    except ValueError:
        start = act.deps.clock().date()
    if period not in PERIODS:
        period = plan_form.DEFAULT_PERIOD
    view = plan_form.with_end_hint(act.view, act.lang(), period, start)
    try:
        act.client.views_update(view_id=act.view.get("id"), hash=act.view.get("hash"),
                                view=view)
    except SlackApiError as error:  # changed again meanwhile: that change redraws it
        log.info("end date hint not redrawn: %s", slack_error(error))


def register(app: App) -> None:
    for block_id in (plan_form.PERIOD, plan_form.START):
        app.action({"block_id": block_id, "action_id": "value"})(
            after_ack(period_or_start_chosen))
    app.view(plan_form.CALLBACK_ID)(submission(plan_form.parse, create_plan))
    app.action(PLAN_ARCHIVE)(store_in_ack(archive))
