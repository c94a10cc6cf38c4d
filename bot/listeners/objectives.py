"""Step 3: objectives and initiatives, the plan as it stands, its settings and history."""

from datetime import date, timedelta

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import export
from bot.blocks import plan_items as ui
from bot.blocks.inputs import metadata
from bot.blocks.messages import notice
from bot.blocks.text import escape, mention
from bot.dispatch import reschedule_plan
from bot.i18n import gettext_for
from bot.listeners.common import (
    Command,
    Deps,
    ack_now,
    active_plan_of_view,
    apologise_on_failure,
    channel_of,
    facilitators_only,
    log,
    plan_or_explain,
    tell_in_channel,
    validate_in_ack,
    view_metadata,
    workspace_id,
)
from bot.reminders import review_dates
from bot.slack import CHANNEL_ERRORS, channel_problem, slack_error, tell_user
from storage import planning, queries
from storage.models import Idea, Initiative, Objective, Plan


def _period(plan: Plan) -> dict:
    return {"start": plan.start_date.isoformat(),
            "end": plan.end_date.isoformat() if plan.end_date else None}


def _objectives_page(db, plan: Plan, page: int = 0) -> dict:
    return ui.objectives_message(
        lang=plan.language, plan=plan, categories=planning.categories(db, plan=plan),
        objectives=planning.objectives(db, plan=plan),
        initiatives=planning.initiatives(db, plan=plan),
        to_promote=planning.ideas_to_promote(db, plan=plan), page=page)


def _plan_messages(db, plan: Plan, today: date, shared=False) -> list[dict]:
    return ui.plan_messages(
        lang=plan.language, plan=plan, categories=planning.categories(db, plan=plan),
        objectives=planning.objectives(db, plan=plan),
        initiatives=planning.initiatives(db, plan=plan),
        facilitators=queries.facilitators_of(db, plan=plan), shared=shared,
        next_review=plan.next_review_on or review_dates(plan, after=today))


# --- commands ---------------------------------------------------------------------------------

