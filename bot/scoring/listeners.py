"""Step 2: evaluating and scoring ideas together, settling them, the priority list and
the scoring round."""

from typing import Any

from sqlmodel import Session

from bot.outbox.cards import mark
from bot.outbox.schedule import request
from bot.platform.blocks import escape, metadata, shorten
from bot.platform.i18n import N_
from bot.platform.request import Interaction, Refusal, Reply, answer, redraw_list
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, confirmation, needs_plan, store_in_ack, submission
from bot.scoring import deliveries, views
from bot.scoring.rules import SCORES, STATUSES, agreed_ideas, consensus
from storage import plans, scoring
from storage.models import Idea, Plan, ScoringRound

IDEA_ELSEWHERE = N_("That idea doesn't belong to this channel's plan.")
IDEA_GONE = N_("That idea no longer belongs to an active plan here; nothing was changed.")
ROUND_ELSEWHERE = N_("That scoring round doesn't belong to this channel.")
SCORES_CHANGED = N_("The scores changed while you were looking: nothing was settled. The card "
                    "shows what they suggest now.")


# --- commands ---------------------------------------------------------------------------------

@needs_plan
def show_ideas(act: Interaction, db: Session, plan: Plan):
    found = act.channel(db)
    return answer(act, deliveries.ideas_page(db, plan=plan, viewer=act.user_id,
                                             lang=act.lang(plan),
                                             facilitator=found.facilitator if found else None))


@needs_plan
def show_priorities(act: Interaction, db: Session, plan: Plan):
    return answer(act, *deliveries.priorities(db, plan=plan, lang=act.lang(plan)))


@needs_plan
def start_round_command(act: Interaction, db: Session, plan: Plan):
    return start_round(act, db, plan)


def start_round(act: Interaction, db: Session, plan: Plan):
    """A scoring round over the unscored ideas (facilitators), on one card."""
    act.require_facilitator(db, plan)
    idea_ids = [r.idea.id for r in scoring.idea_rows(db, plan=plan) if r.idea.score is None]
    if not idea_ids:
        raise Refusal(N_("Every idea already has a score. `/plan priorities` shows the list."))
    now = act.deps.clock()
    try:
        scoring_round = scoring.start_round(db, plan=plan, idea_ids=idea_ids,
                                            user_id=act.user_id, now=now)
    except scoring.RoundAlreadyRunning:
        raise Refusal(N_("A scoring round is already running in this channel: use its "
                         "card.")) from None
    card = request(db, plan=plan, kind=deliveries.ROUND_CARD, key=f"round:{scoring_round.id}",
                   now=now, round_id=scoring_round.id, user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(card)


def touch_round(db: Session, plan: Plan, now) -> int | None:
    """Mark the plan's running round card for a redraw (in the writer's transaction)."""
    scoring_round = scoring.running_round(db, plan=plan)
    if scoring_round is None:
        return None
    mark(db, "round", scoring_round.id, now)
    return scoring_round.id


# --- what a click or a modal is about ---------------------------------------------------------

def idea_of_view(act: Interaction, db: Session) -> tuple[Plan, Idea]:
    """(plan, idea) a modal was opened for, with the checks of `plan_of_view`."""
    plan: Plan | None = None
    idea: Any = None
    if isinstance(act.meta.get("idea_id"), int) and act.channel_id:
        plan, idea = plans.in_channel(db, Idea, act.meta["idea_id"], team_id=act.team_id,
                                      channel_id=act.channel_id)
    return act.may_change(plan, gone=IDEA_GONE), idea


def clicked_round(act: Interaction, db: Session) -> tuple[Plan, ScoringRound, Idea]:
    """(plan, round, idea) a round button belongs to: its value is "round_id:idea_id"."""
    round_id, idea_id = act.number(0), act.number(1)
    found = None
    if round_id is not None and idea_id is not None and act.channel_id:
        found = scoring.round_and_idea(db, round_id=round_id, idea_id=idea_id,
                                       team_id=act.team_id, channel_id=act.channel_id)
    if found is None:
        raise Refusal(ROUND_ELSEWHERE)
    act.require_member(found[0])
    return found


def _stale(act: Interaction, db: Session, idea: Idea) -> Refusal:
    db.rollback()
    db.refresh(idea)
    text, status = escape(shorten(idea.text, 200)), STATUSES[idea.score]
    return Refusal(lambda _: _(
        "Someone changed “{idea}” while you were looking at it, so your change was not "
        "applied. It is now: {status}. Close this and open it again.").format(
            idea=text, status=_(status)))


# --- the modals the lists and the round card open ---------------------------------------------

def open_evaluate(act: Interaction, db: Session, plan: Plan, idea: Idea) -> None:
    evaluation = scoring.evaluation_of(db, idea=idea, user_id=act.user_id)
    others = None
    if idea.revealed_at is not None:
        others = [(e.user_id, e.score) for e in scoring.evaluations_of(db, idea=idea)]
    lang = act.lang(plan)
    act.open(views.evaluate_modal(
        lang=lang, idea=idea, evaluation=evaluation, others=others,
        private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id, lang=lang,
                                  list_url=act.list_url)))


