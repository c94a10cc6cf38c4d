"""App Home: the user's plans across channels, with review, summary and export."""

from slack_bolt import App

from bot import surfaces
from bot.blocks.home import HOME_MENU, home_view
from bot.blocks.text import plain
from bot.i18n import gettext_for
from bot.listeners.common import Interaction, after_ack, store_in_ack
from bot.listeners.exports import ask_where
from bot.listeners.reviews import start_review
from storage import queries
from storage.models import Plan


def publish_home(act: Interaction) -> None:
    lang = act.lang()
    with act.deps.db() as db:
        plans = [(plan, queries.is_facilitator(db, plan=plan, user_id=act.user_id))
                 for plan in queries.plans_for_user(db, team_id=act.team_id,
                                                    user_id=act.user_id)]
        at_risk = queries.at_risk_for_owner(db, team_id=act.team_id, user_id=act.user_id)
        today = act.deps.clock().date()
        overdue = queries.overdue_for_owner(db, team_id=act.team_id, user_id=act.user_id,
                                            today=today)
    act.client.views_publish(user_id=act.user_id, view=home_view(
        lang=lang, plans=plans, today=today, at_risk=at_risk, overdue=overdue))


def home_menu(act: Interaction, db):
    """A plan's menu on App Home: the plan must be of this workspace, and the user in its
    channel (App Home has no channel of its own)."""
    action, _sep, plan_id = act.value.partition(":")
    plan = db.get(Plan, int(plan_id)) if plan_id.isdigit() else None
    if (plan is None or plan.team_id != act.team_id or plan.status != "active"
            or not act.in_channel(plan.channel_id)):
        return None
    if action == "summary":
        return lambda: show_progress(act, plan.id)
    if action == "review":
        return start_review(act, db, plan, tell=act.tell)
    if action == "export" and queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        return lambda: ask_where(act, plan)
    return None


def show_progress(act: Interaction, plan_id: int) -> None:
    with act.deps.db() as db:
        plan = db.get(Plan, plan_id)
        _ = gettext_for(plan.language)
        blocks = [b for m in surfaces.progress(db, plan=plan) for b in m["blocks"]]
    act.open({"type": "modal", "title": plain(_("Progress"), 24),
              "close": plain(_("Close"), 24), "blocks": blocks[:100]})


def register(app: App) -> None:
    app.event("app_home_opened")(after_ack(publish_home))
    app.action(HOME_MENU)(store_in_ack(home_menu))
