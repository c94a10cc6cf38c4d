"""Rumbo installed in several workspaces (OAuth mode), end to end on SQLite and PostgreSQL,
with the OAuth-mode app in the test's process: two workspaces install through Bolt's OAuth
flow (its install page and redirect, as its adapters call them), each works with its own
token and sees nothing of the other; uninstall, retention and purge; token rotation
refreshed once however many processes ask. The flow over HTTP, through `rumbo serve`:
tests/processes/test_oauth_install.py."""

import threading
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from cryptography.fernet import Fernet
from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import select

from bot.outbox.ticks import retention_pass
from bot.platform.app import installation_store, make_outbox
from storage.db import make_engine, new_session
from storage.models import Answer, Idea, Installation, Plan, Workspace
from tests.inprocess import in_process
from tests.scenario import install, reply_to, text_of

RETENTION = timedelta(days=30)  # RUMBO_RETENTION_DAYS' default

CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-secret"
KEY = Fernet.generate_key().decode()
REDIRECT = "https://rumbo.example/slack/oauth_redirect"
ACME, GLOBEX, OUTSIDE = "T0ACME", "T0GLOBEX", "T0OUTSIDE"
ANA, GEO, GUEST = "U0ANA", "U0GEO", "U0GUEST"  # Acme's, Globex's, a Slack Connect client


def oauth_workspaces(emulator) -> None:
    """Acme and Globex, each with a channel; Acme's has a guest of a third organisation."""
    emulator.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    emulator.add_workspace(ACME, "Acme")
    emulator.add_workspace(GLOBEX, "Globex")
    emulator.add_user(ANA, "ana", locale="es-ES", tz="Europe/Madrid", team_id=ACME)
    emulator.add_user(GEO, "geo", locale="en-US", tz="America/New_York", team_id=GLOBEX)
    emulator.add_user(GUEST, "gus", team_id=OUTSIDE)
    emulator.add_channel("C0ACME", "acme", members=[ANA, GUEST])
    emulator.add_channel("C0GLOBEX", "globex", members=[GEO])


@pytest.fixture
def slack(engine):
    with in_process(engine, emulator_args={"bot_token": "xoxb-unused"}, slack_bot_token=None,
                    slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
                    rumbo_encryption_key=KEY, slack_redirect_uri=REDIRECT) as rumbo:
        oauth_workspaces(rumbo.emulator)
        yield rumbo


def new_plan(slack, user: str, channel: str, name: str) -> Plan:
    response = slack.driver.command(user, channel, f"new {name}")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    assert slack.driver.submit(user, {"facilitators": [user]}).json() is None
    with new_session(slack.engine) as db:
        return db.exec(select(Plan).where(Plan.channel_id == channel,
                                          Plan.status == "active")).one()


def both_plans(slack) -> tuple[Plan, Plan]:
    for team in (ACME, GLOBEX):
        assert f"slack://app?team={team}" in install(slack, team, REDIRECT)  # Bolt's page
    return (new_plan(slack, ANA, "C0ACME", "Acme plan"),
            new_plan(slack, GEO, "C0GLOBEX", "Globex plan"))


def settings(slack, **overrides):
    return slack.settings.model_copy(update=overrides)


def calls_in(slack, channel: str):
    return [c for c in slack.emulator.calls if c.params.get("channel") == channel]