def open_settle(act: Interaction, db: Session, plan: Plan, idea: Idea) -> None:
    lang = act.lang(plan)
    act.open(views.settle_modal(
        lang=lang, idea=idea, evaluations=scoring.evaluations_of(db, idea=idea),
        private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id, lang=lang,
                                  version=idea.version, list_url=act.list_url)))


def idea_menu(act: Interaction) -> None:
    """An idea's menu in the ideas list: "evaluate:ID", "settle:ID", "edit:ID", "merge:ID"."""
    action = act.part(0)
    with act.deps.db() as db:
        plan, idea = act.clicked(db, Idea, act.number(1), elsewhere=IDEA_ELSEWHERE)
        lang = act.lang(plan)
        meta = {"idea_id": idea.id, "channel_id": plan.channel_id, "lang": lang,
                "version": idea.version, "list_url": act.list_url}
        if action == "evaluate":
            open_evaluate(act, db, plan, idea)
        elif action == "settle":
            act.require_facilitator(db, plan)
            open_settle(act, db, plan, idea)
        elif action == "edit":
            if act.user_id != idea.user_id:
                act.require_facilitator(db, plan, N_(
                    "Only the idea's author or a facilitator can edit it."))
            act.open(views.edit_modal(lang=lang, idea=idea,
                                      private_metadata=metadata(**meta)))
        elif action == "merge":
            act.require_facilitator(db, plan)
            candidates = [r.idea for r in scoring.idea_rows(db, plan=plan)
                          if r.idea.id != idea.id]
            act.open(views.merge_modal(lang=lang, idea=idea, candidates=candidates[::-1],
                                       private_metadata=metadata(**meta)))


def ideas_page(act: Interaction) -> None:
    """Another page of the ideas list, or discarded ideas shown: value "page:discarded"."""
    with act.deps.db() as db:
        plan = act.channel_plan(db)
        if plan is not None:
            act.reply(deliveries.ideas_page(db, plan=plan, viewer=act.user_id,
                                            page=act.number(0) or 0,
                                            show_discarded=act.part(1) == "1",
                                            lang=act.lang(plan)), replace=True)


def priorities(act: Interaction) -> None:
    """The priority list: "plan_id" from the ideas list (a new message), "plan_id:1" or
    "plan_id:0" from the list itself (shown again, discarded ideas shown or hidden)."""
    with act.deps.db() as db:
        plan, _plan = act.clicked(db, Plan, act.number(0), elsewhere=None)
        messages = deliveries.priorities(db, plan=plan, show_discarded=act.part(1) == "1",
                                         lang=act.lang(plan))
    act.reply(*messages, replace=act.part(1) != "")


