"""Creating a channel's plan (the new-plan modal) and archiving the old one."""

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks import plan_form
from bot.blocks.messages import PLAN_ARCHIVE, notice, plan_announcement
from bot.blocks.text import escape, mention
from bot.dispatch import reschedule_plan
from bot.domain import plan_end_date
from bot.i18n import gettext_for
from bot.listeners.commands import open_new_plan_modal
from bot.listeners.common import (
    Deps,
    ack_now,
    apologise_on_failure,
    log,
    validate_in_ack,
    view_metadata,
    workspace_id,
)
from bot.slack import channel_problem, slack_error, tell_user
from storage import queries
from storage.models import Plan


def register(app: App, deps: Deps) -> None:
    guarded = apologise_on_failure(deps)

    @guarded
    def create_plan(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        channel_id = meta.get("channel_id")
        data, errors = plan_form.parse(view["state"]["values"], meta.get("lang", "en"))
        if errors or not channel_id:
            return
        _ = gettext_for(data.language)
        plan = Plan(
            team_id=workspace_id(context),
            channel_id=channel_id,
            account_name=data.account_name,
            client_size=data.client_size,
            period=data.period,
            start_date=data.start_date,
            end_date=data.end_date or plan_end_date(data.period, data.start_date),
            timezone=data.timezone,
            review_weekday=data.review_weekday,
            review_time=data.review_time,
            language=data.language,
            created_by=user_id,
            created_at=deps.clock(),
        )
        with deps.db() as db:
            try:
                queries.create_plan(db, plan=plan, categories=data.categories,
                                    facilitators=data.facilitators,
                                    request_key=f"view:{view['id']}")
            except queries.DuplicateRequest:
                return
            except queries.ChannelHasPlan:
                tell_user(client, channel_id=channel_id, user_id=user_id, message=notice(
                    _("This channel got an active plan while you were filling in yours, so "
                      "*{account}* was not created. Archive the other plan first with "
                      "`/plan new`.").format(account=escape(data.account_name))))
                return
            reschedule_plan(db, plan=plan, now=deps.clock())
            message = plan_announcement(
                lang=plan.language, plan=plan, categories=queries.categories_of(db, plan=plan),
                facilitators=queries.facilitators_of(db, plan=plan))
        try:
            client.chat_postMessage(channel=channel_id, **message)
        except SlackApiError as error:
            log.warning("could not announce plan %s: %s", plan.id, slack_error(error))
            tell_user(client, channel_id=channel_id, user_id=user_id, message=notice(
                _("The plan *{account}* is saved.").format(account=escape(plan.account_name))
                + " " + channel_problem(error, plan.language)))

    app.view(plan_form.CALLBACK_ID)(ack=validate_in_ack(plan_form.parse), lazy=[create_plan])

    @guarded
    def archive(body, client, context, respond):
        user_id = body["user"]["id"]
        channel_id = (body.get("channel") or {}).get("id")
        value = body["actions"][0].get("value", "")
        with deps.db() as db:
            plan = None
            if value.isdigit() and channel_id:
                plan = queries.plan_in_channel(db, plan_id=int(value),
                                               team_id=workspace_id(context),
                                               channel_id=channel_id)
            lang = plan.language if plan else deps.users.profile(client, user_id)[0]
            _ = gettext_for(lang)
            if plan is None:
                respond(replace_original=False, response_type="ephemeral", **notice(
                    _("That plan doesn't belong to this channel.")))
                return
            if not queries.is_facilitator(db, plan=plan, user_id=user_id):
                people = ", ".join(mention(u) for u in queries.facilitators_of(db, plan=plan))
                respond(replace_original=False, response_type="ephemeral", **notice(
                    _("Only the plan's facilitators ({people}) can archive it.").format(
                        people=people)))
                return
            queries.archive_plan(db, plan=plan, user_id=user_id, now=deps.clock())
            db.refresh(plan)
            reschedule_plan(db, plan=plan, now=deps.clock())  # its reminders go too
        # Open the new modal first: the trigger expires 3 seconds after the click.
        open_new_plan_modal(deps, client, trigger_id=body["trigger_id"], channel_id=channel_id,
                            user_id=user_id)
        respond(replace_original=True, response_type="ephemeral", **notice(
            _("*{account}* is archived: it stays readable. Fill in the new plan.").format(
                account=escape(plan.account_name))))

    app.action(PLAN_ARCHIVE)(ack=ack_now, lazy=[archive])
