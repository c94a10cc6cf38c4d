"""Plans in storage (storage/plans.py), on SQLite and PostgreSQL: categories and
facilitators, one active plan a channel and nothing overwritten, lookups scoped to workspace
and channel."""


import pytest
from sqlmodel import select

from storage import plans
from storage.models import Plan, StrategySession
from tests.factories import NOW, create, start


def test_create_plan_with_categories_and_facilitators(db):
    plan = create(db)
    assert plans.active_plan(db, team_id="T1", channel_id="C1").id == plan.id
    assert plans.categories_of(db, plan=plan) == ["A", "B"]
    assert sorted(plans.facilitators_of(db, plan=plan)) == ["U1", "U2"]
    assert plans.is_facilitator(db, plan=plan, user_id="U1")
    assert not plans.is_facilitator(db, plan=plan, user_id="U9")


def test_one_active_plan_per_channel_and_nothing_overwritten(db):
    first = create(db)
    with pytest.raises(plans.ChannelHasPlan):
        create(db, key="k2", account_name="Other")
    db.rollback()
    assert db.exec(select(Plan)).all() == [first]
    # Another workspace's channel with the same id is another channel.
    create(db, key="k3", team="T2")
    assert plans.archive_plan(db, plan=first, user_id="U1", now=NOW)
    assert not plans.archive_plan(db, plan=first, user_id="U1", now=NOW)
    second = create(db, key="k4", account_name="Acme 2027")
    assert plans.active_plan(db, team_id="T1", channel_id="C1").id == second.id
    assert db.get(Plan, first.id).status == "archived"


def test_lookups_check_workspace_and_channel(db):
    plan = create(db)
    assert plans.in_channel(db, Plan, plan.id, team_id="T1", channel_id="C1") == (plan, plan)
    assert plans.in_channel(db, Plan, plan.id, team_id="T2", channel_id="C1") == (None, None)
    assert plans.in_channel(db, Plan, plan.id, team_id="T1", channel_id="C9") == (None, None)
    assert plans.in_channel(db, Plan, plan.id, team_id="T1", channel_id=None) == (plan, plan)
    session = start(db, plan)
    assert plans.in_channel(db, StrategySession, session.id, team_id="T1",
                            channel_id="C1") == (plan, session)
    assert plans.in_channel(db, StrategySession, session.id, team_id="T2",
                            channel_id="C1") == (None, None)
