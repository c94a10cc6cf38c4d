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

import contextvars
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.blocks.inputs import notice_modal
from bot.blocks.messages import notice
from bot.blocks.text import plain
from bot.i18n import DEFAULT_LANGUAGE, gettext_for
from bot.observability import acked
from bot.slack import ChannelMembers, UserDirectory, tell_user
from storage import queries
from storage.db import new_session
from storage.models import Plan

log = logging.getLogger("rumbo")

FOLLOW_UP_THREADS = 8  # the work after an ack mostly waits on Slack


class Refusal(Exception):
    """Nothing is stored, and the user is told why (on the modal's field, or ephemeral)."""

    def __init__(self, text: str, block_id: str | None = None):
        super().__init__(text)
        self.text, self.block_id = text, block_id


class DatabaseBusy(Exception):
    """The database could not take the write in time."""


@dataclass
class Deps:
    engine: Engine
    clock: Callable[[], datetime]
    users: UserDirectory = field(default_factory=UserDirectory)
    members: ChannelMembers = field(default_factory=ChannelMembers)
    outbox: object = None  # bot.dispatch.Dispatcher: sends what users ask to post
    cards: object = None  # bot.cards.Cards: redraws the live cards
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        FOLLOW_UP_THREADS, thread_name_prefix="rumbo-after"))

    def db(self):
        return new_session(self.engine)

    def later(self, act: "Interaction", job: Callable[[], None]) -> None:
        """Run `job` after the ack, logged with the request's ids; a failure there still
        reaches the user."""
        self.pool.submit(contextvars.copy_context().run, _apologising, act, job)


def _apologising(act: "Interaction", job: Callable[[], None]) -> None:
    act.acked = True
    try:
        job()
    except Exception:
        log.exception("work after the ack failed (%s)", act.kind)
        _ = act.gettext()
        act.tell(_("Something went wrong on my side and I couldn't finish that. What you "
                   "sent is saved; please try again in a moment."))


