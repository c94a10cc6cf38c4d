"""`rumbo sandbox`: the real Rumbo app, the Web API emulator the tests use (one emulator,
not two) and a small page on loopback that plays Slack's client: what a user clicks or
types becomes the same signed request Slack would send to the app's /slack/events."""

import base64
import json
import secrets
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.devslack import SlackDriver, SlackEmulator
from bot.outbox.ticks import start_in_background
from bot.platform.app import create_app
from bot.platform.server import wsgi_app
from bot.platform.settings import Settings
from storage.db import make_engine, migrate
from storage.types import utc_now

STATIC = Path(__file__).parent / "static"
BOT_TOKEN = "xoxb-sandbox"  # noqa: S105 (the emulator's token, not a secret)
ATTACH_MAX = 10 * 1024 * 1024  # Slack's limit for a file in a modal's file_input
BODY_MAX = ATTACH_MAX * 4 // 3 + 4096  # the page's largest request: a file, in base64
TEAM = "T0SANDBOX"
# Who can play: an account manager, a teammate, and a client who is a guest from another
# organisation (Slack Connect).
USERS = (
    ("U0ANA", "ana", "Ana García", "es-ES", "Europe/Madrid", TEAM),
    ("U0TOM", "tom", "Tom Baker", "en-US", "America/New_York", TEAM),
    ("U0CARLA", "carla", "Carla Ruiz (client)", "es-MX", "America/Mexico_City", "T0CLIENT"),
)
CHANNELS = (("C0ACME", "acme-account"), ("C0GLOBEX", "globex-account"))
STEPS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1)}


