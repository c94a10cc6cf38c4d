"""Step 2: evaluating and scoring ideas together, settling them, the priority list and
the scoring round."""

from slack_bolt import App

from bot.outbox.cards import mark
from bot.outbox.schedule import request
from bot.platform.blocks import escape, metadata, shorten
from bot.platform.i18n import gettext_for
from bot.platform.request import (
    Interaction,
    Refusal,
    Reply,
    answer,
    channel_plan,
    facilitators_only,
    no_plan,
    redraw_list,
)
from bot.platform.runners import after_ack, confirmation, store_in_ack, submission
from bot.scoring import deliveries, views
from bot.scoring.rules import SCORES, STATUSES, agreed_ideas, consensus
from storage import plans, scoring
from storage.models import Idea, Plan


def show_ideas(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return answer(act, deliveries.ideas_page(db, plan=plan, viewer=act.user_id,
                                           lang=act.lang(plan)))


def show_priorities(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return answer(act, *deliveries.priorities(db, plan=plan, lang=act.lang(plan)))


def start_round_command(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return start_round(act, db, plan, tell=act.say)


def start_round(act: Interaction, db, plan: Plan, *, tell):
    """A scoring round over the unscored ideas (facilitators), on one card."""
    _ = act.gettext(plan)
    if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan, act.lang(plan))
        return lambda: tell(refusal)
    idea_ids = [r.idea.id for r in scoring.idea_rows(db, plan=plan) if r.idea.score is None]
    if not idea_ids:
        return lambda: tell(_("Every idea already has a score. `/plan priorities` shows the "
                              "list."))
    now = act.deps.clock()
    try:
        scoring_round = scoring.start_round(db, plan=plan, idea_ids=idea_ids,
                                            user_id=act.user_id, now=now)
    except scoring.RoundAlreadyRunning:
        return lambda: tell(_("A scoring round is already running in this channel: use its "
                              "card."))
    card = request(db, plan=plan, kind=deliveries.ROUND_CARD, key=f"round:{scoring_round.id}",
                   now=now,
                   round_id=scoring_round.id, user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(card)


def touch_round(db, plan: Plan, now) -> int | None:
    """Mark the plan's running round card for a redraw (in the writer's transaction)."""
    scoring_round = scoring.running_round(db, plan=plan)
    if scoring_round is None:
        return None
    mark(db, "round", scoring_round.id, now)
    return scoring_round.id


def clicked_idea(act: Interaction, db, idea_id) -> tuple[Plan | None, Idea | None]:
    """(plan, idea) checked against the request's workspace and channel."""
    if str(idea_id).isdigit() and act.channel_id:
        return scoring.idea_in_channel(db, idea_id=int(idea_id), team_id=act.team_id,
                                       channel_id=act.channel_id)
    return None, None


def _not_this_channels_idea(act: Interaction) -> None:
    _ = act.gettext()
    act.tell(_("That idea doesn't belong to this channel's plan."))


def clicked_plan(act: Interaction, db) -> Plan | None:
    """The active plan a button names (its value starts with the plan id), in this
    channel and workspace."""
    plan_id = act.value.partition(":")[0]
    plan = plans.plan_in_channel(db, plan_id=int(plan_id), team_id=act.team_id,
                                   channel_id=act.channel_id) if plan_id.isdigit() \
        and act.channel_id else None
    return plan if plan is not None and plan.status == "active" else None


def idea_of_view(act: Interaction, db) -> tuple[Plan, Idea]:
    """(plan, idea) a modal was opened for, with the checks of `plan_of_view`."""
    plan = idea = None
    if isinstance(act.meta.get("idea_id"), int) and act.channel_id:
        plan, idea = scoring.idea_in_channel(db, idea_id=act.meta["idea_id"],
                                             team_id=act.team_id, channel_id=act.channel_id)
    _ = act.gettext()
    act.may_change(plan, gone=_(
        "That idea no longer belongs to an active plan here; nothing was changed."))
    return plan, idea


def _stale(act: Interaction, db, plan: Plan, idea: Idea) -> Refusal:
    db.rollback()
    db.refresh(idea)
    _ = act.gettext(plan)
    status = _(STATUSES[idea.score])
    return Refusal(_("Someone changed “{idea}” while you were looking at it, so your change "
                     "was not applied. It is now: {status}. Close this and open it again.")
                   .format(idea=escape(shorten(idea.text, 200)), status=status))


def open_evaluate(act: Interaction, db, plan: Plan, idea: Idea) -> None:
    evaluation = scoring.evaluation_of(db, idea=idea, user_id=act.user_id)
    others = None
    if idea.revealed_at is not None:
        others = [(e.user_id, e.score) for e in scoring.evaluations_of(db, idea=idea)]
    lang = act.lang(plan)
    act.open(views.evaluate_modal(
        lang=lang, idea=idea, evaluation=evaluation, others=others,
        private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id, lang=lang,
                                  list_url=act.list_url)))


def open_settle(act: Interaction, db, plan: Plan, idea: Idea) -> None:
    lang = act.lang(plan)
    act.open(views.settle_modal(
        lang=lang, idea=idea, evaluations=scoring.evaluations_of(db, idea=idea),
        private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id, lang=lang,
                                  version=idea.version, list_url=act.list_url)))


def facilitator_or_refuse(act: Interaction, db, plan: Plan) -> bool:
    if plans.is_facilitator(db, plan=plan, user_id=act.user_id):
        return True
    act.tell(facilitators_only(db, plan, act.lang(plan)))
    return False


def idea_menu(act: Interaction) -> None:
    action, _sep, idea_id = act.value.partition(":")
    with act.deps.db() as db:
        plan, idea = clicked_idea(act, db, idea_id)
        if idea is None:
            return _not_this_channels_idea(act)
        lang = act.lang(plan)
        if action == "evaluate":
            open_evaluate(act, db, plan, idea)
        elif action == "settle" and facilitator_or_refuse(act, db, plan):
            open_settle(act, db, plan, idea)
        elif action == "edit":
            if act.user_id != idea.user_id and not plans.is_facilitator(
                    db, plan=plan, user_id=act.user_id):
                _ = gettext_for(lang)
                return act.tell(_("Only the idea's author or a facilitator can edit it."))
            act.open(views.edit_modal(lang=lang, idea=idea, private_metadata=metadata(
                idea_id=idea.id, channel_id=plan.channel_id, lang=lang, version=idea.version,
                list_url=act.list_url)))
        elif action == "merge" and facilitator_or_refuse(act, db, plan):
            candidates = [r.idea for r in scoring.idea_rows(db, plan=plan)
                          if r.idea.id != idea.id]
            act.open(views.merge_modal(lang=lang, idea=idea, candidates=candidates[::-1],
                                    private_metadata=metadata(
                                        idea_id=idea.id, channel_id=plan.channel_id,
                                        lang=lang, version=idea.version,
                                        list_url=act.list_url)))


def ideas_page(act: Interaction) -> None:
    page, _sep, discarded = act.value.partition(":")
    with act.deps.db() as db:
        plan = plans.active_plan(db, team_id=act.team_id, channel_id=act.channel_id or "")
        if plan is not None:
            act.reply(deliveries.ideas_page(db, plan=plan, viewer=act.user_id,
                                          page=int(page) if page.isdigit() else 0,
                                          show_discarded=discarded == "1",
                                          lang=act.lang(plan)), replace=True)


def priorities(act: Interaction) -> None:
    _plan_id, toggle, discarded = act.value.partition(":")
    with act.deps.db() as db:
        plan = clicked_plan(act, db)
        if plan is None:
            return
        messages = deliveries.priorities(db, plan=plan, show_discarded=discarded == "1",
                                       lang=act.lang(plan))
    # The toggle redraws the list in place; from the ideas list it is a new message.
    act.reply(*messages, replace=bool(toggle))


def share_priorities(act: Interaction, db):
    plan = clicked_plan(act, db)
    if plan is None:
        return None
    # One post per list shown: a double click posts once.
    post = request(db, plan=plan, kind=deliveries.PRIORITIES_POST, now=act.deps.clock(),
                   key=f"priorities:{plan.id}:{act.message_ts or act.trigger_id}",
                   user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(post)


def round_start(act: Interaction, db):
    plan = clicked_plan(act, db)
    if plan is None:
        return None
    return start_round(act, db, plan, tell=act.tell)


def clicked_round(act: Interaction, db):
    """(plan, round, idea) a round button belongs to (its value starts "round_id:idea_id"),
    checked against the request's workspace and channel; (None, None, None) otherwise."""
    round_id, idea_id, *_rest = act.value.split(":") + [""]
    scoring_round = None
    if round_id.isdigit() and act.channel_id:
        scoring_round = scoring.round_in_channel(db, round_id=int(round_id),
                                                 team_id=act.team_id,
                                                 channel_id=act.channel_id)
    plan, idea = clicked_idea(act, db, idea_id) if scoring_round else (None, None)
    if idea is None or idea.plan_id != scoring_round.plan_id:
        return None, None, None
    return plan, scoring_round, idea


def _not_this_channels_round(act: Interaction) -> None:
    _ = act.gettext()
    act.tell(_("That scoring round doesn't belong to this channel."))


def round_evaluate(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, _round, idea = clicked_round(act, db)
        if idea is None:
            return _not_this_channels_round(act)
        open_evaluate(act, db, plan, idea)


def round_settle(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, scoring_round, idea = clicked_round(act, db)
        if idea is None:
            return _not_this_channels_round(act)
        if facilitator_or_refuse(act, db, plan) and scoring_round.ended_at is None:
            open_settle(act, db, plan, idea)


def round_nudge(act: Interaction) -> None:
    """A thread reply mentioning only who has not scored the idea yet. Not an outbox
    delivery: the facilitator sees it (or not) at once, and can click again."""
    with act.deps.db() as db:
        plan, scoring_round, idea = clicked_round(act, db)
        if idea is None:
            return _not_this_channels_round(act)
        if not facilitator_or_refuse(act, db, plan) or scoring_round.ended_at is not None:
            return
        rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan)}
        scored = rows[idea.id].scorers if idea.id in rows else {}
        waiting = [u for u in scoring.participants(db, plan=plan) if u not in scored]
    if not waiting:
        _ = act.gettext(plan)
        return act.tell(_("Everyone has scored this idea."))
    act.client.chat_postMessage(channel=plan.channel_id, thread_ts=scoring_round.message_ts,
                                **views.nudge_message(lang=plan.language, idea=idea,
                                                   waiting=waiting))


def facilitator_round_action(change):
    """A round button that changes the round (facilitators, a round still running):
    `change(act, db, plan, round, idea)` is stored in the ack; the card follows at once."""

    def handler(act: Interaction, db):
        plan, scoring_round, idea = clicked_round(act, db)
        if idea is None:
            return lambda: _not_this_channels_round(act)
        if not plans.is_facilitator(db, plan=plan, user_id=act.user_id):
            refusal = facilitators_only(db, plan, act.lang(plan))
            return lambda: act.tell(refusal)
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


def ask_to_end_round(act: Interaction) -> None:
    """End round: a confirmation for facilitators; anyone else is told at once."""
    with act.deps.db() as db:
        plan, scoring_round, idea = clicked_round(act, db)
        if idea is None:
            return _not_this_channels_round(act)
        if not facilitator_or_refuse(act, db, plan) or scoring_round.ended_at is not None:
            return None
        lang = act.lang(plan)
        view = views.end_round_modal(lang=lang, private_metadata=metadata(
            round_id=scoring_round.id, idea_id=idea.id, channel_id=plan.channel_id, lang=lang))
    act.open(view)


def round_end(act: Interaction, db):
    """The facilitator confirmed: the round ends, its card says what came of it."""
    plan, _idea = idea_of_view(act, db)
    act.require_facilitator(db, plan)
    round_id = act.meta.get("round_id")
    scoring_round = scoring.round_in_channel(
        db, round_id=round_id, team_id=act.team_id, channel_id=plan.channel_id) \
        if isinstance(round_id, int) else None
    if scoring_round is None or scoring_round.plan_id != plan.id \
            or scoring_round.ended_at is not None:
        return None  # ended already: a double submit, or another facilitator
    scoring.end_round(db, scoring_round=scoring_round, now=act.deps.clock())
    mark(db, "round", scoring_round.id, act.deps.clock())
    return Reply(then=lambda: act.deps.cards.redraw_now("round", scoring_round.id))


@facilitator_round_action
def round_settle_suggested(act, db, plan, scoring_round, idea):
    """One click settles the idea at the score the card suggested, then the round moves on."""
    clicked = act.value.split(":")[-1]
    suggested = consensus([e.score for e in scoring.evaluations_of(db, idea=idea)]).suggested
    if idea.score is not None or suggested != clicked:
        raise Refusal(_scores_changed(act, plan))
    _settle(act, db, plan, idea, suggested, expected_version=idea.version)
    scoring.advance_round(db, scoring_round=scoring_round, now=act.deps.clock())


@facilitator_round_action
def round_settle_agreed(act, db, plan, scoring_round, idea):
    """Settle every idea of the round that everyone who scored agrees on."""
    rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan)}
    in_round = [rows[i] for i in scoring.round_ideas(scoring_round) if i in rows]
    agreed = agreed_ideas(in_round)
    if not agreed:
        raise Refusal(_scores_changed(act, plan))
    for agreed_idea, score in agreed:
        _settle(act, db, plan, agreed_idea, score, expected_version=agreed_idea.version)
    scoring.advance_round(db, scoring_round=scoring_round, now=act.deps.clock())


