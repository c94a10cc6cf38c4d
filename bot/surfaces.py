"""What Rumbo shows, drawn from the database: each function reads what one surface needs
and hands it to its Block Kit builder (bot/blocks/). Listeners, the live cards and the
outbox all draw through here, so a message looks the same whoever sends it."""

from datetime import date

from sqlmodel import Session

from bot.blocks import ideas as idea_blocks
from bot.blocks import messages as msg
from bot.blocks import plan_items, review
from bot.blocks.progress import progress_messages
from bot.i18n import gettext_for
from bot.reminders import review_dates
from bot.scoring import agreed_ideas
from storage import planning, queries, reviews, scoring
from storage.models import Plan, Review, ScoringRound, StrategySession


def session_card(db: Session, *, plan: Plan, strategy_session: StrategySession) -> dict:
    contributions = queries.contributors(db, strategy_session=strategy_session)
    return msg.session_card(
        lang=plan.language, plan=plan, strategy_session=strategy_session,
        contributions=contributions,
        answer_count=sum(answers for answers, _ideas in contributions.values()),
        idea_count=sum(ideas for _answers, ideas in contributions.values()))


def session_recap(db: Session, *, plan: Plan, strategy_session: StrategySession) -> list[dict]:
    return msg.session_recap(
        lang=plan.language, plan=plan,
        answers=queries.answers_of(db, strategy_session=strategy_session),
        ideas=queries.ideas_of(db, plan=plan, strategy_session=strategy_session))


def round_card(db: Session, *, plan: Plan, scoring_round: ScoringRound) -> dict:
    idea_ids = scoring.round_ideas(scoring_round)
    rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan)}
    in_round = [rows[i] for i in idea_ids if i in rows]
    current = idea_ids[scoring_round.position] if idea_ids else None
    return idea_blocks.round_card(
        lang=plan.language, plan=plan, scoring_round=scoring_round, row=rows.get(current),
        position=scoring_round.position, total=len(idea_ids),
        settled=sum(1 for r in in_round if r.idea.score is not None),
        participants=scoring.participants(db, plan=plan),
        agreed=len(agreed_ideas(in_round)),
        promotable=[i for i in planning.ideas_to_promote(db, plan=plan) if i.id in idea_ids])


# Lists shown to one person take `lang`, theirs; channel posts are in the plan's language.

def ideas_page(db: Session, *, plan: Plan, viewer: str, page=0, show_discarded=False,
               lang=None) -> dict:
    return idea_blocks.ideas_message(
        lang=lang or plan.language, plan=plan, rows=scoring.idea_rows(db, plan=plan), viewer=viewer,
        is_facilitator=queries.is_facilitator(db, plan=plan, user_id=viewer), page=page,
        show_discarded=show_discarded)


def priorities(db: Session, *, plan: Plan, shared=False, show_discarded=False,
               lang=None) -> list[dict]:
    return idea_blocks.priorities_messages(lang=lang or plan.language, plan=plan, shared=shared,
                                           rows=scoring.idea_rows(db, plan=plan),
                                           show_discarded=show_discarded)


def objectives_page(db: Session, *, plan: Plan, page: int = 0, lang=None) -> dict:
    return plan_items.objectives_message(
        lang=lang or plan.language, plan=plan, categories=planning.categories(db, plan=plan),
        objectives=planning.objectives(db, plan=plan),
        initiatives=planning.initiatives(db, plan=plan),
        to_promote=planning.ideas_to_promote(db, plan=plan), page=page)


def plan_messages(db: Session, *, plan: Plan, today: date, shared=False,
                  lang=None) -> list[dict]:
    return plan_items.plan_messages(
        lang=lang or plan.language, plan=plan, categories=planning.categories(db, plan=plan),
        objectives=planning.objectives(db, plan=plan),
        initiatives=planning.initiatives(db, plan=plan),
        facilitators=queries.facilitators_of(db, plan=plan), shared=shared,
        next_review=plan.next_review_on or review_dates(plan, after=today), today=today)


def announcement(db: Session, *, plan: Plan) -> dict:
    return msg.plan_announcement(lang=plan.language, plan=plan,
                                 categories=queries.categories_of(db, plan=plan),
                                 facilitators=queries.facilitators_of(db, plan=plan))


def progress(db: Session, *, plan: Plan, title=None, changes=None) -> list[dict]:
    return progress_messages(
        lang=plan.language, plan=plan, categories=planning.categories(db, plan=plan),
        objectives=planning.objectives(db, plan=plan),
        initiatives=planning.initiatives(db, plan=plan),
        values=reviews.measured_values(db, plan=plan), title=title, changes=changes)


def review_changes(db: Session, *, plan: Plan, just_closed: Review | None = None) -> list[str]:
    """What changed since the review before; with `just_closed`, including what that
    review itself changed, abandoned items with the reason noted there."""
    closed = [r for r in reviews.closed_reviews(db, plan=plan)
              if just_closed is None or r.id != just_closed.id]
    since = closed[0].closed_at if closed else None
    reasons = {key: item.note for key, item in reviews.items_of(
        db, review=just_closed).items() if item.note} if just_closed else {}
    return review.change_lines(lang=plan.language,
                               changes=reviews.changes_since(db, plan=plan, since=since),
                               objectives=planning.objectives(db, plan=plan),
                               initiatives=planning.initiatives(db, plan=plan),
                               reasons=reasons, values=reviews.measured_values(db, plan=plan))


def review_summary(db: Session, *, plan: Plan, closed: Review) -> list[dict]:
    _ = gettext_for(plan.language)
    lines = review.review_summary_lines(lang=plan.language, review=closed, due=closed.due_on)
    return progress(db, plan=plan, title=_("Review: {account}").format(
        account=plan.account_name), changes=lines + review_changes(db, plan=plan,
                                                                   just_closed=closed))
