"""The four ways a listener runs, so that acknowledged means stored.

- `after_ack(handler)`: a click that only reads or opens a modal. Slack hears back at once;
  `handler(act)` runs right after (`Deps.later`).
- `store_in_ack(handler)` (and `run_stored`, for `/plan`): a click or command that writes.
  `handler(act, db)` runs before the ack and what it writes is committed with the
  request's idempotency key; it returns what to do after the ack (a callable), or a
  `Reply`, which a command shows in the ack itself.
- `read_after_ack` (for `/plan`): a command that only reads, from someone whose language
  Slack has not told yet: the ack at once, the answer in their language after it.
- `submission(parse, store)`: a modal. `parse` runs first and its errors go back on the
  fields; then `store(act, db, ...)` is committed before the ack, and returns a `Reply`.

A `Refusal` raised anywhere reaches the person where they are: on the modal's field, in the
command's answer, or in a note only they see. When the database cannot take a write in time
they are told so, and nothing half-written remains (one transaction).
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.platform.blocks import notice, notice_modal, plain
from bot.platform.i18n import DEFAULT_LANGUAGE
from bot.platform.observability import acked
from bot.platform.request import (
    NO_PLAN,
    NOT_SAVED,
    WENT_WRONG,
    DatabaseBusy,
    Interaction,
    Refusal,
    Reply,
)

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


def needs_plan(handler: Callable):
    """A `/plan` subcommand about the channel's plan: `handler(act, db, plan)`; in a channel
    with none, the person is told how to make one."""

    @functools.wraps(handler)
    def with_plan(act: Interaction, db: Session):
        plan = act.channel_plan(db)
        if plan is None:
            raise Refusal(NO_PLAN)
        return handler(act, db, plan)

    return with_plan


def counted_ack(ack, act: Interaction):
    """The ack, counted and timed from Rumbo's first middleware (for /metrics)."""
    def acknowledge(**answer):
        ack(**answer)
        acked(act.kind, act.body)

    return acknowledge


def run_after_ack(ack, act: Interaction, handler) -> None:
    counted_ack(ack, act)()
    act.deps.later(act, lambda: _telling_refusals(act, lambda: handler(act)))


def run_stored(ack, act: Interaction, handler, *, keyed: bool = True) -> None:
    """Run `handler(act, db)` before the ack (committed, keyed unless it only reads). It
    returns None, what to do after the ack (a callable), or a Reply: a command's Reply
    answers in the ack itself, the fastest answer Slack allows."""
    ack = counted_ack(ack, act)
    outcome, refusal = _stored(act, handler, keyed=keyed)
    if refusal is not None:
        lang = act.known_lang() if act.kind == "command" else None
        text = refusal.text(lang) if lang else None
        outcome = Reply(ack=notice(text)) if text else Reply(then=lambda: act.refused(refusal))
    if not isinstance(outcome, Reply):
        outcome = Reply(then=outcome)
    if act.kind == "command" and outcome.ack:
        ack(response_type="ephemeral", **outcome.ack)  # to the user alone, where they typed
    else:
        ack()
    if outcome.then is not None:
        then = outcome.then
        act.deps.later(act, lambda: _telling_refusals(act, then))


def read_after_ack(ack, act: Interaction, handler) -> None:
    """A command that only reads, from someone whose language Slack has not told yet: ack
    at once, ask Slack, then answer in their language."""
    counted_ack(ack, act)()

    def answer_now():
        outcome, refusal = _stored(act, handler, keyed=False)
        if refusal is not None:
            return act.refused(refusal)
        if not isinstance(outcome, Reply):
            outcome = Reply(then=outcome)
        if outcome.ack:
            act.reply(outcome.ack)
        if outcome.then is not None:
            _telling_refusals(act, outcome.then)

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
            ack(**_on_the_modal(act, refusal, lang))
            return
        reply = outcome or Reply()
        ack(**reply.ack)
        if reply.then is not None:
            then = reply.then
            act.deps.later(act, lambda: _telling_refusals(act, then))

    listener.__name__ = store.__name__
    return listener


def confirmation(values: dict, lang: str):
    """The `parse` of a modal that only asks "are you sure?": nothing to read, no errors."""
    return ({},)


def _stored(act: Interaction, write, *args, keyed=True) -> tuple[Any, Refusal | None]:
    """(what `act.store` returned, None), or (None, why nothing was stored)."""
    try:
        return act.store(write, *args, keyed=keyed), None
    except Refusal as refusal:
        return None, refusal
    except DatabaseBusy:
        return None, Refusal(NOT_SAVED)
    except Exception:
        log.exception("storing %s failed", act.kind)
        return None, Refusal(WENT_WRONG)


def _telling_refusals(act: Interaction, job: Callable[[], object]) -> None:
    """Work after the ack; a Refusal there is told (a click on something gone, say)."""
    try:
        job()
    except Refusal as refusal:
        act.refused(refusal)


def _on_the_modal(act: Interaction, refusal: Refusal, lang: str) -> dict:
    """How a refusal shows on a modal: on the field it names, else on the first input; a
    modal with no input (a confirmation) is replaced by the refusal itself."""
    text = refusal.text(lang) or ""
    inputs = [b["block_id"] for b in act.view.get("blocks") or [] if b.get("type") == "input"]
    if not inputs:
        return {"response_action": "update", "view": notice_modal(
            lang=lang, title=act.view.get("title") or plain("Rumbo"), text=text)}
    block = refusal.block_id if refusal.block_id in inputs else inputs[0]
    return {"response_action": "errors", "errors": {block: text}}
