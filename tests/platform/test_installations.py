"""The installation and OAuth state stores on SQLite and PostgreSQL: tokens sealed at rest,
Enterprise Grid org-wide installs serving every workspace of the org, states used once."""

from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlmodel import select

from bot.platform.installations import (
    STATE_LIFETIME,
    RumboInstallationStore,
    RumboStateStore,
    Sealed,
)
from storage import plans
from storage.db import new_session
from storage.models import Installation as Row
from tests.inprocess import FakeClock


def store(engine) -> RumboInstallationStore:
    return RumboInstallationStore(engine, sealed=Sealed(Fernet.generate_key().decode()),
                                  client_id="1.2", client_secret="s",
                                  api_url="http://127.0.0.1:9/api/")


def test_tokens_are_sealed_at_rest_and_a_reinstall_replaces_the_old_one(engine):
    installs = store(engine)
    for token in ("xoxb-first", "xoxb-second"):
        installs.save(Installation(team_id="T1", bot_token=token, bot_user_id="UB",
                                   user_id="U1", bot_scopes="commands,chat:write"))
    with new_session(engine) as db:
        (row,) = db.exec(select(Row)).all()
    assert "xoxb" not in row.bot_token
    found = installs.find_installation(enterprise_id=None, team_id="T1")
    assert found.bot_token == "xoxb-second" and found.bot_scopes == ["commands", "chat:write"]
    assert installs.find_bot(enterprise_id=None, team_id="T2") is None
    installs.delete_installation(enterprise_id=None, team_id="T1")
    assert installs.client_for("T1") is None


def test_an_org_wide_install_serves_every_workspace_of_the_org(engine):
    installs = store(engine)
    installs.save(Installation(enterprise_id="E1", team_id=None, is_enterprise_install=True,
                               bot_token="xoxb-org", user_id="U1"))
    assert installs.find_bot(enterprise_id="E1", team_id="T9").bot_token == "xoxb-org"
    # The dispatcher knows a plan's workspace only: Rumbo remembers its organisation.
    with new_session(engine) as db:
        plans.ensure_workspace(db, team_id="T9", enterprise_id="E1")
        db.commit()
    assert installs.client_for("T9").token == "xoxb-org"
    assert installs.client_for("T8") is None  # a workspace of no known organisation


def test_an_oauth_state_works_once_and_not_after_it_expires(engine):
    clock = FakeClock(datetime(2027, 1, 1, tzinfo=UTC))
    states = RumboStateStore(engine, clock)
    state = states.issue()
    assert states.consume(state) and not states.consume(state)
    late = states.issue()
    clock.now += STATE_LIFETIME + timedelta(seconds=1)
    assert not states.consume(late)
