"""Fixtures every test may use: a migrated database (SQLite, and PostgreSQL where a test
runs on both), and Slack's side with Rumbo's Bolt app in this process (tests/inprocess.py).
The real-process fixtures live in tests/processes/conftest.py."""

import pytest
from sqlalchemy import text

from bot.devslack import SlackEmulator
from storage.db import make_engine, migrate, new_session
from tests.inprocess import in_process, migrated_template, sqlite_copy
from tests.postgres import own_schema, require_postgres


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """Migrated once per run; each test gets a copy."""
    return migrated_template(tmp_path_factory.mktemp("template") / "rumbo.db")


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    """A migrated SQLite database file of the test's own."""
    engine = sqlite_copy(sqlite_template, tmp_path / "rumbo.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_schema():
    """One schema on the real PostgreSQL, migrated once per run: (its URL, its name), or
    None."""
    url = require_postgres()
    if url is None:
        yield None
        return
    with own_schema(url, "t") as (schema_url, schema):
        engine = make_engine(schema_url)
        migrate(engine)
        engine.dispose()
        yield schema_url, schema


@pytest.fixture
def postgres_engine(postgres_schema):
    """The migrated schema on the real PostgreSQL, emptied for the test (every table
    truncated, its ids starting again at 1): as a fresh schema is, much faster."""
    if postgres_schema is None:
        pytest.skip("no PostgreSQL: run the suite with scripts/test")
    url, schema = postgres_schema
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
            "AND tablename <> 'alembic_version'"), {"schema": schema}).scalars().all()
        # A killed server's backends may still be letting go of their locks.
        connection.execute(text("SET LOCAL lock_timeout = '20s'"))
        connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                + " RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    """A migrated database: a SQLite file, and a fresh schema on the real PostgreSQL."""
    return request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_engine")


@pytest.fixture
def db(engine):
    with new_session(engine) as session:
        yield session


@pytest.fixture
def web_api():
    """The Web API emulator alone, for what calls Slack outside a request (the outbox, the
    cards): U1 (ana) in C1 (acme)."""
    with SlackEmulator() as emulator:
        emulator.add_user("U1", "ana")
        emulator.add_channel("C1", "acme", members=["U1"])
        yield emulator


@pytest.fixture
def slack(sqlite_engine):
    """Slack's side of a handler test and Rumbo's app between them, in this process, on a
    fresh SQLite database: `emulator`, `driver` (signed requests, settled after each),
    `engine`, `clock` (a FakeClock), `app`, `outbox`, `settings`, `restart()`. Fails at
    teardown if the emulator recorded anything Slack would refuse."""
    with in_process(sqlite_engine) as rumbo:
        yield rumbo


@pytest.fixture
def slack_each_db(engine):
    """The same as `slack`, on SQLite and on PostgreSQL."""
    with in_process(engine) as rumbo:
        yield rumbo