class _QuietWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Sandbox:
    def __init__(self, *, data_dir: Path):
        self.data_dir = data_dir
        self.database = data_dir / "rumbo-sandbox.db"
        self.offset = timedelta(0)
        self.errors: dict[str, dict] = {}  # view id -> errors the app answered
        self.changes = 0
        self.lock = threading.Lock()
        self.secret = secrets.token_hex(16)

    def now(self) -> datetime:
        """The sandbox clock: real time, moved forward by the page's clock buttons."""
        return utc_now() + self.offset

    def start(self) -> "Sandbox":
        # Slack's side keeps the sandbox's time too: messages are stamped by its clock.
        self.emulator = SlackEmulator(bot_token=BOT_TOKEN, team_id=TEAM,
                                      team_name="Rumbo sandbox",
                                      clock=lambda: self.now().timestamp()).start()
        for user_id, name, real_name, locale, tz, team in USERS:
            self.emulator.add_user(user_id, name, real_name=real_name, locale=locale, tz=tz,
                                   team_id=team, is_restricted=team != TEAM)
        members = [u[0] for u in USERS]
        for channel_id, name in CHANNELS:
            self.emulator.add_channel(channel_id, name, members=members)
        settings = Settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=self.secret,
                            slack_api_url=self.emulator.api_url,
                            database_url=f"sqlite:///{self.database}")
        self.engine = make_engine(settings.database_url)
        migrate(self.engine)
        app = create_app(settings, self.engine, clock=self.now)
        self.app_server = make_server("127.0.0.1", 0, wsgi_app(app, self.engine),
                                      server_class=_QuietWSGIServer,
                                      handler_class=_QuietHandler)
        threading.Thread(target=self.app_server.serve_forever, daemon=True).start()
        app_url = f"http://127.0.0.1:{self.app_server.server_port}/slack/events"
        self.driver = SlackDriver(app_url, self.secret, self.emulator)
        self.sender = app.rumbo.outbox
        self.scheduler = start_in_background(self.sender, settings)
        return self

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.app_server.shutdown()
        self.emulator.stop()
        self.engine.dispose()

    def reset(self) -> None:
        """A fresh start: an empty database, no messages, the clock back to now."""
        with self.lock:
            self.engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.database}{suffix}").unlink(missing_ok=True)
            migrate(self.engine)
            self.emulator.reset_state()
            self.offset = timedelta(0)
            self.errors.clear()
            self.changes += 1

    # --- what the page sees ---

    def state(self, user: str, channel: str) -> dict:
        names = {u[0]: u[2] for u in USERS} | {self.emulator.bot_user_id: "Rumbo"}
        files = {f["id"]: f for f in self.emulator.files}

        def message(m, *, ephemeral=False):
            # An ephemeral's `user` is who sees it; its author is always the app.
            author = "Rumbo" if ephemeral else names.get(m.get("user"), "Rumbo")
            return {"ts": m["ts"], "user": m.get("user"),
                    "user_name": author, "text": m.get("text"),
                    "blocks": m.get("blocks"), "thread_ts": m.get("thread_ts"),
                    "files": [{"id": f["id"], "name": files.get(f["id"], f)["name"],
                               "title": f.get("title"), "url": f"/files/{f['id']}"}
                              for f in m.get("files") or []]}

        views = [{**v, "errors": self.errors.get(v["id"], {})}
                 for v in self.emulator.view_stack(user)]
        canvas = self.emulator.canvas(channel)  # the channel's canvas tab
        return {
            "version": len(self.emulator.calls) + self.changes,
            "clock": self.now().isoformat(timespec="minutes"),
            "users": [{"id": u[0], "name": u[1], "real_name": u[2], "team_id": u[5],
                       "locale": u[3],
                       "guest": u[5] != TEAM} for u in USERS],
            # The channels, then the user's direct messages with Rumbo (check-ins, deadlines).
            "channels": [{"id": c[0], "name": c[1]} for c in CHANNELS] + [
                {"id": self.emulator.dm_channel_id(user), "name": "rumbo (direct messages)"}
                for known in USERS if known[0] == user],
            "messages": [message(m) for m in self.emulator.messages(channel)],
            "ephemerals": [message(m, ephemeral=True)
                           for m in self.emulator.ephemerals(channel, user)],
            "views": views,
            "home": self.emulator.home(user),
            "canvas": canvas and {"title": canvas.title, "markdown": canvas.markdown},
        }

    # --- what the page does ---

    def command(self, user: str, channel: str, text: str) -> dict:
        command, _sep, rest = text.strip().partition(" ")
        if command != "/plan":
            return {"ok": False, "error": "Only /plan is installed here: try /plan help."}
        return self._answer(self.driver.command(user, channel, rest.strip()))

    def click(self, user: str, data: dict) -> dict:
        where = data.get("where", "message")
        view_id = data.get("view_id")
        if where == "home":
            view_id = (self.emulator.home(user) or {}).get("id")
        return self._answer(self.driver.click(
            user, data["action_id"], channel_id=data.get("channel") if where in (
                "message", "ephemeral") else None,
            message_ts=data.get("message_ts"), view_id=view_id,
            ephemeral=where == "ephemeral", value=data.get("value"),
            selected=data.get("selected"), block_id=data.get("block_id")))

    def submit(self, user: str, view_id: str, values: dict) -> dict:
        try:
            response = self.driver.submit(user, values, view_id=view_id)
        except ValueError as error:  # what Slack's client would not even send
            return {"ok": False, "error": str(error).replace("Slack would not submit: ", "")}
        self.errors[view_id] = response.errors
        self.changes += 1
        return {"ok": response.status == 200, "errors": response.errors}

    def attach(self, user: str, name: str, content: str) -> dict:
        """A file picked in a modal's file input (base64), uploaded to Slack's side as
        Slack's client does before the modal is submitted."""
        try:
            data = base64.b64decode(content, validate=True)
        except ValueError:
            return {"ok": False, "error": "The file did not arrive whole."}
        if len(data) > ATTACH_MAX:
            return {"ok": False, "error": "Slack takes files up to 10 MB in a modal."}
        return {"ok": True, "file": self.emulator.attach_file(user, name, data)}

    def home_opened(self, user: str) -> dict:
        """What Slack sends when someone opens the app's Home tab: the app publishes it."""
        event = {"type": "app_home_opened", "user": user, "channel": f"D{user[1:]}",
                 "tab": "home", "event_ts": f"{self.now().timestamp():.6f}"}
        return self._answer(self.driver.event(event))

    def close(self, user: str, view_id: str) -> dict:
        self.driver.close(user)
        self.changes += 1
        return {"ok": True}

    def advance(self, step: str) -> dict:
        unit, _sep, count = step.partition(":")
        if unit not in STEPS or not count.isdigit() or not 0 < int(count) <= 365:
            return {"ok": False, "error": "advance must look like days:1, hours:6 or minutes:10"}
        self.offset += STEPS[unit] * int(count)
        self.changes += 1
        sent = self.sender.run_once()
        # A second pass sends what the first planned for now (each owner's check-in).
        sent += self.sender.run_once()
        return {"ok": True, "clock": self.now().isoformat(timespec="minutes"), "sent": sent}

    def _answer(self, response) -> dict:
        self.changes += 1
        return {"ok": 200 <= response.status < 300,
                "error": None if response.status < 300 else f"HTTP {response.status}"}


