"""What step 3 shows and posts: the objectives list and the plan as it stands, drawn from the
database; the plan goes out to the channel through the outbox."""

from datetime import date

from sqlmodel import Session

from bot.objectives import views
from bot.outbox.kinds import Kind
from bot.platform.blocks import local_date
from bot.reviews.rules import review_dates
from storage import objectives, plans
from storage.models import Plan


def objectives_page(db: Session, *, plan: Plan, page: int = 0, lang=None) -> dict:
    return views.objectives_message(
        lang=lang or plan.language, plan=plan, categories=plans.categories(db, plan=plan),
        objectives=objectives.objectives(db, plan=plan),
        initiatives=objectives.initiatives(db, plan=plan),
        to_promote=objectives.ideas_to_promote(db, plan=plan), page=page)


def plan_messages(db: Session, *, plan: Plan, today: date, shared=False,
                  lang=None) -> list[dict]:
    return views.plan_messages(
        lang=lang or plan.language, plan=plan, categories=plans.categories(db, plan=plan),
        objectives=objectives.objectives(db, plan=plan),
        initiatives=objectives.initiatives(db, plan=plan),
        facilitators=plans.facilitators_of(db, plan=plan), shared=shared,
        next_review=plan.next_review_on or review_dates(plan, after=today), today=today)


PLAN_POST = Kind("plan_post", draw=lambda sending: plan_messages(
    sending.db, plan=sending.plan, today=local_date(sending.now, sending.plan.timezone),
    shared=True))
KINDS = (PLAN_POST,)
