"""Putting deliveries in the outbox: a post a user asked for, in the transaction that stores
what asked for it."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import outbox
from storage.models import Plan


@dataclass(frozen=True)
class Planned:
    """A delivery to put in the outbox: its unique key, kind, due moment and details."""

    key: str
    kind: str
    due_at: datetime
    payload: dict


log = logging.getLogger("rumbo")


def request(db: Session, *, plan: Plan, kind: str, key: str, now: datetime,
            **payload) -> int | None:
    """A post a user asked for, in the transaction that stores what asked for it: the
    delivery's id to send at once after the ack, or None when it was asked for already."""
    return outbox.add(db, plan=plan, kind=kind, key=key, now=now, payload=payload)
