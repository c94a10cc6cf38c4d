"""`/plan export`: the filled-in template, to the channel or as a private copy, with or
without each person's scores; an outbox delivery (bot/outbox/ sends it)."""

from datetime import date

from slack_bolt import App

from bot.exports import deliveries, views
from bot.outbox.schedule import request
from bot.platform.blocks import metadata, notice
from bot.platform.request import Interaction, Reply, answer, channel_plan, no_plan
from bot.platform.runners import submission
from storage.models import Plan

# `/plan export me scores` skips the question: the words each choice takes.
CHANNEL, PRIVATE, SCORES = {"channel", "canal"}, {"me", "private", "yo", "privado"}, \
    {"scores", "puntuaciones"}


def export_command(act: Interaction, db):
    """`/plan export` asks where to and whether with each person's scores; words given
    (`/plan export me scores`) answer it, and the export is on its way at once."""
    plan = channel_plan(act, db)
    if plan is None:
        return no_plan(act)
    words = act.text.lower().split()
    if not words:
        return lambda: ask_where(act, plan)
    if not set(words) <= CHANNEL | PRIVATE | SCORES:
        _ = act.gettext(plan)
        return answer(act, notice(_(
            "`/plan export` asks where to send the plan; or say it: `/plan export channel`, "
            "`/plan export me` (a private copy), and add `scores` for each person's scores.")))
    delivery = request_export(act, db, plan, private=bool(PRIVATE & set(words)),
                              per_person=bool(SCORES & set(words)))
    return lambda: act.deps.outbox.deliver(delivery)


def ask_where(act: Interaction, plan: Plan) -> None:
    """The export's question (the channel or a private copy; each person's scores or not),
    wherever an export is asked for: the command, a saved initiative, App Home."""
    lang = act.lang(plan)
    act.open(views.export_modal(lang=lang, private_metadata=metadata(
        plan_id=plan.id, channel_id=plan.channel_id, lang=lang)))


def save_export(act: Interaction, db, private: bool, per_person: bool):
    plan = act.plan_of_view(db)
    delivery = request_export(act, db, plan, private=private, per_person=per_person)

    def send():
        sent = act.deps.outbox.deliver(delivery)
        if private and sent:  # a direct message is easy to miss: say where it went
            _ = act.gettext()
            act.tell(_("Your private copy is in your direct messages with Rumbo."))

    return Reply(then=send)


def request_export(act: Interaction, db, plan: Plan, *, private=False,
                   per_person=False) -> int | None:
    """Ask the outbox to upload the filled-in template: to the plan's channel, or to the
    asker's direct messages (in their language)."""
    now = act.deps.clock()
    return request(db, plan=plan, kind=deliveries.EXPORT, key=f"export:{act.key}", now=now,
                   user_id=act.user_id, base=export_filename(plan, now.date()),
                   private=private, per_person=per_person,
                   lang=act.lang(plan) if private else None)


def export_filename(plan: Plan, today: date) -> str:
    """`plan-acme-2026-11-30`: safe on every system, recognisable in a download folder."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan.account_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:40] or "account"
    return f"plan-{slug}-{today.isoformat()}"


def register(app: App) -> None:
    app.view(views.CALLBACK)(submission(views.parse_export, save_export))
