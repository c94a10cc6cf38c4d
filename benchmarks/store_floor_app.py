"""The cheapest app that also stores before it acks: the floor a stored write is measured
against (serve_latency.py). Bolt as `rumbo serve` configures it (process_before_response,
no token verification at start) under the same gunicorn server; `/plan` and every view
submission commit one row (team, user, text) to SQLite with Rumbo's durability (WAL,
synchronous=NORMAL) before the ack, and do nothing else; clicks are only acked. The row
goes through sqlite3 itself, or (`sqlalchemy`) through Rumbo's engine and a session: the
floor of Rumbo's own stack.

    python benchmarks/store_floor_app.py PORT SLACK_API_URL SIGNING_SECRET DATABASE_FILE \
        [sqlite3|sqlalchemy]
"""

import json
import re
import sqlite3
import sys
import threading

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.platform.server import GunicornServer


def sqlite3_store(database: str):
    """One row committed through sqlite3 itself."""
    local = threading.local()
    write = threading.Lock()  # one writer at a time, as Rumbo's engine queues its writers

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(database, timeout=2)
            local.db.execute("PRAGMA journal_mode=WAL")
            local.db.execute("PRAGMA synchronous=NORMAL")
        return local.db

    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, team TEXT, "
                   "user TEXT, text TEXT)")

    def store(team: str, user: str, text: str) -> None:
        db = connection()
        with write, db:  # commits
            db.execute("INSERT INTO note (team, user, text) VALUES (?, ?, ?)",
                       (team, user, text))

    return store


def sqlalchemy_store(database: str):
    """One row committed the way Rumbo commits: its engine (the same pragmas and writer
    queue), a session, one Core INSERT, the commit. The floor of Rumbo's own stack."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert

    from storage.db import make_engine, new_session

    engine = make_engine(f"sqlite:///{database}")
    notes = Table("note", MetaData(), Column("id", Integer, primary_key=True),
                  Column("team", String), Column("user", String), Column("text", String))
    notes.metadata.create_all(engine)
    adding = insert(notes)

    def store(team: str, user: str, text: str) -> None:
        with new_session(engine) as db:
            db.connection().execute(adding, {"team": team, "user": user, "text": text})
            db.commit()

    return store


def load_app(api_url: str, signing_secret: str, database: str, through: str = "sqlite3"):
    store = (sqlalchemy_store if through == "sqlalchemy" else sqlite3_store)(database)

    app = App(client=WebClient(token="xoxb-test", base_url=api_url),
              signing_secret=signing_secret, process_before_response=True,
              token_verification_enabled=False)

    @app.command("/plan")
    def command(ack, body):
        store(body["team_id"], body["user_id"], body.get("text") or "")
        ack()

    @app.view(re.compile(".*"))
    def submission(ack, body):
        values = json.dumps(body["view"]["state"]["values"])
        store(body["team"]["id"], body["user"]["id"], values)
        ack()

    @app.action(re.compile(".*"))
    def click(ack):
        ack()

    return SlackRequestHandler(app)


if __name__ == "__main__":
    port, api_url, secret, database = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                                       sys.argv[4])
    through = sys.argv[5] if len(sys.argv) > 5 else "sqlite3"
    GunicornServer(lambda: load_app(api_url, secret, database, through), host="127.0.0.1",
                   port=port).run()
