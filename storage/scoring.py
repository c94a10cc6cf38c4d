"""Queries and writes for step 2: evaluating, scoring and settling ideas, scoring rounds.

Like every storage module: keyword-only, and every lookup from ids found in a Slack payload
checks the request's workspace and channel.
"""

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage import canvas, plans
from storage.db import insert, new_rows, table, upsert_for
from storage.models import (
    Answer,
    Evaluation,
    Facilitator,
    Idea,
    IdeaHistory,
    Plan,
    ScoringRound,
)

EVALUATION_FIELDS = ("pros", "cons", "likelihood", "costs", "need", "time_resources",
                     "urgency", "effort", "worth_it", "score")


class StaleIdea(Exception):
    """The idea changed since the user looked at it (another facilitator settled it)."""


class RoundAlreadyRunning(Exception):
    """The plan already has a running scoring round."""


@dataclass
class IdeaRow:
    """An idea as lists show it: with who has scored it and the viewer's own score."""

    idea: Idea
    scorers: dict[str, str]  # user_id -> score
    merged: int  # how many ideas were merged into it


def idea_rows(session: Session, *, plan: Plan, ids: Sequence[int] | None = None
              ) -> list[IdeaRow]:
    """The plan's ideas not merged into another (only those of `ids`, when given: a round's
    card needs its own alone), oldest first."""
    if ids is None:
        found = session.exec(_ideas(), params={"plan_id": plan.id}).all()
        evaluations = session.exec(PLAN_SCORERS, params={"plan_id": plan.id}).all()
        return _rows(found, evaluations)
    found = session.exec(_ideas(by_id=True), params={"plan_id": plan.id, "ids": list(ids)}).all()
    return _with_scorers(session, found)


@dataclass
class IdeasPage:
    """One page of the ideas list, cut by the database: the page's ideas (with their
    scorers and merged counts), how many ideas there are by status, and which page of how
    many it is."""

    rows: list[IdeaRow]
    counts: dict[str | None, int]  # status (None: not scored yet) -> ideas, merged left out
    page: int  # the page asked for, within the pages there are
    pages: int