@dataclass
class Interaction:
    """One request from Slack as the handlers see it: who acted, where, in which workspace.
    A modal's channel is the one its metadata names (checked by `plan_of_view`)."""

    deps: Deps
    client: WebClient
    body: dict
    kind: str  # command, block_actions, view_submission, event
    team_id: str  # the workspace that installed Rumbo here: it owns the plans
    user_id: str
    user_team_id: str | None  # the actor's own workspace (a Slack Connect guest's differs)
    channel_id: str | None
    trigger_id: str | None
    respond: Callable | None
    meta: dict = field(default_factory=dict)
    text: str = ""  # a command's text after its subcommand
    enterprise_id: str | None = None  # the workspace's Enterprise Grid organisation
    acked: bool = False  # Slack has had its answer: calling it now delays nobody

    @classmethod
    def of(cls, body: dict, context, client: WebClient, respond=None) -> "Interaction":
        kind = body.get("type") or ("command" if "command" in body else "event")
        user = body.get("user") or {}
        if kind == "command":
            user_id, user_team, channel = body["user_id"], body.get("team_id"), \
                body.get("channel_id")
        elif kind == "event_callback":
            kind, event = "event", body.get("event") or {}
            user_id, user_team, channel = event.get("user"), None, event.get("channel")
        else:
            user_id, user_team = user.get("id"), user.get("team_id") or body.get("team_id")
            channel = (body.get("channel") or {}).get("id") or (
                body.get("container") or {}).get("channel_id")
        meta = view_metadata(body["view"]) if kind == "view_submission" else {}
        if kind == "view_submission":
            channel = meta.get("channel_id")
        return cls(deps=context["rumbo"], client=client, body=body, kind=kind,
                   team_id=workspace_id(context), user_id=user_id, user_team_id=user_team,
                   channel_id=channel if isinstance(channel, str) else None,
                   trigger_id=body.get("trigger_id"), respond=respond, meta=meta,
                   enterprise_id=context.get("enterprise_id"))

    # --- what was sent ---

    @property
    def action(self) -> dict:
        return (self.body.get("actions") or [{}])[0]

    @property
    def value(self) -> str:
        """A button's value or a menu's chosen option."""
        chosen = self.action.get("selected_option") or {}
        return str(chosen.get("value") or self.action.get("value") or "")

    @property
    def view(self) -> dict:
        return self.body.get("view") or {}

    @property
    def values(self) -> dict:
        return (self.view.get("state") or {}).get("values") or {}

    @property
    def key(self) -> str:
        """The request's idempotency key: Slack sends the same one again on a retry."""
        if self.kind == "view_submission":
            return f"view:{self.view.get('id')}:{self.view.get('hash')}"
        if self.kind == "command":
            return f"cmd:{self.trigger_id}"
        if self.kind == "event":
            return f"event:{self.body.get('event_id')}"
        return f"{self.kind}:{self.trigger_id or self.action.get('action_ts')}"

    @property
    def list_url(self) -> str | None:
        """The response_url of the ephemeral list clicked in: a modal opened from it keeps
        it (`list_url` in its metadata) so that the list can be redrawn once the change is
        stored. None for channel messages: those are redrawn by their own card."""
        if self.meta.get("list_url"):
            return self.meta["list_url"]
        if (self.body.get("container") or {}).get("is_ephemeral"):
            return self.body.get("response_url")
        return None

    @property
    def message_ts(self) -> str | None:
        """The message (or ephemeral) the click happened on."""
        return (self.body.get("container") or {}).get("message_ts")

    # --- language, permissions ---

    def lang(self, plan: Plan | None = None) -> str:
        """The actor's own language (their Slack locale), for what only they see: a modal
        keeps the one it was opened in. Before the ack Slack is not asked (users.info may be
        slow): until it has told, the plan's language stands in."""
        known = self.known_lang()
        if known:
            return known
        if self.acked or plan is None:
            return self.deps.users.profile(self.client, self.user_id)[0]
        return plan.language

    def known_lang(self) -> str | None:
        """The actor's language if it is known without asking Slack."""
        return self.meta.get("lang") or self.deps.users.known_language(self.user_id)

    def gettext(self, plan: Plan | None = None):
        return gettext_for(self.lang(plan))

    def in_channel(self, channel_id: str) -> bool:
        """May the actor act in this channel: is it where Slack says they are, or are they
        a member of it (guests and Slack Connect clients included)?"""
        if self.kind == "command" and channel_id == self.channel_id:
            return True
        return self.deps.members.includes(self.client, channel_id, self.user_id)

    def plan_of_view(self, db, *, gone: str | None = None) -> Plan:
        """The active plan a modal was opened for, checked against the request's
        workspace, the channel it came from, and the actor's membership of it."""
        plan = None
        if isinstance(self.meta.get("plan_id"), int) and self.channel_id:
            plan = queries.plan_in_channel(db, plan_id=self.meta["plan_id"],
                                           team_id=self.team_id, channel_id=self.channel_id)
        return self.may_change(plan, gone=gone)

    def may_change(self, plan: Plan | None, *, gone: str | None = None) -> Plan:
        """The plan, if it is active and the actor is in its channel; else a Refusal."""
        if plan is None or plan.status != "active" or not self.in_channel(plan.channel_id):
            _ = self.gettext()
            raise Refusal(gone or _("That plan is no longer active here; nothing was saved."))
        return plan

    def require_facilitator(self, db, plan: Plan) -> None:
        if not queries.is_facilitator(db, plan=plan, user_id=self.user_id):
            raise Refusal(facilitators_only(db, plan, self.lang(plan)))

    # --- answering ---

    def reply(self, *messages: dict, replace: bool = False) -> None:
        """Answer only the actor, where they acted (the command's or message's
        response_url; a direct message when there is none)."""
        for number, message in enumerate(messages):
            if self.respond is not None and getattr(self.respond, "response_url", None):
                self.respond(response_type="ephemeral", replace_original=replace and number == 0,
                             **message)
            else:
                tell_user(self.client, channel_id=self.channel_id, user_id=self.user_id,
                          message=message)

    def say(self, text: str) -> None:
        """Answer with one paragraph of (already escaped) mrkdwn."""
        self.reply(notice(text))

    def tell(self, text: str) -> None:
        """An ephemeral note to the actor in the channel (a direct message if need be)."""
        tell_user(self.client, channel_id=self.channel_id, user_id=self.user_id,
                  message=notice(text))

    def open(self, view: dict) -> None:
        self.client.views_open(trigger_id=self.trigger_id, view=view)

    # --- storing ---

    def store(self, write, *args, keyed: bool = True):
        """Run `write(self, db, *args)` and commit it with the request's idempotency key
        (`keyed=False`: a read, nothing to key). None when the request was stored before
        (Slack's retry, a double submit)."""
        with self.deps.db() as db:
            try:
                result = write(self, db, *args)
                if keyed:  # last: a transaction holds SQLite's write lock only to write
                    queries.claim_request(db, team_id=self.team_id, key=self.key)
                db.commit()
                return result
            except queries.DuplicateRequest:
                return None
            except Refusal:
                db.rollback()
                if queries.request_seen(db, team_id=self.team_id, key=self.key):
                    return None  # refused now because it was stored the first time
                raise
            except (OperationalError, PoolTimeout) as error:
                db.rollback()
                log.warning("could not store %s in time: %s", self.kind,
                            str(error).splitlines()[0])
                raise DatabaseBusy from error
            except BaseException:
                db.rollback()
                raise


