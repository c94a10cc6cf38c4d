"""`/plan` and its subcommands: one router (each subcommand's handler lives with its
capability), and the help."""

import unicodedata

from sqlmodel import Session

from bot.canvas import listeners as canvas
from bot.exports import listeners as exports
from bot.help.views import help_message
from bot.imports import listeners as imports
from bot.objectives import listeners as objectives
from bot.plans import listeners as plans
from bot.platform.request import Interaction, Reply, answer
from bot.platform.routes import Routes
from bot.platform.runners import read_after_ack, run_stored
from bot.platform.state import clean
from bot.reviews import listeners as reviews
from bot.scoring import listeners as scoring
from bot.sessions import listeners as sessions
from storage import plans as stored_plans


def show_help(act: Interaction, db: Session, not_understood: str | None = None) -> Reply:
    found = stored_plans.channel_plan(db, team_id=act.team_id, channel_id=act.channel_id or "",
                                      user_id=act.user_id, counts=True)
    if found is None:
        return answer(act, help_message(lang=act.lang(), not_understood=not_understood,
                                        aliases=ALIASES))
    return answer(act, help_message(lang=act.lang(found.plan), plan=found.plan,
                                    running=found.running, idea_count=found.idea_count,
                                    not_understood=not_understood, aliases=ALIASES,
                                    facilitator=found.facilitator,
                                    facilitators=found.facilitators))


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
    (("import", "importar"), imports.import_command, False),
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


def register(app: Routes) -> None:
    app.command("/plan")(run_command)
