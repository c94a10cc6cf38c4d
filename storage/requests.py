"""Idempotency keys of the Slack requests Rumbo has stored, and events it has seen."""

import functools
from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlmodel import Session, col

from storage.db import table, upsert_for
from storage.models import ProcessedRequest


class DuplicateRequest(Exception):
    """The same Slack request (a retry, a double submit) was already stored."""


def claim_request(session: Session, *, team_id: str, key: str, now: datetime) -> None:
    """Write a request's idempotency key in the transaction that stores what the request
    brought, last, so the two commit together. Raises DuplicateRequest (and rolls back)
    when the key was stored before: a retry, a double submit."""
    if not first_sighting(session, team_id=team_id, key=key, now=now):
        session.rollback()
        raise DuplicateRequest(key)


@functools.cache
def _noting(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING, built once per dialect (every request that
    writes runs it). RETURNING, not rowcount: psycopg reports no rowcount for it."""
    processed = table(ProcessedRequest)
    return (upsert_for(dialect)(processed)
            .values(team_id=bindparam("team_id"), key=bindparam("key"),
                    created_at=bindparam("created_at"))
            .on_conflict_do_nothing(index_elements=["team_id", "key"])
            .returning(processed.c.key))


def first_sighting(session: Session, *, team_id: str, key: str, now: datetime) -> bool:
    """Note a key (at `now`, when it is purged from); True the first time it is noted,
    whichever process notes it."""
    noted = session.connection().execute(_noting(session.get_bind().dialect.name), dict(
        team_id=team_id, key=key, created_at=now))
    return noted.first() is not None


def request_seen(session: Session, *, team_id: str, key: str) -> bool:
    return session.get(ProcessedRequest, (team_id, key)) is not None


def purge_keys(session: Session, *, before: datetime) -> int:
    """Forget the keys noted before `before`: how many were deleted."""
    return session.exec(delete(ProcessedRequest).where(
        col(ProcessedRequest.created_at) < before)).rowcount
