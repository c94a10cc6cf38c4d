"""SQL statements per interaction: how many the ack runs (before Slack hears back) and how
many the work after it runs (card redraws, notes: each interaction here has the second
to itself, so its card is redrawn for it alone; under load those fold into one a second),
for the common interactions, on SQLite. The real app is
served in-process on loopback against the Web API emulator; every statement is counted by
the thread that ran it. Run by hand:

    .venv/bin/python -m benchmarks.statements
"""

import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import event

from bot.devslack import SlackDriver, SlackEmulator
from bot.platform.app import create_app
from bot.platform.server import wsgi_app
from bot.platform.settings import Settings
from storage.db import make_engine, migrate
from tests.processes.servers import BOT_TOKEN, SIGNING_SECRET
from tests.scenario import AM, CLIENT, TEAMMATE, create_plan, setup_channel, start_session

CHANNEL = "C0COUNT"
REPEAT = 5


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    database = Path(tempfile.mkdtemp(prefix="rumbo-statements-")) / "rumbo.db"
    counts: Counter = Counter()
    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                            slack_api_url=emulator.api_url, database_url=f"sqlite:///{database}")
        engine = make_engine(settings.database_url)
        migrate(engine)

        @event.listens_for(engine, "before_cursor_execute")
        def count(*_args):
            counts[_where()] += 1

        app = create_app(settings, engine)
        server = make_server("127.0.0.1", 0, wsgi_app(app, engine), server_class=_Server,
                             handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = SlackDriver(f"http://127.0.0.1:{server.server_port}/slack/events",
                             SIGNING_SECRET, emulator)
        slack = type("Slack", (), {"emulator": emulator, "driver": driver, "engine": engine})
        setup_channel(slack, CHANNEL)
        create_plan(slack, CHANNEL, "Count Co", language="en")
        start_session(slack, CHANNEL)
        driver.command(CLIENT, CHANNEL, "help")  # warm the caches: profiles, members
        time.sleep(1.5)

        def measure(name, interaction):
            results = []
            for _ in range(REPEAT):
                counts.clear()
                interaction()
                time.sleep(1.5)  # the work after the ack, and the card's redraw
                results.append((counts["ack"], counts["after"]))
            ack = sum(r[0] for r in results) / REPEAT
            after = sum(r[1] for r in results) / REPEAT
            print(f"{name:<38} ack {ack:4.1f}   after the ack {after:4.1f}")

        def answers():
            opened = driver.click(TEAMMATE, "session_add_answers", channel_id=CHANNEL)
            emulator.wait_for("views.open", predicate=lambda c: c.params["trigger_id"]
                              == opened.trigger_id)
            counts.clear()
            driver.submit(TEAMMATE, {"q1": "An answer", "ideas_realistic": "An idea"})

        def click():
            driver.click(TEAMMATE, "session_add_idea", channel_id=CHANNEL)

        for n in range(10):
            driver.command(AM, CHANNEL, f"idea Listed {n}")
        driver.command(AM, CHANNEL, "score")
        time.sleep(1.5)
        scores = iter(range(10**6))

        def score():
            button = "round_score_" + "321"[next(scores) % 3]
            driver.click(TEAMMATE, button, channel_id=CHANNEL)

        measure("/plan help", lambda: driver.command(TEAMMATE, CHANNEL, "help"))
        measure("/plan ideas", lambda: driver.command(TEAMMATE, CHANNEL, "ideas"))
        measure("a click that opens a modal", click)
        measure("/plan idea <text>", lambda: driver.command(AM, CHANNEL, "idea Counted"))
        measure("Add answers submitted (answers, idea)", answers)
        measure("a one-click score", score)
        server.shutdown()
        app.rumbo.background.shutdown()
        engine.dispose()


def _where() -> str:
    """The ack runs on the HTTP server's request thread; the work after it on Rumbo's pool
    and the cards' timers."""
    thread = threading.current_thread()
    after = thread.name.startswith("rumbo-after") or isinstance(thread, threading.Timer)
    return "after" if after else "ack"


if __name__ == "__main__":
    main()
