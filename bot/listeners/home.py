"""App Home: the user's plans across channels, with review, summary and export."""

from slack_bolt import App

from bot.blocks.home import HOME_MENU, home_view
from bot.blocks.messages import notice
from bot.blocks.text import plain
from bot.i18n import gettext_for
from bot.listeners.common import Deps, ack_now, apologise_on_failure, workspace_id
from bot.listeners.objectives import export_to_channel
from bot.listeners.reviews import progress_for, start_review
from bot.slack import tell_user
from storage import queries
from storage.models import Plan


def register(app: App, deps: Deps) -> None:
    guarded = apologise_on_failure(deps)

    @guarded
    def publish_home(event, client, context):
        user_id, team_id = event["user"], workspace_id(context)
        lang = deps.users.profile(client, user_id)[0]
        with deps.db() as db:
            plans = [(plan, queries.is_facilitator(db, plan=plan, user_id=user_id))
                     for plan in queries.plans_for_user(db, team_id=team_id, user_id=user_id)]
            at_risk = queries.at_risk_for_owner(db, team_id=team_id, user_id=user_id)
        client.views_publish(user_id=user_id, view=home_view(
            lang=lang, plans=plans, today=deps.clock().date(), at_risk=at_risk))

    @guarded
    def home_menu(body, client, context):
        action, _sep, plan_id = body["actions"][0]["selected_option"]["value"].partition(":")
        user_id = body["user"]["id"]

        def tell(message):
            tell_user(client, channel_id=None, user_id=user_id, message=message)

        with deps.db() as db:
            plan = db.get(Plan, int(plan_id)) if plan_id.isdigit() else None
            if plan is None or plan.team_id != workspace_id(context) or plan.status != "active":
                return
            if action == "summary":
                _ = gettext_for(plan.language)
                blocks = [b for m in progress_for(db, plan) for b in m["blocks"]]
                client.views_open(trigger_id=body["trigger_id"], view={
                    "type": "modal", "title": plain(_("Progress"), 24),
                    "close": plain(_("Close"), 24), "blocks": blocks[:100]})
                return
            if not queries.is_facilitator(db, plan=plan, user_id=user_id):
                return
            if action == "review":
                start_review(deps, db, client, plan=plan, user_id=user_id,
                             trigger_id=body["trigger_id"],
                             tell=lambda text: tell(notice(text)))
                return
        if action == "export":
            export_to_channel(deps, client, plan=plan, tell=tell)

    app.event("app_home_opened")(ack=ack_now, lazy=[publish_home])
    app.action(HOME_MENU)(ack=ack_now, lazy=[home_menu])
