"""Step 2: evaluating and scoring ideas together, settling them, the priority list and
the scoring round."""

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import ideas as ui
from bot.blocks.inputs import metadata
from bot.blocks.messages import notice
from bot.blocks.text import escape
from bot.i18n import gettext_for
from bot.listeners.common import (
    Command,
    Deps,
    ack_now,
    apologise_on_failure,
    channel_of,
    facilitators_only,
    log,
    plan_or_explain,
    tell_in_channel,
    user_team_id,
    validate_in_ack,
    view_metadata,
    workspace_id,
)
from bot.scoring import STATUSES
from bot.slack import channel_problem, slack_error, tell_user
from storage import queries, scoring
from storage.models import Idea, Plan

# --- commands ---------------------------------------------------------------------------------

def show_ideas(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        message = _ideas_page(db, plan, command.user_id)
    command.reply(message)


def show_priorities(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        messages = ui.priorities_messages(lang=plan.language, plan=plan,
                                          rows=scoring.idea_rows(db, plan=plan))
    command.reply(*messages)


def start_round_command(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        _start_round(deps, db, command.client, plan=plan, user_id=command.user_id,
                     key=command.key, tell=command.say)


def _ideas_page(db, plan, user_id, page=0, show_discarded=False) -> dict:
    return ui.ideas_message(
        lang=plan.language, plan=plan, rows=scoring.idea_rows(db, plan=plan), viewer=user_id,
        is_facilitator=queries.is_facilitator(db, plan=plan, user_id=user_id), page=page,
        show_discarded=show_discarded)


def _start_round(deps, db, client, *, plan, user_id, key, tell) -> None:
    _ = gettext_for(plan.language)
    if not queries.is_facilitator(db, plan=plan, user_id=user_id):
        tell(facilitators_only(db, plan))
        return
    idea_ids = [r.idea.id for r in scoring.idea_rows(db, plan=plan) if r.idea.score is None]
    if not idea_ids:
        tell(_("Every idea already has a score. `/plan priorities` shows the list."))
        return
    try:
        scoring_round = scoring.start_round(db, plan=plan, idea_ids=idea_ids, user_id=user_id,
                                            now=deps.clock(), request_key=key)
    except queries.DuplicateRequest:
        return
    except scoring.RoundAlreadyRunning:
        tell(_("A scoring round is already running in this channel: use its card."))
        return
    try:
        posted = client.chat_postMessage(channel=plan.channel_id,
                                         **_round_card(db, plan, scoring_round))
    except SlackApiError as error:
        log.warning("could not post the round card: %s", slack_error(error))
        scoring.end_round(db, scoring_round=scoring_round, now=deps.clock())
        tell(channel_problem(error, plan.language))
        return
    scoring.set_round_message(db, scoring_round=scoring_round, ts=posted["ts"])


def _round_card(db, plan: Plan, scoring_round) -> dict:
    idea_ids = scoring.round_ideas(scoring_round)
    rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan)}
    current = idea_ids[scoring_round.position] if idea_ids else None
    settled = sum(1 for i in idea_ids if i in rows and rows[i].idea.score is not None)
    return ui.round_card(lang=plan.language, plan=plan, scoring_round=scoring_round,
                         row=rows.get(current), position=scoring_round.position,
                         total=len(idea_ids), settled=settled,
                         participants=scoring.participants(db, plan=plan))


def refresh_round(deps: Deps, client: WebClient, *, plan: Plan, now: bool = False) -> None:
    """Bring the plan's running round card up to date (at once when a user is waiting)."""
    with deps.db() as db:
        scoring_round = scoring.running_round(db, plan=plan)
    if scoring_round is None or not scoring_round.message_ts:
        return
    _refresh_round_card(deps, client, round_id=scoring_round.id, plan_id=plan.id, now=now)


def _refresh_round_card(deps, client, *, round_id, plan_id, now=False) -> None:
    def update():
        with deps.db() as db:
            scoring_round = db.get(scoring.ScoringRound, round_id)
            plan = db.get(Plan, plan_id)
            card = _round_card(db, plan, scoring_round)
        try:
            client.chat_update(channel=plan.channel_id, ts=scoring_round.message_ts, **card)
        except SlackApiError as error:
            log.warning("could not update the round card: %s", slack_error(error))

    key = ("round", round_id)
    if now:
        deps.card_updates.run_now(key, update)
    else:
        deps.card_updates.request(key, update)


# --- listeners --------------------------------------------------------------------------------

def register(app: App, deps: Deps) -> None:
    guarded = apologise_on_failure(deps)

    def idea_from(db, body, context, client, idea_id: str | int | None):
        """(plan, idea) checked against the request's workspace and channel, or
        (None, None) and the user told."""
        plan = idea = None
        if str(idea_id).isdigit() and channel_of(body):
            plan, idea = scoring.idea_in_channel(db, idea_id=int(idea_id),
                                                 team_id=workspace_id(context),
                                                 channel_id=channel_of(body))
        if idea is None:
            _ = gettext_for(deps.users.profile(client, body["user"]["id"])[0])
            tell_in_channel(client, body, _("That idea doesn't belong to this channel's plan."))
        return plan, idea

    def open_evaluate(db, client, body, plan, idea) -> None:
        user_id = body["user"]["id"]
        evaluation = scoring.evaluation_of(db, idea=idea, user_id=user_id)
        others = None
        if idea.revealed_at is not None:
            others = [(e.user_id, e.score) for e in scoring.evaluations_of(db, idea=idea)]
        client.views_open(trigger_id=body["trigger_id"], view=ui.evaluate_modal(
            lang=plan.language, idea=idea, evaluation=evaluation, others=others,
            private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id,
                                      lang=plan.language)))

    def open_settle(db, client, body, plan, idea) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=ui.settle_modal(
            lang=plan.language, idea=idea, evaluations=scoring.evaluations_of(db, idea=idea),
            private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id,
                                      lang=plan.language, version=idea.version)))

    def facilitator_or_refuse(db, client, body, plan) -> bool:
        if queries.is_facilitator(db, plan=plan, user_id=body["user"]["id"]):
            return True
        tell_in_channel(client, body, facilitators_only(db, plan))
        return False

    @guarded
    def idea_menu(body, client, context):
        action, _sep, idea_id = body["actions"][0]["selected_option"]["value"].partition(":")
        user_id = body["user"]["id"]
        with deps.db() as db:
            plan, idea = idea_from(db, body, context, client, idea_id)
            if idea is None:
                return
            lang = plan.language
            if action == "evaluate":
                open_evaluate(db, client, body, plan, idea)
            elif action == "settle" and facilitator_or_refuse(db, client, body, plan):
                open_settle(db, client, body, plan, idea)
            elif action == "edit":
                if user_id != idea.user_id and not queries.is_facilitator(
                        db, plan=plan, user_id=user_id):
                    _ = gettext_for(lang)
                    tell_in_channel(client, body, _(
                        "Only the idea's author or a facilitator can edit it."))
                    return
                client.views_open(trigger_id=body["trigger_id"], view=ui.edit_modal(
                    lang=lang, idea=idea, private_metadata=metadata(
                        idea_id=idea.id, channel_id=plan.channel_id, lang=lang,
                        version=idea.version)))
            elif action == "merge" and facilitator_or_refuse(db, client, body, plan):
                candidates = [r.idea for r in scoring.idea_rows(db, plan=plan)
                              if r.idea.id != idea.id]
                client.views_open(trigger_id=body["trigger_id"], view=ui.merge_modal(
                    lang=lang, idea=idea, candidates=candidates[::-1],
                    private_metadata=metadata(idea_id=idea.id, channel_id=plan.channel_id,
                                              lang=lang, version=idea.version)))

    @guarded
    def ideas_page(body, client, context, respond):
        page, _sep, discarded = body["actions"][0]["value"].partition(":")
        with deps.db() as db:
            plan = queries.active_plan(db, team_id=workspace_id(context),
                                       channel_id=channel_of(body))
            if plan is None:
                return
            message = _ideas_page(db, plan, body["user"]["id"], page=int(page or 0),
                                  show_discarded=discarded == "1")
        respond(replace_original=True, response_type="ephemeral", **message)

    @guarded
    def priorities(body, client, context, respond):
        plan_id, toggle, discarded = body["actions"][0]["value"].partition(":")
        with deps.db() as db:
            plan = queries.plan_in_channel(db, plan_id=int(plan_id), team_id=workspace_id(
                context), channel_id=channel_of(body)) if plan_id.isdigit() else None
            if plan is None or plan.status != "active":
                return
            messages = ui.priorities_messages(lang=plan.language, plan=plan,
                                              rows=scoring.idea_rows(db, plan=plan),
                                              show_discarded=discarded == "1")
        for number, message in enumerate(messages):
            # The toggle redraws the list in place; from the ideas list it is a new message.
            respond(replace_original=bool(toggle) and number == 0,
                    response_type="ephemeral", **message)

    @guarded
    def share_priorities(body, client, context):
        value = body["actions"][0]["value"]
        with deps.db() as db:
            plan = queries.plan_in_channel(db, plan_id=int(value), team_id=workspace_id(
                context), channel_id=channel_of(body)) if value.isdigit() else None
            if plan is None or plan.status != "active":
                return
            messages = ui.priorities_messages(lang=plan.language, plan=plan, shared=True,
                                              rows=scoring.idea_rows(db, plan=plan))
        try:
            for message in messages:
                client.chat_postMessage(channel=plan.channel_id, **message)
        except SlackApiError as error:
            tell_in_channel(client, body, channel_problem(error, plan.language))

    @guarded
    def round_start(body, client, context):
        value = body["actions"][0]["value"]
        with deps.db() as db:
            plan = queries.plan_in_channel(db, plan_id=int(value), team_id=workspace_id(
                context), channel_id=channel_of(body)) if value.isdigit() else None
            if plan is None or plan.status != "active":
                return
            _start_round(deps, db, client, plan=plan, user_id=body["user"]["id"],
                         key=f"action:{body['trigger_id']}",
                         tell=lambda text: tell_in_channel(client, body, text))

    app.action(ui.IDEA_MENU)(ack=ack_now, lazy=[idea_menu])
    for action_id in ui.IDEAS_PAGES:
        app.action(action_id)(ack=ack_now, lazy=[ideas_page])
    app.action(ui.IDEAS_PRIORITIES)(ack=ack_now, lazy=[priorities])
    app.action(ui.PRIORITIES_SHARE)(ack=ack_now, lazy=[share_priorities])
    app.action(ui.ROUND_START)(ack=ack_now, lazy=[round_start])

    # --- the round card's buttons: value "round_id:idea_id" ---

    def round_from(db, body, context, client):
        round_id, _sep, idea_id = body["actions"][0].get("value", "").partition(":")
        scoring_round = None
        if round_id.isdigit() and channel_of(body):
            scoring_round = scoring.round_in_channel(db, round_id=int(round_id),
                                                     team_id=workspace_id(context),
                                                     channel_id=channel_of(body))
        if scoring_round is None:
            _ = gettext_for(deps.users.profile(client, body["user"]["id"])[0])
            tell_in_channel(client, body, _("That scoring round doesn't belong to this channel."))
            return None, None, None
        plan, idea = idea_from(db, body, context, client, idea_id)
        if idea is None or idea.plan_id != scoring_round.plan_id:
            return None, None, None
        return plan, scoring_round, idea

    @guarded
    def round_evaluate(body, client, context):
        with deps.db() as db:
            plan, scoring_round, idea = round_from(db, body, context, client)
            if idea is not None:
                open_evaluate(db, client, body, plan, idea)

    def facilitator_round_action(function):
        """A round button only facilitators may use, on a round still running."""

        @guarded
        def run(body, client, context):
            with deps.db() as db:
                plan, scoring_round, idea = round_from(db, body, context, client)
                if idea is None or not facilitator_or_refuse(db, client, body, plan):
                    return
                if scoring_round.ended_at is not None:
                    return
                function(db, client, body, plan, scoring_round, idea)

        run.__name__ = function.__name__
        return run

    @facilitator_round_action
    def round_move(db, client, body, plan, scoring_round, idea):
        step = -1 if body["actions"][0]["action_id"] == ui.ROUND_PREVIOUS else 1
        scoring.move_round(db, scoring_round=scoring_round, position=scoring_round.position
                           + step)
        _refresh_round_card(deps, client, round_id=scoring_round.id, plan_id=plan.id, now=True)

    @facilitator_round_action
    def round_reveal(db, client, body, plan, scoring_round, idea):
        scoring.reveal(db, idea=idea, user_id=body["user"]["id"], now=deps.clock())
        _refresh_round_card(deps, client, round_id=scoring_round.id, plan_id=plan.id, now=True)

    @facilitator_round_action
    def round_settle(db, client, body, plan, scoring_round, idea):
        open_settle(db, client, body, plan, idea)

    @facilitator_round_action
    def round_nudge(db, client, body, plan, scoring_round, idea):
        rows = {r.idea.id: r for r in scoring.idea_rows(db, plan=plan)}
        scored = rows[idea.id].scorers if idea.id in rows else {}
        waiting = [u for u in scoring.participants(db, plan=plan) if u not in scored]
        if not waiting:
            _ = gettext_for(plan.language)
            tell_in_channel(client, body, _("Everyone has scored this idea."))
            return
        client.chat_postMessage(channel=plan.channel_id, thread_ts=scoring_round.message_ts,
                                **ui.nudge_message(lang=plan.language, idea=idea,
                                                   waiting=waiting))

    @facilitator_round_action
    def round_end(db, client, body, plan, scoring_round, idea):
        if scoring.end_round(db, scoring_round=scoring_round, now=deps.clock()):
            _refresh_round_card(deps, client, round_id=scoring_round.id, plan_id=plan.id,
                                now=True)

    app.action(ui.ROUND_EVALUATE)(ack=ack_now, lazy=[round_evaluate])
    app.action(ui.ROUND_PREVIOUS)(ack=ack_now, lazy=[round_move])
    app.action(ui.ROUND_NEXT)(ack=ack_now, lazy=[round_move])
    app.action(ui.ROUND_REVEAL)(ack=ack_now, lazy=[round_reveal])
    app.action(ui.ROUND_SETTLE)(ack=ack_now, lazy=[round_settle])
    app.action(ui.ROUND_NUDGE)(ack=ack_now, lazy=[round_nudge])
    app.action(ui.ROUND_END)(ack=ack_now, lazy=[round_end])

    # --- modal submissions ---

    def idea_of_view(db, view, context):
        meta = view_metadata(view)
        if not isinstance(meta.get("idea_id"), int) or not meta.get("channel_id"):
            return None, None
        return scoring.idea_in_channel(db, idea_id=meta["idea_id"],
                                       team_id=workspace_id(context),
                                       channel_id=meta["channel_id"])

    def gone(client, body, lang) -> None:
        _ = gettext_for(lang)
        tell_user(client, channel_id=view_metadata(body["view"]).get("channel_id"),
                  user_id=body["user"]["id"], message=notice(_(
                      "That idea no longer belongs to an active plan here; nothing was "
                      "changed.")))

    def stale(client, body, plan, idea) -> None:
        _ = gettext_for(plan.language)
        tell_user(client, channel_id=plan.channel_id, user_id=body["user"]["id"],
                  message=notice(_("Someone changed “{idea}” while you were looking at it, so "
                                   "your change was not applied. It is now: {status}. Open it "
                                   "again to review.").format(
                      idea=escape(idea.text[:200]),
                      status=_(STATUSES[idea.score]))))

    @guarded
    def save_evaluation(body, client, context):
        view = body["view"]
        lang = view_metadata(view).get("lang", "en")
        values, errors = ui.parse_evaluation(view["state"]["values"], lang)
        if errors:
            return
        with deps.db() as db:
            plan, idea = idea_of_view(db, view, context)
            if idea is None:
                gone(client, body, lang)
                return
            scoring.save_evaluation(db, idea=idea, user_id=body["user"]["id"],
                                    user_team_id=user_team_id(body), values=values,
                                    now=deps.clock())
        refresh_round(deps, client, plan=plan)

    @guarded
    def save_settle(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        lang = meta.get("lang", "en")
        parsed, errors = ui.parse_settle(view["state"]["values"], lang)
        if errors:
            return
        with deps.db() as db:
            plan, idea = idea_of_view(db, view, context)
            if idea is None:
                gone(client, body, lang)
                return
            if not queries.is_facilitator(db, plan=plan, user_id=user_id):
                tell_user(client, channel_id=plan.channel_id, user_id=user_id,
                          message=notice(facilitators_only(db, plan)))
                return
            score, note = parsed
            try:
                scoring.settle(db, idea=idea, score=score, note=note, user_id=user_id,
                               now=deps.clock(), expected_version=meta.get("version", -1))
            except scoring.StaleIdea:
                db.refresh(idea)
                stale(client, body, plan, idea)
                return
        refresh_round(deps, client, plan=plan, now=True)

    @guarded
    def save_edit(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        parsed, errors = ui.parse_edit(view["state"]["values"], meta.get("lang", "en"))
        if errors:
            return
        with deps.db() as db:
            plan, idea = idea_of_view(db, view, context)
            if idea is None:
                gone(client, body, meta.get("lang", "en"))
                return
            if user_id != idea.user_id and not queries.is_facilitator(db, plan=plan,
                                                                      user_id=user_id):
                return
            try:
                scoring.edit_idea(db, idea=idea, text=parsed[0], tag=parsed[1],
                                  user_id=user_id, now=deps.clock(),
                                  expected_version=meta.get("version", -1))
            except scoring.StaleIdea:
                db.refresh(idea)
                stale(client, body, plan, idea)
                return
        refresh_round(deps, client, plan=plan)

    @guarded
    def save_merge(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        into_id, errors = ui.parse_merge(view["state"]["values"], meta.get("lang", "en"))
        if errors:
            return
        with deps.db() as db:
            plan, idea = idea_of_view(db, view, context)
            into = db.get(Idea, into_id)
            if (idea is None or into is None or into.plan_id != idea.plan_id
                    or into.id == idea.id or into.merged_into_id is not None):
                gone(client, body, meta.get("lang", "en"))
                return
            if not queries.is_facilitator(db, plan=plan, user_id=user_id):
                return
            try:
                scoring.merge(db, idea=idea, into=into, user_id=user_id, now=deps.clock(),
                              expected_version=meta.get("version", -1))
            except scoring.StaleIdea:
                db.refresh(idea)
                stale(client, body, plan, idea)

    app.view(ui.EVALUATE_CALLBACK)(ack=validate_in_ack(ui.parse_evaluation),
                                   lazy=[save_evaluation])
    app.view(ui.SETTLE_CALLBACK)(ack=validate_in_ack(ui.parse_settle), lazy=[save_settle])
    app.view(ui.EDIT_CALLBACK)(ack=validate_in_ack(ui.parse_edit), lazy=[save_edit])
    app.view(ui.MERGE_CALLBACK)(ack=validate_in_ack(ui.parse_merge), lazy=[save_merge])
