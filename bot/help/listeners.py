"""`/plan` and its subcommands: one router (each subcommand's handler lives with its
capability), and the help."""

import unicodedata

from slack_bolt import App

from bot.exports import listeners as exports_listeners
from bot.help.views import help_message
from bot.objectives import listeners as objectives_listeners
from bot.plans import listeners as plans_listeners
from bot.plans.listeners import new_plan
from bot.platform.request import Interaction, answer, channel_plan
from bot.platform.runners import read_after_ack, run_stored
from bot.platform.state import clean
from bot.reviews import listeners as reviews_listeners
from bot.reviews.listeners import calendar_command
from bot.scoring import listeners as scoring_listeners
from bot.sessions.listeners import add_idea, start_session
from storage import plans, sessions


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
    running = plan and sessions.running_session(db, plan=plan)
    idea_count = sessions.count_ideas(db, plan=plan) if plan else 0

    facilitators = plans.facilitators_of(db, plan=plan) if plan else []
    return answer(act, help_message(lang=act.lang(plan), plan=plan, running=running,
                                    idea_count=idea_count, not_understood=not_understood,
                                    aliases=aliases(), facilitator=act.user_id in facilitators,
                                    facilitators=facilitators))


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
    "ideas": scoring_listeners.show_ideas,
    "priorities": scoring_listeners.show_priorities,
    "prioridades": scoring_listeners.show_priorities,
    "score": scoring_listeners.start_round_command,
    "puntuar": scoring_listeners.start_round_command,
    "objectives": objectives_listeners.show_objectives,
    "objetivos": objectives_listeners.show_objectives,
    "show": objectives_listeners.show_plan,
    "ver": objectives_listeners.show_plan,
    "settings": plans_listeners.open_settings,
    "ajustes": plans_listeners.open_settings,
    "history": plans_listeners.show_history,
    "historial": plans_listeners.show_history,
    "export": exports_listeners.export_command,
    "exportar": exports_listeners.export_command,
    "review": reviews_listeners.review_command,
    "revision": reviews_listeners.review_command,
    "revisión": reviews_listeners.review_command,
    "summary": reviews_listeners.summary_command,
    "resumen": reviews_listeners.summary_command,
    "calendar": calendar_command,
    "calendario": calendar_command,
    "resume": reviews_listeners.resume_command,
    "reanudar": reviews_listeners.resume_command,
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
WRITES = {start_session, add_idea, exports_listeners.export_command, calendar_command,
          scoring_listeners.start_round_command, reviews_listeners.review_command,
          reviews_listeners.resume_command}


def register(app: App) -> None:
    app.command("/plan")(run_command)
