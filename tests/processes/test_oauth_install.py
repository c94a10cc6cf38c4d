"""OAuth mode through `rumbo serve` over HTTP: two workspaces install Rumbo through the real
/slack/install and /slack/oauth_redirect (a browser's GETs, the state cookie it keeps), and
each then works with its own token. Every other OAuth-mode behaviour, with the app in the
test's process: tests/platform/test_oauth.py."""

from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from bot.devslack import SlackDriver, SlackEmulator
from storage.db import new_session
from storage.models import Installation, Plan
from tests.processes.servers import SIGNING_SECRET, Rumbo
from tests.scenario import install, text_of

pytestmark = pytest.mark.process

CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-secret"
ACME, GLOBEX = "T0ACME", "T0GLOBEX"
ANA, GEO = "U0ANA", "U0GEO"


@pytest.fixture
def served(sqlite_engine, tmp_path):
    with SlackEmulator(bot_token="xoxb-unused") as emulator:
        emulator.oauth_client = (CLIENT_ID, CLIENT_SECRET)
        emulator.add_workspace(ACME, "Acme")
        emulator.add_workspace(GLOBEX, "Globex")
        emulator.add_user(ANA, "ana", locale="es-ES", tz="Europe/Madrid", team_id=ACME)
        emulator.add_user(GEO, "geo", locale="en-US", tz="America/New_York", team_id=GLOBEX)
        emulator.add_channel("C0ACME", "acme", members=[ANA])
        emulator.add_channel("C0GLOBEX", "globex", members=[GEO])
        url = sqlite_engine.url.render_as_string(hide_password=False)
        server = Rumbo(api_url=emulator.api_url, database_url=url, log_path=tmp_path / "log",
                       env={"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": CLIENT_ID,
                            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                            "RUMBO_ENCRYPTION_KEY": Fernet.generate_key().decode()})
        server.env["SLACK_REDIRECT_URI"] = f"{server.url}/slack/oauth_redirect"
        server.start()
        try:
            yield SimpleNamespace(
                emulator=emulator, engine=sqlite_engine, server=server,
                redirect_uri=server.env["SLACK_REDIRECT_URI"],
                driver=SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, emulator))
        finally:
            server.end()
        assert emulator.violations == [], emulator.violations


def test_two_workspaces_install_over_http_and_each_works_with_its_own_token(served):
    for team in (ACME, GLOBEX):
        assert f"slack://app?team={team}" in install(served, team, served.redirect_uri)
    with new_session(served.engine) as db:
        rows = db.exec(select(Installation)).all()
    assert sorted(r.team_id for r in rows) == [ACME, GLOBEX]
    assert all(r.bot_token.startswith("gAAAA") for r in rows)  # sealed, not xoxb-…

    for user, channel in ((ANA, "C0ACME"), (GEO, "C0GLOBEX")):
        response = served.driver.command(user, channel, f"new Plan of {channel}")
        served.emulator.wait_for("views.open", predicate=lambda c, r=response: c.params[
            "trigger_id"] == r.trigger_id)
        assert served.driver.submit(user, {"facilitators": [user]}).json() is None
    served.emulator.wait_for("chat.postMessage", count=2, predicate=lambda c: "Plan of"
                             in text_of(c.params))
    calls = [c for c in served.emulator.calls if c.params.get("channel") in ("C0ACME",
                                                                             "C0GLOBEX")]
    assert {(c.params["channel"], c.team_id) for c in calls} == {
        ("C0ACME", ACME), ("C0GLOBEX", GLOBEX)}
    with new_session(served.engine) as db:
        assert sorted(p.team_id for p in db.exec(select(Plan))) == [ACME, GLOBEX]
