"""App Home: the user's plans across channels, with review, summary and export."""

from sqlmodel import Session

from bot.canvas.listeners import refresh
from bot.exports.listeners import ask_where
from bot.home.views import HOME_MENU, home_view
from bot.imports.listeners import open_import
from bot.platform.blocks import plain
from bot.platform.i18n import gettext_for
from bot.platform.request import Interaction
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, store_in_ack
from bot.reviews.deliveries import progress
from bot.reviews.listeners import start_review
from bot.reviews.rules import EARLIEST_ZONE_AHEAD
from storage import home, plans
from storage.models import Plan


def publish_home(act: Interaction) -> None:
    lang = act.lang()
    with act.deps.db() as db:
        # Only the plans of channels they are in: someone removed from one sees none of it.
        mine = [(plan, plans.is_facilitator(db, plan=plan, user_id=act.user_id))
                for plan in home.plans_for_user(db, team_id=act.team_id, user_id=act.user_id)
                if act.in_channel(plan.channel_id)]
        shown = {plan.id for plan, _facilitates in mine}
        at_risk = [row for row in home.at_risk_for_owner(
            db, team_id=act.team_id, user_id=act.user_id) if row[0].id in shown]
        # Past due where the day is furthest on (UTC+14), then in each plan's own today.
        overdue = [row for row in home.overdue_for_owner(
            db, team_id=act.team_id, user_id=act.user_id,
            today=(act.deps.clock() + EARLIEST_ZONE_AHEAD).date())
            if row[0].id in shown and row[2] < act.today(row[0])]
    act.client.views_publish(user_id=act.user_id, view=home_view(
        lang=lang, plans=mine, today=act.today, at_risk=at_risk, overdue=overdue))


def home_menu(act: Interaction, db: Session):
    """A plan's menu on App Home ("summary:ID", "review:ID", "export:ID", "import:ID",
    "canvas:ID"): the plan must be of this workspace, and the user in its channel (App Home
    has no channel of its own)."""
    plan, _plan = act.clicked(db, Plan, act.number(1), elsewhere=None, anywhere=True)
    action = act.part(0)
    if action == "summary":
        return lambda: show_progress(act, plan.id)
    if action == "review":
        return start_review(act, db, plan)
    if action == "export":
        act.require_facilitator(db, plan)
        return lambda: ask_where(act, plan)
    if action == "import":
        act.require_facilitator(db, plan)
        return lambda: open_import(act, plan)
    if action == "canvas":
        return refresh(act, db, plan)
    return None


def show_progress(act: Interaction, plan_id: int) -> None:
    with act.deps.db() as db:
        plan = db.get_one(Plan, plan_id)
        _ = gettext_for(plan.language)
        blocks = [b for m in progress(db, plan=plan) for b in m["blocks"]]
    act.open({"type": "modal", "title": plain(_("Progress"), 24),
              "close": plain(_("Close"), 24), "blocks": blocks[:100]})


def register(app: Routes) -> None:
    app.event("app_home_opened")(after_ack(publish_home))
    app.action(HOME_MENU)(store_in_ack(home_menu))