def ideas_page(session: Session, *, plan: Plan, order: Sequence[str | None], page: int,
               page_size: int, show_discarded: bool) -> IdeasPage:
    """The `page`-th `page_size` ideas not merged into another, by status in `order`, then
    oldest first; discarded ones only if shown. Only that page's ideas are loaded."""
    counts: dict[str | None, int] = dict(session.exec(IDEA_COUNTS,
                                                      params={"plan_id": plan.id}).all())
    shown = sum(n for status, n in counts.items() if show_discarded or status != "discard")
    pages = max(1, -(-shown // page_size))
    page = min(max(page, 0), pages - 1)
    found = session.exec(_ideas(order=tuple(order), show_discarded=show_discarded), params=dict(
        plan_id=plan.id, offset=page * page_size, limit=page_size)).all()
    return IdeasPage(_with_scorers(session, found), counts, page, pages)


def _with_scorers(session: Session, found) -> list[IdeaRow]:
    """IdeaRows of (idea, merged count) rows, their evaluations read by the ideas' ids."""
    evaluations = session.exec(SCORERS, params={"ids": [idea.id for idea, _n in found]}
                               ).all() if found else []
    return _rows(found, evaluations)


def _rows(found, evaluations) -> list[IdeaRow]:
    scorers: dict[int, dict[str, str]] = {}
    for idea_id, user_id, score in evaluations:  # oldest first
        scorers.setdefault(idea_id, {})[user_id] = score
    return [IdeaRow(idea, scorers.get(idea.id, {}), merged) for idea, merged in found]


# The statements that read ideas for lists and cards, built once (every `/plan ideas` and
# every redraw of a round's card runs them).
_LISTED = (col(Idea.plan_id) == bindparam("plan_id"), col(Idea.merged_into_id).is_(None))
IDEA_COUNTS = select(Idea.score, func.count()).where(*_LISTED).group_by(col(Idea.score))
_SCORERS = (select(Evaluation.idea_id, Evaluation.user_id, Evaluation.score)
            .order_by(col(Evaluation.created_at), col(Evaluation.id)))
SCORERS = _SCORERS.where(col(Evaluation.idea_id).in_(bindparam("ids", expanding=True)))
PLAN_SCORERS = (_SCORERS.join(Idea, col(Idea.id) == col(Evaluation.idea_id))
                .where(col(Idea.plan_id) == bindparam("plan_id")))


@functools.cache
def _ideas(*, by_id: bool = False, order: tuple[str | None, ...] | None = None,
           show_discarded: bool = True) -> Any:
    """(idea, how many ideas were merged into it) for the plan's listed ideas, oldest first:
    with `by_id`, those of the ids given; with `order`, by status first, a page at a time."""
    merged = aliased(Idea)
    query = select(Idea, select(func.count()).where(col(merged.merged_into_id) == Idea.id)
                   .scalar_subquery()).where(*_LISTED)
    if by_id:
        query = query.where(col(Idea.id).in_(bindparam("ids", expanding=True)))
    if not show_discarded:
        query = query.where(or_(col(Idea.score).is_(None), col(Idea.score) != "discard"))
    oldest_first = (col(Idea.created_at), col(Idea.id))
    if order is None:
        return query.order_by(*oldest_first)
    rank = case(*((col(Idea.score).is_(None) if status is None else col(Idea.score) == status,
                   position) for position, status in enumerate(order)), else_=len(order))
    return (query.order_by(rank, *oldest_first)
            .offset(bindparam("offset")).limit(bindparam("limit")))


def evaluation_of(session: Session, *, idea: Idea, user_id: str) -> Evaluation | None:
    return session.exec(select(Evaluation).where(Evaluation.idea_id == idea.id,
                                                 Evaluation.user_id == user_id)).first()


def evaluations_of(session: Session, *, idea: Idea) -> list[Evaluation]:
    return list(session.exec(select(Evaluation).where(Evaluation.idea_id == idea.id)
                             .order_by(col(Evaluation.created_at), col(Evaluation.id))))


def save_evaluation(
    session: Session, *, idea: Idea, user_id: str, user_team_id: str | None, values: dict,
    now: datetime,
) -> None:
    """Create or replace the user's own evaluation: one per participant and idea, however
    often it is submitted, from however many modals at once (one upsert). It marks the card
    of the plan's running round (a trigger: migration 0010)."""
    fields = {name: values.get(name) for name in EVALUATION_FIELDS}
    session.exec(
        insert(session, Evaluation)
        .values(team_id=idea.team_id, idea_id=idea.id, user_id=user_id,
                user_team_id=user_team_id, created_at=now, **fields)
        .on_conflict_do_update(index_elements=["idea_id", "user_id"],
                               set_={**fields, "updated_at": now}))


class Scored(NamedTuple):
    """What the confirmation of a one-click score shows, returned by its own upsert."""

    idea_text: str
    language: str  # the plan's


def save_score(
    session: Session, *, round_id: int, idea_id: int, team_id: str, channel_id: str,
    user_id: str, user_team_id: str | None, score: str, now: datetime,
) -> Scored | None:
    """One click on a round card: the user's score for an idea of the running round, while
    the idea has no final score, where the round belongs (`plans.belongs`); the rest of
    their evaluation, if they wrote one, stays. One upsert, its checks inside it, which
    returns what the confirmation shows: None, and nothing stored, when they fail. Like
    every evaluation stored, it marks the card of the plan's running round (a trigger:
    migration 0010)."""
    row = session.connection().execute(_scoring(session.get_bind().dialect.name), dict(
        round_id=round_id, idea_id=idea_id, team_id=team_id, channel_id=channel_id,
        user_id=user_id, user_team_id=user_team_id, now=now, score=score)).first()
    return Scored(*row) if row is not None else None


@functools.cache
def _scoring(dialect: str) -> Any:
    """Built once per dialect: a scoring round brings a burst of these."""
    evaluation = table(Evaluation)
    given = {"user_id": "user_id", "user_team_id": "user_team_id", "created_at": "now",
             "score": "score"}
    scored = (ROUND_AND_IDEA.with_only_columns(
        col(Idea.team_id), col(Idea.id),
        *(bindparam(name, type_=evaluation.c[column].type) for column, name in given.items()))
        .where(col(ScoringRound.ended_at).is_(None), col(Idea.score).is_(None)))
    its_idea = col(Idea.id) == new_rows(Evaluation, "idea_id")
    its_plan = col(Plan.id) == select(Idea.plan_id).where(its_idea).scalar_subquery()
    return (upsert_for(dialect)(evaluation)
            .from_select(["team_id", "idea_id", *given], scored)
            .on_conflict_do_update(index_elements=["idea_id", "user_id"],
                                   set_={"score": bindparam("score"),
                                         "updated_at": bindparam("now")})
            .returning(select(Idea.text).where(its_idea).scalar_subquery(),
                       select(Plan.language).where(its_plan).scalar_subquery()))


def _record(session, idea: Idea, *, kind: str, user_id: str, now: datetime, before=None,
            after=None, note=None) -> None:
    if kind != "reveal":  # the priority list on the channel's canvas changes
        canvas.redraw_later(session, plan=session.get_one(Plan, idea.plan_id), now=now,
                            user_id=user_id)
    session.add(IdeaHistory(team_id=idea.team_id, idea_id=idea.id, kind=kind, before=before,
                            after=after, note=note, user_id=user_id, at=now))


def _change(session: Session, idea: Idea, *, expected_version: int, **values) -> None:
    """Update the idea only if nobody changed it since `expected_version` was read."""
    result = session.exec(
        update(Idea)
        .where(col(Idea.id) == idea.id, col(Idea.version) == expected_version)
        .values(version=expected_version + 1, **values)
    )
    if result.rowcount != 1:
        raise StaleIdea(idea.id)


def settle(
    session: Session, *, idea: Idea, score: str | None, user_id: str, now: datetime,
    expected_version: int, note: str | None = None,
) -> None:
    """Set the idea's final score (its status), recorded with who, when and from what.
    Settling also reveals the participants' scores."""
    before = idea.score
    _change(session, idea, expected_version=expected_version, score=score,
            revealed_at=idea.revealed_at or now, updated_at=now)
    _record(session, idea, kind="score", user_id=user_id, now=now, before=before, after=score,
            note=note)
    session.flush()
    session.refresh(idea)


def reveal(session: Session, *, idea: Idea, user_id: str, now: datetime) -> bool:
    result = session.exec(
        update(Idea).where(col(Idea.id) == idea.id, col(Idea.revealed_at).is_(None))
        .values(revealed_at=now)
    )
    if result.rowcount == 1:
        _record(session, idea, kind="reveal", user_id=user_id, now=now)
    session.flush()
    session.refresh(idea)
    return result.rowcount == 1


def edit_idea(
    session: Session, *, idea: Idea, text: str, tag: str | None, user_id: str, now: datetime,
    expected_version: int,
) -> None:
    before = f"{idea.tag or ''}|{idea.text}"
    _change(session, idea, expected_version=expected_version, text=text, tag=tag,
            updated_at=now)
    _record(session, idea, kind="edit", user_id=user_id, now=now, before=before,
            after=f"{tag or ''}|{text}")
    session.flush()
    session.refresh(idea)


def merge(session: Session, *, idea: Idea, into: Idea, user_id: str, now: datetime,
          expected_version: int) -> None:
    """Hide `idea` behind `into`: nothing is deleted, its evaluations stay."""
    _change(session, idea, expected_version=expected_version, merged_into_id=into.id,
            updated_at=now)
    _record(session, idea, kind="merge", user_id=user_id, now=now, after=str(into.id))
    session.flush()
    session.refresh(idea)


def participants(session: Session, *, plan: Plan) -> list[str]:
    """Who is expected to score: facilitators and everyone who contributed to the plan."""
    people: dict[str, None] = {}
    for query in (
        select(Facilitator.user_id).where(Facilitator.plan_id == plan.id),
        select(Answer.user_id).where(Answer.plan_id == plan.id),
        select(Idea.user_id).where(Idea.plan_id == plan.id),
        select(Evaluation.user_id).join(Idea, col(Idea.id) == col(Evaluation.idea_id))
        .where(Idea.plan_id == plan.id),
    ):
        people.update(dict.fromkeys(session.exec(query.distinct())))
    return list(people)


# --- scoring rounds ---------------------------------------------------------------------------

# A round card's button names its round and an idea: both, with their plan, in one query.
ROUND_AND_IDEA = (select(ScoringRound, Idea, Plan)
                  .join(Plan, col(Plan.id) == col(ScoringRound.plan_id))
                  .join(Idea, and_(col(Idea.id) == bindparam("idea_id"),
                                   col(Idea.plan_id) == col(ScoringRound.plan_id)))
                  .where(col(ScoringRound.id) == bindparam("round_id"),
                         plans.belongs(ScoringRound, Idea)))


def round_and_idea(session: Session, *, round_id: int, idea_id: int, team_id: str,
                   channel_id: str) -> tuple[Plan, ScoringRound, Idea] | None:
    """(plan, round, idea) when the round and the idea are of the same active plan, in this
    workspace's channel; else None."""
    found = session.exec(ROUND_AND_IDEA, params=dict(
        round_id=round_id, idea_id=idea_id, team_id=team_id, channel_id=channel_id)).first()
    if found is None:
        return None
    scoring_round, idea, plan = found
    return plan, scoring_round, idea


def running_round(session: Session, *, plan: Plan) -> ScoringRound | None:
    return session.exec(select(ScoringRound).where(
        ScoringRound.plan_id == plan.id, col(ScoringRound.ended_at).is_(None))).first()


def start_round(session: Session, *, plan: Plan, idea_ids: list[int], user_id: str,
                now: datetime) -> ScoringRound:
    if running_round(session, plan=plan):
        raise RoundAlreadyRunning(plan.id)
    scoring_round = ScoringRound(team_id=plan.team_id, plan_id=plan.id,
                                 channel_id=plan.channel_id, started_by=user_id,
                                 started_at=now, idea_ids=",".join(map(str, idea_ids)))
    session.add(scoring_round)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise RoundAlreadyRunning(plan.id) from None
    return scoring_round


def round_ideas(scoring_round: ScoringRound) -> list[int]:
    return [int(i) for i in scoring_round.idea_ids.split(",") if i]


def move_round(session: Session, *, scoring_round: ScoringRound, position: int) -> None:
    """Show another idea; positions outside the list are clamped."""
    last = max(len(round_ideas(scoring_round)) - 1, 0)
    scoring_round.position = min(max(position, 0), last)
    session.add(scoring_round)
    session.flush()


def advance_round(session: Session, *, scoring_round: ScoringRound, now: datetime) -> None:
    """After a settle: show the next idea of the round still unsettled (after the current
    one, then from the start); with none left the round ends."""
    ids = round_ideas(scoring_round)
    unsettled = set(session.exec(select(Idea.id).where(
        col(Idea.id).in_(ids), col(Idea.score).is_(None), col(Idea.merged_into_id).is_(None))))
    order = ids[scoring_round.position + 1:] + ids[:scoring_round.position + 1]
    following = next((i for i in order if i in unsettled), None)
    if following is None:
        end_round(session, scoring_round=scoring_round, now=now)
        return
    move_round(session, scoring_round=scoring_round, position=ids.index(following))


def round_of_idea(session: Session, *, plan: Plan, idea_id: int | None) -> int | None:
    """The plan's latest scoring round that had this idea, if any."""
    if idea_id is None:
        return None
    rounds = session.exec(select(ScoringRound).where(ScoringRound.plan_id == plan.id)
                          .order_by(col(ScoringRound.id).desc())).all()
    return next((r.id for r in rounds if idea_id in round_ideas(r)), None)


def set_round_message(session: Session, *, round_id: int, ts: str) -> None:
    session.exec(update(ScoringRound).where(col(ScoringRound.id) == round_id)
                 .values(message_ts=ts))


def end_round(session: Session, *, scoring_round: ScoringRound, now: datetime) -> bool:
    result = session.exec(
        update(ScoringRound)
        .where(col(ScoringRound.id) == scoring_round.id, col(ScoringRound.ended_at).is_(None))
        .values(ended_at=now)
    )
    session.flush()
    session.refresh(scoring_round)
    return result.rowcount == 1
