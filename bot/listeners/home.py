"""App Home: the user's plans across channels."""

from slack_bolt import App

from bot.blocks.home import home_view
from bot.listeners.common import Deps, ack_now, apologise_on_failure, workspace_id
from storage import queries


def register(app: App, deps: Deps) -> None:
    @apologise_on_failure(deps)
    def publish_home(event, client, context):
        user_id = event["user"]
        lang = deps.users.profile(client, user_id)[0]
        with deps.db() as db:
            plans = queries.plans_for_user(db, team_id=workspace_id(context), user_id=user_id)
        client.views_publish(user_id=user_id, view=home_view(lang=lang, plans=plans))

    app.event("app_home_opened")(ack=ack_now, lazy=[publish_home])
