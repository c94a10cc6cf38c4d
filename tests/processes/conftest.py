"""The real-process tests' fixtures: a `rumbo serve` the test may kill and start again."""

from types import SimpleNamespace

import pytest

from tests.processes.servers import CHANNEL, LEASE, SIGNING_SECRET, Rumbo


@pytest.fixture
def lease() -> str:
    """RUMBO_LEASE_SECONDS of the `rumbo` fixture's process: how long a delivery a dead
    process was sending waits before another takes it over (a test may parametrize it)."""
    return LEASE


@pytest.fixture
def rumbo(engine, tmp_path, lease):
    """Slack's side and a serving process tree (what `rumbo serve` runs, scheduler on) on the
    test's database, SQLite or PostgreSQL, that the test may kill and start again
    (`restart`)."""
    from bot.devslack import SlackDriver, SlackEmulator
    from tests.processes.servers import BOT_TOKEN
    from tests.scenario import setup_channel

    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        url = engine.url.render_as_string(hide_password=False)

        def serve():
            return Rumbo(api_url=emulator.api_url, database_url=url, scheduler=True,
                         log_path=tmp_path / "rumbo.log", command="server",
                         env={"RUMBO_LEASE_SECONDS": lease}).start()

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
            state.server.end()
        assert emulator.violations == [], emulator.violations
