"""`/plan` and its subcommands: one router, one small function per subcommand."""

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks import forms, plan_form
from bot.blocks.inputs import metadata
from bot.blocks.messages import archive_offer, help_message
from bot.blocks.text import escape, quote
from bot.dispatch import schedule_session_timers
from bot.domain import session_end
from bot.i18n import gettext_for
from bot.listeners.common import (
    Command,
    Deps,
    ack_now,
    apologise_on_failure,
    command_language,
    log,
    plan_or_explain,
    workspace_id,
)
from bot.listeners.ideas import show_ideas, show_priorities, start_round_command
from bot.listeners.objectives import (
    export_plan,
    open_settings,
    show_history,
    show_objectives,
    show_plan,
)
from bot.listeners.reviews import resume_command, review_command, summary_command
from bot.listeners.sessions import post_session_card, refresh_card
from bot.method import SESSION_MINUTES_DEFAULT
from bot.slack import channel_problem, slack_error
from storage import queries

SESSION_MINUTES_RANGE = range(5, 481)


def register(app: App, deps: Deps) -> None:
    @apologise_on_failure(deps)
    def run_command(body, client, respond, context):
        name, _, rest = (body.get("text") or "").strip().partition(" ")
        command = Command(
            team_id=workspace_id(context),
            channel_id=body["channel_id"],
            user_id=body["user_id"],
            user_team_id=body.get("team_id"),
            text=rest.strip(),
            trigger_id=body["trigger_id"],
            client=client,
            respond=respond,
        )
        handler = SUBCOMMANDS.get(name.lower())
        if handler is None:
            show_help(deps, command, not_understood=body.get("text", "").strip())
        else:
            handler(deps, command)

    app.command("/plan")(ack=ack_now, lazy=[run_command])


def show_help(deps: Deps, command: Command, not_understood: str | None = None) -> None:
    with deps.db() as db:
        plan = queries.active_plan(db, team_id=command.team_id, channel_id=command.channel_id)
        running = plan and queries.running_session(db, plan=plan)
        idea_count = queries.count_ideas(db, plan=plan) if plan else 0
    message = help_message(lang=command_language(deps, command, plan), plan=plan, running=running,
                           idea_count=idea_count, not_understood=not_understood)
    command.reply(message)


def new_plan(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = queries.active_plan(db, team_id=command.team_id, channel_id=command.channel_id)
    if plan is not None:
        command.reply(archive_offer(lang=plan.language, plan=plan))
        return
    open_new_plan_modal(deps, command.client, trigger_id=command.trigger_id,
                        channel_id=command.channel_id, user_id=command.user_id,
                        account_name=command.text)


def open_new_plan_modal(deps, client, *, trigger_id, channel_id, user_id, account_name=""):
    lang, timezone = deps.users.profile(client, user_id)
    today = deps.clock().date()
    client.views_open(trigger_id=trigger_id, view=plan_form.modal(
        lang=lang, channel_id=channel_id, today=today, timezone=timezone,
        creator_id=user_id, account_name=account_name))


def start_session(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        _ = gettext_for(plan.language)
        minutes = SESSION_MINUTES_DEFAULT
        if command.text:
            if not command.text.isdigit() or int(command.text) not in SESSION_MINUTES_RANGE:
                command.say(
                    _("Give the session length in minutes, between 5 and 480: "
                      "for example `/plan session 60`."))
                return
            minutes = int(command.text)
        now = deps.clock()
        try:
            strategy_session = queries.start_session(
                db, plan=plan, user_id=command.user_id, now=now,
                ends_at=session_end(now, minutes), request_key=command.key)
        except queries.DuplicateRequest:
            return
        except queries.SessionAlreadyRunning:
            command.say(
                _("A strategy session is already running in this channel: use the buttons "
                  "on its card."))
            return
        try:
            post_session_card(deps, db, command.client, plan=plan,
                              strategy_session=strategy_session)
        except SlackApiError as error:
            queries.discard_session(db, strategy_session=strategy_session)
            log.warning("Slack refused the session card: %s", slack_error(error))
            command.say(channel_problem(error, plan.language))
            return
        schedule_session_timers(db, plan=plan, strategy_session=strategy_session)


def add_idea(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        running = queries.running_session(db, plan=plan)
        if not command.text:
            command.client.views_open(trigger_id=command.trigger_id, view=forms.idea_modal(
                lang=plan.language, private_metadata=metadata(
                    channel_id=plan.channel_id, plan_id=plan.id,
                    session_id=running.id if running else None, lang=plan.language)))
            return
        _ = gettext_for(plan.language)
        if len(command.text) > forms.TEXT_MAX:
            command.say(
                _("That idea is too long: keep it under {max_length} characters. "
                  "Here is what you wrote:").format(max_length=forms.TEXT_MAX)
                + "\n" + quote(command.text[:2800]))
            return
        try:
            queries.add_contributions(
                db, plan=plan, strategy_session=running, user_id=command.user_id,
                user_team_id=command.user_team_id, answers={},
                ideas=[(command.text, None, None)], now=deps.clock(), request_key=command.key)
        except queries.DuplicateRequest:
            return
        command.say(
            _("Idea added to *{account}*:").format(account=escape(plan.account_name))
            + "\n" + quote(command.text))
        if running is not None:
            refresh_card(deps, command.client, strategy_session=running)


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
    "ideas": show_ideas,
    "priorities": show_priorities,
    "prioridades": show_priorities,
    "score": start_round_command,
    "puntuar": start_round_command,
    "objectives": show_objectives,
    "objetivos": show_objectives,
    "show": show_plan,
    "ver": show_plan,
    "settings": open_settings,
    "ajustes": open_settings,
    "history": show_history,
    "export": export_plan,
    "review": review_command,
    "revision": review_command,
    "revisión": review_command,
    "summary": summary_command,
    "resumen": summary_command,
    "resume": resume_command,
    "reanudar": resume_command,
    "exportar": export_plan,
    "historial": show_history,
}
