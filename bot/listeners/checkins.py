"""Owners' check-ins before a review: the *Update* button of the ask opens the owner's
items (theirs only), the modal stores them until the review, and a facilitator nudges,
from the review, the owners who did not check in."""

from datetime import date

from slack_bolt import App

from bot.blocks import checkins as ui
from bot.blocks import review as review_ui
from bot.blocks.inputs import metadata
from bot.blocks.text import mention
from bot.dispatch import request
from bot.i18n import gettext_for
from bot.listeners.common import (
    Interaction,
    Refusal,
    Reply,
    after_ack,
    facilitators_only,
    store_in_ack,
    submission,
    view_metadata,
)
from storage import checkins, queries, reviews
from storage.models import Plan


def _asked(act: Interaction, db) -> tuple[Plan | None, date | None]:
    """(plan, review date) of an ask's button, "plan_id:date": a plan of this workspace."""
    plan_id, _sep, day = act.value.partition(":")
    plan = db.get(Plan, int(plan_id)) if plan_id.isdigit() else None
    if plan is None or plan.team_id != act.team_id or plan.status != "active":
        return None, None
    try:
        return plan, date.fromisoformat(day)
    except ValueError:
        return None, None


def open_checkin(act: Interaction) -> None:
    lang = act.lang()  # the owner's own language, not the plan's
    _ = gettext_for(lang)
    with act.deps.db() as db:
        plan, due = _asked(act, db)
        if plan is None:
            return act.tell(_("That plan is no longer active here; nothing was saved."))
        if checkins.held(db, plan=plan, due=due):
            return act.tell(ui.closed_note(lang))
        items = checkins.owned_items(db, plan=plan).get(act.user_id, [])
        if not items:
            return act.tell(_("You own no objective or initiative of this plan that is still "
                              "under way."))
        values = {key: current for key, (current, _previous)
                  in reviews.measured_values(db, plan=plan).items()}
        view = ui.checkin_modal(
            lang=lang, plan=plan, due=due, items=items,
            current=checkins.open_checkins(db, plan=plan), values=values,
            private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id, lang=lang,
                                      due=due.isoformat()))
    act.open(view)


def parse_checkin(values: dict, lang: str):
    (items, _worked, _not_worked), errors = review_ui.parse_page(values, lang)
    return items, errors


def save_checkin(act: Interaction, db, items):
    plan = act.plan_of_view(db)
    lang = act.meta.get("lang") or plan.language
    try:
        due = date.fromisoformat(act.meta.get("due") or "")
    except ValueError:
        raise Refusal(ui.closed_note(lang)) from None
    if checkins.held(db, plan=plan, due=due):
        raise Refusal(ui.closed_note(lang))
    checkins.save(db, plan=plan, user_id=act.user_id, items=items, now=act.deps.clock())
    return Reply(ack={"response_action": "update", "view": ui.saved_view(lang=lang)})


def nudge(act: Interaction, db):
    """From the review modal: ask again, once per click, the owners who did not check in."""
    meta = view_metadata(act.view)
    plan = None
    if isinstance(meta.get("plan_id"), int) and isinstance(meta.get("channel_id"), str):
        plan = queries.plan_in_channel(db, plan_id=meta["plan_id"], team_id=act.team_id,
                                       channel_id=meta["channel_id"])
    if plan is None or plan.status != "active" or plan.next_review_on is None:
        return None
    if not queries.is_facilitator(db, plan=plan, user_id=act.user_id):
        refusal = facilitators_only(db, plan)
        return lambda: act.tell(refusal)
    _checked, missing = checkins.who_checked_in(db, plan=plan)
    now, due = act.deps.clock(), plan.next_review_on.isoformat()
    asks = [request(db, plan=plan, kind="checkin", now=now, owner=owner, due=due, nudge=True,
                    key=f"checkin:{plan.id}:{due}:nudge:{owner}:{act.key}")
            for owner in missing]
    _ = gettext_for(plan.language)

    def after():
        for ask in asks:
            act.deps.outbox.deliver(ask)
        act.tell(_("Nudged: {people}.").format(people=", ".join(mention(u) for u in missing))
                 if missing else _("Everyone has checked in."))

    return after


def register(app: App) -> None:
    app.action(ui.CHECKIN_UPDATE)(after_ack(open_checkin))
    app.view(ui.CALLBACK)(submission(parse_checkin, save_checkin))
    app.action(review_ui.CHECKIN_NUDGE)(store_in_ack(nudge))
