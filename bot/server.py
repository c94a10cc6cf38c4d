"""HTTP serving: Bolt's WSGI adapter behind gunicorn's threaded worker, plus /healthz."""

import json
import logging

from gunicorn.app.base import BaseApplication
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("rumbo")


def wsgi_app(bolt_app, engine):
    slack_handler = SlackRequestHandler(bolt_app)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/slack/events":
            return slack_handler(environ, start_response)
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                status, body = "200 OK", {"ok": True}
            except SQLAlchemyError:
                status, body = "503 Service Unavailable", {"ok": False, "error": "database"}
            payload = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"),
                                    ("Content-Length", str(len(payload)))])
            return [payload]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


class GunicornServer(BaseApplication):
    """gunicorn run from `rumbo serve`: one worker process with threads. One process
    keeps a single scheduler; threads suit Bolt's synchronous app."""

    def __init__(self, load_app, *, host: str, port: int, threads: int = 8):
        self._load_app = load_app
        self._options = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
        }
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._load_app()
