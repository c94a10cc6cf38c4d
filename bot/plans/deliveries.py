"""What the plan posts through the outbox: its announcement."""

from sqlmodel import Session

from bot.outbox.kinds import Kind
from bot.plans import views
from bot.platform.blocks import escape
from bot.platform.i18n import gettext_for
from bot.platform.slack import channel_problem
from storage import plans
from storage.models import Plan


def announcement(db: Session, *, plan: Plan) -> dict:
    return views.plan_announcement(lang=plan.language, plan=plan,
                                   categories=plans.categories_of(db, plan=plan),
                                   facilitators=plans.facilitators_of(db, plan=plan))


def _not_announced(plan: Plan, error: str, slack) -> str:
    _ = gettext_for(plan.language)
    return _("The plan *{account}* is saved.").format(
        account=escape(plan.account_name)) + " " + channel_problem(slack, plan.language)


ANNOUNCEMENT = Kind("announcement", draw=lambda sending: [
    announcement(sending.db, plan=sending.plan)], told=_not_announced)
KINDS = (ANNOUNCEMENT,)