def _scores_changed(act: Interaction, plan: Plan) -> str:
    _ = act.gettext(plan)
    return _("The scores changed while you were looking: nothing was settled. The card shows "
             "what they suggest now.")


def _settle(act: Interaction, db, plan: Plan, idea: Idea, score, *, expected_version: int,
            note=None) -> None:
    try:
        scoring.settle(db, idea=idea, score=score, note=note, user_id=act.user_id,
                       now=act.deps.clock(), expected_version=expected_version)
    except scoring.StaleIdea:
        raise _stale(act, db, plan, idea) from None


def round_score(act: Interaction, db):
    """Anyone's one-click score: stored as their own, shown to them alone."""
    plan, scoring_round, idea = clicked_round(act, db)
    if idea is None:
        return lambda: _not_this_channels_round(act)
    text = escape(shorten(idea.text, 200))
    if scoring_round.ended_at is not None or idea.score is not None:
        status = idea.score

        def too_late():
            _ = act.gettext(plan)
            act.tell(_("“{idea}” is no longer being scored here ({status}).").format(
                idea=text, status=_(STATUSES[status])))

        return too_late
    score = next(s for s, action_id in views.ROUND_SCORES.items()
                 if action_id == act.action.get("action_id"))
    now = act.deps.clock()
    scoring.save_score(db, idea=idea, user_id=act.user_id, user_team_id=act.user_team_id,
                       score=score, now=now)
    mark(db, "round", scoring_round.id, now)

    def confirm():  # after the ack: in the clicker's own language
        act.deps.cards.redraw_soon("round", scoring_round.id)
        _ = act.gettext(plan)
        act.tell(_("Your score for “{idea}”: *{score}*. Only you see it until a facilitator "
                   "reveals the scores; click another to change it.").format(
                       idea=text, score=_(SCORES[score][0])))

    return confirm


