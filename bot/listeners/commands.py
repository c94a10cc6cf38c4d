"""`/plan` and its subcommands: one router, one small function per subcommand.

Each subcommand takes `(act, db)` and runs before the ack: what it writes is committed
first, and it answers in the ack itself (a Reply) whenever it can, or returns what to do
after the ack (open a modal, anything that needs Slack).
"""

import unicodedata

from slack_bolt import App

from bot.blocks import forms, plan_form
from bot.blocks.inputs import metadata
from bot.blocks.messages import archive_offer, given_back, help_message, notice
from bot.blocks.state import clean
from bot.blocks.text import escape, mention, quote
from bot.cards import mark
from bot.dispatch import request, schedule_session_timers
from bot.domain import session_end
from bot.listeners import exports, ideas, objectives, reviews
from bot.listeners.common import (
    Interaction,
    Reply,
    answer,
    channel_plan,
    no_plan,
    read_after_ack,
    run_stored,
)
from bot.method import SESSION_MINUTES_DEFAULT
from storage import queries

SESSION_MINUTES_RANGE = range(5, 481)


def run_command(ack, body, context, client, respond):
    act = Interaction.of(body, context, client, respond)
    name, _sep, rest = clean(body.get("text") or "").strip().partition(" ")
    act.text = rest.strip()
    act.deps.members.saw(act.channel_id, act.user_id)  # Slack placed them in the channel
    handler = SUBCOMMANDS.get(name.lower())
    if handler is None:
        not_understood = clean(body.get("text") or "").strip()
        handler = lambda act, db: show_help(act, db, not_understood)  # noqa: E731
    if handler in WRITES:
        run_stored(ack, act, handler)
    elif act.known_lang():
        run_stored(ack, act, handler, keyed=False)  # answered in the ack itself
    else:
        read_after_ack(ack, act, handler)  # answered in the user's language, once known


def show_help(act: Interaction, db, not_understood: str | None = None):
    plan = channel_plan(act, db)
    running = plan and queries.running_session(db, plan=plan)
    idea_count = queries.count_ideas(db, plan=plan) if plan else 0

    facilitators = queries.facilitators_of(db, plan=plan) if plan else []
    return answer(act, help_message(lang=act.lang(plan), plan=plan, running=running,
                                    idea_count=idea_count, not_understood=not_understood,
                                    aliases=aliases(), facilitator=act.user_id in facilitators,
                                    facilitators=facilitators))


