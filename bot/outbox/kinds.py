"""What the sender needs to know of a kind of delivery: how it is sent (messages drawn and
posted in parts, files uploaded, or a way of its own) and how it is treated (a scheduled
nudge, how late it may still go out, whether it outlives its plan). Each capability declares
its kinds in its deliveries.py; bot/outbox/registry.py gathers them."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from storage.models import Delivery, Plan

if TYPE_CHECKING:
    from bot.outbox.sender import Sending


@dataclass(frozen=True)
class Upload:
    """Files to upload with a comment (to a thread, when `thread_ts` is given)."""

    comment: str
    files: list[dict]  # {"content": bytes, "filename": …, "title": …}
    thread_ts: str | None = None


def own_group(delivery: Delivery) -> str:
    return delivery.key


@dataclass(frozen=True)
class Kind:
    name: str
    # How it is sent, one of three. None from any of them: no longer relevant, skipped.
    draw: "Callable[[Sending], list[dict] | None] | None" = None  # messages, posted in parts
    upload: "Callable[[Sending], Upload | None] | None" = None  # files uploaded
    extensions: tuple[str, ...] = ()  # its files' names end so: a takeover looks for them
    send: "Callable[[Sending], bool] | None" = None  # a way of its own; False: skipped
    scheduled: bool = False  # a nudge from the plan's settings, not a user's request
    grace: timedelta | None = None  # how late a nudge may still go out after downtime
    # Nudges that say the same thing at different times: after downtime only the latest of
    # a group goes out. A user's request is a group of its own.
    group: Callable[[Delivery], str] = own_group
    any_plan: bool = False  # sent even when the plan was archived meanwhile
    counted: bool = True  # False: not a message (it plans others, or edits the canvas)
    posted: Callable[[Session, dict, str], None] | None = None  # its first message's ts
    keeps_ts: bool = False  # its first message's ts is kept: others reply in its thread
    refused: Callable[[Session, dict, datetime], None] | None = None  # Slack will not take it
    after: Callable[[Session, Plan, datetime], None] | None = None  # once sent or skipped
    # What the person who asked for it hears when Slack refuses it (default: why).
    told: Callable[[Plan, str, SlackApiError | None], str] | None = None
