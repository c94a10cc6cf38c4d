"""The strategy session: its live card, the buttons on it and the modals they open."""

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import forms
from bot.blocks import messages as msg
from bot.blocks.inputs import metadata
from bot.blocks.text import chunk_lines, escape, mention, section
from bot.dispatch import cancel_session_timers
from bot.i18n import gettext_for
from bot.listeners.common import (
    Deps,
    ack_now,
    apologise_on_failure,
    channel_of,
    log,
    user_team_id,
    validate_in_ack,
    view_metadata,
    workspace_id,
)
from bot.slack import channel_problem, slack_error, tell_user
from storage import queries
from storage.models import Plan, StrategySession


def _card(db, *, plan: Plan, strategy_session: StrategySession) -> dict:
    contributions = queries.contributors(db, strategy_session=strategy_session)
    return msg.session_card(
        lang=plan.language,
        plan=plan,
        strategy_session=strategy_session,
        contributions=contributions,
        answer_count=sum(answers for answers, _ideas in contributions.values()),
        idea_count=sum(ideas for _answers, ideas in contributions.values()),
    )


def post_session_card(deps: Deps, db, client: WebClient, *, plan, strategy_session) -> None:
    response = client.chat_postMessage(
        channel=plan.channel_id, **_card(db, plan=plan, strategy_session=strategy_session))
    queries.set_session_message(db, strategy_session=strategy_session, ts=response["ts"])


def refresh_card(deps: Deps, client: WebClient, *, strategy_session) -> None:
    """Bring the card up to date from the database, within a second. A failure here
    loses nothing: the data is stored, and the next refresh shows it."""
    if not strategy_session.message_ts:
        return

    def update():
        with deps.db() as db:
            fresh = db.get(StrategySession, strategy_session.id)
            plan = db.get(Plan, fresh.plan_id)
            card = _card(db, plan=plan, strategy_session=fresh)
        try:
            client.chat_update(channel=fresh.channel_id, ts=fresh.message_ts, **card)
        except SlackApiError as error:
            log.warning("could not update the session card: %s", slack_error(error))

    deps.card_updates.request(strategy_session.id, update)


def _unsaved(lang: str, reason: str, texts: list[str]) -> dict:
    """Tell the user why their input was not stored, and give it back to them."""
    _ = gettext_for(lang)
    lines = [reason, _("Here is what you wrote, so nothing is lost:")]
    lines += [escape(t) for t in texts if t]
    blocks = [section(chunk) for chunk in chunk_lines(lines)][:50]
    return {"text": reason, "blocks": blocks}