def show_objectives(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is not None:
            command.reply(_objectives_page(db, plan))


def show_plan(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        messages = _plan_messages(db, plan, deps.clock().date())
    command.reply(*messages)


def show_history(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is not None:
            command.reply(ui.history_message(
                lang=plan.language, plan=plan, changes=planning.history(db, plan=plan)))


def open_settings(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        if not queries.is_facilitator(db, plan=plan, user_id=command.user_id):
            command.say(facilitators_only(db, plan))
            return
        view = ui.settings_modal(
            lang=plan.language, plan=plan, categories=planning.categories(db, plan=plan),
            facilitators=queries.facilitators_of(db, plan=plan),
            private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                      lang=plan.language))
    command.client.views_open(trigger_id=command.trigger_id, view=view)


def export_plan(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
    if plan is not None:
        export_to_channel(deps, command.client, plan=plan, tell=command.reply)


def export_to_channel(deps: Deps, client: WebClient, *, plan: Plan, tell) -> None:
    """Upload the filled-in template (XLSX and Markdown) to the plan's channel. Nothing in
    the plan changes, so a failed upload can simply be tried again."""
    with deps.db() as db:
        people = export.people_in(db, plan=plan)
    names = {user_id: deps.users.name(client, user_id) for user_id in people}
    with deps.db() as db:
        document = export.collect(db, plan=plan, names=names)
    _ = gettext_for(plan.language)
    base = export_filename(plan, deps.clock().date())
    title = _("Account plan: {account}").format(account=plan.account_name)
    try:
        client.files_upload_v2(
            channel=plan.channel_id,
            initial_comment=_("The plan template, filled in: {account}").format(
                account=escape(plan.account_name)),
            file_uploads=[
                {"content": export.to_xlsx(document), "filename": f"{base}.xlsx",
                 "title": title},
                {"content": export.to_markdown(document).encode(), "filename": f"{base}.md",
                 "title": title},
            ])
    except SlackApiError as error:
        log.warning("export upload refused: %s", slack_error(error))
        text = _("Slack did not take the export ({error}). Nothing in the plan changed: try "
                 "`/plan export` again in a moment.").format(error=slack_error(error))
        if slack_error(error) in CHANNEL_ERRORS:
            text += "\n" + channel_problem(error, plan.language)
        tell(notice(text))


def export_filename(plan: Plan, today: date) -> str:
    """`plan-acme-2026-11-30`: safe on every system, recognisable in a download folder."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan.account_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:40] or "account"
    return f"plan-{slug}-{today.isoformat()}"


def owner_note(client: WebClient, *, plan: Plan, owner_id: str | None) -> str | None:
    """A note when the owner is not in the channel: accepted (clients may be guests of
    another channel), but worth saying."""
    if not owner_id:
        return None
    try:
        members = set()
        cursor = None
        while True:
            page = client.conversations_members(channel=plan.channel_id, cursor=cursor,
                                                limit=1000)
            members |= set(page["members"])
            cursor = page.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                break
    except SlackApiError as error:
        log.info("could not check the channel's members: %s", slack_error(error))
        return None
    if owner_id in members:
        return None
    _ = gettext_for(plan.language)
    return _("{owner} is not in this channel: saved anyway; invite them so they can follow "
             "the plan.").format(owner=mention(owner_id))


# --- listeners --------------------------------------------------------------------------------

def register(app: App, deps: Deps) -> None:
    guarded = apologise_on_failure(deps)

    def active_plan(db, body, context):
        return queries.active_plan(db, team_id=workspace_id(context),
                                   channel_id=channel_of(body))

    def open_objective(db, client, body, plan, *, objective=None, idea=None):
        client.views_open(trigger_id=body["trigger_id"], view=ui.objective_modal(
            lang=plan.language, categories=planning.categories(db, plan=plan),
            objective=objective, idea=idea, private_metadata=metadata(
                plan_id=plan.id, channel_id=plan.channel_id, lang=plan.language,
                idea_id=idea.id if idea else None,
                objective_id=objective.id if objective else None, **_period(plan))))

    def open_initiative(client, body, plan, objective, initiative=None):
        client.views_open(trigger_id=body["trigger_id"], view=ui.initiative_modal(
            lang=plan.language, objective=objective, initiative=initiative,
            private_metadata=metadata(
                plan_id=plan.id, channel_id=plan.channel_id, lang=plan.language,
                objective_id=objective.id,
                initiative_id=initiative.id if initiative else None, **_period(plan))))

    @guarded
    def promote(body, client, context):
        value = body["actions"][0]["value"]
        with deps.db() as db:
            plan = active_plan(db, body, context)
            idea = db.get(Idea, int(value)) if value.isdigit() else None
            if plan is None or idea is None or idea.plan_id != plan.id or idea.score != "3":
                _ = gettext_for(plan.language if plan else "en")
                tell_in_channel(client, body, _(
                    "Only ideas settled at 3 of this channel's plan can become objectives."))
                return
            open_objective(db, client, body, plan, idea=idea)

    @guarded
    def new_objective(body, client, context):
        with deps.db() as db:
            plan = active_plan(db, body, context)
            if plan is not None:
                open_objective(db, client, body, plan)

    @guarded
    def objective_menu(body, client, context):
        action, _sep, objective_id = body["actions"][0]["selected_option"]["value"].partition(
            ":")
        with deps.db() as db:
            plan, objective = planning.objective_in_channel(
                db, objective_id=int(objective_id) if objective_id.isdigit() else 0,
                team_id=workspace_id(context), channel_id=channel_of(body) or "")
            if objective is None:
                _ = gettext_for(deps.users.profile(client, body["user"]["id"])[0])
                tell_in_channel(client, body, _(
                    "That objective doesn't belong to this channel's plan."))
                return
            if action == "initiative":
                open_initiative(client, body, plan, objective)
            elif action == "edit":
                open_objective(db, client, body, plan, objective=objective)

    @guarded
    def initiative_menu(body, client, context):
        _action, _sep, initiative_id = body["actions"][0]["selected_option"][
            "value"].partition(":")
        with deps.db() as db:
            plan, initiative = planning.initiative_in_channel(
                db, initiative_id=int(initiative_id) if initiative_id.isdigit() else 0,
                team_id=workspace_id(context), channel_id=channel_of(body) or "")
            if initiative is None:
                _ = gettext_for(deps.users.profile(client, body["user"]["id"])[0])
                tell_in_channel(client, body, _(
                    "That initiative doesn't belong to this channel's plan."))
                return
            objective = db.get(Objective, initiative.objective_id)
            open_initiative(client, body, plan, objective, initiative)

    @guarded
    def objectives_page(body, client, context, respond):
        value = body["actions"][0]["value"]
        with deps.db() as db:
            plan = active_plan(db, body, context)
            if plan is not None:
                respond(replace_original=True, response_type="ephemeral",
                        **_objectives_page(db, plan, int(value) if value.isdigit() else 0))

    @guarded
    def share_plan(body, client, context):
        with deps.db() as db:
            plan = active_plan(db, body, context)
            if plan is None:
                return
            messages = _plan_messages(db, plan, deps.clock().date(), shared=True)
        try:
            for message in messages:
                client.chat_postMessage(channel=plan.channel_id, **message)
        except SlackApiError as error:
            tell_in_channel(client, body, channel_problem(error, plan.language))

    app.action(ui.OBJECTIVE_PROMOTE)(ack=ack_now, lazy=[promote])
    app.action(ui.OBJECTIVE_NEW)(ack=ack_now, lazy=[new_objective])
    app.action(ui.OBJECTIVE_MENU)(ack=ack_now, lazy=[objective_menu])
    app.action(ui.INITIATIVE_MENU)(ack=ack_now, lazy=[initiative_menu])
    app.action(ui.OBJECTIVES_PREVIOUS)(ack=ack_now, lazy=[objectives_page])
    app.action(ui.OBJECTIVES_NEXT)(ack=ack_now, lazy=[objectives_page])
    app.action(ui.PLAN_SHARE)(ack=ack_now, lazy=[share_plan])

    # --- submissions ---

    def gone(client, body) -> None:
        meta = view_metadata(body["view"])
        _ = gettext_for(meta.get("lang", "en"))
        tell_user(client, channel_id=meta.get("channel_id"), user_id=body["user"]["id"],
                  message=notice(_("That plan is no longer active here; nothing was saved.")))

    def saved(client, body, plan, what: str, owner_id) -> None:
        _ = gettext_for(plan.language)
        text = _("Saved: {what}").format(what=escape(what[:300]))
        note = owner_note(client, plan=plan, owner_id=owner_id)
        if note:
            text += "\n" + note
        tell_user(client, channel_id=plan.channel_id, user_id=body["user"]["id"],
                  message=notice(text))

    @guarded
    def save_objective(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        values, errors = ui.parse_objective(view["state"]["values"], meta.get("lang", "en"),
                                            meta)
        if errors:
            return
        with deps.db() as db:
            plan = active_plan_of_view(db, view, context)
            category_ids = {c.id for c in planning.categories(db, plan=plan)} if plan else set()
            if plan is None or values["category_id"] not in category_ids:
                gone(client, body)
                return
            objective_id = meta.get("objective_id")
            if isinstance(objective_id, int):
                objective = db.get(Objective, objective_id)
                if objective is None or objective.plan_id != plan.id:
                    gone(client, body)
                    return
                planning.update_objective(db, plan=plan, objective=objective, values=values,
                                          user_id=user_id, now=deps.clock())
            else:
                idea_id = meta.get("idea_id") if isinstance(meta.get("idea_id"), int) else None
                try:
                    planning.add_objective(db, plan=plan, values=values, idea_id=idea_id,
                                           user_id=user_id, now=deps.clock(),
                                           request_key=f"view:{view['id']}")
                except queries.DuplicateRequest:
                    return
        saved(client, body, plan, values["statement"], values["owner_id"])

    @guarded
    def save_initiative(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        meta = view_metadata(view)
        values, errors = ui.parse_initiative(view["state"]["values"], meta.get("lang", "en"),
                                             meta)
        if errors:
            return
        with deps.db() as db:
            plan = active_plan_of_view(db, view, context)
            objective = (db.get(Objective, meta["objective_id"])
                         if plan and isinstance(meta.get("objective_id"), int) else None)
            if objective is None or objective.plan_id != plan.id:
                gone(client, body)
                return
            initiative_id = meta.get("initiative_id")
            if isinstance(initiative_id, int):
                initiative = db.get(Initiative, initiative_id)
                if initiative is None or initiative.plan_id != plan.id:
                    gone(client, body)
                    return
                planning.update_initiative(db, plan=plan, initiative=initiative, values=values,
                                           user_id=user_id, now=deps.clock())
            else:
                try:
                    planning.add_initiative(db, plan=plan, objective=objective, values=values,
                                            user_id=user_id, now=deps.clock(),
                                            request_key=f"view:{view['id']}")
                except queries.DuplicateRequest:
                    return
        saved(client, body, plan, values["title"], values["owner_id"])

    @guarded
    def save_settings(body, client, context):
        view, user_id = body["view"], body["user"]["id"]
        parsed, errors = ui.parse_settings(view["state"]["values"],
                                           view_metadata(view).get("lang", "en"))
        if errors:
            return
        plan_values, renames, removed, added, facilitators = parsed
        with deps.db() as db:
            plan = active_plan_of_view(db, view, context)
            if plan is None:
                gone(client, body)
                return
            _ = gettext_for(plan.language)
            if not queries.is_facilitator(db, plan=plan, user_id=user_id):
                return
            try:
                changed = planning.update_settings(
                    db, plan=plan, values=plan_values, renames=renames, removed=removed,
                    added=added, facilitators=facilitators, user_id=user_id, now=deps.clock())
            except planning.CategoryInUse as error:
                tell_user(client, channel_id=plan.channel_id, user_id=user_id, message=notice(
                    _("“{category}” still has objectives: move them to another category "
                      "first. Nothing was changed.").format(category=escape(str(error)))))
                return
            db.refresh(plan)
            if changed:
                # The cadence, day, time or timezone may have moved: the reminders follow.
                plan.next_review_on = review_dates(plan, after=deps.clock().date()
                                                   - timedelta(days=1))
                reschedule_plan(db, plan=plan, now=deps.clock())
            _ = gettext_for(plan.language)
        tell_user(client, channel_id=plan.channel_id, user_id=user_id, message=notice(
            _("Settings saved: {count} changes, all recorded in `/plan history`.").format(
                count=changed)))

    app.view(ui.OBJECTIVE_CALLBACK)(ack=validate_in_ack(ui.parse_objective, with_metadata=True),
                                    lazy=[save_objective])
    app.view(ui.INITIATIVE_CALLBACK)(
        ack=validate_in_ack(ui.parse_initiative, with_metadata=True), lazy=[save_initiative])
    app.view(ui.SETTINGS_CALLBACK)(ack=validate_in_ack(ui.parse_settings),
                                   lazy=[save_settings])
