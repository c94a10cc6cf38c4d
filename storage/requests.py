"""Idempotency keys of the Slack requests Rumbo has stored, and events it has seen."""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from storage.db import insert
from storage.models import ProcessedRequest
from storage.types import utc_now


class DuplicateRequest(Exception):
    """The same Slack request (a retry, a double submit) was already stored."""


def claim_request(session: Session, *, team_id: str, key: str, now: datetime) -> None:
    """Write a request's idempotency key in the transaction that stores what the request
    brought, last, so the two commit together. Raises DuplicateRequest (and rolls back)
    when the key was stored before: a retry, a double submit."""
    session.add(ProcessedRequest(team_id=team_id, key=key, created_at=now))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise DuplicateRequest(key) from None


def first_sighting(session: Session, *, team_id: str, key: str) -> bool:
    """Note a key; True the first time it is noted, whichever process notes it."""
    # RETURNING, not rowcount: psycopg reports no rowcount for INSERT … ON CONFLICT.
    return session.exec(insert(session, ProcessedRequest)
                        .values(team_id=team_id, key=key, created_at=utc_now())
                        .on_conflict_do_nothing(index_elements=["team_id", "key"])
                        .returning(ProcessedRequest.key)).first() is not None


def request_seen(session: Session, *, team_id: str, key: str) -> bool:
    return session.get(ProcessedRequest, (team_id, key)) is not None


def purge_keys(session: Session, *, before: datetime) -> int:
    """Forget the keys noted before `before`: how many were deleted."""
    return session.exec(delete(ProcessedRequest).where(
        col(ProcessedRequest.created_at) < before)).rowcount