def register(app: App, deps: Deps) -> None:
    guarded = apologise_on_failure(deps)

    def from_button(db, body, context, client, *, running=True):
        """The session the clicked button belongs to, checked against the request's
        workspace and channel (and, with `running`, still running); (None, None) and the
        user told otherwise."""
        value = body["actions"][0].get("value", "")
        channel_id = channel_of(body)
        strategy_session = None
        if value.isdigit() and channel_id:
            strategy_session = queries.session_in_channel(
                db, session_id=int(value), team_id=workspace_id(context), channel_id=channel_id)
        if strategy_session is None:
            _ = gettext_for(deps.users.profile(client, body["user"]["id"])[0])
            tell_user(client, channel_id=channel_id, user_id=body["user"]["id"],
                      message=msg.notice(_("That session doesn't belong to this channel.")))
            return None, None
        plan = db.get(Plan, strategy_session.plan_id)
        if running and (strategy_session.ended_at is not None or plan.status != "active"):
            _ = gettext_for(plan.language)
            tell_user(client, channel_id=plan.channel_id, user_id=body["user"]["id"],
                      message=msg.notice(_("This session has ended. You can still add ideas "
                                           "with `/plan idea`.")))
            return None, None
        return plan, strategy_session

    @guarded
    def open_answers(body, client, context):
        with deps.db() as db:
            plan, strategy_session = from_button(db, body, context, client)
            if plan is None:
                return
        client.views_open(trigger_id=body["trigger_id"], view=forms.answers_modal(
            lang=plan.language, private_metadata=metadata(
                channel_id=plan.channel_id, session_id=strategy_session.id, lang=plan.language)))

    @guarded
    def open_my_answers(body, client, context):
        user_id = body["user"]["id"]
        with deps.db() as db:
            plan, strategy_session = from_button(db, body, context, client)
            if plan is None:
                return
            answers = queries.answers_of(db, strategy_session=strategy_session, user_id=user_id)
            ideas = [i for i in queries.ideas_of(db, plan=plan, strategy_session=strategy_session)
                     if i.user_id == user_id]
        private_metadata = metadata(
            channel_id=plan.channel_id, session_id=strategy_session.id, lang=plan.language)
        if answers:
            view = forms.my_answers_modal(lang=plan.language, answers=answers, ideas=ideas,
                                          private_metadata=private_metadata)
        else:
            view = forms.answers_modal(lang=plan.language, private_metadata=private_metadata)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @guarded
    def open_idea(body, client, context):
        with deps.db() as db:
            plan, strategy_session = from_button(db, body, context, client)
            if plan is None:
                return
        client.views_open(trigger_id=body["trigger_id"], view=forms.idea_modal(
            lang=plan.language, private_metadata=metadata(
                channel_id=plan.channel_id, plan_id=plan.id, session_id=strategy_session.id,
                lang=plan.language)))

    @guarded
    def end(body, client, context):
        user_id = body["user"]["id"]
        with deps.db() as db:
            plan, strategy_session = from_button(db, body, context, client, running=False)
            if plan is None:
                return
            _ = gettext_for(plan.language)
            if not queries.is_facilitator(db, plan=plan, user_id=user_id):
                people = ", ".join(mention(u) for u in queries.facilitators_of(db, plan=plan))
                tell_user(client, channel_id=plan.channel_id, user_id=user_id,
                          message=msg.notice(_("Thanks! Only the plan's facilitators ({people}) "
                                               "can end the session. Keep contributing!")
                                             .format(people=people)))
                return
            if not queries.end_session(db, strategy_session=strategy_session, user_id=user_id,
                                       now=deps.clock()):
                return  # already ended: a double click
            cancel_session_timers(db, plan=plan, strategy_session=strategy_session)
            refresh_card(deps, client, strategy_session=strategy_session)
            recap = msg.session_recap(
                lang=plan.language, plan=plan,
                answers=queries.answers_of(db, strategy_session=strategy_session),
                ideas=queries.ideas_of(db, plan=plan, strategy_session=strategy_session))
        try:
            for message in recap:
                client.chat_postMessage(channel=plan.channel_id, **message)
        except SlackApiError as error:
            log.warning("could not post the recap: %s", slack_error(error))
            tell_user(client, channel_id=plan.channel_id, user_id=user_id,
                      message=msg.notice(channel_problem(error, plan.language)))

    app.action(msg.SESSION_ADD_ANSWERS)(ack=ack_now, lazy=[open_answers])
    app.action(msg.SESSION_MY_ANSWERS)(ack=ack_now, lazy=[open_my_answers])
    app.action(msg.SESSION_ADD_IDEA)(ack=ack_now, lazy=[open_idea])
    app.action(msg.SESSION_END)(ack=ack_now, lazy=[end])

    # --- modal submissions: validate in the ack (errors go back into the modal),
    # store after it.

    def session_for_view(db, view, context):
        meta = view_metadata(view)
        session_id, channel_id = meta.get("session_id"), meta.get("channel_id")
        if not isinstance(session_id, int) or not channel_id:
            return None, None
        strategy_session = queries.session_in_channel(
            db, session_id=session_id, team_id=workspace_id(context), channel_id=channel_id)
        if strategy_session is None:
            return None, None
        return db.get(Plan, strategy_session.plan_id), strategy_session

    @guarded
    def save_answers(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        with deps.db() as db:
            plan, strategy_session = session_for_view(db, view, context)
            lang = plan.language if plan else deps.users.profile(client, user_id)[0]
            answers, ideas, errors = forms.parse_answers(view["state"]["values"], lang)
            if errors:
                return
            if plan is None or plan.status != "active":
                _ = gettext_for(lang)
                texts = list(answers.values()) + [text for text, _tag, _q in ideas]
                tell_user(client, channel_id=view_metadata(view).get("channel_id"),
                          user_id=user_id, message=_unsaved(
                              lang, _("That plan no longer exists, so your answers were not "
                                      "saved."), texts))
                return
            try:
                queries.add_contributions(
                    db, plan=plan, strategy_session=strategy_session, user_id=user_id,
                    user_team_id=user_team_id(body), answers=answers, ideas=ideas,
                    now=deps.clock(), request_key=f"view:{view['id']}")
            except queries.DuplicateRequest:
                return
            refresh_card(deps, client, strategy_session=strategy_session)

    @guarded
    def save_my_answers(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        with deps.db() as db:
            plan, strategy_session = session_for_view(db, view, context)
            if plan is None:
                return
            texts, errors = forms.parse_my_answers(view["state"]["values"], plan.language)
            if errors:
                return
            if queries.edit_answers(db, strategy_session=strategy_session, user_id=user_id,
                                    texts=texts, now=deps.clock()):
                refresh_card(deps, client, strategy_session=strategy_session)

    def idea_plan(db, view, context):
        meta = view_metadata(view)
        if not isinstance(meta.get("plan_id"), int) or not meta.get("channel_id"):
            return None
        return queries.plan_in_channel(db, plan_id=meta["plan_id"],
                                       team_id=workspace_id(context),
                                       channel_id=meta["channel_id"])

    @guarded
    def save_idea(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        with deps.db() as db:
            plan = idea_plan(db, view, context)
            lang = plan.language if plan else deps.users.profile(client, user_id)[0]
            idea, errors = forms.parse_idea(view["state"]["values"], lang)
            if errors:
                return
            _ = gettext_for(lang)
            if plan is None or plan.status != "active":
                tell_user(client, channel_id=meta.get("channel_id"), user_id=user_id,
                          message=_unsaved(lang, _("That plan no longer exists, so your idea "
                                                   "was not saved."), [idea[0]]))
                return
            strategy_session = None
            if isinstance(meta.get("session_id"), int):
                strategy_session = queries.session_in_channel(
                    db, session_id=meta["session_id"], team_id=plan.team_id,
                    channel_id=plan.channel_id)
            try:
                queries.add_contributions(
                    db, plan=plan, strategy_session=strategy_session, user_id=user_id,
                    user_team_id=user_team_id(body), answers={}, ideas=[idea],
                    now=deps.clock(), request_key=f"view:{view['id']}")
            except queries.DuplicateRequest:
                return
            if strategy_session is not None:
                refresh_card(deps, client, strategy_session=strategy_session)
            else:
                tell_user(client, channel_id=plan.channel_id, user_id=user_id,
                          message=msg.notice(_("Idea added to *{account}*.").format(
                              account=escape(plan.account_name))))

    app.view(forms.ANSWERS_CALLBACK)(ack=validate_in_ack(forms.parse_answers),
                                     lazy=[save_answers])
    app.view(forms.EDIT_CALLBACK)(ack=validate_in_ack(forms.parse_my_answers),
                                  lazy=[save_my_answers])
    app.view(forms.IDEA_CALLBACK)(ack=validate_in_ack(forms.parse_idea), lazy=[save_idea])

