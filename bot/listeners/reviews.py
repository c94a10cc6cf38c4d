"""Step 4: the review, its reminders' buttons (start, postpone, skip), the progress
summary on demand, and resuming nudges after a channel problem."""

from datetime import date

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import nudges
from bot.blocks import review as ui
from bot.blocks.inputs import input_block, metadata, modal
from bot.blocks.messages import notice
from bot.blocks.progress import progress_messages
from bot.blocks.state import read_state
from bot.blocks.text import escape, long_date, mention
from bot.dispatch import reschedule_plan, review_held
from bot.i18n import gettext_for
from bot.listeners.common import (
    Command,
    Deps,
    ack_now,
    active_plan_of_view,
    apologise_on_failure,
    facilitators_only,
    log,
    plan_or_explain,
    tell_in_channel,
    view_metadata,
    workspace_id,
)
from bot.slack import channel_problem, slack_error, tell_user
from storage import deliveries, planning, queries, reviews
from storage.models import Plan, PlanChange

POSTPONE_CALLBACK = "review_postpone_date"


def progress_for(db, plan, *, title=None, changes=None) -> list[dict]:
    return progress_messages(
        lang=plan.language, plan=plan, categories=planning.categories(db, plan=plan),
        objectives=planning.objectives(db, plan=plan),
        initiatives=planning.initiatives(db, plan=plan),
        values=reviews.measured_values(db, plan=plan), title=title, changes=changes)


def _changes(db, plan, *, just_closed=None) -> list[str]:
    """What changed since the review before; with `just_closed`, including what that
    review itself changed, abandoned items with the reason noted there."""
    closed = [r for r in reviews.closed_reviews(db, plan=plan)
              if just_closed is None or r.id != just_closed.id]
    since = closed[0].closed_at if closed else None
    reasons = {key: item.note for key, item in reviews.items_of(
        db, review=just_closed).items() if item.note} if just_closed else {}
    return ui.change_lines(lang=plan.language,
                           changes=reviews.changes_since(db, plan=plan, since=since),
                           objectives=planning.objectives(db, plan=plan),
                           initiatives=planning.initiatives(db, plan=plan), reasons=reasons,
                           values=reviews.measured_values(db, plan=plan))


def _page(db, plan, review, page) -> dict:
    items = ui.items_for_review(planning.objectives(db, plan=plan),
                                planning.initiatives(db, plan=plan))
    page = min(page, ui.pages_of(items) - 1)
    values = {key: current for key, (current, _previous)
              in reviews.measured_values(db, plan=plan).items()}
    return ui.review_page(
        lang=plan.language, plan=plan, items=items, page=page,
        current=reviews.items_of(db, review=review), values=values,
        changes=_changes(db, plan) if page == 0 else [],
        private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                  lang=plan.language, review_id=review.id, page=page,
                                  pages=ui.pages_of(items)))


def start_review(deps: Deps, db, client: WebClient, *, plan: Plan, user_id: str,
                 trigger_id: str, tell) -> None:
    if not queries.is_facilitator(db, plan=plan, user_id=user_id):
        tell(facilitators_only(db, plan))
        return
    review = reviews.open_review(db, plan=plan, due_on=plan.next_review_on, user_id=user_id,
                                 now=deps.clock())
    client.views_open(trigger_id=trigger_id, view=_page(db, plan, review, 0))


# --- commands ---------------------------------------------------------------------------------

