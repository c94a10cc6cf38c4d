"""`/plan canvas` (and App Home's *Refresh the canvas*): write the plan on the channel's
canvas now, and try again after Slack refused it. Every other change to the plan redraws
the canvas by itself (storage/canvas.py `redraw_later`), through the outbox."""

from sqlmodel import Session

from bot.canvas import views
from bot.platform.blocks import notice
from bot.platform.request import Interaction, Refusal, Reply
from bot.platform.runners import needs_plan
from storage import canvas
from storage.models import Plan


@needs_plan
def canvas_command(act: Interaction, db: Session, plan: Plan) -> Reply:
    lang = act.lang(plan)
    return Reply(ack=notice(views.asked_note(lang=lang, on=plan.canvas_on)),
                 then=refresh(act, db, plan))


def refresh(act: Interaction, db: Session, plan: Plan):
    """In the request's transaction: the canvas is to be written now (Slack's last refusal
    forgotten); returns what sends it after the ack. A plan that keeps no canvas: nothing."""
    if not plan.canvas_on:
        if act.kind != "command":  # the command says so in its ack
            raise Refusal(lambda _: views.asked_note(lang=plan.language, on=False))
        return None
    delivery = canvas.redraw_now(db, plan=plan, now=act.deps.clock(), user_id=act.user_id)
    return lambda: act.deps.outbox.deliver(delivery)
