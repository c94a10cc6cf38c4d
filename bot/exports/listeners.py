"""`/plan export`: the filled-in template, to the channel or as a private copy, with or
without each person's scores; an outbox delivery (deliveries.py)."""


from sqlmodel import Session

from bot.exports import deliveries, views
from bot.exports.rules import CHANNEL, PRIVATE, SCORES, export_filename
from bot.outbox.schedule import request
from bot.platform.blocks import metadata
from bot.platform.i18n import N_
from bot.platform.request import Interaction, Refusal, Reply
from bot.platform.routes import Routes
from bot.platform.runners import needs_plan, submission
from storage.models import Plan


@needs_plan
def export_command(act: Interaction, db: Session, plan: Plan):
    """`/plan export` asks where to and whether with each person's scores; words given
    (`/plan export me scores`) answer it, and the export is on its way at once."""
    words = act.text.lower().split()
    if not words:
        return lambda: ask_where(act, plan)
    if not set(words) <= CHANNEL | PRIVATE | SCORES:
        raise Refusal(N_("`/plan export` asks where to send the plan; or say it: `/plan export "
                         "channel`, `/plan export me` (a private copy), and add `scores` for "
                         "each person's scores."))
    delivery = request_export(act, db, plan, private=bool(PRIVATE & set(words)),
                              per_person=bool(SCORES & set(words)))
    return lambda: act.deps.outbox.deliver(delivery)


def ask_where(act: Interaction, plan: Plan) -> None:
    """The export's question (the channel or a private copy; each person's scores or not),
    wherever an export is asked for: the command, a saved initiative, App Home."""
    lang = act.lang(plan)
    act.open(views.export_modal(lang=lang, private_metadata=metadata(
        plan_id=plan.id, channel_id=plan.channel_id, lang=lang)))


def save_export(act: Interaction, db: Session, private: bool, per_person: bool):
    plan = act.plan_of_view(db)
    delivery = request_export(act, db, plan, private=private, per_person=per_person)

    def send():
        sent = act.deps.outbox.deliver(delivery)
        if private and sent:  # a direct message is easy to miss: say where it went
            _ = act.gettext()
            act.tell(_("Your private copy is in your direct messages with Rumbo."))

    return Reply(then=send)


def request_export(act: Interaction, db: Session, plan: Plan, *, private=False,
                   per_person=False) -> int | None:
    """Ask the outbox to upload the filled-in template: to the plan's channel, or to the
    asker's direct messages (in their language)."""
    now = act.deps.clock()
    return request(db, plan=plan, kind=deliveries.EXPORT, key=f"export:{act.key}", now=now,
                   user_id=act.user_id, base=export_filename(plan, act.today(plan)),
                   private=private, per_person=per_person,
                   lang=act.lang(plan) if private else None)


def register(app: Routes) -> None:
    app.view(views.CALLBACK)(submission(views.parse_export, save_export))
