"""The real-process tests' fixtures: a serving process tree the crash tests kill and start
again."""

import itertools
from contextlib import ExitStack
from types import SimpleNamespace

import pytest

from storage.db import make_engine, migrate
from tests.inprocess import sqlite_copy
from tests.postgres import own_schema, require_postgres
from tests.processes.servers import BOT_TOKEN, LEASE, SIGNING_SECRET, Rumbo

_channels = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crash_stand(request, sqlite_template, tmp_path_factory):
    """Slack's side and one serving process tree (what `rumbo serve` runs, scheduler on) on
    a database of the module's, SQLite or PostgreSQL, for tests that kill it and start it
    again: the next test goes on with the process the last one restarted (starting one
    costs a second), each in a channel and plan of its own."""
    from bot.devslack import SlackDriver, SlackEmulator

    workdir = tmp_path_factory.mktemp("crash")
    with ExitStack() as stack:
        if request.param == "sqlite":
            engine = sqlite_copy(sqlite_template, workdir / "rumbo.db")
        else:
            url = require_postgres()
            if url is None:
                pytest.skip("no PostgreSQL: run the suite with scripts/test")
            schema_url, _ = stack.enter_context(own_schema(url, "c"))
            engine = make_engine(schema_url)
            migrate(engine)
        stack.callback(engine.dispose)
        database_url = engine.url.render_as_string(hide_password=False)
        emulator = stack.enter_context(SlackEmulator(bot_token=BOT_TOKEN))

        def serve():
            return Rumbo(api_url=emulator.api_url, database_url=database_url, scheduler=True,
                         log_path=workdir / "rumbo.log", command="server",
                         env={"RUMBO_LEASE_SECONDS": LEASE}).start()

        state = SimpleNamespace(emulator=emulator, engine=engine, log=workdir / "rumbo.log",
                                server=serve())
        stack.callback(lambda: state.server.end())
        state.driver = SlackDriver(f"{state.server.url}/slack/events", SIGNING_SECRET,
                                   emulator)

        def restart():
            state.server = serve()
            state.driver.app_url = f"{state.server.url}/slack/events"

        state.restart = restart
        yield state


@pytest.fixture
def rumbo(crash_stand):
    """The module's serving process, running, and Slack's side forgetting what earlier tests
    did (messages, views, files, calls; the users stay); the test's own channel in
    `rumbo.channel`. Fails if the emulator recorded a violation during the test."""
    from tests.scenario import setup_channel

    state = crash_stand
    if state.server.process.poll() is not None:  # an earlier test left it killed
        state.restart()
    state.emulator.reset_state()
    state.channel = f"C0CRASH{next(_channels)}"
    setup_channel(state, state.channel)
    yield state
    violations, state.emulator.violations[:] = list(state.emulator.violations), []
    assert violations == [], violations