def new_plan(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is not None:
        if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
            _ = act.gettext(plan)
            return answer(act, notice(_(
                "This channel already has an active plan, *{account}*. Only its facilitators "
                "({people}) can archive it to start a new one.").format(
                account=escape(plan.account_name),
                people=", ".join(mention(u) for u in queries.facilitators_of(db, plan=plan)))))
        return answer(act, archive_offer(lang=act.lang(plan), plan=plan))
    return lambda: open_new_plan_modal(act, account_name=act.text)


def open_new_plan_modal(act: Interaction, account_name: str = "") -> None:
    lang, timezone = act.deps.users.profile(act.client, act.user_id)
    act.open(plan_form.modal(
        lang=lang, channel_id=act.channel_id, today=act.deps.clock().date(), timezone=timezone,
        creator_id=act.user_id, account_name=account_name[:plan_form.NAME_MAX]))


def start_session(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    _ = act.gettext(plan)
    minutes = SESSION_MINUTES_DEFAULT
    if act.text:
        if not act.text.isdigit() or int(act.text) not in SESSION_MINUTES_RANGE:
            return answer(act, notice(_("Give the session length in minutes, between 5 and "
                                        "480: for example `/plan session 60`.")))
        minutes = int(act.text)
    now = act.deps.clock()
    try:
        strategy_session = queries.start_session(db, plan=plan, user_id=act.user_id, now=now,
                                                 ends_at=session_end(now, minutes))
    except queries.SessionAlreadyRunning:
        return answer(act, notice(_("A strategy session is already running in this channel: "
                                    "use the buttons on its card.")))
    schedule_session_timers(db, plan=plan, strategy_session=strategy_session)
    card = request(db, plan=plan, kind="session_card", key=f"card:{act.key}",
                   now=now, session_id=strategy_session.id, user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(card)


def add_idea(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    running = queries.running_session(db, plan=plan)
    _ = act.gettext(plan)
    if not act.text:
        def open_modal():
            lang = act.lang(plan)
            act.open(forms.idea_modal(lang=lang, private_metadata=metadata(
                channel_id=plan.channel_id, plan_id=plan.id,
                session_id=running.id if running else None, lang=lang)))

        return open_modal
    if len(act.text) > forms.TEXT_MAX:
        return answer(act, given_back(
            _("That idea is too long: keep it under {max_length} characters. Here is what you "
              "wrote:").format(max_length=forms.TEXT_MAX), act.text))
    now = act.deps.clock()
    queries.add_contributions(db, plan=plan, strategy_session=running, user_id=act.user_id,
                              user_team_id=act.user_team_id, answers={},
                              ideas=[(act.text, None, None)], now=now)
    added = notice(_("Idea added to *{account}*:").format(account=escape(plan.account_name))
                   + "\n" + quote(act.text))
    if running is None:
        return answer(act, added)
    mark(db, "session", running.id, now)
    return Reply(ack=added, then=lambda: act.deps.cards.redraw_soon("session", running.id))


def calendar_command(act: Interaction, db):
    """The coming review dates as an .ics file, uploaded to the channel (the outbox)."""
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    now = act.deps.clock()
    delivery = request(db, plan=plan, kind="calendar", key=f"calendar:{act.key}", now=now,
                       user_id=act.user_id,
                       base=exports.export_filename(plan, now.date()) + "-reviews")
    return lambda: act.deps.outbox.deliver(delivery)


SUBCOMMANDS = {
    "": show_help,
    "help": show_help,
    "ayuda": show_help,
    "new": new_plan,
    "nuevo": new_plan,
    "session": start_session,
    "sesion": start_session,
    "sesión": start_session,
    "idea": add_idea,
    "ideas": ideas.show_ideas,
    "priorities": ideas.show_priorities,
    "prioridades": ideas.show_priorities,
    "score": ideas.start_round_command,
    "puntuar": ideas.start_round_command,
    "objectives": objectives.show_objectives,
    "objetivos": objectives.show_objectives,
    "show": objectives.show_plan,
    "ver": objectives.show_plan,
    "settings": objectives.open_settings,
    "ajustes": objectives.open_settings,
    "history": objectives.show_history,
    "historial": objectives.show_history,
    "export": exports.export_command,
    "exportar": exports.export_command,
    "review": reviews.review_command,
    "revision": reviews.review_command,
    "revisión": reviews.review_command,
    "summary": reviews.summary_command,
    "resumen": reviews.summary_command,
    "calendar": calendar_command,
    "calendario": calendar_command,
    "resume": reviews.resume_command,
    "reanudar": reviews.resume_command,
}


def aliases() -> dict[str, list[str]]:
    """Each command's other names, for the help: {"session": ["sesión"], …}; a name typed
    without its accent (`sesion`) works but is not listed."""
    names: dict = {}
    for name, handler in SUBCOMMANDS.items():
        if name:
            names.setdefault(handler, []).append(name)
    return {first: [n for n in rest if not any(other != n and unaccented(other) == n
                                               for other in rest)]
            for first, *rest in names.values()}


def unaccented(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# The subcommands that write: they run before the ack, in one transaction.
WRITES = {start_session, add_idea, exports.export_command, calendar_command,
          ideas.start_round_command, reviews.review_command, reviews.resume_command}


def register(app: App) -> None:
    app.command("/plan")(run_command)
