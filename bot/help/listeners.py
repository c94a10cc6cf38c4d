"""`/plan` and its subcommands: one router (each subcommand's handler lives with its
capability), and the help."""

import unicodedata

from slack_bolt import App
from sqlmodel import Session

from bot.canvas import listeners as canvas
from bot.exports import listeners as exports
from bot.help.views import help_message
from bot.objectives import listeners as objectives
from bot.plans import listeners as plans
from bot.platform.request import Interaction, Reply, answer
from bot.platform.runners import read_after_ack, run_stored
from bot.platform.state import clean
from bot.reviews import listeners as reviews
from bot.scoring import listeners as scoring
from bot.sessions import listeners as sessions
from storage import plans as stored_plans
from storage import sessions as stored_sessions


def show_help(act: Interaction, db: Session, not_understood: str | None = None) -> Reply:
    plan = act.channel_plan(db)
    running = plan and stored_sessions.running_session(db, plan=plan)
    idea_count = stored_sessions.count_ideas(db, plan=plan) if plan else 0
    facilitators = stored_plans.facilitators_of(db, plan=plan) if plan else []
    return answer(act, help_message(lang=act.lang(plan), plan=plan, running=running,
                                    idea_count=idea_count, not_understood=not_understood,
                                    aliases=ALIASES, facilitator=act.user_id in facilitators,
                                    facilitators=facilitators))


# Every subcommand: its names (the English one, then the Spanish ones), what runs it, and
# whether it writes (then it runs before the ack, in one transaction).
COMMANDS = (
    (("help", "ayuda"), show_help, False),
    (("new", "nuevo"), plans.new_plan, False),
    (("session", "sesión"), sessions.start_session, True),
    (("idea",), sessions.add_idea, True),
    (("ideas",), scoring.show_ideas, False),
    (("priorities", "prioridades"), scoring.show_priorities, False),
    (("score", "puntuar"), scoring.start_round_command, True),
    (("objectives", "objetivos"), objectives.show_objectives, False),
    (("show", "ver"), objectives.show_plan, False),
    (("settings", "ajustes"), plans.open_settings, False),
    (("history", "historial"), plans.show_history, False),
    (("export", "exportar"), exports.export_command, True),
    (("review", "revisión"), reviews.review_command, True),
    (("summary", "resumen"), reviews.summary_command, False),
    (("calendar", "calendario"), reviews.calendar_command, True),
    (("resume", "reanudar"), reviews.resume_command, True),
    (("canvas", "lienzo"), canvas.canvas_command, True),
)


def unaccented(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# Each name, and each typed without its accent (`sesion`), and `/plan` alone: the handler.
SUBCOMMANDS = {"": show_help} | {spelling: handler for names, handler, _writes in COMMANDS
                                 for name in names for spelling in (name, unaccented(name))}
WRITES = {handler for _names, handler, writes in COMMANDS if writes}
# Each command's other names, for the help: {"session": ["sesión"], …}.
ALIASES = {first: list(rest) for (first, *rest), _handler, _writes in COMMANDS}


def run_command(ack, body, context, client, respond):
    act = Interaction.of(body, context, client, respond)
    name, _sep, rest = clean(body.get("text") or "").strip().partition(" ")
    act.text = rest.strip()
    if act.channel_id:
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


def register(app: App) -> None:
    app.command("/plan")(run_command)