def handler_for(sandbox: Sandbox):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 (the stdlib's name)
            url = urlsplit(self.path)
            if url.path in ("/", "/index.html"):
                return self._file(STATIC / "index.html", "text/html; charset=utf-8")
            if url.path.startswith("/static/") and "/" not in url.path[8:]:
                kind = {"js": "text/javascript", "css": "text/css"}.get(
                    url.path.rsplit(".", 1)[-1], "application/octet-stream")
                return self._file(STATIC / url.path[8:], f"{kind}; charset=utf-8")
            if url.path == "/api/state":
                query = parse_qs(url.query)
                user = query.get("user", [USERS[0][0]])[0]
                channel = query.get("channel", [CHANNELS[0][0]])[0]
                return self._json(sandbox.state(user, channel))
            if url.path.startswith("/files/"):
                for f in sandbox.emulator.files:
                    if f["id"] == url.path[7:]:
                        return self._send(200, f["content"], "application/octet-stream",
                                          {"Content-Disposition":
                                           f'attachment; filename="{f["name"]}"'})
            return self._send(404, b"not found", "text/plain")

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > BODY_MAX:
                return self._json({"ok": False, "error": "That is more than Slack takes."}, 413)
            try:
                data = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._json({"ok": False, "error": "bad JSON"}, 400)
            path = urlsplit(self.path).path
            try:
                if path == "/api/command":
                    result = sandbox.command(data["user"], data["channel"], data["text"])
                elif path == "/api/click":
                    result = sandbox.click(data["user"], data)
                elif path == "/api/submit":
                    result = sandbox.submit(data["user"], data["view_id"],
                                            data.get("values") or {})
                elif path == "/api/attach":
                    result = sandbox.attach(data["user"], data["name"], data["content"])
                elif path == "/api/home_opened":
                    result = sandbox.home_opened(data["user"])
                elif path == "/api/close":
                    result = sandbox.close(data["user"], data.get("view_id"))
                elif path == "/api/clock":
                    result = sandbox.advance(data.get("advance", ""))
                elif path == "/api/reset":
                    sandbox.reset()
                    result = {"ok": True}
                else:
                    return self._send(404, b"not found", "text/plain")
            except (KeyError, LookupError) as error:
                result = {"ok": False, "error": str(error).strip("'\"")}
            return self._json(result)

        def _file(self, path: Path, kind: str):
            if not path.is_file():
                return self._send(404, b"not found", "text/plain")
            return self._send(200, path.read_bytes(), kind)

        def _json(self, data, status=200):
            return self._send(status, json.dumps(data).encode(), "application/json")

        def _send(self, status, body: bytes, kind: str, headers=None):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(*, port: int, data_dir: Path, ready=None) -> None:
    """Run the sandbox until interrupted; loopback only, on purpose."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(data_dir=data_dir).start()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(sandbox))
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_port}/"
    print(f"Rumbo sandbox: {url}  (loopback only: nothing here is reachable from other "
          f"machines; data in {sandbox.database})", flush=True)
    if ready is not None:
        ready(url, sandbox)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.stop()
