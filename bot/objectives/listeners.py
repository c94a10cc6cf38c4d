"""Step 3: objectives and initiatives, the plan as it stands, its settings and history
(the export is in exports.py)."""

from slack_bolt import App

from bot.exports.listeners import ask_where
from bot.objectives import deliveries, views
from bot.outbox.cards import mark
from bot.outbox.schedule import request
from bot.platform.blocks import button, escape, mention, metadata, notice, shorten
from bot.platform.i18n import N_
from bot.platform.request import (
    Interaction,
    Refusal,
    Reply,
    answer,
    channel_plan,
    no_plan,
    redraw_list,
)
from bot.platform.runners import after_ack, store_in_ack, submission
from bot.platform.slack import tell_user
from bot.reviews.deliveries import reschedule_plan
from storage import objectives, plans, scoring
from storage.models import Idea, Initiative, Objective, Plan


def _period(plan: Plan) -> dict:
    return {"start": plan.start_date.isoformat(),
            "end": plan.end_date.isoformat() if plan.end_date else None}


def show_objectives(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return answer(act, deliveries.objectives_page(db, plan=plan, lang=act.lang(plan)))


def show_plan(act: Interaction, db):
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    return answer(act, *deliveries.plan_messages(db, plan=plan, today=act.deps.clock().date(),
                                               lang=act.lang(plan)))


def owner_note(act: Interaction, *, plan: Plan, owner_id: str | None) -> str | None:
    """A note when the owner is not in the channel: accepted (clients may be guests of
    another channel), but worth saying."""
    if not owner_id or act.deps.members.includes(act.client, plan.channel_id, owner_id):
        return None
    _ = act.gettext(plan)
    return _("{owner} is not in this channel: saved anyway; invite them so they can follow "
             "the plan.").format(owner=mention(owner_id))


def _channel_plan(act: Interaction, db) -> Plan | None:
    return plans.active_plan(db, team_id=act.team_id, channel_id=act.channel_id or "")


def open_objective(act: Interaction, db, plan: Plan, *, objective=None, idea=None) -> None:
    lang = act.lang(plan)
    act.open(views.objective_modal(
        lang=lang, categories=plans.categories(db, plan=plan),
        objective=objective, idea=idea, private_metadata=metadata(
            plan_id=plan.id, channel_id=plan.channel_id, lang=lang, list_url=act.list_url,
            idea_id=idea.id if idea else None,
            objective_id=objective.id if objective else None, **_period(plan))))


def open_initiative(act: Interaction, plan: Plan, objective, initiative=None) -> None:
    lang = act.lang(plan)
    act.open(views.initiative_modal(
        lang=lang, objective=objective, initiative=initiative,
        private_metadata=metadata(
            plan_id=plan.id, channel_id=plan.channel_id, lang=lang, list_url=act.list_url,
            objective_id=objective.id,
            initiative_id=initiative.id if initiative else None, **_period(plan))))


def promote(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = _channel_plan(act, db)
        idea = db.get(Idea, int(act.value)) if plan and act.value.isdigit() else None
        if idea is None or idea.plan_id != plan.id or idea.score != "3":
            _ = act.gettext(plan)
            return act.tell(_("Only ideas settled at 3 of this channel's plan can become "
                              "objectives."))
        open_objective(act, db, plan, idea=idea)


def new_objective(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = _channel_plan(act, db)
        if plan is not None:
            open_objective(act, db, plan)


def objective_menu(act: Interaction) -> None:
    action, _sep, objective_id = act.value.partition(":")
    with act.deps.db() as db:
        plan, objective = objectives.objective_in_channel(
            db, objective_id=int(objective_id) if objective_id.isdigit() else 0,
            team_id=act.team_id, channel_id=act.channel_id or "")
        if objective is None:
            _ = act.gettext()
            return act.tell(_("That objective doesn't belong to this channel's plan."))
        if action == "initiative":
            open_initiative(act, plan, objective)
        elif action == "edit":
            open_objective(act, db, plan, objective=objective)


def initiative_menu(act: Interaction) -> None:
    initiative_id = act.value.partition(":")[2]
    with act.deps.db() as db:
        plan, initiative = objectives.initiative_in_channel(
            db, initiative_id=int(initiative_id) if initiative_id.isdigit() else 0,
            team_id=act.team_id, channel_id=act.channel_id or "")
        if initiative is None:
            _ = act.gettext()
            return act.tell(_("That initiative doesn't belong to this channel's plan."))
        open_initiative(act, plan, db.get(Objective, initiative.objective_id), initiative)


def objectives_page(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = _channel_plan(act, db)
        if plan is not None:
            act.reply(deliveries.objectives_page(
                db, plan=plan, page=int(act.value) if act.value.isdigit() else 0,
                lang=act.lang(plan)), replace=True)


def share_plan(act: Interaction, db):
    plan = _channel_plan(act, db)
    if plan is None:
        return None
    # One post per plan shown: a double click posts once.
    post = request(db, plan=plan, kind=deliveries.PLAN_POST, now=act.deps.clock(),
                   key=f"plan:{plan.id}:{act.message_ts or act.trigger_id}", user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(post)


def _saved(act: Interaction, plan: Plan, what: str, owner_id, next_steps) -> Reply:
    """Confirm to the one who saved, with the obvious next steps: [(label, action, value)]."""
    def confirm():
        _ = act.gettext(plan)
        text = _("Saved: {what}").format(what=escape(shorten(what, 300)))
        note = owner_note(act, plan=plan, owner_id=owner_id)
        message = notice(text + ("\n" + note if note else ""))
        message["blocks"].append({"type": "actions", "elements": [
            button(_(label), action_id, value) for label, action_id, value in next_steps]})
        tell_user(act.client, channel_id=act.channel_id, user_id=act.user_id, message=message)

    def draw_list():
        with act.deps.db() as db:
            fresh = db.get(Plan, plan.id)
            return deliveries.objectives_page(db, plan=fresh, lang=act.lang(fresh))

    return Reply(then=confirm).and_then(redraw_list(act, draw_list))


def add_initiative(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, objective = objectives.objective_in_channel(
            db, objective_id=int(act.value) if act.value.isdigit() else 0,
            team_id=act.team_id, channel_id=act.channel_id or "")
    if objective is None:
        _ = act.gettext()
        return act.tell(_("That objective doesn't belong to this channel's plan."))
    open_initiative(act, plan, objective)


def export_from_button(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = _channel_plan(act, db)
    if plan is not None and str(plan.id) == act.value:
        ask_where(act, plan)


def _category_of_plan(act: Interaction, db, plan: Plan, category_id) -> None:
    if category_id not in {c.id for c in plans.categories(db, plan=plan)}:
        _ = act.gettext(plan)
        raise Refusal(_("Choose one of the plan's categories."), block_id="category")


def save_objective(act: Interaction, db, values):
    plan = act.plan_of_view(db)
    _category_of_plan(act, db, plan, values["category_id"])
    now, objective_id = act.deps.clock(), act.meta.get("objective_id")
    _ = act.gettext(plan)
    if isinstance(objective_id, int):
        objective = db.get(Objective, objective_id)
        if objective is None or objective.plan_id != plan.id:
            raise Refusal(_("That objective is no longer part of this plan."))
        objectives.update_objective(db, plan=plan, objective=objective, values=values,
                                  user_id=act.user_id, now=now)
    else:
        idea_id = act.meta.get("idea_id")
        objective = objectives.add_objective(db, plan=plan, values=values,
                                           idea_id=idea_id if isinstance(idea_id, int) else None,
                                           user_id=act.user_id, now=now)
        db.flush()
    saved = _saved(act, plan, values["statement"], values["owner_id"], [
        (N_("Add an initiative"), views.OBJECTIVE_ADD_INITIATIVE, str(objective.id))])
    round_id = scoring.round_of_idea(db, plan=plan, idea_id=objective.idea_id)
    if round_id is None:
        return saved
    mark(db, "round", round_id, now)  # its card no longer offers the promoted idea
    return saved.and_then(lambda: act.deps.cards.redraw_now("round", round_id))


def save_initiative(act: Interaction, db, values):
    plan = act.plan_of_view(db)
    objective_id, initiative_id = act.meta.get("objective_id"), act.meta.get("initiative_id")
    objective = db.get(Objective, objective_id) if isinstance(objective_id, int) else None
    _ = act.gettext(plan)
    if objective is None or objective.plan_id != plan.id:
        raise Refusal(_("That objective is no longer part of this plan."))
    now = act.deps.clock()
    if isinstance(initiative_id, int):
        initiative = db.get(Initiative, initiative_id)
        if initiative is None or initiative.plan_id != plan.id:
            raise Refusal(_("That initiative is no longer part of this plan."))
        objectives.update_initiative(db, plan=plan, initiative=initiative, values=values,
                                   user_id=act.user_id, now=now)
    else:
        objectives.add_initiative(db, plan=plan, objective=objective, values=values,
                                user_id=act.user_id, now=now)
    reschedule_plan(db, plan=plan, now=now)  # its due date's reminder
    return _saved(act, plan, values["title"], values["owner_id"], [
        (N_("Add another initiative"), views.OBJECTIVE_ADD_INITIATIVE, str(objective.id)),
        (N_("Export the plan"), views.PLAN_EXPORT, str(plan.id))])


def register(app: App) -> None:
    app.action(views.OBJECTIVE_PROMOTE)(after_ack(promote))
    app.action(views.OBJECTIVE_NEW)(after_ack(new_objective))
    app.action(views.OBJECTIVE_MENU)(after_ack(objective_menu))
    app.action(views.INITIATIVE_MENU)(after_ack(initiative_menu))
    app.action(views.OBJECTIVES_PREVIOUS)(after_ack(objectives_page))
    app.action(views.OBJECTIVES_NEXT)(after_ack(objectives_page))
    app.action(views.PLAN_SHARE)(store_in_ack(share_plan))
    app.action(views.OBJECTIVE_ADD_INITIATIVE)(after_ack(add_initiative))
    app.action(views.PLAN_EXPORT)(after_ack(export_from_button))
    app.view(views.OBJECTIVE_CALLBACK)(submission(views.parse_objective, save_objective,
                                               with_metadata=True))
    app.view(views.INITIATIVE_CALLBACK)(submission(views.parse_initiative, save_initiative,
                                                with_metadata=True))
