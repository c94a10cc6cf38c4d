"""What every listener needs, and the three shapes a listener takes.

- `after_ack(handler)`: a click that only reads or opens a modal; Slack hears back at
  once, `handler(act)` runs right after on Rumbo's own threads (`Deps.later`).
- `store_in_ack(handler)` (and `run_stored`, for `/plan`): a click or command.
  `handler(act, db)` runs before the ack and what it writes is committed with the
  request's idempotency key; it returns what to do after the ack (a callable), or a
  `Reply`, which a command shows in the ack itself.
- `submission(parse, store)`: a modal. `parse` runs first and its errors go back on the
  fields; then `store(act, db, ...)` is committed before the ack, and returns a `Reply`.

Acknowledged means stored: Slack is told "OK" only once the write is committed. When the
database cannot take it in time the user is told, on the modal or in an ephemeral
message, and nothing half-written remains (one transaction).
"""

import logging
from collections.abc import Callable

from bot.platform.blocks import notice, notice_modal, plain
from bot.platform.i18n import DEFAULT_LANGUAGE
from bot.platform.observability import acked
from bot.platform.request import DatabaseBusy, Interaction, Refusal, Reply, not_saved, went_wrong

log = logging.getLogger("rumbo")


def after_ack(handler: Callable[[Interaction], None]):
    """A listener whose work all comes after the ack: reads, opening modals."""

    def listener(ack, body, context, client, respond):
        run_after_ack(ack, Interaction.of(body, context, client, respond), handler)

    listener.__name__ = handler.__name__
    return listener


def store_in_ack(handler: Callable):
    """A click or command that writes: `handler(act, db)` is committed before the ack; the
    callable it returns (if any) runs after it."""

    def listener(ack, body, context, client, respond):
        run_stored(ack, Interaction.of(body, context, client, respond), handler)

    listener.__name__ = handler.__name__
    return listener


def counted_ack(ack, act: Interaction):
    """The ack, counted and timed from the request's arrival (for /metrics)."""
    def acknowledge(**answer):
        ack(**answer)
        acked(act.kind, act.body)

    return acknowledge


def run_after_ack(ack, act: Interaction, handler) -> None:
    counted_ack(ack, act)()
    act.deps.later(act, lambda: handler(act))


def run_stored(ack, act: Interaction, handler, *, keyed: bool = True) -> None:
    """Run `handler(act, db)` before the ack (committed, keyed unless it only reads). It
    returns None, what to do after the ack (a callable), or a Reply: a command's Reply
    answers in the ack itself, the fastest answer Slack allows."""
    ack = counted_ack(ack, act)
    outcome, refusal = _stored(act, handler, keyed=keyed)
    if refusal is not None:
        outcome = Reply(ack=notice(refusal.text)) if act.kind == "command" else \
            (lambda: act.tell(refusal.text))
    if not isinstance(outcome, Reply):
        outcome = Reply(then=outcome)
    if act.kind == "command" and outcome.ack:
        ack(response_type="ephemeral", **outcome.ack)  # to the user alone, where they typed
    else:
        ack()
    if outcome.then is not None:
        act.deps.later(act, outcome.then)


def read_after_ack(ack, act: Interaction, handler) -> None:
    """A command that only reads, from someone whose language Slack has not told yet: ack
    at once, ask Slack, then answer in their language."""
    counted_ack(ack, act)()

    def answer_now():
        outcome, refusal = _stored(act, handler, keyed=False)
        if refusal is not None:
            return act.say(refusal.text)
        if not isinstance(outcome, Reply):
            outcome = Reply(then=outcome)
        if outcome.ack:
            act.reply(outcome.ack)
        if outcome.then is not None:
            outcome.then()

    act.deps.later(act, answer_now)


def submission(parse: Callable, store: Callable, *, with_metadata: bool = False):
    """A modal submission: `parse(values, lang[, meta])` returns (*parsed, errors), and
    errors go back on their fields; then `store(act, db, *parsed)` is committed before the
    ack and returns a Reply (or None: close the modal)."""

    def listener(ack, body, context, client):
        act = Interaction.of(body, context, client)
        ack = counted_ack(ack, act)
        lang = act.meta.get("lang", DEFAULT_LANGUAGE)
        *parsed, errors = parse(act.values, lang, *((act.meta,) if with_metadata else ()))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        outcome, refusal = _stored(act, store, *parsed)
        if refusal is not None:
            ack(**_refused(act, refusal, lang))
            return
        reply = outcome or Reply()
        ack(**reply.ack)
        if reply.then is not None:
            act.deps.later(act, reply.then)

    listener.__name__ = store.__name__
    return listener


def _stored(act: Interaction, write, *args, keyed=True) -> tuple[object, Refusal | None]:
    """(what `act.store` returned, None), or (None, why nothing was stored)."""
    lang = act.known_lang() or DEFAULT_LANGUAGE
    try:
        return act.store(write, *args, keyed=keyed), None
    except Refusal as refusal:
        return None, refusal
    except DatabaseBusy:
        return None, Refusal(not_saved(lang))
    except Exception:
        log.exception("storing %s failed", act.kind)
        return None, Refusal(went_wrong(lang))


def confirmation(values: dict, lang: str):
    """The `parse` of a modal that only asks "are you sure?": nothing to read, no errors."""
    return ({},)


def _refused(act: Interaction, refusal: Refusal, lang: str) -> dict:
    """How a refusal shows on a modal: on the field it names, else on the first input; a
    modal with no input (a confirmation) is replaced by the refusal itself."""
    inputs = [b["block_id"] for b in act.view.get("blocks") or [] if b.get("type") == "input"]
    if not inputs:
        return {"response_action": "update", "view": notice_modal(
            lang=lang, title=act.view.get("title") or plain("Rumbo"), text=refusal.text)}
    block = refusal.block_id if refusal.block_id in inputs else inputs[0]
    return {"response_action": "errors", "errors": {block: refusal.text}}
