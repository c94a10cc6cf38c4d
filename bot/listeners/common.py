"""What every listener needs: the database, the clock, users' profiles, and the
request's workspace."""

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps

from slack_bolt import Respond
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.blocks.messages import notice
from bot.i18n import DEFAULT_LANGUAGE, gettext_for
from bot.slack import UserDirectory, tell_user
from storage import queries
from storage.db import new_session
from storage.models import Plan

log = logging.getLogger("rumbo")


class Debouncer:
    """Runs a job for a key once, `delay` seconds after the first request; requests made
    before that run starts are folded into it. A burst of submissions gives one card update
    a second, as Slack's rate limits want (chat.update: about one message per second per
    channel), and since each run reads the data when it starts, the last update shows
    everything. Runs for one key never overlap, so an older view never lands last."""

    def __init__(self, delay: float):
        self.delay = delay
        self._lock = threading.Lock()
        self._scheduled: set = set()
        self._running: defaultdict = defaultdict(threading.Lock)

    def request(self, key, job: Callable[[], None]) -> None:
        with self._lock:
            if key in self._scheduled:
                return
            self._scheduled.add(key)
        timer = threading.Timer(self.delay, self._run, (key, job))
        timer.daemon = True
        timer.start()

    def run_now(self, key, job: Callable[[], None]) -> None:
        """Run the job at once (a user is waiting for it), still one run at a time."""
        self._run(key, job)

    def _run(self, key, job: Callable[[], None]) -> None:
        with self._running[key]:
            with self._lock:
                self._scheduled.discard(key)
            try:
                job()
            except Exception:
                log.exception("debounced job for %s failed", key)


@dataclass
class Deps:
    engine: Engine
    clock: Callable[[], datetime]
    users: UserDirectory = field(default_factory=UserDirectory)
    card_updates: Debouncer = field(default_factory=lambda: Debouncer(delay=1.0))

    def db(self):
        return new_session(self.engine)


@dataclass
class Command:
    """A `/plan` subcommand, as the handlers see it."""

    team_id: str
    channel_id: str
    user_id: str
    user_team_id: str | None
    text: str
    trigger_id: str
    client: WebClient
    respond: Respond

    @property
    def key(self) -> str:
        return f"cmd:{self.trigger_id}"

    def reply(self, *messages: dict) -> None:
        """Answer only the user who typed the command, where they typed it."""
        for message in messages:
            self.respond(response_type="ephemeral", **message)

    def say(self, text: str) -> None:
        """Answer with one paragraph of (already escaped) mrkdwn."""
        self.reply(notice(text))


def command_language(deps: Deps, command: Command, plan: Plan | None) -> str:
    return plan.language if plan else deps.users.profile(command.client, command.user_id)[0]


def plan_or_explain(deps: Deps, command: Command, db) -> Plan | None:
    """The channel's active plan, or None and the user told how to create one."""
    plan = queries.active_plan(db, team_id=command.team_id, channel_id=command.channel_id)
    if plan is None:
        _ = gettext_for(command_language(deps, command, None))
        command.say(
            _("This channel has no account plan yet. Create one with `/plan new`."))
    return plan


def channel_of(body: dict) -> str | None:
    """The channel an interaction happened in (a message, an ephemeral)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id")


def tell_in_channel(client, body: dict, text: str) -> None:
    """An ephemeral note to whoever clicked, where they clicked."""
    tell_user(client, channel_id=channel_of(body), user_id=body["user"]["id"],
              message=notice(text))


def facilitators_only(db, plan: Plan) -> str:
    """The polite refusal, naming who can."""
    _ = gettext_for(plan.language)
    people = ", ".join(f"<@{u}>" for u in queries.facilitators_of(db, plan=plan))
    return _("Only the plan's facilitators ({people}) can do that.").format(people=people)


def active_plan_of_view(db, view: dict, context) -> Plan | None:
    """The active plan a modal was opened for, checked against the request's workspace
    and the channel the modal came from."""
    meta = view_metadata(view)
    if not isinstance(meta.get("plan_id"), int) or not meta.get("channel_id"):
        return None
    plan = queries.plan_in_channel(db, plan_id=meta["plan_id"], team_id=workspace_id(context),
                                   channel_id=meta["channel_id"])
    return plan if plan is not None and plan.status == "active" else None


def workspace_id(context) -> str:
    """The installing workspace: for Slack Connect guests the payload's team may differ."""
    authorized = context.get("authorize_result")
    return (authorized and authorized.get("team_id")) or context["team_id"]


def user_team_id(body: dict) -> str | None:
    return (body.get("user") or {}).get("team_id") or body.get("team_id")


def view_metadata(view: dict) -> dict:
    try:
        return json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}


def ack_now(ack) -> None:
    """The ack of listeners whose work all happens after it."""
    ack()


def validate_in_ack(parse, *, with_metadata: bool = False):
    """An ack for a modal submission: `parse(values, lang)` (and the view's metadata, when
    asked), whose last result is the errors by block id, runs in the ack so errors show on
    the fields; the modal closes when there are none. Pure parsing only: the ack waits for
    no database and no Slack. Bolt runs the lazy listener after every submission, refused
    ones too, so each lazy listener parses again and stops on errors."""

    def ack_submission(ack, body):
        meta = view_metadata(body["view"])
        lang = meta.get("lang", DEFAULT_LANGUAGE)
        extra = (meta,) if with_metadata else ()
        errors = parse(body["view"]["state"]["values"], lang, *extra)[-1]
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    return ack_submission


def apologise_on_failure(deps: Deps):
    """Lazy listeners run after the ack: a crash there must still reach the user as a
    message, never as silence. Every lazy listener takes `client` (and `body`)."""

    def decorate(function):
        @wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except Exception:
                log.exception("%s failed", function.__name__)
                body, client = kwargs.get("body") or {}, kwargs["client"]
                user = ((body.get("user") or {}).get("id") or body.get("user_id")
                        or (kwargs.get("event") or {}).get("user"))
                channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
                if user:
                    _ = gettext_for(deps.users.profile(client, user)[0])
                    tell_user(client, channel_id=channel, user_id=user, message=notice(_(
                        "Something went wrong on my side and I couldn't finish that. "
                        "Please try again in a moment.")))

        return wrapper

    return decorate
