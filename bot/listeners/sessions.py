"""The strategy session: the buttons on its live card and the modals they open."""

from slack_bolt import App

from bot.blocks import forms
from bot.blocks import messages as msg
from bot.blocks.inputs import metadata
from bot.blocks.text import escape, mention
from bot.cards import mark
from bot.dispatch import cancel_session_timers, request
from bot.listeners.common import (
    Interaction,
    Reply,
    after_ack,
    confirmation,
    facilitators_only,
    store_in_ack,
    submission,
)
from bot.method import QUESTIONS
from storage import queries
from storage.models import Plan, StrategySession


def clicked_session(act: Interaction, db, *, running=True, session_id: str | None = None):
    """(plan, session) the clicked button belongs to (its value, or `session_id`), checked
    against the request's workspace and channel (and, with `running`, still running); else
    (None, None) and what to tell the user, to run after the ack."""
    plan = strategy_session = None
    session_id = act.value if session_id is None else session_id
    if session_id.isdigit() and act.channel_id:
        plan, strategy_session = queries.session_with_plan(
            db, session_id=int(session_id), team_id=act.team_id, channel_id=act.channel_id)
    if strategy_session is None:
        def elsewhere():
            _ = act.gettext()
            act.tell(_("That session doesn't belong to this channel."))

        return None, None, elsewhere
    if running and (strategy_session.ended_at is not None or plan.status != "active"):
        _ = act.gettext(plan)
        ended = _("This session has ended. You can still add ideas with `/plan idea`.")
        return None, None, lambda: act.tell(ended)
    return plan, strategy_session, None


def _answers_metadata(plan: Plan, strategy_session: StrategySession, lang: str) -> str:
    return metadata(channel_id=plan.channel_id, plan_id=plan.id,
                    session_id=strategy_session.id, lang=lang)


