"""The plan document's snapshot (`/plan export`): everything it shows, read at one moment."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import union
from sqlmodel import Session, col, select

from storage import reviews
from storage.models import (
    Answer,
    Category,
    Evaluation,
    Facilitator,
    Idea,
    IdeaHistory,
    Initiative,
    Objective,
    Plan,
    StrategySession,
)


@dataclass
class PlanDocument:
    """Everything the exported plan shows, read at one moment."""

    plan: Plan
    categories: list[Category]  # in position order
    objectives: list[Objective]
    initiatives: list[Initiative]
    ideas: list[Idea]  # not merged into another, oldest first
    evaluations: dict[int, list[Evaluation]]  # idea id -> evaluations, oldest first
    sessions: list[tuple[StrategySession, list[Answer]]]  # answers by question, then time
    names: dict[str, str]  # user id -> display name
    lang: str
    facilitators: list[str] = field(default_factory=list)  # user ids
    # Closed reviews, oldest first: (when closed, {objective id: measured value}).
    history: list[tuple[datetime, dict[int, float]]] = field(default_factory=list)
    per_person: bool = True  # each person's scores and notes (of revealed ideas only)
    settle_notes: dict[int, str] = field(default_factory=dict)  # idea id -> why it was settled

    def name(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        return self.names.get(user_id) or user_id


def _live_ideas(plan: Plan):
    return select(Idea).where(Idea.plan_id == plan.id, col(Idea.merged_into_id).is_(None))


def people_in(session: Session, *, plan: Plan) -> set[str]:
    """The user ids the document names: facilitators, owners, authors, evaluators."""
    live = select(Idea.id).where(Idea.plan_id == plan.id, col(Idea.merged_into_id).is_(None))
    query: Any = union(
        select(Facilitator.user_id).where(Facilitator.plan_id == plan.id),
        select(Objective.owner_id).where(Objective.plan_id == plan.id),
        select(Initiative.owner_id).where(Initiative.plan_id == plan.id),
        select(Idea.user_id).where(Idea.plan_id == plan.id, col(Idea.merged_into_id).is_(None)),
        select(Evaluation.user_id).where(col(Evaluation.idea_id).in_(live)),
        select(Answer.user_id).where(Answer.plan_id == plan.id, col(Answer.deleted_at).is_(None)),
    )
    return {user_id for user_id in session.connection().execute(query).scalars() if user_id}


def collect(
    session: Session, *, plan: Plan, names: dict[str, str], lang: str | None = None,
    per_person: bool = True,
) -> PlanDocument:
    """The plan as it stands, read-only; `lang` defaults to the plan's language. With
    `per_person`, each person's evaluations of the ideas whose scores were revealed (as
    the app shows them: hidden until then)."""
    categories = list(session.exec(
        select(Category).where(Category.plan_id == plan.id).order_by(col(Category.position))))
    facilitators = list(session.exec(
        select(Facilitator.user_id).where(Facilitator.plan_id == plan.id)))
    objectives = list(session.exec(
        select(Objective).where(Objective.plan_id == plan.id)
        .order_by(col(Objective.created_at), col(Objective.id))))
    initiatives = list(session.exec(
        select(Initiative).where(Initiative.plan_id == plan.id)
        .order_by(col(Initiative.created_at), col(Initiative.id))))
    ideas = list(session.exec(_live_ideas(plan).order_by(col(Idea.created_at), col(Idea.id))))
    evaluations: dict[int, list[Evaluation]] = {}
    for evaluation in session.exec(
        select(Evaluation)
        .join(Idea, col(Idea.id) == col(Evaluation.idea_id))
        .where(Idea.plan_id == plan.id, col(Idea.merged_into_id).is_(None),
               col(Idea.revealed_at).is_not(None))
        .order_by(col(Evaluation.created_at), col(Evaluation.id))
    ) if per_person else ():
        evaluations.setdefault(evaluation.idea_id, []).append(evaluation)
    settle_notes: dict[int, str | None] = {}
    for settled in session.exec(
        select(IdeaHistory)
        .join(Idea, col(Idea.id) == col(IdeaHistory.idea_id))
        .where(Idea.plan_id == plan.id, col(Idea.merged_into_id).is_(None),
               IdeaHistory.kind == "score")
        .order_by(col(IdeaHistory.at), col(IdeaHistory.id))
    ):
        settle_notes[settled.idea_id] = settled.note  # the latest settle's, if it has one
    strategy_sessions = list(session.exec(
        select(StrategySession).where(StrategySession.plan_id == plan.id)
        .order_by(col(StrategySession.started_at), col(StrategySession.id))))
    answers: dict[int, list[Answer]] = {}
    for answer in session.exec(
        select(Answer)
        .where(Answer.plan_id == plan.id, col(Answer.deleted_at).is_(None))
        .order_by(col(Answer.question), col(Answer.created_at), col(Answer.id))
    ):
        answers.setdefault(answer.session_id, []).append(answer)
    return PlanDocument(
        plan=plan,
        categories=categories,
        objectives=objectives,
        initiatives=initiatives,
        ideas=ideas,
        evaluations=evaluations,
        sessions=[(s, answers.get(s.id, [])) for s in strategy_sessions],
        names=dict(names),
        lang=lang or plan.language,
        facilitators=facilitators,
        history=reviews.measure_history(session, plan=plan),
        per_person=per_person,
        settle_notes={idea: note for idea, note in settle_notes.items() if note},
    )
