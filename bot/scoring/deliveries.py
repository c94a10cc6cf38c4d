"""What scoring shows and posts: the ideas list, the priority list and the round's card, drawn
from the database; the round's card and the priority list go out through the outbox."""

from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.outbox.kinds import Kind
from bot.scoring import views
from bot.scoring.rules import STATUS_ORDER, agreed_ideas
from storage import objectives, plans, scoring
from storage.models import Plan, ScoringRound

if TYPE_CHECKING:
    from bot.outbox.sender import Sending


def round_card(db: Session, *, plan: Plan, scoring_round: ScoringRound) -> dict:
    idea_ids = scoring.round_ideas(scoring_round)
    rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan, ids=idea_ids)}
    in_round = [rows[i] for i in idea_ids if i in rows]
    current = rows.get(idea_ids[scoring_round.position]) if idea_ids else None
    return views.round_card(
        lang=plan.language, plan=plan, scoring_round=scoring_round, row=current,
        position=scoring_round.position, total=len(idea_ids),
        settled=sum(1 for r in in_round if r.idea.score is not None),
        participants=scoring.participants(db, plan=plan),
        agreed=len(agreed_ideas(in_round)),
        promotable=[i for i in objectives.ideas_to_promote(db, plan=plan) if i.id in idea_ids])


def ideas_page(db: Session, *, plan: Plan, viewer: str, page=0, show_discarded=False,
               lang=None, facilitator: bool | None = None) -> dict:
    """The ideas list as `viewer` sees it (`facilitator`: whether they are, when the
    request knows it already)."""
    if facilitator is None:
        facilitator = plans.is_facilitator(db, plan=plan, user_id=viewer)
    listed = scoring.ideas_page(db, plan=plan, order=STATUS_ORDER, page=page,
                                page_size=views.PAGE_SIZE, show_discarded=show_discarded)
    return views.ideas_message(lang=lang or plan.language, plan=plan, listed=listed,
                               viewer=viewer, is_facilitator=facilitator,
                               show_discarded=show_discarded)


def priorities(db: Session, *, plan: Plan, shared=False, show_discarded=False,
               lang=None) -> list[dict]:
    return views.priorities_messages(lang=lang or plan.language, plan=plan, shared=shared,
                                     rows=scoring.idea_rows(db, plan=plan),
                                     show_discarded=show_discarded)


def _card(sending: "Sending") -> list[dict] | None:
    scoring_round = sending.db.get(ScoringRound, sending.payload["round_id"])
    if scoring_round is None or scoring_round.message_ts or scoring_round.ended_at:
        return None
    return [round_card(sending.db, plan=sending.plan, scoring_round=scoring_round)]


def _card_refused(db: Session, payload: dict, now) -> None:
    """A round nobody can see the card of is not left running."""
    scoring_round = db.get(ScoringRound, payload["round_id"])
    if scoring_round is not None:
        scoring.end_round(db, scoring_round=scoring_round, now=now)


ROUND_CARD = Kind("round_card", draw=_card, refused=_card_refused,
                  posted=lambda db, payload, ts: scoring.set_round_message(
                      db, round_id=payload["round_id"], ts=ts))
PRIORITIES_POST = Kind("priorities_post", draw=lambda sending: priorities(
    sending.db, plan=sending.plan, shared=True))
KINDS = (ROUND_CARD, PRIORITIES_POST)
