"""Engine and session factory, dialect-neutral upserts, and migrations on start.

Alembic is imported only to migrate: the server's worker never does (`rumbo serve` migrates
before it starts), and Alembic with the dialects it loads would add about 11 MB to it."""

import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, event, inspect, literal_column, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

# Writes happen before Slack gets its answer, within its 3 seconds: a database that cannot
# take a write (locked, out of connections) must fail within this, so the user can be told.
WRITE_WAIT_SECONDS = 2


def make_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                               pool_timeout=WRITE_WAIT_SECONDS)

        @event.listens_for(engine, "connect")
        def _postgres_timeouts(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{WRITE_WAIT_SECONDS}s'")
            dbapi_connection.commit()

        return engine
    engine = create_engine(url, pool_size=20, max_overflow=10, pool_timeout=WRITE_WAIT_SECONDS,
                           connect_args={"check_same_thread": False,
                                         "timeout": WRITE_WAIT_SECONDS})
    _one_writer_at_a_time(engine)

    # Per pooled connection, not once: SQLite forgets these on every new connection.
    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _one_writer_at_a_time(engine: Engine) -> None:
    """SQLite takes one writer at a time and makes the others poll, sleeping 1, 2, 5, 10,
    15… ms between tries: under a burst of writes that sleeping is most of the latency.
    Writers of this process queue on a lock instead, taken at a transaction's first write
    and released when it ends, so each write starts the moment the one before commits.
    (Other processes still meet SQLite's own lock, within the same time limit.)"""
    lock = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(connection, _cursor, statement, parameters, _context, _many):
        if connection.info.get("writing") or not statement.lstrip()[:6].upper().startswith(
                ("INSERT", "UPDATE", "DELETE")):
            return
        if not lock.acquire(timeout=WRITE_WAIT_SECONDS):
            raise OperationalError(statement, parameters,
                                   sqlite3.OperationalError("database is locked"))
        connection.info["writing"] = True

    def _release(info) -> None:
        if info.pop("writing", False):
            lock.release()

    event.listen(engine, "commit", lambda connection: _release(connection.info))
    event.listen(engine, "rollback", lambda connection: _release(connection.info))
    # A connection returned to the pool mid-transaction is rolled back there.
    event.listen(engine, "reset", lambda _dbapi, record, _state: _release(record.info))


def new_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def insert(session: Session, model):
    """INSERT for the session's database, with its ON CONFLICT clauses."""
    return upsert_for(session.get_bind().dialect.name)(model)


def table(model: type) -> Table:
    """A SQLModel model's table, for Core statements (no unit of work to flush)."""
    return model.__table__  # type: ignore[attr-defined]


def new_rows(model: type, column: str) -> Any:
    """A column of the row an INSERT adds, for a subquery in its RETURNING: named, since
    SQLAlchemy does not correlate a subquery there (and on SQLite it names no table in
    RETURNING, so such a subquery must not join: its columns would be ambiguous)."""
    return literal_column(f"{table(model).name}.{column}")


def upsert_for(dialect: str):
    """The INSERT (with ON CONFLICT clauses) of a database, by its dialect's name."""
    return (postgresql if dialect == "postgresql" else sqlite).insert


def alembic_config(engine: Engine) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database schema up to date (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def newest_migration() -> str:
    """The newest migration's revision. Revisions are numbered in order and each file is
    named after its own (`0009_plan_canvas.py` is revision "0009"), as a test checks
    against Alembic's own reading."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def migrations(engine: Engine) -> tuple[str | None, str]:
    """(the schema's migration, the newest there is): equal when the schema is up to date.
    Read as Alembic records it (its version table), without Alembic. Raises when the
    database cannot be reached."""
    with engine.connect() as connection:
        current = (connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                   if inspect(connection).has_table("alembic_version") else None)
    return current, newest_migration()


def reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError:
        return False
    return True
