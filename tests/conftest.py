import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from storage.db import make_engine, migrate, new_session
from tests.postgres import require_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    """A migrated database: a SQLite file, and a fresh schema on the real PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'rumbo.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    url = require_postgres()
    if url is None:
        pytest.skip("no PostgreSQL: run the suite with scripts/test")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{url}?options=-csearch_path%3D{schema}")
    migrate(engine)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db(engine):
    with new_session(engine) as session:
        yield session


@pytest.fixture(scope="module")
def slack(tmp_path_factory):
    """Slack's side of an end-to-end test: the emulator, a signed-request driver, and the
    real `rumbo serve` between them, on a fresh SQLite database."""
    from bot.devslack import SlackDriver, SlackEmulator
    from tests.app_server import BOT_TOKEN, SIGNING_SECRET, running_rumbo

    workdir = tmp_path_factory.mktemp("rumbo")
    database_url = f"sqlite:///{workdir / 'rumbo.db'}"
    with (
        SlackEmulator(bot_token=BOT_TOKEN) as emulator,
        running_rumbo(api_url=emulator.api_url, database_url=database_url,
                      log_path=workdir / "rumbo.log") as server,
    ):
        base = server.url
        driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET, emulator)
        engine = make_engine(database_url)
        yield SimpleNamespace(emulator=emulator, driver=driver, engine=engine, base=base,
                              log=workdir / "rumbo.log", server_pid=server.pid)
        engine.dispose()
    assert emulator.violations == [], emulator.violations


CHANNEL = "C0SERVED"
LEASE = "2"  # seconds a dead process's delivery waits before another process takes it


@pytest.fixture
def rumbo(engine, tmp_path):
    """Slack's side and a `rumbo serve` (scheduler on) on the test's database, SQLite or
    PostgreSQL, that the test may kill and start again (`restart`)."""
    from bot.devslack import SlackDriver, SlackEmulator
    from tests.app_server import BOT_TOKEN, SIGNING_SECRET, Rumbo
    from tests.scenario import setup_channel

    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        url = engine.url.render_as_string(hide_password=False)

        def serve():
            return Rumbo(api_url=emulator.api_url, database_url=url, scheduler=True,
                         log_path=tmp_path / "rumbo.log",
                         env={"RUMBO_LEASE_SECONDS": LEASE}).start()

        state = SimpleNamespace(emulator=emulator, engine=engine, serve=serve,
                                server=serve(), log=tmp_path / "rumbo.log")
        state.driver = SlackDriver(f"{state.server.url}/slack/events", SIGNING_SECRET,
                                   emulator)

        def restart():
            state.server = serve()
            state.driver.app_url = f"{state.server.url}/slack/events"

        state.restart = restart
        setup_channel(state, CHANNEL)
        try:
            yield state
        finally:
            state.server.stop()
        assert emulator.violations == [], emulator.violations
