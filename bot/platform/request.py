"""One request from Slack as the handlers see it (`Interaction`), the checks every handler
makes on what it touches, and what handlers answer (`Reply`, `Refusal`)."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel

from bot.platform.blocks import local_date, mention, notice, parts_of
from bot.platform.deps import Deps
from bot.platform.i18n import N_, gettext_for
from bot.platform.slack import tell_user
from storage import plans, requests
from storage.models import Plan

log = logging.getLogger("rumbo")

# What a refusal says: a msgid, or a function of the reader's gettext (for texts with parts
# to translate too), rendered once the reader's language is known.
Says = str | Callable[[Callable[[str], str]], str]
FACILITATORS_ONLY = N_("Only the plan's facilitators ({people}) can do that.")
NO_PLAN = N_("This channel has no account plan yet. Create one with `/plan new`.")
PLAN_GONE = N_("That plan is no longer active here; nothing was saved.")
NOT_A_MEMBER = N_("You are not a member of this plan's channel: only its members can see "
                  "its plan or change it.")
NOT_SAVED = N_("I couldn't save that just now: the database is busy. Nothing was saved; "
               "please try again.")
WENT_WRONG = N_("Something went wrong on my side and nothing was saved. Please try again in "
                "a moment.")


class Refusal(Exception):
    """Nothing is stored, and the person is told why: on the modal's field it names, in the
    command's answer, or in a note only they see. `says` None tells nothing (an id from
    elsewhere, a click on something gone)."""

    def __init__(self, says: Says | None, block_id: str | None = None):
        super().__init__(says if isinstance(says, str) else "refused")
        self.says, self.block_id = says, block_id

    def text(self, lang: str) -> str | None:
        if self.says is None:
            return None
        _ = gettext_for(lang)
        return self.says(_) if callable(self.says) else _(self.says)


class HasLanguage(Protocol):
    """What stands in for the actor's language before the ack: the plan's (a Plan, or a row
    with its language)."""

    @property
    def language(self) -> str: ...


class DatabaseBusy(Exception):
    """The database could not take the write in time."""


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
    # The channel's plan as read once for this request (`channel`), False until then.
    _channel: plans.ChannelPlan | None | bool = field(default=False, repr=False)

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

    def part(self, index: int) -> str:
        """One part of the value clicked (as `blocks.value_of` made it); "" if none."""
        parts = parts_of(self.value)
        return parts[index] if -len(parts) <= index < len(parts) else ""

    def number(self, index: int) -> int | None:
        """A part of the value clicked that is an id or a count; None when it is not."""
        part = self.part(index)
        return int(part) if part.isdigit() else None

    def day(self, index: int) -> date | None:
        try:
            return date.fromisoformat(self.part(index))
        except ValueError:
            return None

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

    # --- language ---

    def lang(self, plan: HasLanguage | None = None) -> str:
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

    def gettext(self, plan: HasLanguage | None = None):
        return gettext_for(self.lang(plan))

    def today(self, plan: Plan | None = None) -> date:
        """The person's today: the date in the plan's timezone or, before there is a plan,
        in their own Slack timezone (asking Slack, once cached: only after the ack)."""
        zone = plan.timezone if plan else self.deps.users.profile(self.client, self.user_id)[1]
        return local_date(self.deps.clock(), zone)

    # --- what the request may touch: checks that raise a Refusal ---

    def channel(self, db: Session) -> plans.ChannelPlan | None:
        """The active plan of the channel the request came from, its running session and
        whether the actor facilitates it: one query, read once per request."""
        if self._channel is False:
            self._channel = plans.channel_plan(db, team_id=self.team_id, user_id=self.user_id,
                                               channel_id=self.channel_id or "")
        return self._channel  # type: ignore[return-value]

    def channel_plan(self, db: Session) -> Plan | None:
        """The active plan of the channel the request came from, if the actor is in it."""
        found = self.channel(db)
        return self.require_member(found.plan) if found else None

    def clicked(self, db: Session, model: type[SQLModel], item_id: int | None, *,
                elsewhere: Says | None, active: bool = True, anywhere: bool = False
                ) -> tuple[Any, Any]:
        """(plan, item) a click names (a plan or anything of a plan, by id), when it belongs
        to the channel clicked in (`anywhere`: to any channel, for a click in App Home or a
        direct message), in this workspace, and its plan is active (or not, without
        `active`); else Refusal(elsewhere). The actor must be in the plan's channel."""
        plan, item = None, None
        if item_id is not None and (anywhere or self.channel_id):
            plan, item = plans.in_channel(db, model, item_id, team_id=self.team_id,
                                          channel_id=None if anywhere else self.channel_id,
                                          active=active)
        if plan is None or item is None:
            raise Refusal(elsewhere)
        return self.require_member(plan), item

    def in_channel(self, channel_id: str) -> bool:
        """May the actor act in this channel: is it where Slack says they are, or are they
        a member of it (guests and Slack Connect clients included)?"""
        if self.kind == "command" and channel_id == self.channel_id:
            return True
        return self.deps.members.includes(self.client, channel_id, self.user_id)

    def plan_of_view(self, db: Session, *, gone: Says | None = None) -> Plan:
        """The active plan a modal was opened for, checked against the request's
        workspace, the channel it came from, and the actor's membership of it."""
        plan = None
        if isinstance(self.meta.get("plan_id"), int) and self.channel_id:
            plan, _plan = plans.in_channel(db, Plan, self.meta["plan_id"], team_id=self.team_id,
                                           channel_id=self.channel_id, active=False)
        return self.may_change(plan, gone=gone)

    def may_change(self, plan: Plan | None, *, gone: Says | None = None) -> Plan:
        """The plan, if it is active and the actor is in its channel; else a Refusal."""
        if plan is None or plan.status != "active":
            raise Refusal(gone or PLAN_GONE)
        return self.require_member(plan)

    def require_member(self, plan: Plan) -> Plan:
        """The plan, if the actor is a member of its channel (`require_in`)."""
        self.require_in(plan.channel_id)
        return plan

    def require_in(self, channel_id: str | None) -> None:
        """A Refusal that shows nothing of the channel's plan, unless the actor is a member of
        the channel. Every click, modal and submission about a plan comes through here
        (`clicked`, `channel_plan`, `may_change`, a submission's own channel): reading is
        guarded as writing is. A member's check costs no call while `ChannelMembers`
        remembers the channel (10 minutes); else one `conversations.members`, before the
        ack or the modal."""
        if not channel_id or not self.in_channel(channel_id):
            raise Refusal(NOT_A_MEMBER)

    def require_facilitator(self, db: Session, plan: Plan, says: str = FACILITATORS_ONLY,
                            **parts: str) -> None:
        """Facilitators of the plan go on; anyone else is refused and told who can (`says`,
        a msgid with {people} and the other `parts`)."""
        found = self._channel
        if isinstance(found, plans.ChannelPlan) and found.plan.id == plan.id:
            facilitates = found.facilitator  # read with the channel's plan already
        else:
            facilitates = plans.is_facilitator(db, plan=plan, user_id=self.user_id)
        if not facilitates:
            people = ", ".join(mention(u) for u in plans.facilitators_of(db, plan=plan))
            raise Refusal(lambda _: _(says).format(people=people, **parts))

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
                  message=notice(text), respond=self.respond)

    def refused(self, refusal: Refusal) -> None:
        """After the ack: why nothing was done, in the actor's language, where they acted."""
        text = refusal.text(self.lang())
        if text is not None:
            (self.say if self.kind == "command" else self.tell)(text)

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
                    requests.claim_request(db, team_id=self.team_id, key=self.key,
                                           now=self.deps.clock())
                db.commit()
                return result
            except requests.DuplicateRequest:
                return None
            except Refusal:
                db.rollback()
                if requests.request_seen(db, team_id=self.team_id, key=self.key):
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


@dataclass
class Reply:
    """What a handler answers: the ack (a command's message; a modal's response_action,
    or nothing, which closes it) and what follows it."""

    ack: dict = field(default_factory=dict)
    then: Callable[[], object] | None = None

    def and_then(self, more: Callable[[], object] | None) -> "Reply":
        """This reply, with `more` to do after what it does already."""
        first = self.then
        if more is None or first is None:
            return self if more is None else Reply(ack=self.ack, then=more)

        def both() -> None:
            first()
            more()

        return Reply(ack=self.ack, then=both)


def answer(act: Interaction, *messages: dict) -> Reply:
    """Answer a command with messages: the first in the ack, any others right after."""
    rest = messages[1:]
    return Reply(ack=messages[0], then=(lambda: act.reply(*rest)) if rest else None)


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