def _round_follows(act: Interaction, plan: Plan, round_id: int | None, *,
                   now: bool = False) -> Reply:
    """What follows a change to an idea: the round card, and the list it was made from."""
    def draw_list():
        with act.deps.db() as db:
            fresh = db.get(Plan, plan.id)
            return deliveries.ideas_page(db, plan=fresh, viewer=act.user_id,
                                       lang=act.lang(fresh))

    reply = Reply().and_then(redraw_list(act, draw_list))
    if round_id is None:
        return reply
    redraw = act.deps.cards.redraw_now if now else act.deps.cards.redraw_soon
    return reply.and_then(lambda: redraw("round", round_id))


def save_evaluation(act: Interaction, db, values):
    plan, idea = idea_of_view(act, db)
    now = act.deps.clock()
    scoring.save_evaluation(db, idea=idea, user_id=act.user_id, user_team_id=act.user_team_id,
                            values=values, now=now)
    return _round_follows(act, plan, touch_round(db, plan, now))


def save_settle(act: Interaction, db, parsed):
    plan, idea = idea_of_view(act, db)
    act.require_facilitator(db, plan)
    score, note = parsed
    _settle(act, db, plan, idea, score, note=note,
            expected_version=act.meta.get("version", -1))
    now = act.deps.clock()
    scoring_round = scoring.running_round(db, plan=plan)
    if scoring_round is None:
        return _round_follows(act, plan, None)
    ids = scoring.round_ideas(scoring_round)
    if ids and ids[scoring_round.position] == idea.id and score is not None:
        scoring.advance_round(db, scoring_round=scoring_round, now=now)  # settled: next one
    mark(db, "round", scoring_round.id, now)
    return _round_follows(act, plan, scoring_round.id, now=True)


def save_edit(act: Interaction, db, parsed):
    plan, idea = idea_of_view(act, db)
    if act.user_id != idea.user_id:
        act.require_facilitator(db, plan)
    now = act.deps.clock()
    try:
        scoring.edit_idea(db, idea=idea, text=parsed[0], tag=parsed[1], user_id=act.user_id,
                          now=now, expected_version=act.meta.get("version", -1))
    except scoring.StaleIdea:
        raise _stale(act, db, plan, idea) from None
    return _round_follows(act, plan, touch_round(db, plan, now))


def save_merge(act: Interaction, db, into_id):
    plan, idea = idea_of_view(act, db)
    act.require_facilitator(db, plan)
    into = db.get(Idea, into_id)
    if (into is None or into.plan_id != idea.plan_id or into.id == idea.id
            or into.merged_into_id is not None):
        _ = act.gettext()
        raise Refusal(_("Choose another idea of this plan."), block_id="into")
    try:
        scoring.merge(db, idea=idea, into=into, user_id=act.user_id, now=act.deps.clock(),
                      expected_version=act.meta.get("version", -1))
    except scoring.StaleIdea:
        raise _stale(act, db, plan, idea) from None
    return _round_follows(act, plan, None)


def register(app: App) -> None:
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
