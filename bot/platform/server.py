"""HTTP serving: Bolt's WSGI adapter behind gunicorn's threaded worker; /healthz (alive),
/readyz (database reachable, migrations at head), /metrics (Prometheus).

`rumbo serve` checks the settings, migrates the database, then becomes
`python -m bot.platform.server` (exec): a gunicorn master that imports nothing of Rumbo's, and one
worker process that loads the app. One worker keeps the memory of the whole process tree
small; its threads suit Bolt's synchronous app, and the writes each request makes are
short.
"""

import json
import logging
import os
import sys
from typing import TYPE_CHECKING

from gunicorn.app.base import BaseApplication

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.platform.app import RumboApp

log = logging.getLogger("rumbo")
THREADS = 8
# Bolt's own paths: events and interactivity; the OAuth flow's install and redirect pages.
SLACK_PATHS = ("/slack/events", "/slack/install", "/slack/oauth_redirect")
GRACEFUL_SECONDS = 20


def wsgi_app(bolt_app, engine):
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from storage.db import reachable

    slack_handler = SlackRequestHandler(bolt_app)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in SLACK_PATHS:
            return slack_handler(environ, start_response)
        if path == "/metrics" and environ.get("REQUEST_METHOD") == "GET":
            from bot.platform.observability import metrics_page

            return _answer(start_response, "200 OK", metrics_page(engine),
                           "text/plain; version=0.0.4; charset=utf-8")
        if path == "/readyz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            from bot.platform.observability import ready

            ok, why = ready(engine)
            return _answer(start_response, "200 OK" if ok else "503 Service Unavailable",
                           json.dumps({"ok": ok, "status": why}).encode(), "application/json")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body: dict[str, object]
            if reachable(engine):
                status, body = "200 OK", {"ok": True}
            else:
                status, body = "503 Service Unavailable", {"ok": False, "error": "database"}
            return _answer(start_response, status, json.dumps(body).encode(),
                           "application/json")
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


def _forget_metrics_of(_server, worker) -> None:
    """A worker that stopped: its live gauges go (prometheus_client's multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _answer(start_response, status: str, payload: bytes, content_type: str):
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(payload)))])
    return [payload]


class Worker:
    """What the gunicorn worker runs: the app, and the scheduler unless told not to."""

    def __init__(self, *, scheduler: bool):
        self.scheduler_wanted = scheduler
        self.scheduler: BackgroundScheduler | None = None
        self.app: RumboApp | None = None

    def load(self):
        from bot.outbox.ticks import start_in_background
        from bot.platform.app import create_app
        from bot.platform.observability import configure_logging
        from bot.platform.settings import load_settings
        from storage.db import make_engine

        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        engine = make_engine(settings.database_url)
        self.app = create_app(settings, engine)
        if self.scheduler_wanted:
            self.scheduler = start_in_background(self.app.rumbo.outbox, settings)
        return wsgi_app(self.app, engine)

    def stop(self) -> None:
        """Finish the work after the acks already given (it is in the outbox anyway)."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
        if self.app is not None:
            self.app.rumbo.background.shutdown()


class GunicornServer(BaseApplication):
    def __init__(self, load_app, *, host: str, port: int, threads: int = THREADS,
                 on_exit=None):
        self._load_app = load_app
        self._options = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 30,
            "graceful_timeout": GRACEFUL_SECONDS,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
        if on_exit is not None:
            self._options["worker_exit"] = on_exit
        self._options["child_exit"] = _forget_metrics_of
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._load_app()


def main(argv: list[str]) -> None:
    """python -m bot.platform.server HOST PORT [--no-scheduler]"""
    import tempfile

    host, port = argv[0], int(argv[1])
    # prometheus_client's multiprocess mode: each worker writes its metrics here, /metrics
    # sums them. Set before any worker starts (and imports prometheus_client).
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="rumbo-metrics-"))
    worker = Worker(scheduler="--no-scheduler" not in argv)
    GunicornServer(worker.load, host=host, port=port,
                   on_exit=lambda server, gunicorn_worker: worker.stop()).run()


if __name__ == "__main__":
    main(sys.argv[1:])
