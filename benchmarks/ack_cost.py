"""Where the CPU of each ack goes: Rumbo's WSGI app and the store floor's
(benchmarks/store_floor_app.py), called in this process, one request at a time, with no
HTTP server around them (serve_latency.py measures that). For each interaction: the ack's
CPU per request for both, and Rumbo's split into Bolt (its adapter, middleware and
dispatch, Rumbo's middleware included), the channel read (`storage.plans.channel_plan`,
where the request uses it), the writes and the rest of Rumbo's own work (the other
statements, the views, the Interaction), the idempotency key's INSERT, and the commit.
Thread CPU, no profiler (a profiler inflates the many small calls); the interactions of
serve_latency.py. Run by hand:

    .venv/bin/python -m benchmarks.ack_cost [--requests 500]
"""

import argparse
import io
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from wsgiref.simple_server import make_server

from slack_bolt.listener.custom_listener import CustomListener
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session

from benchmarks import serve_latency
from benchmarks.statements import _Quiet, _Server
from benchmarks.store_floor_app import load_app as floor_app
from bot.devslack import SlackDriver, SlackEmulator
from bot.platform.app import create_app
from bot.platform.server import wsgi_app
from bot.platform.settings import Settings
from storage import plans, requests
from storage.db import make_engine, migrate
from tests.processes.servers import BOT_TOKEN, SIGNING_SECRET

PARTS = ("listener", "channel read", "key", "commit")
spent: Counter = Counter()
calls: Counter = Counter()


def timing(owner, name: str, part: str) -> None:
    """Count the thread CPU the ack (this thread) spends in `owner.name` under `part`; the
    work after the acks runs on other threads."""
    function = getattr(owner, name)

    def timed(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            return function(*args, **kwargs)
        started = time.thread_time()
        calls[part] += 1
        try:
            return function(*args, **kwargs)
        finally:
            spent[part] += time.thread_time() - started

    setattr(owner, name, timed)


def call(app, body: str, verifier: SignatureVerifier) -> None:
    """One signed POST to /slack/events, handed to the WSGI app as gunicorn would."""
    raw = body.encode()
    timestamp = str(int(time.time()))
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(raw),
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(raw)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_SLACK_SIGNATURE": verifier.generate_signature(timestamp=timestamp, body=raw)}
    status = []
    b"".join(app(environ, lambda line, _headers, _error=None: status.append(line)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{status[0]} for {body[:80]}")


def split(ack: float, count: int) -> str:
    """Rumbo's ack, by part, in ms per request."""
    part = {name: spent[name] / count * 1000 for name in PARTS}
    rest = part["listener"] - part["channel read"] - part["key"] - part["commit"]
    return (f"[bolt {ack / count * 1000 - part['listener']:4.2f}, channel read "
            f"{part['channel read']:4.2f}, writes and the rest {rest:4.2f}, key "
            f"{part['key']:4.2f}, commit {part['commit']:4.2f}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    count = parser.parse_args().requests
    timing(CustomListener, "run_ack_function", "listener")
    timing(plans, "channel_plan", "channel read")
    timing(requests, "claim_request", "key")
    timing(Session, "commit", "commit")
    verifier = SignatureVerifier(SIGNING_SECRET)
    workdir = Path(tempfile.mkdtemp(prefix="rumbo-ack-cost-"))
    with SlackEmulator(bot_token=BOT_TOKEN) as emulator:
        serve_latency.slack_side(emulator, oauth=False)
        settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                            slack_api_url=emulator.api_url,
                            database_url=f"sqlite:///{workdir / 'rumbo.db'}")
        engine = make_engine(settings.database_url)
        migrate(engine)
        bolt = create_app(settings, engine)
        rumbo = wsgi_app(bolt, engine)
        server = make_server("127.0.0.1", 0, rumbo, server_class=_Server, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        driver = SlackDriver(f"http://127.0.0.1:{server.server_port}/slack/events",
                             SIGNING_SECRET, emulator)
        writes, reads = serve_latency.places(oauth=False)
        for where in writes + reads:  # the plans, sessions and rounds the load acts on
            serve_latency.prepare(driver, emulator, where)
        floor = floor_app(emulator.api_url, SIGNING_SECRET, str(workdir / "floor.db"))
        places = serve_latency.App("", "", 0, writes, reads)
        print(f"{count} requests each, one at a time: the ack's CPU per request in ms "
              "(this thread's; the work after the acks is serve_latency.py's to measure)")
        offset = 0
        for interaction in serve_latency.WRITES + serve_latency.READS:
            line = [f"{interaction:<8}"]
            for name, app in (("rumbo", rumbo), ("floor", floor)):
                def send(n: int, app=app, interaction=interaction) -> float:
                    """The ack's CPU; each body made just before (a trigger_id lives 3 s)."""
                    body = serve_latency.bodies(emulator, places, interaction, 1, n)[0]
                    started = time.thread_time()
                    call(app, body, verifier)
                    return time.thread_time() - started

                for n in range(30):  # warm the caches
                    send(offset + n)
                time.sleep(1.5)
                spent.clear()
                calls.clear()
                ack = sum(send(offset + 30 + n) for n in range(count))
                if name == "rumbo" and interaction in serve_latency.WRITES \
                        and calls["key"] != count:  # refused: it would measure nothing stored
                    raise SystemExit(f"{interaction}: only {calls['key']} of {count} stored")
                offset += count + 30
                line.append(f"{name} {ack / count * 1000:4.2f}")
                if name == "rumbo":
                    line.append(split(ack, count))
                time.sleep(1.5)  # the work after the acks settles before the next turn
            print("  ".join(line))
        server.shutdown()
        bolt.rumbo.background.shutdown()
        engine.dispose()


if __name__ == "__main__":
    main()
