"""Requests' idempotency keys (storage/requests.py), on SQLite and PostgreSQL: a request
sent again stores nothing twice."""

import pytest
from sqlmodel import select

from storage import plans, requests
from storage.models import Plan
from tests.factories import create


def test_a_repeated_request_stores_nothing_twice(db):
    create(db, key="view:V1")
    with pytest.raises(requests.DuplicateRequest):
        create(db, key="view:V1", channel="C2")
    assert len(db.exec(select(Plan)).all()) == 1
    assert plans.active_plan(db, team_id="T1", channel_id="C2") is None