def open_answers(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, strategy_session, refusal = clicked_session(act, db)
    if refusal:
        return refusal()
    lang = act.lang(plan)
    act.open(forms.answers_modal(lang=lang, private_metadata=_answers_metadata(
        plan, strategy_session, lang)))


def open_my_answers(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, strategy_session, refusal = clicked_session(act, db)
        if refusal:
            return refusal()
        answers = queries.answers_of(db, strategy_session=strategy_session, user_id=act.user_id)
        ideas = [i for i in queries.ideas_of(db, plan=plan, strategy_session=strategy_session)
                 if i.user_id == act.user_id]
    lang = act.lang(plan)
    private_metadata = _answers_metadata(plan, strategy_session, lang)
    if answers:
        act.open(forms.my_answers_modal(lang=lang, answers=answers, ideas=ideas,
                                        private_metadata=private_metadata))
    else:
        act.open(forms.answers_modal(lang=lang, private_metadata=private_metadata))


def open_idea(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, strategy_session, refusal = clicked_session(act, db)
    if refusal:
        return refusal()
    lang = act.lang(plan)
    act.open(forms.idea_modal(lang=lang, private_metadata=_answers_metadata(
        plan, strategy_session, lang)))


def open_board(act: Interaction) -> None:
    """The answers given so far, by question: what the others said, during the session."""
    with act.deps.db() as db:
        plan, strategy_session, refusal = clicked_session(act, db, running=False)
        if refusal:
            return refusal()
        board = msg.answers_board(
            lang=act.lang(plan), plan=plan,
            answers=queries.answers_of(db, strategy_session=strategy_session),
            ideas=queries.ideas_of(db, plan=plan, strategy_session=strategy_session))
    act.open(board)


def focus(act: Interaction, db):
    """Step through the questions (facilitators): the card puts the next one in focus."""
    session_id, _sep, question = act.value.partition(":")
    plan, strategy_session, refusal = clicked_session(act, db, session_id=session_id)
    if refusal:
        return refusal
    if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan, act.lang(plan))
        return lambda: act.tell(refusal)
    number = int(question) if question.isdigit() else 0
    now = act.deps.clock()
    queries.focus_question(db, strategy_session=strategy_session,
                           question=number if 1 <= number <= len(QUESTIONS) else None, now=now)
    mark(db, "session", strategy_session.id, now)
    return lambda: act.deps.cards.redraw_now("session", strategy_session.id)


def ask_to_end(act: Interaction) -> None:
    """End session: a confirmation for facilitators; anyone else is told at once that only
    they can, never asked to confirm first."""
    with act.deps.db() as db:
        plan, strategy_session, refusal = clicked_session(act, db)
        if refusal:
            return refusal()
        if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
            _ = act.gettext(plan)
            people = ", ".join(mention(u) for u in queries.facilitators_of(db, plan=plan))
            return act.tell(_("Thanks! Only the plan's facilitators ({people}) can end the "
                              "session. Keep contributing!").format(people=people))
    lang = act.lang(plan)
    act.open(msg.end_session_modal(lang=lang, private_metadata=_answers_metadata(
        plan, strategy_session, lang)))


# --- modal submissions: validated in the ack (errors on the fields), stored before it ---

def session_of_view(act: Interaction, db, *, gone: str | None = None):
    """(plan, session) a modal was opened for, with the checks of `plan_of_view`."""
    plan = strategy_session = None
    if isinstance(act.meta.get("session_id"), int) and act.channel_id:
        plan, strategy_session = queries.session_with_plan(
            db, session_id=act.meta["session_id"], team_id=act.team_id,
            channel_id=act.channel_id)
    return act.may_change(plan, gone=gone), strategy_session


def end(act: Interaction, db):
    """The facilitator confirmed: the session ends, its card says so, its recap is posted."""
    plan, strategy_session = session_of_view(act, db)
    act.require_facilitator(db, plan)
    now = act.deps.clock()
    if not queries.end_session(db, strategy_session=strategy_session, user_id=act.user_id,
                               now=now):
        return None  # ended already: a double submit, or the session's own end
    cancel_session_timers(db, plan=plan, strategy_session=strategy_session)
    mark(db, "session", strategy_session.id, now)
    recap = request(db, plan=plan, kind="recap", key=f"recap:{strategy_session.id}", now=now,
                    session_id=strategy_session.id, user_id=act.user_id)

    def after():
        act.deps.cards.redraw_now("session", strategy_session.id)
        act.deps.outbox.deliver(recap)

    return Reply(then=after)


def save_answers(act: Interaction, db, answers, ideas):
    _ = act.gettext()
    plan, strategy_session = session_of_view(act, db, gone=_(
        "That plan no longer exists, so your answers were not saved. Copy them from here "
        "before closing this form."))
    now = act.deps.clock()
    queries.add_contributions(db, plan=plan, strategy_session=strategy_session,
                              user_id=act.user_id, user_team_id=act.user_team_id,
                              answers=answers, ideas=ideas, now=now)
    mark(db, "session", strategy_session.id, now)
    return Reply(then=lambda: act.deps.cards.redraw_soon("session", strategy_session.id))


def save_my_answers(act: Interaction, db, texts):
    plan, strategy_session = session_of_view(act, db)
    now = act.deps.clock()
    if not queries.edit_answers(db, strategy_session=strategy_session, user_id=act.user_id,
                                texts=texts, now=now):
        return None
    mark(db, "session", strategy_session.id, now)
    return Reply(then=lambda: act.deps.cards.redraw_soon("session", strategy_session.id))


def save_idea(act: Interaction, db, idea):
    _ = act.gettext()
    gone = _("That plan no longer exists, so your idea was not saved. Copy it from here "
             "before closing this form.")
    if isinstance(act.meta.get("session_id"), int):
        plan, strategy_session = session_of_view(act, db, gone=gone)
    else:
        plan, strategy_session = act.plan_of_view(db, gone=gone), None
    now = act.deps.clock()
    queries.add_contributions(db, plan=plan, strategy_session=strategy_session,
                              user_id=act.user_id, user_team_id=act.user_team_id, answers={},
                              ideas=[idea], now=now)
    if strategy_session is not None:
        mark(db, "session", strategy_session.id, now)
        return Reply(then=lambda: act.deps.cards.redraw_soon("session", strategy_session.id))
    return Reply(then=lambda: act.tell(_("Idea added to *{account}*.").format(
        account=escape(plan.account_name))))


def register(app: App) -> None:
    app.action(msg.SESSION_ADD_ANSWERS)(after_ack(open_answers))
    app.action(msg.SESSION_MY_ANSWERS)(after_ack(open_my_answers))
    app.action(msg.SESSION_ADD_IDEA)(after_ack(open_idea))
    app.action(msg.SESSION_BOARD)(after_ack(open_board))
    app.action(msg.SESSION_END)(after_ack(ask_to_end))
    app.view(msg.SESSION_END_CALLBACK)(submission(confirmation, end))
    app.action(msg.SESSION_FOCUS)(store_in_ack(focus))
    app.view(forms.ANSWERS_CALLBACK)(submission(forms.parse_answers, save_answers))
    app.view(forms.EDIT_CALLBACK)(submission(forms.parse_my_answers, save_my_answers))
    app.view(forms.IDEA_CALLBACK)(submission(forms.parse_idea, save_idea))