def review_command(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is not None:
            start_review(deps, db, command.client, plan=plan, user_id=command.user_id,
                         trigger_id=command.trigger_id, tell=command.say)


def summary_command(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        messages = progress_for(db, plan)
    command.reply(*messages)


def resume_command(deps: Deps, command: Command) -> None:
    with deps.db() as db:
        plan = plan_or_explain(deps, command, db)
        if plan is None:
            return
        _ = gettext_for(plan.language)
        if not queries.is_facilitator(db, plan=plan, user_id=command.user_id):
            command.say(facilitators_only(db, plan))
            return
        resumed = deliveries.resume_plan(db, plan=plan)
        db.refresh(plan)
        reschedule_plan(db, plan=plan, now=deps.clock())
    command.say(
        _("Reminders and summaries are back on ({count} waiting).").format(count=resumed))


# --- listeners --------------------------------------------------------------------------------

def register(app: App, deps: Deps) -> None:
    guarded = apologise_on_failure(deps)

    def reminder_plan(db, body, context):
        """(plan, due date) from a reminder's button, checked against workspace and
        channel; (None, None) otherwise."""
        plan_id, _sep, due = body["actions"][0].get("value", "").partition(":")
        channel_id = (body.get("channel") or {}).get("id")
        if not plan_id.isdigit() or not channel_id:
            return None, None
        plan = queries.plan_in_channel(db, plan_id=int(plan_id), team_id=workspace_id(context),
                                       channel_id=channel_id)
        if plan is None or plan.status != "active":
            return None, None
        try:
            return plan, date.fromisoformat(due)
        except ValueError:
            return plan, None

    @guarded
    def start(body, client, context):
        with deps.db() as db:
            plan, _due = reminder_plan(db, body, context)
            if plan is not None:
                start_review(deps, db, client, plan=plan, user_id=body["user"]["id"],
                             trigger_id=body["trigger_id"],
                             tell=lambda text: tell_in_channel(client, body, text))

    @guarded
    def postpone(body, client, context):
        with deps.db() as db:
            plan, due = reminder_plan(db, body, context)
            if plan is None:
                return
            if not queries.is_facilitator(db, plan=plan, user_id=body["user"]["id"]):
                tell_in_channel(client, body, facilitators_only(db, plan))
                return
            _ = gettext_for(plan.language)
            element = {"type": "datepicker"}
            if plan.next_review_on:
                element["initial_date"] = plan.next_review_on.isoformat()
            view = modal(POSTPONE_CALLBACK, lang=plan.language, title=_("Postpone the review"),
                         submit=_("Postpone"), blocks=[input_block(
                             "date", _("New date"), element,
                             hint=_("A holiday, the client's year-end… the reminders follow."))],
                         private_metadata=metadata(plan_id=plan.id, channel_id=plan.channel_id,
                                                   lang=plan.language))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @guarded
    def skip(body, client, context):
        now = deps.clock()
        with deps.db() as db:
            plan, due = reminder_plan(db, body, context)
            if plan is None or due is None:
                return
            if not queries.is_facilitator(db, plan=plan, user_id=body["user"]["id"]):
                tell_in_channel(client, body, facilitators_only(db, plan))
                return
            upcoming = [d for d in deliveries.pending_for(db, plan=plan)
                        if d.key.startswith(f"review:{plan.id}:{due.isoformat()}:")
                        and d.due_at > now]
            _ = gettext_for(plan.language)
            if not upcoming:
                tell_in_channel(client, body, _(
                    "There is no reminder left to skip for this review."))
                return
            deliveries.cancel(db, plan=plan, key_prefix=upcoming[0].key,
                              reason=f"skipped by {body['user']['id']}")
        tell_in_channel(client, body, _("Skipped the reminder of {date}; the others stay.").format(
            date=long_date(upcoming[0].due_at.date(), plan.language)))

    app.action(nudges.REVIEW_START)(ack=ack_now, lazy=[start])
    app.action(nudges.REVIEW_POSTPONE)(ack=ack_now, lazy=[postpone])
    app.action(nudges.REVIEW_SKIP)(ack=ack_now, lazy=[skip])

    def postponed_to(view) -> date | None:
        """The new review date, if it is one (today or later)."""
        chosen = read_state(view["state"]["values"]).get("date")
        day = date.fromisoformat(chosen) if chosen else None
        return day if day and day >= deps.clock().date() else None

    def ack_postpone(ack, body):
        if postponed_to(body["view"]) is None:
            _ = gettext_for(view_metadata(body["view"]).get("lang", "en"))
            ack(response_action="errors", errors={"date": _("Choose a day from today on.")})
        else:
            ack()

    @guarded
    def save_postpone(body, client, context):
        # The lazy part runs after every submission, refused ones too: check again.
        day = postponed_to(body["view"])
        user_id, now = body["user"]["id"], deps.clock()
        with deps.db() as db:
            plan = active_plan_of_view(db, body["view"], context)
            if plan is None or day is None or not queries.is_facilitator(db, plan=plan,
                                                                         user_id=user_id):
                return
            db.add(PlanChange(team_id=plan.team_id, plan_id=plan.id, entity="plan",
                              entity_id=plan.id, field="next_review_on",
                              before=str(plan.next_review_on), after=str(day),
                              user_id=user_id, at=now))
            plan.next_review_on = day
            db.add(plan)
            db.commit()
            reschedule_plan(db, plan=plan, now=now)
            _ = gettext_for(plan.language)
            text = _("{who} moved the review of *{account}* to {date}; the reminders follow."
                     ).format(who=mention(user_id), account=escape(plan.account_name),
                              date=long_date(day, plan.language))
        try:
            client.chat_postMessage(channel=plan.channel_id, **notice(text))
        except SlackApiError as error:
            log.warning("could not announce the postponement: %s", slack_error(error))

    app.view(POSTPONE_CALLBACK)(ack=ack_postpone, lazy=[save_postpone])

    def ack_page(ack, body):
        meta = view_metadata(body["view"])
        lang = meta.get("lang", "en")
        errors = ui.parse_page(body["view"]["state"]["values"], lang)[-1]
        if errors:
            ack(response_action="errors", errors=errors)
        elif meta.get("page", 0) < meta.get("pages", 1) - 1:
            ack(response_action="update", view=ui.saving_view(lang))
        else:
            ack()

    @guarded
    def save_page(body, client, context):
        view, user_id, now = body["view"], body["user"]["id"], deps.clock()
        meta = view_metadata(view)
        (items, worked, not_worked), errors = ui.parse_page(view["state"]["values"],
                                                            meta.get("lang", "en"))
        if errors:
            return
        with deps.db() as db:
            plan = active_plan_of_view(db, view, context)
            review = plan and isinstance(meta.get("review_id"), int) and \
                reviews.review_in_plan(db, review_id=meta["review_id"], plan=plan)
            if not review or not queries.is_facilitator(db, plan=plan, user_id=user_id):
                return
            mine = {("objective", o.id) for o in planning.objectives(db, plan=plan)}
            mine |= {("initiative", i.id) for i in planning.initiatives(db, plan=plan)}
            reviews.save_items(db, review=review, items=[
                i for i in items if (i["entity"], i["entity_id"]) in mine])
            page = meta.get("page", 0)
            if page < meta.get("pages", 1) - 1:
                next_page = _page(db, plan, review, page + 1)
                client.views_update(view_id=view["id"], view=next_page)
                return
            if not reviews.close_review(db, plan=plan, review=review, worked=worked,
                                        not_worked=not_worked, user_id=user_id, now=now):
                return  # closed already: a retried submission
            changes = _changes(db, plan, just_closed=review)
            review_held(db, plan=plan, due=review.due_on, now=now)
            _ = gettext_for(plan.language)
            summary = progress_for(db, plan, title=_("Review: {account}").format(
                account=plan.account_name), changes=ui.review_summary_lines(
                    lang=plan.language, review=review, due=review.due_on) + changes)
        try:
            for message in summary:
                client.chat_postMessage(channel=plan.channel_id, **message)
        except SlackApiError as error:
            tell_user(client, channel_id=plan.channel_id, user_id=user_id,
                      message=notice(channel_problem(error, plan.language)))

    app.view(ui.CALLBACK)(ack=ack_page, lazy=[save_page])