def test_two_workspaces_install_and_each_works_alone(slack):
    acme, globex = both_plans(slack)
    with new_session(slack.engine) as db:
        rows = db.exec(select(Installation)).all()
    assert sorted(r.team_id for r in rows) == [ACME, GLOBEX]
    assert all(r.bot_token.startswith("gAAAA") for r in rows)  # sealed, not xoxb-…
    assert (acme.team_id, globex.team_id) == (ACME, GLOBEX)

    # Every call about a workspace's channel carried that workspace's own token.
    assert calls_in(slack, "C0GLOBEX")
    assert {c.team_id for c in calls_in(slack, "C0ACME")} == {ACME}
    assert {c.team_id for c in calls_in(slack, "C0GLOBEX")} == {GLOBEX}

    # A Globex user forging Acme's plan id in a modal changes nothing.
    response = slack.driver.command(GEO, "C0GLOBEX", "idea")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == response.trigger_id)
    first = slack.driver.submit(GEO, {"idea_text": "Globex idea"})
    assert first.json() is None

    def into_acme(payload):
        payload["view"]["id"] = "V0FORGED"
        payload["view"]["private_metadata"] = (
            f'{{"channel_id":"C0ACME","plan_id":{acme.id},"lang":"en"}}')

    refused = slack.driver.forge(first, into_acme)
    assert refused.json()["response_action"] == "errors"
    with new_session(slack.engine) as db:
        assert db.exec(select(Plan).where(Plan.team_id == ACME)).one().id == acme.id
        assert [i.plan_id for i in db.exec(select(Idea))] == [globex.id]

    # A Slack Connect client in Acme's channel (their organisation has no install) takes
    # part.
    slack.driver.command(ANA, "C0ACME", "session")
    slack.emulator.wait_for("chat.postMessage", predicate=lambda c: "session_end" in str(
        c.params.get("blocks")))
    click = slack.driver.click(GUEST, "session_add_answers", channel_id="C0ACME")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    assert slack.driver.submit(GUEST, {"q1": "From the client"}).json() is None
    with new_session(slack.engine) as db:
        answer = db.exec(select(Answer)).one()
    assert (answer.team_id, answer.user_team_id) == (ACME, OUTSIDE)
    # The same client, not a member of Globex's channel, cannot write into its plan.
    click = slack.driver.click(GUEST, "session_add_idea", channel_id="C0ACME")
    slack.emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                            == click.trigger_id)
    mine = slack.driver.submit(GUEST, {"idea_text": "Client idea"})

    def into_globex(payload):
        payload["view"]["id"] = "V0INTOGLOBEX"
        payload["view"]["private_metadata"] = (
            f'{{"channel_id":"C0GLOBEX","plan_id":{globex.id},"lang":"en"}}')

    assert slack.driver.forge(mine, into_globex).json()["response_action"] == "errors"
    with new_session(slack.engine) as db:
        assert db.exec(select(Idea).where(Idea.plan_id == globex.id,
                                          Idea.user_id == GUEST)).first() is None
    help_here = reply_to(slack, slack.driver.command(GEO, "C0GLOBEX", "help"))
    assert "Globex plan" in text_of(help_here) and "Acme" not in text_of(help_here)
    slack.driver.event({"type": "app_home_opened", "user": GEO, "tab": "home"},
                       team_id=GLOBEX)
    home = slack.emulator.home(GEO)
    assert home
    assert "Globex plan" in text_of(home) and "Acme plan" not in text_of(home)


def test_reminders_and_exports_go_out_with_each_workspaces_token(slack):
    both_plans(slack)
    engine = slack.engine
    with new_session(engine) as db:
        due = max(p.next_review_on for p in db.exec(select(Plan)))
    later = datetime.combine(due, datetime.min.time(), UTC) + timedelta(days=1)
    outbox = make_outbox(settings(slack), engine, lambda: later)
    assert outbox.run_once() >= 2  # the review of each plan is due (and a summary)
    reminders = [c for c in slack.emulator.calls_to("chat.postMessage")
                 if "review_start" in str(c.params.get("blocks"))]
    assert {(c.params["channel"], c.team_id) for c in reminders} == {
        ("C0ACME", ACME), ("C0GLOBEX", GLOBEX)}

    slack.driver.command(GEO, "C0GLOBEX", "export channel")
    assert len(slack.emulator.files) >= 2
    xlsx = next(f for f in slack.emulator.files if f["name"].endswith(".xlsx"))
    cells = [str(c.value) for ws in load_workbook(BytesIO(xlsx["content"])).worksheets
             for row in ws.iter_rows() for c in row if c.value is not None]
    assert "Globex plan" in " ".join(cells) and "Acme plan" not in " ".join(cells)
    assert xlsx["channel"] == "C0GLOBEX"


def test_requests_need_no_auth_test_and_read_their_installation_once_in_a_while(slack):
    both_plans(slack)
    auth_tests = len(slack.emulator.calls_to("auth.test"))
    reads = []
    event.listen(slack.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: reads.append(statement)
                 if "FROM installation" in statement else None)
    for n in range(4):
        slack.driver.command(ANA, "C0ACME", f"idea Idea {n}")
        slack.driver.command(GEO, "C0GLOBEX", "help")

    assert len(slack.emulator.calls_to("auth.test")) == auth_tests  # none per request
    assert len(reads) <= 2  # each workspace's installation read (and decrypted) once
    with new_session(slack.engine) as db:
        assert len(db.exec(select(Idea).where(Idea.text.startswith("Idea "))).all()) == 4


