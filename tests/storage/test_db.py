"""The database itself (storage/db.py, the models, the migrations), on SQLite and
PostgreSQL: SQLite's pragmas, timezone-aware datetimes, every row in a workspace,
migrations that upgrade a database holding data."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from storage.models import Idea, Plan, ProcessedRequest
from tests.factories import create


def test_sqlite_has_foreign_keys_and_wal(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


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


def test_the_newest_migration_is_alembics_head():
    """Readiness reads the head from the files' numbering (without Alembic): it must be the
    head Alembic itself finds, and the revisions must stay one line, each file named after
    its revision."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, newest_migration

    script = ScriptDirectory.from_config(alembic_config(None))  # type: ignore[arg-type]
    assert script.get_heads() == [newest_migration()]
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions] == [f"{n:04d}" for n in range(len(revisions), 0, -1)]
    for revision in revisions:
        assert revision.path.rsplit("/", 1)[-1].startswith(revision.revision + "_")


def test_the_served_worker_never_imports_alembic():
    """Alembic and the dialects it loads weigh about 11 MB: the worker only serves."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from bot.platform.server import Worker, wsgi_app\n"
            "from bot.platform.app import create_app\n"
            "from bot.outbox.ticks import start_in_background\n"
            "from bot.platform.observability import ready, metrics_page\n"
            "print('alembic' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
