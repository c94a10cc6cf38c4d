"""Putting deliveries in the outbox, in the transaction that stores what asks for them: the
nudges a plan's settings plan (`Planned`, scheduled by storage.outbox.schedule), and the posts
users ask for (`request`)."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.outbox.kinds import Kind
from storage import outbox
from storage.models import Plan


@dataclass(frozen=True)
class Planned:
    """A delivery to put in the outbox: its unique key, kind, due moment and details."""

    key: str
    kind: str
    due_at: datetime
    payload: dict


def request(db: Session, *, plan: Plan, kind: Kind, key: str, now: datetime,
            **payload) -> int | None:
    """A post a user asked for, in the transaction that stores what asked for it: the
    delivery's id to send at once after the ack, or None when it was asked for already."""
    assert not kind.scheduled, kind.name
    return outbox.add(db, plan=plan, kind=kind.name, key=key, now=now, payload=payload)
