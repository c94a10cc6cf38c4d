"""Storage rules, on SQLite and on a real PostgreSQL server."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from storage import plans, requests, sessions
from storage.models import Answer, Idea, Plan, ProcessedRequest
from tests.factories import NOW, create, once, start


def test_sqlite_has_foreign_keys_and_wal(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


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


def test_a_repeated_request_stores_nothing_twice(db):
    create(db, key="view:V1")
    with pytest.raises(requests.DuplicateRequest):
        create(db, key="view:V1", channel="C2")
    assert len(db.exec(select(Plan)).all()) == 1
    assert plans.active_plan(db, team_id="T1", channel_id="C2") is None


def test_lookups_check_workspace_and_channel(db):
    plan = create(db)
    assert plans.plan_in_channel(db, plan_id=plan.id, team_id="T1", channel_id="C1")
    assert plans.plan_in_channel(db, plan_id=plan.id, team_id="T2", channel_id="C1") is None
    assert plans.plan_in_channel(db, plan_id=plan.id, team_id="T1", channel_id="C9") is None
    session = start(db, plan)
    assert sessions.session_in_channel(db, session_id=session.id, team_id="T1", channel_id="C1")
    assert sessions.session_in_channel(db, session_id=session.id, team_id="T2",
                                      channel_id="C1") is None


def test_one_running_session_per_plan(db):
    plan = create(db)
    session = start(db, plan)
    with pytest.raises(sessions.SessionAlreadyRunning):
        start(db, plan, key="s2")
    assert sessions.end_session(db, strategy_session=session, user_id="U1", now=NOW)
    assert not sessions.end_session(db, strategy_session=session, user_id="U1", now=NOW)
    db.commit()
    start(db, plan, key="s3")


def test_contributions_keep_author_time_and_are_stored_once(db):
    plan = create(db)
    session = start(db, plan)
    later = NOW + timedelta(minutes=5)
    kwargs = dict(plan=plan, strategy_session=session, user_id="U7", user_team_id="T_GUEST",
                  answers={1: "Going well", 3: "Stop weekly calls"},
                  ideas=[("Self-service portal", "ambitious", None)], now=later)
    once(db, "view:V1", lambda: sessions.add_contributions(db, **kwargs))
    with pytest.raises(requests.DuplicateRequest):
        once(db, "view:V1", lambda: sessions.add_contributions(db, **kwargs))
    answers = sessions.answers_of(db, strategy_session=session)
    assert [(a.question, a.text, a.user_id, a.user_team_id) for a in answers] == [
        (1, "Going well", "U7", "T_GUEST"), (3, "Stop weekly calls", "U7", "T_GUEST")]
    assert answers[0].created_at == later and answers[0].created_at.tzinfo is not None
    assert [i.text for i in sessions.ideas_of(db, plan=plan)] == ["Self-service portal"]
    assert sessions.contributors(db, strategy_session=session) == {"U7": [2, 1]}


def test_editing_answers_only_touches_ones_own_and_hides_emptied(db):
    plan = create(db)
    session = start(db, plan)
    for user in ("U7", "U8"):
        sessions.add_contributions(db, plan=plan, strategy_session=session, user_id=user,
                                  user_team_id="T1", answers={1: f"{user} one", 2: f"{user} two"},
                                  ideas=[], now=NOW)
    mine = sessions.answers_of(db, strategy_session=session, user_id="U7")
    theirs = sessions.answers_of(db, strategy_session=session, user_id="U8")
    changed = sessions.edit_answers(db, strategy_session=session, user_id="U7", now=NOW, texts={
        mine[0].id: "U7 corrected", mine[1].id: "", theirs[0].id: "hijacked"})
    assert changed == 2
    assert [a.text for a in sessions.answers_of(db, strategy_session=session)] == [
        "U7 corrected", "U8 one", "U8 two"]
    hidden = db.get(Answer, mine[1].id)
    assert hidden.text == "U7 two" and hidden.deleted_at is not None  # kept, only hidden


def test_datetimes_come_back_timezone_aware_in_utc(db):
    madrid = timezone(timedelta(hours=1))
    plan = create(db, created_at=datetime(2026, 11, 30, 16, 0, tzinfo=madrid))
    db.expire_all()
    stored = db.get(Plan, plan.id).created_at
    assert stored == datetime(2026, 11, 30, 15, 0, tzinfo=UTC) and stored.tzinfo == UTC


def test_every_table_row_belongs_to_a_workspace(engine):
    from sqlmodel import SQLModel

    for table in SQLModel.metadata.sorted_tables:
        if table.name == "oauth_state":
            continue  # an install under way: no workspace yet
        assert "team_id" in table.columns, table.name
    assert ProcessedRequest.__table__.primary_key.columns.keys() == ["team_id", "key"]
    assert Idea.__table__.c.team_id.nullable is False


def test_migrations_upgrade_a_database_that_holds_data(tmp_path):
    """Each migration applies to a database with rows in it, not only to an empty one."""
    from alembic import command

    from storage.db import alembic_config, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO workspace (team_id, created_at) "
                                "VALUES ('T1', '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO plan (team_id, channel_id, account_name, client_size, period, "
            "start_date, timezone, review_weekday, review_time, language, status, created_by, "
            "created_at) VALUES ('T1', 'C1', 'Old', 'large', 'perpetual', '2026-01-01', "
            "'UTC', 0, '09:00:00', 'en', 'active', 'U1', '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO idea (team_id, plan_id, text, user_id, created_at) "
            "VALUES ('T1', 1, 'Old idea', 'U1', '2026-01-01 00:00:00')"))
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version FROM idea")).scalar() == 0
        assert connection.execute(text("SELECT reminder_days, summary_frequency FROM plan")
                                  ).one() == ("7,1", "monthly")