def share_priorities(act: Interaction, db: Session):
    plan, _plan = act.clicked(db, Plan, act.number(0), elsewhere=None)
    # One post per list shown: a double click posts once.
    post = request(db, plan=plan, kind=deliveries.PRIORITIES_POST, now=act.deps.clock(),
                   key=f"priorities:{plan.id}:{act.message_ts or act.trigger_id}",
                   user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(post)


def round_start(act: Interaction, db: Session):
    plan, _plan = act.clicked(db, Plan, act.number(0), elsewhere=None)
    return start_round(act, db, plan)


# --- the round card's buttons: value "round_id:idea_id" ---------------------------------------

def round_evaluate(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, _round, idea = clicked_round(act, db)
        open_evaluate(act, db, plan, idea)


def round_settle(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, scoring_round, idea = clicked_round(act, db)
        act.require_facilitator(db, plan)
        if scoring_round.ended_at is None:
            open_settle(act, db, plan, idea)


def round_nudge(act: Interaction) -> None:
    """A thread reply mentioning only who has not scored the idea yet. Not an outbox
    delivery: the facilitator sees it (or not) at once, and can click again."""
    with act.deps.db() as db:
        plan, scoring_round, idea = clicked_round(act, db)
        act.require_facilitator(db, plan)
        if scoring_round.ended_at is not None:
            return
        rows = scoring.idea_rows(db, plan=plan, ids=[idea.id])
        scored = rows[0].scorers if rows else {}
        waiting = [u for u in scoring.participants(db, plan=plan) if u not in scored]
    if not waiting:
        raise Refusal(N_("Everyone has scored this idea."))
    act.client.chat_postMessage(channel=plan.channel_id, thread_ts=scoring_round.message_ts,
                                **views.nudge_message(lang=plan.language, idea=idea,
                                                      waiting=waiting))


def facilitator_round_action(change):
    """A round button that changes the round (facilitators, a round still running):
    `change(act, db, plan, round, idea)` is stored in the ack; the card follows at once."""

    def handler(act: Interaction, db: Session):
        plan, scoring_round, idea = clicked_round(act, db)
        act.require_facilitator(db, plan)
        if scoring_round.ended_at is not None:
            return None
        change(act, db, plan, scoring_round, idea)
        mark(db, "round", scoring_round.id, act.deps.clock())
        return lambda: act.deps.cards.redraw_now("round", scoring_round.id)

    handler.__name__ = change.__name__
    return handler


@facilitator_round_action
def round_move(act, db, plan, scoring_round, idea):
    step = -1 if act.action.get("action_id") == views.ROUND_PREVIOUS else 1
    scoring.move_round(db, scoring_round=scoring_round, position=scoring_round.position + step)


@facilitator_round_action
def round_reveal(act, db, plan, scoring_round, idea):
    scoring.reveal(db, idea=idea, user_id=act.user_id, now=act.deps.clock())


@facilitator_round_action
def round_settle_suggested(act, db, plan, scoring_round, idea):
    """One click settles the idea at the score the card suggested, then the round moves on:
    value "round_id:idea_id:score"."""
    suggested = consensus([e.score for e in scoring.evaluations_of(db, idea=idea)]).suggested
    if idea.score is not None or suggested != act.part(2):
        raise Refusal(SCORES_CHANGED)
    _settle(act, db, idea, suggested, expected_version=idea.version)
    scoring.advance_round(db, scoring_round=scoring_round, now=act.deps.clock())


@facilitator_round_action
def round_settle_agreed(act, db, plan, scoring_round, idea):
    """Settle every idea of the round that everyone who scored agrees on."""
    idea_ids = scoring.round_ideas(scoring_round)
    rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan, ids=idea_ids)}
    in_round = [rows[i] for i in idea_ids if i in rows]
    agreed = agreed_ideas(in_round)
    if not agreed:
        raise Refusal(SCORES_CHANGED)
    for agreed_idea, score in agreed:
        _settle(act, db, agreed_idea, score, expected_version=agreed_idea.version)
    scoring.advance_round(db, scoring_round=scoring_round, now=act.deps.clock())


def ask_to_end_round(act: Interaction) -> None:
    """End round: a confirmation for facilitators; anyone else is told at once."""
    with act.deps.db() as db:
        plan, scoring_round, idea = clicked_round(act, db)
        act.require_facilitator(db, plan)
        if scoring_round.ended_at is not None:
            return
        lang = act.lang(plan)
        view = views.end_round_modal(lang=lang, private_metadata=metadata(
            round_id=scoring_round.id, idea_id=idea.id, channel_id=plan.channel_id, lang=lang))
    act.open(view)


def round_end(act: Interaction, db: Session):
    """The facilitator confirmed: the round ends, its card says what came of it."""
    plan, _idea = idea_of_view(act, db)
    act.require_facilitator(db, plan)
    round_id = act.meta.get("round_id")
    _plan, scoring_round = plans.in_channel(db, ScoringRound, round_id, team_id=act.team_id,
                                            channel_id=plan.channel_id) \
        if isinstance(round_id, int) else (None, None)
    if scoring_round is None or scoring_round.plan_id != plan.id \
            or scoring_round.ended_at is not None:
        return None  # ended already: a double submit, or another facilitator
    scoring.end_round(db, scoring_round=scoring_round, now=act.deps.clock())
    mark(db, "round", scoring_round.id, act.deps.clock())
    return Reply(then=lambda: act.deps.cards.redraw_now("round", scoring_round.id))


def _settle(act: Interaction, db: Session, idea: Idea, score, *, expected_version: int,
            note=None) -> None:
    try:
        scoring.settle(db, idea=idea, score=score, note=note, user_id=act.user_id,
                       now=act.deps.clock(), expected_version=expected_version)
    except scoring.StaleIdea:
        raise _stale(act, db, idea) from None


def round_score(act: Interaction, db: Session):
    """Anyone's one-click score: stored as their own, shown to them alone. The upsert finds
    the round and the idea itself, and returns what the confirmation shows (two statements
    in the ack, with the key)."""
    act.require_in(act.channel_id)
    score = next(s for s, action_id in views.ROUND_SCORES.items()
                 if action_id == act.action.get("action_id"))
    round_id, idea_id = act.number(0), act.number(1)
    if round_id is None or idea_id is None:
        raise _not_scored(act, db)
    scored = scoring.save_score(
        db, round_id=round_id, idea_id=idea_id, team_id=act.team_id,
        channel_id=act.channel_id or "", user_id=act.user_id, user_team_id=act.user_team_id,
        score=score, now=act.deps.clock())  # it marks the round's card too (a trigger)
    if scored is None:
        raise _not_scored(act, db)
    text = escape(shorten(scored.idea_text, 200))

    def confirm():  # after the ack: in the clicker's own language
        act.deps.cards.redraw_soon("round", round_id)
        _ = act.gettext(scored)
        act.tell(_("Your score for “{idea}”: *{score}*. Only you see it until a facilitator "
                   "reveals the scores; click another to change it.").format(
                       idea=text, score=_(SCORES[score][0])))

    return confirm


def _not_scored(act: Interaction, db: Session) -> Refusal:
    """Why a score was not stored: the round is not this channel's (`clicked_round` says
    so), or it has ended, or its idea has its final score."""
    _plan, _round, idea = clicked_round(act, db)
    text, status = escape(shorten(idea.text, 200)), STATUSES[idea.score]
    return Refusal(lambda _: _("“{idea}” is no longer being scored here ({status}).")
                   .format(idea=text, status=_(status)))


# --- modal submissions ------------------------------------------------------------------------

def _round_follows(act: Interaction, plan: Plan, round_id: int | None, *,
                   now: bool = False) -> Reply:
    """What follows a change to an idea: the round card, and the list it was made from."""
    def draw_list():
        with act.deps.db() as db:
            fresh = db.get_one(Plan, plan.id)
            return deliveries.ideas_page(db, plan=fresh, viewer=act.user_id,
                                         lang=act.lang(fresh))

    reply = Reply().and_then(redraw_list(act, draw_list))
    if round_id is None:
        return reply
    redraw = act.deps.cards.redraw_now if now else act.deps.cards.redraw_soon
    return reply.and_then(lambda: redraw("round", round_id))


def save_evaluation(act: Interaction, db: Session, values):
    plan, idea = idea_of_view(act, db)
    now = act.deps.clock()
    scoring.save_evaluation(db, idea=idea, user_id=act.user_id, user_team_id=act.user_team_id,
                            values=values, now=now)  # it marks the round's card (a trigger)
    scoring_round = scoring.running_round(db, plan=plan)
    return _round_follows(act, plan, scoring_round.id if scoring_round else None)


def save_settle(act: Interaction, db: Session, parsed):
    plan, idea = idea_of_view(act, db)
    act.require_facilitator(db, plan)
    score, note = parsed
    _settle(act, db, idea, score, note=note, expected_version=act.meta.get("version", -1))
    now = act.deps.clock()
    scoring_round = scoring.running_round(db, plan=plan)
    if scoring_round is None:
        return _round_follows(act, plan, None)
    ids = scoring.round_ideas(scoring_round)
    if ids and ids[scoring_round.position] == idea.id and score is not None:
        scoring.advance_round(db, scoring_round=scoring_round, now=now)  # settled: next one
    mark(db, "round", scoring_round.id, now)
    return _round_follows(act, plan, scoring_round.id, now=True)


def save_edit(act: Interaction, db: Session, parsed):
    plan, idea = idea_of_view(act, db)
    if act.user_id != idea.user_id:
        act.require_facilitator(db, plan)
    now = act.deps.clock()
    try:
        scoring.edit_idea(db, idea=idea, text=parsed[0], tag=parsed[1], user_id=act.user_id,
                          now=now, expected_version=act.meta.get("version", -1))
    except scoring.StaleIdea:
        raise _stale(act, db, idea) from None
    return _round_follows(act, plan, touch_round(db, plan, now))


def save_merge(act: Interaction, db: Session, into_id):
    plan, idea = idea_of_view(act, db)
    act.require_facilitator(db, plan)
    into = db.get(Idea, into_id)
    if (into is None or into.plan_id != idea.plan_id or into.id == idea.id
            or into.merged_into_id is not None):
        raise Refusal(N_("Choose another idea of this plan."), block_id="into")
    try:
        scoring.merge(db, idea=idea, into=into, user_id=act.user_id, now=act.deps.clock(),
                      expected_version=act.meta.get("version", -1))
    except scoring.StaleIdea:
        raise _stale(act, db, idea) from None
    return _round_follows(act, plan, None)


def register(app: Routes) -> None:
    app.action(views.IDEA_MENU)(after_ack(idea_menu))
    for action_id in views.IDEAS_PAGES:
        app.action(action_id)(after_ack(ideas_page))
    app.action(views.IDEAS_PRIORITIES)(after_ack(priorities))
    app.action(views.PRIORITIES_SHARE)(store_in_ack(share_priorities))
    app.action(views.ROUND_START)(store_in_ack(round_start))
    app.action(views.ROUND_EVALUATE)(after_ack(round_evaluate))
    app.action(views.ROUND_PREVIOUS)(store_in_ack(round_move))
    app.action(views.ROUND_NEXT)(store_in_ack(round_move))
    app.action(views.ROUND_REVEAL)(store_in_ack(round_reveal))
    app.action(views.ROUND_SETTLE)(after_ack(round_settle))
    app.action(views.ROUND_NUDGE)(after_ack(round_nudge))
    app.action(views.ROUND_END)(after_ack(ask_to_end_round))
    app.view(views.ROUND_END_CALLBACK)(submission(confirmation, round_end))
    app.action(views.ROUND_SETTLE_SUGGESTED)(store_in_ack(round_settle_suggested))
    app.action(views.ROUND_SETTLE_AGREED)(store_in_ack(round_settle_agreed))
    for action_id in views.ROUND_SCORES.values():
        app.action(action_id)(store_in_ack(round_score))
    app.view(views.EVALUATE_CALLBACK)(submission(views.parse_evaluation, save_evaluation))
    app.view(views.SETTLE_CALLBACK)(submission(views.parse_settle, save_settle))
    app.view(views.EDIT_CALLBACK)(submission(views.parse_edit, save_edit))
    app.view(views.MERGE_CALLBACK)(submission(views.parse_merge, save_merge))
