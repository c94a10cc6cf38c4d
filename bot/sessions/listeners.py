"""The strategy session: `/plan session`, `/plan idea`, the buttons on its live card and the
modals they open."""

from typing import Any

from sqlmodel import Session

from bot.outbox.cards import mark
from bot.outbox.schedule import request
from bot.platform.blocks import TEXT_MAX, escape, given_back, metadata, notice, quote
from bot.platform.i18n import N_
from bot.platform.request import NO_PLAN, PLAN_GONE, Interaction, Refusal, Reply, answer
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, confirmation, needs_plan, store_in_ack, submission
from bot.sessions import deliveries, views
from bot.sessions.rules import QUESTIONS, SESSION_MINUTES_DEFAULT, session_end
from storage import plans, sessions
from storage.models import Plan, StrategySession

SESSION_MINUTES_RANGE = range(5, 481)
ELSEWHERE = N_("That session doesn't belong to this channel.")
ENDED = N_("This session has ended. You can still add ideas with `/plan idea`.")
ONLY_THEY_END = N_("Thanks! Only the plan's facilitators ({people}) can end the session. Keep "
                   "contributing!")


@needs_plan
def start_session(act: Interaction, db: Session, plan: Plan):
    minutes = SESSION_MINUTES_DEFAULT
    if act.text:
        if not act.text.isdigit() or int(act.text) not in SESSION_MINUTES_RANGE:
            raise Refusal(N_("Give the session length in minutes, between 5 and 480: for "
                             "example `/plan session 60`."))
        minutes = int(act.text)
    now = act.deps.clock()
    try:
        strategy_session = sessions.start_session(db, plan=plan, user_id=act.user_id, now=now,
                                                  ends_at=session_end(now, minutes))
    except sessions.SessionAlreadyRunning:
        raise Refusal(N_("A strategy session is already running in this channel: use the "
                         "buttons on its card.")) from None
    deliveries.schedule_timers(db, plan=plan, strategy_session=strategy_session)
    card = request(db, plan=plan, kind=deliveries.CARD, key=f"card:{act.key}",
                   now=now, session_id=strategy_session.id, user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(card)


def add_idea(act: Interaction, db: Session):
    """`/plan idea <text>`: stored by one INSERT that finds the channel's plan and its
    running session itself, and returns what the answer shows. Without a text (the idea
    modal), or with one too long, the plan is read first."""
    if not act.text or len(act.text) > TEXT_MAX:
        return _idea_modal_or_too_long(act, db)
    added = sessions.add_idea_here(db, team_id=act.team_id, channel_id=act.channel_id or "",
                                   user_id=act.user_id, user_team_id=act.user_team_id,
                                   text=act.text, now=act.deps.clock())
    if added is None:
        raise Refusal(NO_PLAN)
    _ = act.gettext(added)
    message = notice(_("Idea added to *{account}*:").format(account=escape(added.account_name))
                     + "\n" + quote(act.text))
    if added.session_id is None:
        return answer(act, message)
    running = added.session_id
    return Reply(ack=message, then=lambda: act.deps.cards.redraw_soon("session", running))


@needs_plan
def _idea_modal_or_too_long(act: Interaction, db: Session, plan: Plan):
    """`/plan idea` alone opens the idea modal; a text too long is handed back."""
    if act.text:
        _ = act.gettext(plan)
        return answer(act, given_back(
            _("That idea is too long: keep it under {max_length} characters. Here is what you "
              "wrote:").format(max_length=TEXT_MAX), act.text))
    found = act.channel(db)  # read with the plan: one query
    running = found.running if found else None

    def open_modal():
        lang = act.lang(plan)
        act.open(views.idea_modal(lang=lang, private_metadata=metadata(
            channel_id=plan.channel_id, plan_id=plan.id,
            session_id=running.id if running else None, lang=lang)))

    return open_modal


def clicked_session(act: Interaction, db: Session, *, running=True
                    ) -> tuple[Plan, StrategySession]:
    """(plan, session) of a button on the session's card (its value starts with the
    session's id), in this channel; with `running`, a session still running."""
    plan, strategy_session = act.clicked(db, StrategySession, act.number(0),
                                         elsewhere=ELSEWHERE, active=False)
    if running and (strategy_session.ended_at is not None or plan.status != "active"):
        raise Refusal(ENDED)
    return plan, strategy_session


def _answers_metadata(plan: Plan, strategy_session: StrategySession, lang: str) -> str:
    return metadata(channel_id=plan.channel_id, plan_id=plan.id,
                    session_id=strategy_session.id, lang=lang)


def _open_for_session(act: Interaction, build) -> None:
    """One of the running session's modals, `build(lang=, private_metadata=)`."""
    with act.deps.db() as db:
        plan, strategy_session = clicked_session(act, db)
    lang = act.lang(plan)
    act.open(build(lang=lang, private_metadata=_answers_metadata(plan, strategy_session, lang)))


def open_answers(act: Interaction) -> None:
    _open_for_session(act, views.answers_modal)


def open_my_answers(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, strategy_session = clicked_session(act, db)
        answers = sessions.answers_of(db, strategy_session=strategy_session, user_id=act.user_id)
        ideas = [i for i in sessions.ideas_of(db, plan=plan, strategy_session=strategy_session)
                 if i.user_id == act.user_id]
    lang = act.lang(plan)
    private_metadata = _answers_metadata(plan, strategy_session, lang)
    if answers:
        act.open(views.my_answers_modal(lang=lang, answers=answers, ideas=ideas,
                                        private_metadata=private_metadata))
    else:
        act.open(views.answers_modal(lang=lang, private_metadata=private_metadata))


def open_idea(act: Interaction) -> None:
    _open_for_session(act, views.idea_modal)


def open_board(act: Interaction) -> None:
    """The answers given so far, by question: what the others said, during the session."""
    with act.deps.db() as db:
        plan, strategy_session = clicked_session(act, db, running=False)
        board = views.answers_board(
            lang=act.lang(plan), plan=plan,
            answers=sessions.answers_of(db, strategy_session=strategy_session),
            ideas=sessions.ideas_of(db, plan=plan, strategy_session=strategy_session))
    act.open(board)


def focus(act: Interaction, db: Session):
    """Step through the questions (facilitators): the card puts the next one in focus."""
    plan, strategy_session = clicked_session(act, db)
    act.require_facilitator(db, plan)
    number = act.number(1) or 0
    now = act.deps.clock()
    sessions.focus_question(db, strategy_session=strategy_session,
                            question=number if 1 <= number <= len(QUESTIONS) else None, now=now)
    mark(db, "session", strategy_session.id, now)
    return lambda: act.deps.cards.redraw_now("session", strategy_session.id)


def ask_to_end(act: Interaction) -> None:
    """End session: a confirmation for facilitators; anyone else is told at once that only
    they can, never asked to confirm first."""
    with act.deps.db() as db:
        plan, strategy_session = clicked_session(act, db)
        act.require_facilitator(db, plan, ONLY_THEY_END)
    lang = act.lang(plan)
    act.open(views.end_session_modal(lang=lang, private_metadata=_answers_metadata(
        plan, strategy_session, lang)))


def session_of_view(act: Interaction, db: Session, *, gone: str | None = None
                    ) -> tuple[Plan, StrategySession]:
    """(plan, session) a modal was opened for, with the checks of `plan_of_view`."""
    plan: Plan | None = None
    strategy_session: Any = None
    if isinstance(act.meta.get("session_id"), int) and act.channel_id:
        plan, strategy_session = plans.in_channel(
            db, StrategySession, act.meta["session_id"], team_id=act.team_id,
            channel_id=act.channel_id, active=False)
    return act.may_change(plan, gone=gone), strategy_session


def end(act: Interaction, db: Session):
    """The facilitator confirmed: the session ends, its card says so, its recap is posted."""
    plan, strategy_session = session_of_view(act, db)
    act.require_facilitator(db, plan)
    now = act.deps.clock()
    if not sessions.end_session(db, strategy_session=strategy_session, user_id=act.user_id,
                                now=now):
        return None  # ended already: a double submit, or the session's own end
    deliveries.cancel_timers(db, plan=plan, strategy_session=strategy_session)
    mark(db, "session", strategy_session.id, now)
    recap = request(db, plan=plan, kind=deliveries.RECAP, key=f"recap:{strategy_session.id}",
                    now=now,
                    session_id=strategy_session.id, user_id=act.user_id)

    def after():
        act.deps.cards.redraw_now("session", strategy_session.id)
        act.deps.outbox.deliver(recap)

    return Reply(then=after)


def contribute(act: Interaction, db: Session, *, plan_id: Any, session_id: Any,
               answers: dict | None = None, ideas: list, gone: str | None = None) -> None:
    """Store what the actor contributes to the plan (and its session) of the channel they
    act in, if they are in it; a Refusal (`gone`) when the plan is no longer active there."""
    act.require_in(act.channel_id)
    named = isinstance(plan_id, int) and (session_id is None or isinstance(session_id, int))
    if not (named and sessions.add_contributions(
            db, team_id=act.team_id, channel_id=act.channel_id or "", plan_id=plan_id,
            session_id=session_id, user_id=act.user_id, user_team_id=act.user_team_id,
            answers=answers or {}, ideas=ideas, now=act.deps.clock())):
        raise Refusal(gone or PLAN_GONE)


def save_answers(act: Interaction, db: Session, answers, ideas):
    """What the person wrote for the session's questions, in three statements: the plan and
    the session are found by the INSERTs themselves (`add_contributions`)."""
    session_id: Any = act.meta.get("session_id")
    contribute(act, db, plan_id=act.meta.get("plan_id"), session_id=session_id,
               answers=answers, ideas=ideas, gone=N_(
                   "That plan no longer exists, so your answers were not saved. Copy them "
                   "from here before closing this form."))
    return Reply(then=lambda: act.deps.cards.redraw_soon("session", session_id))


def save_my_answers(act: Interaction, db: Session, texts):
    plan, strategy_session = session_of_view(act, db)
    now = act.deps.clock()
    if not sessions.edit_answers(db, strategy_session=strategy_session, user_id=act.user_id,
                                 texts=texts, now=now):
        return None
    mark(db, "session", strategy_session.id, now)
    return Reply(then=lambda: act.deps.cards.redraw_soon("session", strategy_session.id))


def save_idea(act: Interaction, db: Session, idea):
    gone = N_("That plan no longer exists, so your idea was not saved. Copy it from here "
              "before closing this form.")
    session_id: Any = act.meta.get("session_id")
    if session_id is not None:
        contribute(act, db, plan_id=act.meta.get("plan_id"), session_id=session_id,
                   ideas=[idea], gone=gone)
        return Reply(then=lambda: act.deps.cards.redraw_soon("session", session_id))
    plan = act.plan_of_view(db, gone=gone)
    contribute(act, db, plan_id=plan.id, session_id=None, ideas=[idea], gone=gone)
    account = escape(plan.account_name)

    def added():
        _ = act.gettext()
        act.tell(_("Idea added to *{account}*.").format(account=account))

    return Reply(then=added)


def register(app: Routes) -> None:
    app.action(views.SESSION_ADD_ANSWERS)(after_ack(open_answers))
    app.action(views.SESSION_MY_ANSWERS)(after_ack(open_my_answers))
    app.action(views.SESSION_ADD_IDEA)(after_ack(open_idea))
    app.action(views.SESSION_BOARD)(after_ack(open_board))
    app.action(views.SESSION_END)(after_ack(ask_to_end))
    app.view(views.SESSION_END_CALLBACK)(submission(confirmation, end))
    app.action(views.SESSION_FOCUS)(store_in_ack(focus))
    app.view(views.ANSWERS_CALLBACK)(submission(views.parse_answers, save_answers))
    app.view(views.EDIT_CALLBACK)(submission(views.parse_my_answers, save_my_answers))
    app.view(views.IDEA_CALLBACK)(submission(views.parse_idea, save_idea))
