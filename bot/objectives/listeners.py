"""Step 3: objectives and initiatives, and the plan as it stands (`/plan show`)."""

from sqlmodel import Session

from bot.exports.listeners import ask_where
from bot.objectives import deliveries, views
from bot.outbox.cards import mark
from bot.outbox.schedule import request
from bot.platform.blocks import button, escape, mention, metadata, notice, shorten, value_of
from bot.platform.i18n import N_
from bot.platform.request import Interaction, Refusal, Reply, answer, redraw_list
from bot.platform.routes import Routes
from bot.platform.runners import after_ack, needs_plan, store_in_ack, submission
from bot.platform.slack import tell_user
from bot.reviews.deliveries import reschedule_plan
from storage import objectives, plans, scoring
from storage.models import Idea, Initiative, Objective, Plan

OBJECTIVE_ELSEWHERE = N_("That objective doesn't belong to this channel's plan.")
INITIATIVE_ELSEWHERE = N_("That initiative doesn't belong to this channel's plan.")
OBJECTIVE_GONE = N_("That objective is no longer part of this plan.")


def _period(plan: Plan) -> dict:
    return {"start": plan.start_date.isoformat(),
            "end": plan.end_date.isoformat() if plan.end_date else None}


@needs_plan
def show_objectives(act: Interaction, db: Session, plan: Plan):
    return answer(act, deliveries.objectives_page(db, plan=plan, lang=act.lang(plan)))


@needs_plan
def show_plan(act: Interaction, db: Session, plan: Plan):
    return answer(act, *deliveries.plan_messages(db, plan=plan, today=act.today(plan),
                                                 lang=act.lang(plan)))


def owner_note(act: Interaction, *, plan: Plan, owner_id: str | None) -> str | None:
    """A note when the owner is not in the channel: accepted (clients may be guests of
    another channel), but worth saying."""
    if not owner_id or act.deps.members.includes(act.client, plan.channel_id, owner_id):
        return None
    _ = act.gettext(plan)
    return _("{owner} is not in this channel: saved anyway; invite them so they can follow "
             "the plan.").format(owner=mention(owner_id))


def open_objective(act: Interaction, db: Session, plan: Plan, *, objective=None, idea=None) -> None:
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
    only_threes = N_("Only ideas settled at 3 of this channel's plan can become objectives.")
    with act.deps.db() as db:
        plan, idea = act.clicked(db, Idea, act.number(0), elsewhere=only_threes)
        if idea.score != "3":
            raise Refusal(only_threes)
        open_objective(act, db, plan, idea=idea)


def new_objective(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = act.channel_plan(db)
        if plan is not None:
            open_objective(act, db, plan)


def objective_menu(act: Interaction) -> None:
    """An objective's menu: "initiative:ID" (add one) or "edit:ID"."""
    with act.deps.db() as db:
        plan, objective = act.clicked(db, Objective, act.number(1),
                                      elsewhere=OBJECTIVE_ELSEWHERE)
        if act.part(0) == "initiative":
            open_initiative(act, plan, objective)
        elif act.part(0) == "edit":
            open_objective(act, db, plan, objective=objective)


def initiative_menu(act: Interaction) -> None:
    """An initiative's menu: "edit:ID"."""
    with act.deps.db() as db:
        plan, initiative = act.clicked(db, Initiative, act.number(1),
                                       elsewhere=INITIATIVE_ELSEWHERE)
        open_initiative(act, plan, db.get(Objective, initiative.objective_id), initiative)


def objectives_page(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = act.channel_plan(db)
        if plan is not None:
            act.reply(deliveries.objectives_page(db, plan=plan, page=act.number(0) or 0,
                                                 lang=act.lang(plan)), replace=True)


def share_plan(act: Interaction, db: Session):
    plan = act.channel_plan(db)
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
            fresh = db.get_one(Plan, plan.id)
            return deliveries.objectives_page(db, plan=fresh, lang=act.lang(fresh))

    return Reply(then=confirm).and_then(redraw_list(act, draw_list))


def add_initiative(act: Interaction) -> None:
    with act.deps.db() as db:
        plan, objective = act.clicked(db, Objective, act.number(0),
                                      elsewhere=OBJECTIVE_ELSEWHERE)
    open_initiative(act, plan, objective)


def export_from_button(act: Interaction) -> None:
    with act.deps.db() as db:
        plan = act.channel_plan(db)
    if plan is not None and plan.id == act.number(0):
        ask_where(act, plan)


def _category_of_plan(db: Session, plan: Plan, category_id) -> None:
    if category_id not in {c.id for c in plans.categories(db, plan=plan)}:
        raise Refusal(N_("Choose one of the plan's categories."), block_id="category")


def save_objective(act: Interaction, db: Session, values):
    plan = act.plan_of_view(db)
    _category_of_plan(db, plan, values["category_id"])
    now, objective_id = act.deps.clock(), act.meta.get("objective_id")
    if isinstance(objective_id, int):
        objective = db.get(Objective, objective_id)
        if objective is None or objective.plan_id != plan.id:
            raise Refusal(OBJECTIVE_GONE)
        objectives.update_objective(db, plan=plan, objective=objective, values=values,
                                    user_id=act.user_id, now=now)
    else:
        idea_id = act.meta.get("idea_id")
        objective = objectives.add_objective(db, plan=plan, values=values,
                                             idea_id=idea_id if isinstance(idea_id, int) else None,
                                             user_id=act.user_id, now=now)
        db.flush()
    saved = _saved(act, plan, values["statement"], values["owner_id"], [
        (N_("Add an initiative"), views.OBJECTIVE_ADD_INITIATIVE, value_of(objective.id))])
    round_id = scoring.round_of_idea(db, plan=plan, idea_id=objective.idea_id)
    if round_id is None:
        return saved
    mark(db, "round", round_id, now)  # its card no longer offers the promoted idea
    return saved.and_then(lambda: act.deps.cards.redraw_now("round", round_id))


def save_initiative(act: Interaction, db: Session, values):
    plan = act.plan_of_view(db)
    objective_id, initiative_id = act.meta.get("objective_id"), act.meta.get("initiative_id")
    objective = db.get(Objective, objective_id) if isinstance(objective_id, int) else None
    if objective is None or objective.plan_id != plan.id:
        raise Refusal(OBJECTIVE_GONE)
    now = act.deps.clock()
    if isinstance(initiative_id, int):
        initiative = db.get(Initiative, initiative_id)
        if initiative is None or initiative.plan_id != plan.id:
            raise Refusal(N_("That initiative is no longer part of this plan."))
        objectives.update_initiative(db, plan=plan, initiative=initiative, values=values,
                                     user_id=act.user_id, now=now)
    else:
        objectives.add_initiative(db, plan=plan, objective=objective, values=values,
                                  user_id=act.user_id, now=now)
    reschedule_plan(db, plan=plan, now=now)  # its due date's reminder
    return _saved(act, plan, values["title"], values["owner_id"], [
        (N_("Add another initiative"), views.OBJECTIVE_ADD_INITIATIVE, value_of(objective.id)),
        (N_("Export the plan"), views.PLAN_EXPORT, value_of(plan.id))])


def register(app: Routes) -> None:
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