def workspace_id(context) -> str:
    """The installing workspace: for Slack Connect guests the payload's team may differ."""
    authorized = context.get("authorize_result")
    return (authorized and authorized.get("team_id")) or context["team_id"]


def view_metadata(view: dict) -> dict:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def facilitators_only(db, plan: Plan, lang: str | None = None) -> str:
    """The polite refusal, naming who can (in `lang`, the asker's, where known)."""
    _ = gettext_for(lang or plan.language)
    people = ", ".join(f"<@{u}>" for u in queries.facilitators_of(db, plan=plan))
    return _("Only the plan's facilitators ({people}) can do that.").format(people=people)


def no_plan(act: Interaction):
    """What to tell someone who asked for the plan of a channel that has none: at once
    when their language is known, else once Slack told it."""
    def text():
        _ = act.gettext()
        return _("This channel has no account plan yet. Create one with `/plan new`.")

    if act.known_lang():
        return Reply(ack=notice(text()))
    return lambda: act.say(text())


def channel_plan(act: Interaction, db) -> Plan | None:
    """The active plan of the channel the command was typed in."""
    return queries.active_plan(db, team_id=act.team_id, channel_id=act.channel_id or "")


def not_saved(lang: str) -> str:
    _ = gettext_for(lang)
    return _("I couldn't save that just now: the database is busy. Nothing was saved; "
             "please try again.")


def went_wrong(lang: str) -> str:
    _ = gettext_for(lang)
    return _("Something went wrong on my side and nothing was saved. Please try again in a "
             "moment.")


# --- the three shapes of a listener -----------------------------------------------------------

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


@dataclass
class Reply:
    """What a handler answers: the ack (a command's message; a modal's response_action,
    or nothing, which closes it) and what follows it."""

    ack: dict = field(default_factory=dict)
    then: Callable[[], None] | None = None

    def and_then(self, more: Callable[[], None] | None) -> "Reply":
        """This reply, with `more` to do after what it does already."""
        if more is None:
            return self
        first = self.then
        return Reply(ack=self.ack, then=more if first is None else lambda: (first(), more()))


def redraw_list(act: Interaction, draw: Callable[[], dict]) -> Callable[[], None] | None:
    """After the ack: replace the list the change was made from with `draw()`, its fresh
    state (None when the change came from elsewhere)."""
    url = act.list_url
    if not url:
        return None

    def redraw():
        message = draw()
        reply = WebhookClient(url).send(response_type="ephemeral", replace_original=True,
                                        text=message["text"], blocks=message["blocks"])
        if reply.status_code != 200:  # expired (30 minutes) or used up: the list just waits
            log.info("could not redraw a list: %s %s", reply.status_code, reply.body)

    return redraw


def answer(act: Interaction, *messages: dict) -> Reply:
    """Answer a command with messages: the first in the ack, any others right after."""
    rest = messages[1:]
    return Reply(ack=messages[0], then=(lambda: act.reply(*rest)) if rest else None)


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