def test_uninstall_keeps_the_data_for_the_retention_period_then_purges_it(slack):
    both_plans(slack)

    slack.emulator.revoke(GLOBEX)
    assert slack.driver.event({"type": "app_uninstalled"}, team_id=GLOBEX).status == 200
    with new_session(slack.engine) as db:
        assert [r.team_id for r in db.exec(select(Installation))] == [ACME]  # at once
        assert db.get(Workspace, GLOBEX).uninstalled_at is not None
    engine = slack.engine
    store = installation_store(settings(slack), engine)
    assert store.client_for(GLOBEX) is None
    # Its people's requests reach a workspace that has no install: nothing changes.
    slack.driver.command(GEO, "C0GLOBEX", "idea After the uninstall")
    with new_session(engine) as db:
        assert db.exec(select(Idea).where(Idea.text == "After the uninstall")).first() is None
    after_uninstall = len(slack.emulator.calls)

    # Reminders wait while there is no install, and go out after a reinstall.
    with new_session(engine) as db:
        due = db.exec(select(Plan).where(Plan.team_id == GLOBEX)).one().next_review_on
    at_review = datetime.combine(due, datetime.min.time(), UTC) + timedelta(hours=12)
    kept = settings(slack, rumbo_retention_days=365)  # the review is months away
    sent = make_outbox(kept, engine, lambda: at_review).run_once()
    assert sent >= 1  # Acme's, Globex's waits
    # Reinstalled within the retention period: the plan is there again.
    install(slack, GLOBEX, REDIRECT)
    assert make_outbox(kept, engine, lambda: at_review).run_once() >= 1
    reminders = [c for c in slack.emulator.calls_to("chat.postMessage")
                 if "review_start" in str(c.params.get("blocks"))]
    assert [(c.params["channel"], c.team_id) for c in reminders] == [
        ("C0ACME", ACME), ("C0GLOBEX", GLOBEX)]
    assert "Globex plan" in text_of(reply_to(slack, slack.driver.command(
        GEO, "C0GLOBEX", "help")))
    slack.emulator.revoke(GLOBEX)
    slack.driver.event({"type": "app_uninstalled"}, team_id=GLOBEX)

    now = datetime.now(UTC)
    retention_pass(engine, now=now + timedelta(days=29), retention=RETENTION)
    with new_session(engine) as db:
        assert db.exec(select(Plan).where(Plan.team_id == GLOBEX)).first() is not None
    retention_pass(engine, now=now + timedelta(days=31), retention=RETENTION)
    with new_session(engine) as db:
        assert db.exec(select(Plan).where(Plan.team_id == GLOBEX)).first() is None
        assert db.get(Workspace, GLOBEX) is None
        assert db.exec(select(Plan).where(Plan.team_id == ACME)).one()  # the other stays
    # No call was made with a removed token (Slack would have answered invalid_auth).
    assert not [c for c in slack.emulator.calls[after_uninstall:]
                if (c.response or {}).get("error") == "invalid_auth"]
    # `rumbo purge --team`, which deletes a workspace at once: tests/processes/test_cli.py


def test_an_expiring_token_is_refreshed_once_however_many_processes_ask(slack):
    slack.emulator.token_lifetime = 12 * 3600
    install(slack, ACME, REDIRECT)
    url = slack.engine.url.render_as_string(hide_password=False)
    soon = datetime.now(UTC) + timedelta(hours=11)  # an hour before it expires
    stores = [installation_store(settings(slack), make_engine(url), lambda: soon)
              for _ in range(3)]  # three processes, each its own engine
    barrier, tokens = threading.Barrier(3), []

    def use(store):
        barrier.wait()
        tokens.append(store.find_bot(enterprise_id=None, team_id=ACME).bot_token)

    threads = [threading.Thread(target=use, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    refreshes = [c for c in slack.emulator.calls_to("oauth.v2.access")
                 if c.params.get("grant_type") == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0].response["ok"]
    assert len(tokens) == 3 and len(set(tokens)) == 1  # everyone uses the new token
    assert tokens[0] == refreshes[0].response["access_token"]
    for store in stores:
        store.engine.dispose()
