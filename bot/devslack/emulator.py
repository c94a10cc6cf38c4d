"""A local stand-in for Slack's Web API, served over real HTTP on loopback.

Give the app `emulator.api_url` as its Web API base URL (slack_sdk `WebClient(base_url=...)`).
Every call is recorded; tests read the recorded calls and the emulated workspace state
(messages, ephemerals, views, files) and can inject failures.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.canvases import Canvas, CanvasError, Canvases

if TYPE_CHECKING:
    from bot.devslack.socket_mode import SocketModeServer

TRIGGER_LIFETIME = 3.0  # seconds
RESPONSE_URL_LIFETIME = 30 * 60  # seconds
RESPONSE_URL_USES = 5
MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12", "csv": "text/csv"}
VIEW_STACK_LIMIT = 3
JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata", "criteria", "changes",
               "document_content")
NOT_INTERACTIVE = ("image", "plain_text", "mrkdwn")


@dataclass
class Call:
    """One request the app made: a Web API method, or "response_url"."""

    method: str
    params: dict
    at: float
    http_status: int = 200
    response: dict | None = None
    url: str | None = None  # the response_url, for "response_url" calls
    team_id: str | None = None  # the workspace of the token the call carried


class SlackError(Exception):
    """Answer {"ok": false, "error": error, **extra}."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class SlackEmulator:
    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test",  # noqa: S107 (a fake token for tests)
        team_id: str = "T0HOME",
        team_name: str = "Acme",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0RUMBO",
        clock: Callable[[], float] = time.time,
        app_token: str = "xapp-test",  # noqa: S107 (the app-level token, for Socket Mode)
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self._socket_mode: SocketModeServer | None = None  # started on first use
        self.team_id = team_id
        # Bot tokens and the workspace each belongs to; OAuth installs add more (below).
        self._tokens: dict[str, dict] = {bot_token: {"team_id": team_id, "expires_at": None}}
        self._workspaces: dict[str, dict] = {team_id: {"name": team_name}}
        self._codes: dict[str, tuple[str, str]] = {}  # OAuth code -> (workspace, scopes)
        self._refresh_tokens: dict[str, tuple[str, str]] = {}  # unused one -> the same
        self.oauth_client: tuple[str, str] | None = None  # (client id, secret) of the app
        self.token_lifetime: int | None = None  # seconds, when token rotation is on
        self._calling_team = team_id  # the workspace of the call being answered
        self.team_name = team_name
        self.team_domain = "".join(c for c in team_name.lower() if c.isalnum()) or "team"
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock
        self.base_url = ""
        self.api_url = ""
        self.violations: list[str] = []  # Block Kit and protocol mistakes the app made
        self._cond = threading.Condition()  # guards all the state below
        self._calls: list[Call] = []
        self._arrivals: list[Call] = []  # calls as they come in, before any delay
        self._users: dict[str, dict] = {}
        self._channels: dict[str, dict] = {}
        self._messages: dict[str, list[dict]] = {}
        self._ephemerals: dict[str, list[dict]] = {}
        self._views: dict[str, dict] = {}
        self._stacks: dict[str, list[str]] = {}  # user -> open view ids, bottom first
        self._homes: dict[str, str] = {}  # user -> home view id
        self._uploads: dict[str, dict] = {}  # file id -> file, from getUploadURLExternal
        self._files: list[dict] = []  # completed uploads
        self._user_files: dict[str, dict] = {}  # file id -> a file a user attached to a modal
        self._triggers: dict[str, dict] = {}
        self._response_urls: dict[str, dict] = {}
        self._failures: dict[str, list[dict]] = {}
        self._delays: dict[str, list[float]] = {}
        self.canvases = Canvases(self._next)  # the channels' canvases (bot/devslack/canvases.py)
        self._last_ts = 0
        self._serial = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_user(bot_user_id, "rumbo", real_name="Rumbo", is_bot=True)

    # ---- serving ---------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}/"
        self.api_url = f"{self.base_url}api/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="slack-emulator", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._socket_mode is not None:
            self._socket_mode.stop()
            self._socket_mode = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def socket_mode(self) -> SocketModeServer:
        """Slack's Socket Mode server, where `apps.connections.open` sends the app."""
        from bot.devslack.socket_mode import SocketModeServer  # websockets: a dev dependency

        with self._cond:
            if self._socket_mode is None:
                self._socket_mode = SocketModeServer(self).start()
            return self._socket_mode

    # ---- directory -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        locale: str = "en-US",
        tz: str = "America/New_York",
        team_id: str | None = None,
        is_bot: bool = False,
        is_restricted: bool = False,
        email: str | None = None,
    ) -> None:
        with self._cond:
            self._users[user_id] = {
                "id": user_id, "name": name, "real_name": real_name or name, "locale": locale,
                "tz": tz, "team_id": team_id or self.team_id, "is_bot": is_bot,
                "is_restricted": is_restricted, "email": email,
            }

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: tuple | list = (),
        is_archived: bool = False,
        bot_is_member: bool = True,
    ) -> None:
        with self._cond:
            self._channels[channel_id] = {
                "id": channel_id, "name": name, "members": list(members),
                "is_archived": is_archived, "bot_is_member": bot_is_member, "is_im": False,
            }

    def free_tier(self, team_id: str | None = None, *, tab_taken: bool = False) -> None:
        """Make a workspace a free one: apps cannot create channel canvases there
        (`team_tier_cannot_create_channel_canvases`), or, with `tab_taken`, its channels'
        one canvas tab is taken (`free_team_canvas_tab_already_exists`)."""
        with self._cond:
            self._workspaces.setdefault(team_id or self.team_id, {"name": ""})["tier"] = (
                "free_tab_taken" if tab_taken else "free")

    def canvas(self, channel_id: str) -> Canvas | None:
        """The channel's canvas (its `markdown`, `edits`, `sections`), a copy."""
        with self._cond:
            return copy.deepcopy(self.canvases.of_channel(channel_id))

    def edit_canvas_by_hand(self, channel_id: str, markdown: str, *, user_id: str = "U0HUMAN"
                            ) -> Canvas:
        """A person writes the channel's canvas (making it if there is none)."""
        with self._cond:
            canvas = self.canvases.of_channel(channel_id) or self.canvases.create(
                channel_id=channel_id, content=None, title="", made_by=user_id)
            self.canvases.hand_edit(canvas, markdown)
            return copy.deepcopy(canvas)

    def user(self, user_id: str) -> dict | None:
        """The directory entry given to add_user (not the users.info shape)."""
        with self._cond:
            return copy.deepcopy(self._users.get(user_id))

    def channel(self, channel_id: str) -> dict | None:
        """The directory entry given to add_channel (a user id gives the DM with that user)."""
        with self._cond:
            return copy.deepcopy(self._channels.get(self._resolve(channel_id)))

    def dm_channel_id(self, user_id: str) -> str:
        """The id of the bot's DM with a user, created on first use like Slack."""
        with self._cond:
            return self._dm(user_id)["id"]

    # ---- recorded calls --------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def reset_state(self) -> None:
        """Forget every message, view, file and call; keep the users and channels."""
        with self._cond:
            for state in (self._calls, self._arrivals, self._messages, self._ephemerals,
                          self._views, self._stacks, self._homes, self._uploads, self._files,
                          self._user_files, self._triggers, self._response_urls,
                          self._failures, self._delays):
                state.clear()
            self.canvases.clear()
            self._last_ts = 0  # a clock set back (the sandbox's) stamps from it again
            self._cond.notify_all()

    def reset_calls(self) -> None:
        with self._cond:
            self._calls.clear()
            self._arrivals.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until at least `count` calls to `method` (matching `predicate`) were made."""

        def matching() -> list[Call]:
            return [c for c in self._calls
                    if c.method == method and (predicate is None or predicate(c))]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                seen = [c.method for c in self._calls]
                raise AssertionError(
                    f"waited {timeout}s for {count} call(s) to {method}"
                    f"{' matching the predicate' if predicate else ''}, got {len(matching())};"
                    f" calls recorded: {seen}"
                )
            return matching()

    def wait_arrived(self, method: str, timeout: float = 5.0,
                     predicate: Callable[[Call], bool] | None = None) -> Call:
        """Block until a call to `method` has come in (it may still be delayed: the app is
        waiting on "Slack" then)."""
        def arrived():
            return [c for c in self._arrivals
                    if c.method == method and (predicate is None or predicate(c))]

        with self._cond:
            if not self._cond.wait_for(arrived, timeout):
                raise AssertionError(f"waited {timeout}s for a call to {method} to come in")
            return arrived()[-1]

    def record_violation(self, where: str, problems: list[str]) -> None:
        with self._cond:
            self.violations.extend(f"{where}: {problem}" for problem in problems)

    # ---- fault injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        times: int = 1,
        retry_after: int | None = None,
        http_status: int | None = None,
    ) -> None:
        """Make the next `times` calls to `method` fail ("response_url" works too)."""
        failure = {"error": error, "retry_after": retry_after, "http_status": http_status}
        with self._cond:
            self._failures.setdefault(method, []).extend(dict(failure) for _ in range(times))

    def slow_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Make the next `times` calls to `method` answer only after `seconds`: a slow
        Slack, to show the app acknowledges requests without waiting for it."""
        with self._cond:
            self._delays.setdefault(method, []).extend([seconds] * times)

    # ---- triggers and response_urls --------------------------------------------------------

    def new_trigger_id(self, user_id: str) -> str:
        with self._cond:
            now = self.clock()
            trigger_id = f"{self._next()}.{int(now)}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = {"user": user_id, "issued": now, "used": False}
            return trigger_id

    def new_response_url(self, channel_id: str, user_id: str, *, message_ts: str | None = None
                         ) -> str:
        with self._cond:
            token = f"{self.team_id}/{self._next()}/{secrets.token_hex(12)}"
            self._response_urls[token] = {
                "channel": channel_id, "user": user_id, "message_ts": message_ts,
                "issued": self.clock(), "uses": 0,
            }
            return f"{self.base_url}response/{token}"

    # ---- state -----------------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[dict]:
        """Messages in post order: dicts with ts, user, text, blocks, thread_ts, files."""
        with self._cond:
            return copy.deepcopy(self._messages.get(self._resolve(channel_id), []))

    def message(self, channel_id: str, ts: str) -> dict | None:
        with self._cond:
            return copy.deepcopy(self._find(self._messages, self._resolve(channel_id), ts))

    def ephemerals(self, channel_id: str, user_id: str | None = None) -> list[dict]:
        """Ephemeral messages; here `user` is the user who sees the message."""
        with self._cond:
            found = self._ephemerals.get(self._resolve(channel_id), [])
            return copy.deepcopy([e for e in found if user_id in (None, e["user"])])

    def home(self, user_id: str) -> dict | None:
        with self._cond:
            return copy.deepcopy(self._views.get(self._homes.get(user_id, "")))

    @property
    def files(self) -> list[dict]:
        """Completed uploads: id, name, title, content (bytes), channel, size."""
        with self._cond:
            return copy.deepcopy(self._files)

    def attach_file(self, user_id: str, name: str, content: bytes) -> dict:
        """A file a user picks in a modal's file_input: the file object the submission
        carries (`driver.submit(user, {block: [it]})`), served by files.info and its
        url_private_download (with a bot token) as Slack does."""
        with self._cond:
            file_id = f"F{self._next():04d}"
            extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            url = f"{self.base_url}files-pri/{self.team_id}-{file_id}/{quote(name)}"
            self._user_files[file_id] = {"user": user_id, "content": bytes(content)}
            found = {
                "id": file_id, "created": int(self.clock()), "timestamp": int(self.clock()),
                "name": name, "title": name, "mimetype": MIMETYPES.get(
                    extension, "application/octet-stream"),
                "filetype": extension, "user": user_id, "size": len(content),
                "url_private": url, "url_private_download": f"{url}?download=1",
                "is_external": False, "mode": "hosted",
            }
            self._user_files[file_id]["file"] = found
            return copy.deepcopy(found)

    def view(self, view_id: str) -> dict | None:
        with self._cond:
            return copy.deepcopy(self._views.get(view_id))

    def view_stack(self, user_id: str) -> list[dict]:
        """The user's open modals, bottom (root) first."""
        with self._cond:
            return [copy.deepcopy(self._views[v]) for v in self._stacks.get(user_id, [])]

    def top_view(self, user_id: str) -> dict | None:
        with self._cond:
            stack = self._stacks.get(user_id)
            return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def close_top_view(self, user_id: str) -> dict | None:
        with self._cond:
            stack = self._stacks.get(user_id)
            return self._views.pop(stack.pop()) if stack else None

    def clear_views(self, user_id: str) -> None:
        with self._cond:
            for view_id in self._stacks.pop(user_id, []):
                self._views.pop(view_id, None)

    def replace_top_view(self, user_id: str, view: dict) -> dict | None:
        """Like response_action "update": same id, new hash. None (and a violation) if invalid."""
        with self._cond:
            stack = self._stacks.get(user_id)
            problems = check_view(view) if stack else ["no open view to update"]
            if problems or not stack:
                self.record_violation("response_action update", problems)
                return None
            return copy.deepcopy(self._replace_view(self._views[stack[-1]], view))

    def push_view(self, user_id: str, view: dict) -> dict | None:
        """Like response_action "push". None (and a violation) if invalid or the stack is full."""
        with self._cond:
            problems = check_view(view)
            if len(self._stacks.get(user_id, [])) >= VIEW_STACK_LIMIT:
                problems.append("push_limit_reached: a modal stack holds 3 views")
            if problems:
                self.record_violation("response_action push", problems)
                return None
            return copy.deepcopy(self._push(user_id, view))

    # ---- HTTP dispatch ---------------------------------------------------------------------

    def handle(self, verb: str, path: str, headers: Any, body: bytes
               ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: (status, headers, body)."""
        url = urlsplit(path)
        parts = url.path.strip("/").split("/", 1)
        if parts[0] == "api" and len(parts) == 2:
            params = _parse_params(headers.get("Content-Type") or "", body, url.query)
            token = headers.get("Authorization")
            if not token and params.get("token"):
                token = f"Bearer {params['token']}"
            return self._api(parts[1], params, token)
        if parts[0] == "files-pri" and len(parts) == 2 and verb == "GET":
            return self._download(parts[1].split("/", 1)[0], headers.get("Authorization"))
        if parts[0] == "upload" and len(parts) == 2:
            return self._upload(parts[1].rsplit("/", 1)[-1], body)
        if parts[0] == "response" and len(parts) == 2 and verb == "POST":
            return self._respond(parts[1], body)
        return _text(404, "not_found")

    def _api(self, method: str, params: dict, token: str | None) -> tuple[int, dict, bytes]:
        with self._cond:
            self._arrivals.append(Call(method, params, self.clock()))
            self._cond.notify_all()
            delays = self._delays.get(method)
            delay = delays.pop(0) if delays else 0
        if delay:
            time.sleep(delay)  # outside the lock: only this call is slow
        with self._cond:
            status, headers = 200, dict[str, str]()
            failure = self._take_failure(method)
            if failure is not None:
                status, headers, response = _failure_answer(failure)
            elif method == "oauth.v2.access":  # the client's id and secret, as Basic auth
                if token and token.startswith("Basic "):
                    client_id, _sep, secret = base64.b64decode(token[6:]).decode().partition(":")
                    params = {**params, "client_id": client_id, "client_secret": secret}
                response = self._run(method, params)
            elif method == "apps.connections.open":  # the app-level token, not a bot's
                response = self._m_apps_connections_open(token or "")
            elif not token:
                response = {"ok": False, "error": "not_authed"}
            elif (team := self._workspace_of(token)) is None:
                response = {"ok": False, "error": "invalid_auth"}
            else:
                self._calling_team = team  # the lock is held
                response = self._run(method, params)
            self._record(Call(method, params, self.clock(), status, response,
                              team_id=self._workspace_of(token) if token else None))
        if status not in (200, 429):
            return status, {"Content-Type": "text/plain", **headers}, _phrase(status).encode()
        return _json(status, response, headers)

    def _run(self, method: str, params: dict) -> dict:
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        try:
            return {"ok": True, **handler(params)}
        except SlackError as error:
            return {"ok": False, "error": error.error, **error.extra}

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._cond.notify_all()

    def _take_failure(self, method: str) -> dict | None:
        queued = self._failures.get(method)
        return queued.pop(0) if queued else None

    # ---- Web API methods (called with the lock held) ---------------------------------------

    def _m_apps_connections_open(self, token: str | None) -> dict:
        """A Socket Mode URL, for the app-level token only (scope connections:write); `_api`
        calls it with the token, before the bot-token check."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != f"Bearer {self.app_token}":
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode.new_url()}

    def _m_auth_test(self, p: dict) -> dict:
        team_id = self._calling_team
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self._workspaces.get(team_id, {}).get("name", self.team_name),
            "user": self._users[self.bot_user_id]["name"], "team_id": team_id,
            "user_id": self.bot_user_id, "bot_id": self.bot_id, "is_enterprise_install": False,
        }

    # ---- OAuth v2: installs in several workspaces, token rotation, revocation ----------

    def add_workspace(self, team_id: str, name: str) -> None:
        """Another workspace, where Rumbo can be installed through OAuth."""
        with self._cond:
            self._workspaces[team_id] = {"name": name}

    def approve_install(self, authorize_url: str, *, team_id: str, redirect_uri: str) -> str:
        """A user of `team_id` clicks Allow on Slack's authorize page: the URL Slack sends
        their browser back to, with a code and the state."""
        query = dict(parse_qsl(urlsplit(authorize_url).query))
        with self._cond:
            if self.oauth_client is None or query.get("client_id") != self.oauth_client[0]:
                raise AssertionError(f"authorize URL for an unknown client: {authorize_url}")
            code = secrets.token_hex(8)
            self._codes[code] = (team_id, query.get("scope", ""))
        return f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def revoke(self, team_id: str) -> None:
        """The workspace uninstalls the app: every token of it stops working."""
        with self._cond:
            for info in self._tokens.values():
                if info["team_id"] == team_id:
                    info["revoked"] = True

    def _workspace_of(self, authorization: str | None) -> str | None:
        info = self._tokens.get((authorization or "").removeprefix("Bearer "))
        if info is None or info.get("revoked"):
            return None
        if info["expires_at"] is not None and self.clock() >= info["expires_at"]:
            return None
        return info["team_id"]

    def _new_token(self, team_id: str, scope: str) -> dict:
        token = f"xoxb-{team_id}-{secrets.token_hex(6)}"
        expires = self.clock() + self.token_lifetime if self.token_lifetime else None
        self._tokens[token] = {"team_id": team_id, "expires_at": expires}
        answer: dict[str, object] = {"access_token": token, "token_type": "bot",
                                     "scope": scope, "bot_user_id": self.bot_user_id,
                                     "app_id": self.app_id,
                                     "team": {"id": team_id,
                                              "name": self._workspaces[team_id]["name"]},
                                     "enterprise": None, "is_enterprise_install": False}
        if self.token_lifetime:
            refresh = f"xoxe-1-{secrets.token_hex(8)}"
            self._refresh_tokens[refresh] = (team_id, scope)
            answer.update(expires_in=self.token_lifetime, refresh_token=refresh)
        return answer

    def _m_oauth_v2_access(self, p: dict) -> dict:
        if self.oauth_client is None or (p.get("client_id"),
                                         p.get("client_secret")) != self.oauth_client:
            raise SlackError("invalid_client_id")
        if p.get("grant_type") == "refresh_token":
            granted = self._refresh_tokens.pop(p.get("refresh_token") or "", None)
            if granted is None:  # each refresh token works once
                raise SlackError("invalid_refresh_token")
            return self._new_token(*granted)
        granted = self._codes.pop(p.get("code") or "", None)
        if granted is None:
            raise SlackError("invalid_code")
        return {**self._new_token(*granted), "authed_user": {"id": "U0INSTALLER"}}

    def _m_users_info(self, p: dict) -> dict:
        user = self._users.get(p.get("user") or "")
        if user is None:
            raise SlackError("user_not_found")
        tz_label, tz_offset = self._tz(user["tz"])
        found = {
            "id": user["id"], "team_id": user["team_id"], "name": user["name"],
            "deleted": False, "real_name": user["real_name"], "tz": user["tz"],
            "tz_label": tz_label, "tz_offset": tz_offset,
            "profile": {
                "real_name": user["real_name"], "real_name_normalized": user["real_name"],
                "display_name": user["name"], "display_name_normalized": user["name"],
                "team": user["team_id"], **({"email": user["email"]} if user["email"] else {}),
            },
            "is_admin": False, "is_owner": False, "is_primary_owner": False,
            "is_restricted": user["is_restricted"], "is_ultra_restricted": False,
            "is_bot": user["is_bot"], "is_app_user": False, "updated": int(self.clock()),
        }
        if _truthy(p.get("include_locale")):
            found["locale"] = user["locale"]
        return {"user": found}

    def _m_users_lookupByEmail(self, p: dict) -> dict:  # noqa: N802 (Slack's method name)
        email = str(p.get("email") or "").casefold()
        for user in self._users.values():
            if email and (user.get("email") or "").casefold() == email:
                return self._m_users_info({"user": user["id"]})
        raise SlackError("users_not_found")

    def _m_files_info(self, p: dict) -> dict:
        stored = self._user_files.get(p.get("file") or "")
        if stored is None:
            raise SlackError("file_not_found")
        return {"file": copy.deepcopy(stored["file"])}

    def _m_conversations_info(self, p: dict) -> dict:
        return {"channel": self._channel_object(self._channel(p.get("channel")))}

    def _m_conversations_canvases_create(self, p: dict) -> dict:
        channel = self._postable(p.get("channel_id"))
        tier = self._workspaces.get(self._calling_team, {}).get("tier")
        if tier == "free":
            raise SlackError("team_tier_cannot_create_channel_canvases")
        if tier == "free_tab_taken":
            raise SlackError("free_team_canvas_tab_already_exists")
        try:
            made = self.canvases.create(channel_id=channel["id"], content=p.get(
                "document_content"), title=p.get("title"), made_by=self.bot_user_id)
        except CanvasError as error:
            raise SlackError(str(error)) from error
        return {"canvas_id": made.id}

    def _m_canvases_edit(self, p: dict) -> dict:
        try:
            canvas = self.canvases.get(p.get("canvas_id"))
            self._postable(canvas.channel_id)
            self.canvases.edit(canvas, p.get("changes"))
        except CanvasError as error:
            raise SlackError(str(error)) from error
        return {}

    def _m_canvases_sections_lookup(self, p: dict) -> dict:
        try:
            canvas = self.canvases.get(p.get("canvas_id"))
            return {"sections": self.canvases.lookup(canvas, p.get("criteria"))}
        except CanvasError as error:
            raise SlackError(str(error)) from error

    def _m_canvases_delete(self, p: dict) -> dict:
        try:
            self.canvases.delete(self.canvases.get(p.get("canvas_id")).id)
        except CanvasError as error:
            raise SlackError(str(error)) from error
        return {}

    def _m_conversations_members(self, p: dict) -> dict:
        channel = self._channel(p.get("channel"))
        members = list(channel["members"])
        if channel["bot_is_member"] and self.bot_user_id not in members:
            members.append(self.bot_user_id)
        try:
            limit = int(p.get("limit") or 100)
            cursor = p.get("cursor") or ""
            start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
        except (ValueError, IndexError) as error:
            raise SlackError("invalid_cursor") from error
        end = start + limit
        next_cursor = base64.b64encode(f"offset:{end}".encode()).decode()
        return {
            "members": members[start:end],
            "response_metadata": {"next_cursor": next_cursor if end < len(members) else ""},
        }

    def _m_conversations_history(self, p: dict) -> dict:
        """A channel's messages, newest first (thread replies stay in their thread);
        message metadata only with include_all_metadata, as Slack does."""
        channel = self._channel(p.get("channel"))
        if not channel["bot_is_member"]:
            raise SlackError("not_in_channel")
        try:
            oldest, latest = float(p.get("oldest") or 0), float(p.get("latest") or "inf")
            limit = min(max(int(p.get("limit") or 100), 1), 999)
            cursor = p.get("cursor") or ""
            start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
        except (ValueError, IndexError) as error:
            raise SlackError("invalid_arguments") from error
        found = [m for m in reversed(self._messages.get(channel["id"], []))
                 if oldest < float(m["ts"]) < latest
                 and m.get("thread_ts") in (None, m["ts"])]
        page = copy.deepcopy(found[start:start + limit])
        if not _truthy(p.get("include_all_metadata")):
            for message in page:
                message.pop("metadata", None)
        more = start + limit < len(found)
        next_cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode()
        return {"messages": page, "has_more": more,
                "response_metadata": {"next_cursor": next_cursor if more else ""}}

    def _m_conversations_replies(self, p: dict) -> dict:
        """A thread: its parent and replies, oldest first; metadata as for the history."""
        channel = self._channel(p.get("channel"))
        if not channel["bot_is_member"]:
            raise SlackError("not_in_channel")
        parent = self._find(self._messages, channel["id"], p.get("ts"))
        if parent is None:
            raise SlackError("thread_not_found")
        try:
            oldest = float(p.get("oldest") or 0)
        except ValueError as error:
            raise SlackError("invalid_arguments") from error
        found = [m for m in self._messages.get(channel["id"], [])
                 if (m["ts"] == parent["ts"] or m.get("thread_ts") == parent["ts"])
                 and float(m["ts"]) >= oldest]
        page = copy.deepcopy(found[:min(max(int(p.get("limit") or 1000), 1), 1000)])
        if not _truthy(p.get("include_all_metadata")):
            for message in page:
                message.pop("metadata", None)
        return {"messages": page, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _m_conversations_join(self, p: dict) -> dict:
        channel = self._channel(p.get("channel"))
        if channel["is_archived"]:
            raise SlackError("is_archived")
        answer: dict[str, Any] = {}
        if channel["bot_is_member"]:
            answer["warning"] = "already_in_channel"
        channel["bot_is_member"] = True
        return {"channel": self._channel_object(channel), **answer}

    def _m_conversations_open(self, p: dict) -> dict:
        users = [u for u in (p.get("users") or "").split(",") if u]
        if len(users) != 1 or users[0] not in self._users:
            raise SlackError("user_not_found")  # the emulator only opens 1:1 DMs
        return {"channel": {"id": self._dm(users[0])["id"]}}

    def _m_chat_postMessage(self, p: dict) -> dict:
        channel = self._postable(p.get("channel"))
        self._check_message("chat.postMessage", p)
        message = self._new_message(p.get("text"), p.get("blocks"), p.get("thread_ts"))
        if p.get("metadata"):
            message["metadata"] = p["metadata"]
        self._messages.setdefault(channel["id"], []).append(message)
        return {"channel": channel["id"], "ts": message["ts"], "message": copy.deepcopy(message)}

    def _m_chat_update(self, p: dict) -> dict:
        channel = self._channel(p.get("channel"))
        message = self._find(self._messages, channel["id"], p.get("ts"))
        if message is None:
            raise SlackError("message_not_found")
        if message["user"] != self.bot_user_id:
            raise SlackError("cant_update_message")
        self._check_message("chat.update", p, need_text=False)
        if "text" in p:
            message["text"] = p["text"] or ""
        if "blocks" in p:
            message["blocks"] = _fill_ids(p["blocks"] or [])
        message["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        return {"channel": channel["id"], "ts": message["ts"], "text": message["text"],
                "message": copy.deepcopy(message)}

    def _m_chat_delete(self, p: dict) -> dict:
        channel = self._channel(p.get("channel"))
        message = self._find(self._messages, channel["id"], p.get("ts"))
        if message is None:
            raise SlackError("message_not_found")
        self._messages[channel["id"]].remove(message)
        return {"channel": channel["id"], "ts": message["ts"]}

    def _m_chat_postEphemeral(self, p: dict) -> dict:
        channel = self._postable(p.get("channel"))
        if p.get("user") not in channel["members"]:
            raise SlackError("user_not_in_channel")
        self._check_message("chat.postEphemeral", p)
        ephemeral = self._new_message(p.get("text"), p.get("blocks"), p.get("thread_ts"))
        ephemeral["user"] = p["user"]
        self._ephemerals.setdefault(channel["id"], []).append(ephemeral)
        return {"message_ts": ephemeral["ts"]}

    def _m_chat_getPermalink(self, p: dict) -> dict:
        channel = self._channel(p.get("channel"))
        ts = p.get("message_ts") or ""
        if self._find(self._messages, channel["id"], ts) is None:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel['id']}"
        return {"channel": channel["id"], "permalink": f"{link}/p{ts.replace('.', '')}"}

    def _m_views_open(self, p: dict) -> dict:
        view = self._check_view_param("views.open", p, ("modal",))
        trigger = self._trigger(p.get("trigger_id"))
        trigger["used"] = True
        self.clear_views(trigger["user"])
        return {"view": copy.deepcopy(self._push(trigger["user"], view))}

    def _m_views_push(self, p: dict) -> dict:
        view = self._check_view_param("views.push", p, ("modal",))
        trigger = self._trigger(p.get("trigger_id"))
        if len(self._stacks.get(trigger["user"], [])) >= VIEW_STACK_LIMIT:
            raise SlackError("push_limit_reached")
        trigger["used"] = True
        return {"view": copy.deepcopy(self._push(trigger["user"], view))}

    def _m_views_update(self, p: dict) -> dict:
        view = self._check_view_param("views.update", p, ("modal", "home"))
        if p.get("view_id"):
            current = self._views.get(p["view_id"])
        else:
            current = self._by_external_id(p.get("external_id"))
        if current is None:
            raise SlackError("not_found")
        if p.get("hash") and p["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return {"view": copy.deepcopy(self._replace_view(current, view))}

    def _m_views_publish(self, p: dict) -> dict:
        view = self._check_view_param("views.publish", p, ("home",))
        user_id = p.get("user_id") or ""
        if user_id not in self._users:
            raise SlackError("user_not_found")
        current = self._views.get(self._homes.get(user_id, ""))
        if current is not None:
            if p.get("hash") and p["hash"] != current["hash"]:
                raise SlackError("hash_conflict")
            return {"view": copy.deepcopy(self._replace_view(current, view))}
        stored = self._store_view(view, self._new_view_id(), None)
        self._homes[user_id] = stored["id"]
        return {"view": copy.deepcopy(stored)}

    def _m_files_getUploadURLExternal(self, p: dict) -> dict:
        if not p.get("filename") or not str(p.get("length") or "").isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{self._next():04d}"
        self._uploads[file_id] = {
            "id": file_id, "name": p["filename"], "title": p["filename"],
            "length": int(p["length"]), "content": None, "channel": None,
        }
        return {"upload_url": f"{self.base_url}upload/v1/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict) -> dict:
        wanted = p.get("files")
        if not isinstance(wanted, list) or not wanted:
            raise SlackError("invalid_arguments")
        uploads = []
        for item in wanted:
            upload = self._uploads.get(item.get("id", ""))
            if upload is None or upload["content"] is None:
                raise SlackError("file_not_found")
            uploads.append((upload, item))
        channel_ids = [p["channel_id"]] if p.get("channel_id") else []
        channel_ids += [c for c in (p.get("channels") or "").split(",") if c]
        channels = [self._postable(c) for c in channel_ids]
        done = []
        for upload, item in uploads:
            del self._uploads[upload["id"]]
            upload["title"] = item.get("title") or upload["name"]
            upload["channel"] = channels[0]["id"] if channels else None
            upload["size"] = len(upload["content"])
            self._files.append(upload)
            done.append(upload)
        summaries = [{k: f[k] for k in ("id", "name", "title", "size")} for f in done]
        for channel in channels:
            message = self._new_message(p.get("initial_comment"), None, p.get("thread_ts"))
            message["files"] = copy.deepcopy(summaries)
            message["upload"] = True
            self._messages.setdefault(channel["id"], []).append(message)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in done]}

    # ---- uploads and response_urls ---------------------------------------------------------

    def _upload(self, file_id: str, body: bytes) -> tuple[int, dict, bytes]:
        with self._cond:
            upload = self._uploads.get(file_id)
            if upload is None:
                return _text(404, "not_found")
            upload["content"] = body
            self._record(Call("file_upload", {"file_id": file_id, "size": len(body)},
                              self.clock(), 200, {"ok": True}))
            return _text(200, f"OK - {len(body)}")

    def _download(self, where: str, authorization: str | None) -> tuple[int, dict, bytes]:
        """A user's file, for a bot token of its workspace (Slack answers others with its
        login page; here a 403)."""
        team_id, _sep, file_id = where.rpartition("-")
        with self._cond:
            stored = self._user_files.get(file_id)
            allowed = bool(authorization) and self._workspace_of(authorization) == team_id
            self._record(Call("file_download", {"file": file_id}, self.clock(),
                              200 if stored and allowed else 403, {"ok": bool(allowed)}))
            if stored is None or not allowed:
                return _text(403 if stored else 404, "not allowed")
            return 200, {"Content-Type": stored["file"]["mimetype"]}, stored["content"]

    def _respond(self, token: str, body: bytes) -> tuple[int, dict, bytes]:
        url = f"{self.base_url}response/{token}"
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        with self._cond:
            entry = self._response_urls.get(token)
            failure = self._take_failure("response_url")
            status, error = 200, None
            if failure is not None:
                status, _, answer = _failure_answer(failure)
                error = answer["error"]
            elif not isinstance(payload, dict):
                status, error = 400, "invalid_payload"
                payload = {"raw": body.decode(errors="replace")}
            elif entry is None:
                status, error = 404, "no_service"
            elif self.clock() - entry["issued"] > RESPONSE_URL_LIFETIME:
                status, error = 404, "expired_url"
            elif entry["uses"] >= RESPONSE_URL_USES:
                status, error = 404, "used_url"
            else:
                problems = check_message(payload.get("blocks"), payload.get("text"))
                if problems:
                    self.record_violation("response_url", problems)
                    status, error = 400, "invalid_blocks"
                else:
                    entry["uses"] += 1
                    self._apply_response(entry, payload)
            response = {"ok": True} if error is None else {"ok": False, "error": error}
            self._record(Call("response_url", payload, self.clock(), status, response, url))
        return _json(200, response) if error is None else _text(status, error)

    def show_command_answer(self, response_url: str, message: dict) -> None:
        """A message the app put in a command's ack: Slack shows it where the command was
        typed, as an ephemeral (or in the channel with response_type in_channel)."""
        with self._cond:
            entry = self._response_urls.get(response_url.split("/response/", 1)[-1])
            if entry is not None:
                self._apply_response(entry, message)
            self._cond.notify_all()

    def _apply_response(self, entry: dict, payload: dict) -> None:
        channel_id = self._resolve(entry["channel"])
        text, blocks = payload.get("text"), payload.get("blocks")
        original, holder = None, None
        for store in (self._messages, self._ephemerals):
            original = self._find(store, channel_id, entry["message_ts"])
            if original is not None:
                holder = store[channel_id]
                break
        if _truthy(payload.get("delete_original")):
            if holder is not None and original is not None:
                holder.remove(original)
        elif _truthy(payload.get("replace_original")) and original is not None:
            original["text"] = text or ""
            original["blocks"] = _fill_ids(blocks or [])
        elif payload.get("response_type") == "in_channel":
            message = self._new_message(text, blocks, payload.get("thread_ts"))
            self._messages.setdefault(channel_id, []).append(message)
        else:
            ephemeral = self._new_message(text, blocks, payload.get("thread_ts"))
            ephemeral["user"] = entry["user"]
            self._ephemerals.setdefault(channel_id, []).append(ephemeral)

    # ---- helpers (lock held) ---------------------------------------------------------------

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def _new_ts(self) -> str:
        micros = max(int(self.clock() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_message(self, text: str | None, blocks: list | None, thread_ts: str | None) -> dict:
        return {
            "type": "message", "ts": self._new_ts(), "user": self.bot_user_id,
            "bot_id": self.bot_id, "app_id": self.app_id, "team": self.team_id,
            "text": text or "", "blocks": _fill_ids(blocks or []), "thread_ts": thread_ts,
            "files": [],
        }

    @staticmethod
    def _find(store: dict[str, list[dict]], channel_id: str, ts: str | None) -> dict | None:
        return next((m for m in store.get(channel_id, []) if ts and m["ts"] == ts), None)

    def _resolve(self, channel_id: str) -> str:
        if channel_id in self._users:
            return "D" + channel_id[1:]
        return channel_id

    def _dm(self, user_id: str) -> dict:
        dm_id = self._resolve(user_id)
        if dm_id not in self._channels:
            self._channels[dm_id] = {
                "id": dm_id, "name": user_id, "members": [user_id], "is_archived": False,
                "bot_is_member": True, "is_im": True, "user": user_id,
            }
        return self._channels[dm_id]

    def _channel(self, channel_id: str | None) -> dict:
        if channel_id in self._users:
            return self._dm(channel_id)
        channel = self._channels.get(channel_id or "")
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _postable(self, channel_id: str | None) -> dict:
        channel = self._channel(channel_id)
        if channel["is_archived"]:
            raise SlackError("is_archived")
        if not channel["bot_is_member"]:
            raise SlackError("not_in_channel")
        return channel

    def _channel_object(self, channel: dict) -> dict:
        found = {
            "id": channel["id"], "created": 1600000000, "is_archived": channel["is_archived"],
            "is_member": channel["bot_is_member"], "is_im": channel["is_im"],
            "is_private": channel["is_im"], "is_ext_shared": False, "is_org_shared": False,
        }
        if channel["is_im"]:
            found["user"] = channel["user"]
        else:
            found.update(name=channel["name"], name_normalized=channel["name"], is_channel=True,
                         is_group=False, is_general=False, num_members=len(channel["members"]))
        canvas = self.canvases.of_channel(channel["id"])
        if canvas is not None:
            found["properties"] = {"canvas": {"file_id": canvas.id,
                                              "is_empty": not canvas.sections}}
        return found

    def _tz(self, name: str) -> tuple[str, int]:
        try:
            now = datetime.fromtimestamp(self.clock(), ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            return "UTC", 0
        offset = now.utcoffset()
        return now.tzname() or name, int(offset.total_seconds()) if offset else 0

    def _check_message(self, method: str, p: dict, *, need_text: bool = True) -> None:
        blocks, text = p.get("blocks"), p.get("text")
        if need_text and not text and not blocks and not p.get("attachments"):
            raise SlackError("no_text")
        problems = check_message(blocks, text)
        if problems:
            self.record_violation(method, problems)
            blocky = any(not problem.startswith("text ") for problem in problems)
            raise SlackError("invalid_blocks" if blocky else "msg_too_long", errors=problems,
                             response_metadata={"messages": [f"[ERROR] {x}" for x in problems]})

    def _check_view_param(self, method: str, p: dict, kinds: tuple[str, ...]) -> dict:
        view = p.get("view")
        if not isinstance(view, dict):
            messages = ["[ERROR] missing required field: view"]
            raise SlackError("invalid_arguments", response_metadata={"messages": messages})
        problems = check_view(view)
        if view.get("type") not in kinds:
            problems.insert(0, f"{method} takes a view of type {' or '.join(kinds)}")
        if problems:
            self.record_violation(method, problems)
            raise SlackError("invalid_blocks" if view.get("type") in kinds else "invalid_arguments",
                             errors=problems,
                             response_metadata={"messages": [f"[ERROR] {x}" for x in problems]})
        external_id = view.get("external_id") if method != "views.update" else None
        if self._by_external_id(external_id) is not None:
            raise SlackError("duplicate_external_id")
        return view

    def _trigger(self, trigger_id: str | None) -> dict:
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger["used"]:
            raise SlackError("exchanged_trigger_id")
        if self.clock() - trigger["issued"] > TRIGGER_LIFETIME:
            raise SlackError("expired_trigger_id")
        return trigger

    def _by_external_id(self, external_id: str | None) -> dict | None:
        if not external_id:
            return None
        return next((v for v in self._views.values() if v["external_id"] == external_id), None)

    def _new_view_id(self) -> str:
        return f"V{self._next():04d}"

    def _new_hash(self) -> str:
        return f"{int(self.clock())}.{secrets.token_hex(4)}"

    def _push(self, user_id: str, sent: dict) -> dict:
        stack = self._stacks.setdefault(user_id, [])
        view = self._store_view(sent, self._new_view_id(), stack[-1] if stack else None,
                                root_view_id=stack[0] if stack else None)
        stack.append(view["id"])
        return view

    def _store_view(self, sent: dict, view_id: str, previous_view_id: str | None, *,
                    root_view_id: str | None = None) -> dict:
        view = {
            "callback_id": "", "private_metadata": "", "external_id": "",
            "clear_on_close": False, "notify_on_close": False, "title": None, "submit": None,
            "close": None, **copy.deepcopy(sent),
            "id": view_id, "team_id": self._calling_team, "app_id": self.app_id,
            "app_installed_team_id": self._calling_team, "bot_id": self.bot_id,
            "hash": self._new_hash(), "state": {"values": {}},
            "root_view_id": root_view_id or view_id, "previous_view_id": previous_view_id,
        }
        view["blocks"] = _fill_ids(view.get("blocks") or [])
        self._views[view_id] = view
        return view

    def _replace_view(self, current: dict, sent: dict) -> dict:
        replaced = self._store_view(sent, current["id"], current["previous_view_id"],
                                    root_view_id=current["root_view_id"])
        if not sent.get("external_id"):
            replaced["external_id"] = current["external_id"]
        return replaced


class _Handler(BaseHTTPRequestHandler):
    emulator: SlackEmulator  # set on the subclass made by SlackEmulator.start()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.emulator.handle(self.command, self.path, self.headers, body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(payload)  # the app may be gone: a test killed it

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, *args: Any) -> None:
        pass  # keep test output quiet


def _parse_params(content_type: str, body: bytes, query: str) -> dict:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if body:
        text = body.decode("utf-8", errors="replace")
        if content_type.startswith("application/json"):
            try:
                decoded = json.loads(text)
            except ValueError:
                decoded = {}
            params.update(decoded if isinstance(decoded, dict) else {})
        else:
            params.update(parse_qsl(text, keep_blank_values=True))
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):  # else left as sent
                params[key] = json.loads(value)
    return params


def _fill_ids(blocks: list) -> list:
    """Copy of blocks with the block_ids and action_ids Slack adds when the app leaves them out."""
    blocks = copy.deepcopy(blocks)
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", secrets.token_hex(3))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        elements += [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in NOT_INTERACTIVE:
                element.setdefault("action_id", secrets.token_hex(3))
    return blocks


def _failure_answer(failure: dict) -> tuple[int, dict, dict]:
    """(status, headers, recorded response) for an injected failure."""
    error, status = failure["error"], failure["http_status"]
    if status is not None and status != 429:
        error = error if error != "ratelimited" else f"http_{status}"
        return status, {}, {"ok": False, "error": error}
    if error == "ratelimited" or status == 429:
        retry_after = failure["retry_after"] if failure["retry_after"] is not None else 1
        return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
    return 200, {}, {"ok": False, "error": error}


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _json(status: int, data: dict, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return (status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            json.dumps(data).encode())


def _text(status: int, text: str) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()

