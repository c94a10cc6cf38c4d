"""What the plan posts through the outbox: its announcement."""

from sqlmodel import Session

from bot.plans import views
from storage import plans
from storage.models import Plan


def announcement(db: Session, *, plan: Plan) -> dict:
    return views.plan_announcement(lang=plan.language, plan=plan,
                                 categories=plans.categories_of(db, plan=plan),
                                 facilitators=plans.facilitators_of(db, plan=plan))
