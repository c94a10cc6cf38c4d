"""Drives the app the way Slack does: signed requests to its /slack/events endpoint, over
HTTP (`SlackDriver`) or handed to the Bolt app in the test's own process (`AppDriver`), or
envelopes over the emulator's Socket Mode server (`SocketDriver`).

Payloads are built from the emulator's state (directory, messages, views), and the app's
answers to view submissions are applied back to the emulator's view stacks.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.devslack.blockkit import check_message
from bot.devslack.emulator import SlackEmulator

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.devslack.socket_mode import Ack  # imports websockets, a dev dependency

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "devslack-verification-token"  # noqa: S105 (legacy field; Bolt ignores it)

# The state key Slack uses for each element type (default "value").
SINGLE_OPTION = ("static_select", "external_select", "overflow", "radio_buttons")
MULTI_OPTION = ("multi_static_select", "multi_external_select", "checkboxes")
SELECTED_KEYS = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "rich_text_input": "rich_text_value",
    "file_input": "files",  # the file objects (emulator.attach_file)
}
LIST_KEYS = ("selected_options", "selected_users", "selected_conversations", "selected_channels",
             "files")
INITIAL_KEYS = {
    "value": "initial_value",
    "rich_text_value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
}
_UNSET = object()


@dataclass
class Response:
    """The app's answer to one request from "Slack": its HTTP answer, or its Socket Mode
    ack (status 200, the ack's payload as the text)."""

    status: int
    headers: dict[str, str]
    text: str
    elapsed: float = 0.0  # seconds until the app answered (Slack gives up after 3)
    trigger_id: str | None = None
    response_url: str | None = None
    event_id: str | None = None
    errors: dict = field(default_factory=dict)  # response_action "errors" of a view_submission
    body: bytes = b""  # the request body sent, so a test can send it again (a retry)
    content_type: str = ""
    envelope_id: str | None = None  # Socket Mode: the envelope delivered, for a redelivery

    def json(self) -> Any:
        return json.loads(self.text) if self.text.strip() else None

    def header(self, name: str) -> str | None:
        """A header of the answer, whatever its case."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class Driver:
    """Slack's side of the requests, whatever carries them: payloads built from the
    emulator's state, and the app's answers applied back to it. A subclass delivers them
    (`_send_command`, `_send`, `_send_event`)."""

    def __init__(
        self,
        emulator: SlackEmulator,
        *,
        api_app_id: str = "A0RUMBO",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.emulator = emulator
        self.api_app_id = api_app_id
        self.clock = clock
        self.last_submission: Any = None  # JSON the app answered to the last view_submission
        self._typed: dict[str, dict[str, Any]] = {}  # view id -> block_id -> value chosen

    # ---- slash commands --------------------------------------------------------------------

    def command(
        self,
        user_id: str,
        channel_id: str,
        text: str = "",
        *,
        command: str = "/plan",
        trigger_id: str | None = None,
        retry_num: int | None = None,
    ) -> Response:
        user, channel = self._user(user_id), self._channel(channel_id)
        trigger_id = trigger_id or self.emulator.new_trigger_id(user_id)
        response_url = self.emulator.new_response_url(channel["id"], user_id)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": user["team_id"],
            "team_domain": self.emulator.team_domain,
            "enterprise_id": "",
            "enterprise_name": "",
            "channel_id": channel["id"],
            "channel_name": "directmessage" if channel["is_im"] else channel["name"],
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        response = self._send_command(fields, retry_num)
        response.trigger_id, response.response_url = trigger_id, response_url
        self._check_answer(response)
        return response

    # ---- interactivity ---------------------------------------------------------------------

    def click(
        self,
        user_id: str,
        action_id: str,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        ephemeral: bool = False,
        value: str | None = None,
        selected: Any = None,
        retry_num: int | None = None,
        shown: dict | None = None,
        block_id: str | None = None,
    ) -> Response:
        """Click a button (or pick `selected` in a select/overflow) as `user_id` would.

        In a channel message (channel_id, default the latest message with that action_id),
        in an ephemeral message (ephemeral=True), or else in a view (default the top modal,
        then the Home tab). `value` picks among buttons sharing an action_id. `shown`: the
        message as the user's screen still showed it (a click on a card since redrawn).
        `block_id` picks the block, where elements share an action_id (modal inputs).
        """
        payload = self._base("block_actions", user_id)
        response_url = None
        if channel_id is None:
            view = self._view_for(user_id, view_id, action_id, value)
            blocks = [b for b in view["blocks"] if block_id in (None, b.get("block_id"))]
            block, element = _element(blocks, action_id, value, selected)
            if selected is not None and block.get("type") == "input":
                self._typed.setdefault(view["id"], {})[block["block_id"]] = selected
            typed = self._typed.get(view["id"], {})
            view["state"] = {"values": view_state(view, typed, strict=False)}
            payload.update(container={"type": "view", "view_id": view["id"]}, view=view)
        else:
            channel = self._channel(channel_id)
            if shown is not None:
                found = [shown]
            elif ephemeral:
                found = self.emulator.ephemerals(channel["id"], user_id)
            else:
                found = self.emulator.messages(channel["id"])
            message, block, element = _find_message(found, message_ts, action_id, value, selected,
                                                    "ephemeral" if ephemeral else "message")
            response_url = self.emulator.new_response_url(channel["id"], user_id,
                                                          message_ts=message["ts"])
            payload.update(
                container={"type": "message", "message_ts": message["ts"],
                           "channel_id": channel["id"], "is_ephemeral": ephemeral},
                channel={"id": channel["id"], "name": channel["name"]},
                state={"values": {}},
                response_url=response_url,
            )
            if not ephemeral:
                payload["message"] = {k: v for k, v in message.items() if v is not None}
        payload["actions"] = [_action(block, element, selected, f"{self.clock():.6f}")]
        response = self._send(payload, retry_num)
        response.trigger_id, response.response_url = payload["trigger_id"], response_url
        return response

    def submit(
        self,
        user_id: str,
        values: dict[str, Any] | None = None,
        *,
        view_id: str | None = None,
        retry_num: int | None = None,
    ) -> Response:
        """Submit a modal; `values` maps input block_id -> str, list of str or None.

        Inputs not given keep their initial value. Raises ValueError where Slack's client
        would not let the user submit (a required input left empty, a length limit).
        The app's answer is applied to the emulator's view stack like Slack does.
        """
        view = self.emulator.view(view_id) if view_id else self.emulator.top_view(user_id)
        if view is None or view.get("type") != "modal":
            raise LookupError(f"{user_id} has no open modal {view_id or ''} to submit")
        typed = {**self._typed.get(view["id"], {}), **(values or {})}
        view["state"] = {"values": view_state(view, typed)}
        payload = self._base("view_submission", user_id)
        payload.update(view=view, response_urls=[])
        response = self._send(payload, retry_num)
        response.trigger_id = payload["trigger_id"]
        self.last_submission = response.json() if response.status == 200 else None
        if response.status == 200:
            self._apply_submission(user_id, view, response)
        return response

    def close(self, user_id: str) -> Response | None:
        """Close the user's top modal; sends view_closed when the view asked for it."""
        view = self.emulator.top_view(user_id)
        if view is None:
            raise LookupError(f"{user_id} has no open modal to close")
        self.emulator.close_top_view(user_id)
        self._typed.pop(view["id"], None)
        if not view.get("notify_on_close"):
            return None
        payload = self._base("view_closed", user_id)
        payload.update(view=view, is_cleared=False)
        return self._send(payload, None)

    # ---- Events API ------------------------------------------------------------------------

    def event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        team_id: str | None = None,
    ) -> Response:
        """Deliver an Events API event_callback (send the same event_id again for a retry),
        from `team_id`'s installation (default the emulator's workspace)."""
        now = self.clock()
        team_id = team_id or self.emulator.team_id
        event_id = event_id or f"Ev{secrets.token_hex(5).upper()}"
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "api_app_id": self.api_app_id,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(now),
            "authorizations": [{
                "enterprise_id": None, "team_id": team_id,
                "user_id": self.emulator.bot_user_id, "is_bot": True,
                "is_enterprise_install": False,
            }],
            "is_ext_shared_channel": False,
        }
        response = self._send_event(envelope, retry_num, retry_reason)
        response.event_id = event_id
        return response

    # ---- the transport ---------------------------------------------------------------------

    def _send_command(self, fields: dict, retry_num: int | None) -> Response:
        raise NotImplementedError

    def _send(self, payload: dict, retry_num: int | None) -> Response:
        """An interactive payload (block_actions, view_submission, view_closed)."""
        raise NotImplementedError

    def _send_event(self, envelope: dict, retry_num: int | None, retry_reason: str | None
                    ) -> Response:
        raise NotImplementedError

    # ---- helpers ---------------------------------------------------------------------------

    def _check_answer(self, response: Response) -> None:
        """A message in a command's ack is shown like one sent to its response_url: Slack
        refuses the same mistakes."""
        if response.status != 200 or not response.text.strip():
            return
        try:
            answer = response.json()
        except ValueError:
            return  # plain text: Slack shows it as it is
        problems = check_message(answer.get("blocks"), answer.get("text"))
        if problems:
            self.emulator.record_violation("command ack", problems)
        elif response.response_url:
            self.emulator.show_command_answer(response.response_url, answer)

    def _user(self, user_id: str) -> dict:
        user = self.emulator.user(user_id)
        if user is None:
            raise LookupError(f"unknown user {user_id}: call emulator.add_user first")
        return user

    def _channel(self, channel_id: str) -> dict:
        channel = self.emulator.channel(channel_id)
        if channel is None:
            raise LookupError(f"unknown channel {channel_id}: call emulator.add_channel first")
        return channel

    def _base(self, kind: str, user_id: str) -> dict:
        user = self._user(user_id)
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "api_app_id": self.api_app_id,
            "team": {"id": user["team_id"], "domain": self.emulator.team_domain},
            "user": {"id": user_id, "username": user["name"], "name": user["name"],
                     "team_id": user["team_id"]},
            "enterprise": None,
            "is_enterprise_install": False,
            "trigger_id": self.emulator.new_trigger_id(user_id),
        }

    def _view_for(self, user_id: str, view_id: str | None, action_id: str, value: str | None
                  ) -> dict:
        if view_id:
            view = self.emulator.view(view_id)
            if view is None:
                raise LookupError(f"no view {view_id}")
            return view
        for view in (self.emulator.top_view(user_id), self.emulator.home(user_id)):
            if view is not None and _find_element(view["blocks"], action_id, value, quiet=True):
                return view
        raise LookupError(f"{user_id}'s top modal and Home tab have no element with "
                          f"action_id {action_id!r}" + (f" and value {value!r}" if value else ""))

    def _apply_submission(self, user_id: str, view: dict, response: Response) -> None:
        answer = response.json()
        if not answer:
            self.emulator.close_top_view(user_id)
            return
        action = answer.get("response_action")
        if action == "errors":
            response.errors = answer.get("errors") or {}
            inputs = {b["block_id"] for b in view["blocks"] if b.get("type") == "input"}
            unknown = sorted(set(response.errors) - inputs)
            if unknown:
                self.emulator.record_violation(
                    "view_submission errors", [f"{unknown} are not input block_ids of the view"])
        elif action == "update":
            self.emulator.replace_top_view(user_id, answer.get("view") or {})
        elif action == "push":
            self.emulator.push_view(user_id, answer.get("view") or {})
        elif action == "clear":
            self.emulator.clear_views(user_id)
        else:
            self.emulator.record_violation(
                "view_submission", [f"unknown response_action {action!r} in {answer}"])


class SignedDriver(Driver):
    """Slack's HTTP requests: form or JSON bodies signed with the app's signing secret, the
    retry headers Slack adds; a subclass carries them (`_deliver`) to the app."""

    def __init__(
        self,
        signing_secret: str,
        emulator: SlackEmulator,
        *,
        api_app_id: str = "A0RUMBO",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(emulator, api_app_id=api_app_id, clock=clock)
        self._verifier = SignatureVerifier(signing_secret)

    # ---- raw requests ----------------------------------------------------------------------

    def post(
        self,
        body: str | bytes,
        content_type: str,
        *,
        timestamp: str | int | None = None,
        signature: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Response:
        """POST a body signed like Slack does (or with the given timestamp/signature)."""
        raw = body.encode() if isinstance(body, str) else body
        timestamp = str(int(self.clock()) if timestamp is None else timestamp)
        if signature is None:
            signature = self._verifier.generate_signature(timestamp=timestamp, body=raw)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        started = time.perf_counter()
        status, reply_headers, text = self._deliver(raw, headers)
        response = Response(status, reply_headers, text, elapsed=time.perf_counter() - started,
                            body=raw, content_type=content_type)
        self._after_request()
        return response

    def get(self, path: str, *, query: str = "", headers: dict[str, str] | None = None
            ) -> Response:
        """A browser's GET of one of the app's pages (/slack/install, /slack/oauth_redirect)."""
        started = time.perf_counter()
        status, reply_headers, text = self._fetch(path, query, dict(headers or {}))
        response = Response(status, reply_headers, text, elapsed=time.perf_counter() - started)
        self._after_request()
        return response

    def resend(self, response: Response, *, retry_num: int | None = 1) -> Response:
        """Send the very same request again, freshly signed: a Slack retry (with
        X-Slack-Retry-Num) or, with retry_num=None, a double click or double submit."""
        return self.post(response.body, response.content_type, retry_num=retry_num)

    def forge(self, response: Response, change) -> Response:
        """Send an interactive payload again, signed, after `change(payload)` edited it (ids
        of another channel or workspace, say): for testing that handlers check ownership."""
        fields = dict(parse_qsl(response.body.decode()))
        payload = json.loads(fields["payload"])
        payload["trigger_id"] = self.emulator.new_trigger_id(payload["user"]["id"])
        change(payload)
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM)

    def url_verification(self, challenge: str) -> Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body), JSON)

    # ---- the transport ---------------------------------------------------------------------

    def _deliver(self, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Carry a signed POST to the app's /slack/events: (status, headers, text)."""
        raise NotImplementedError

    def _fetch(self, path: str, query: str, headers: dict[str, str]
               ) -> tuple[int, dict[str, str], str]:
        raise NotImplementedError

    def _after_request(self) -> None:
        """Called once the app has answered a request."""

    def _send_command(self, fields: dict, retry_num: int | None) -> Response:
        return self.post(urlencode(fields), FORM, retry_num=retry_num)

    def _send(self, payload: dict, retry_num: int | None) -> Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM, retry_num=retry_num)

    def _send_event(self, envelope: dict, retry_num: int | None, retry_reason: str | None
                    ) -> Response:
        return self.post(json.dumps(envelope), JSON, retry_num=retry_num,
                         retry_reason=retry_reason or "http_timeout")


class SlackDriver(SignedDriver):
    """Over HTTP: signed requests to the app's /slack/events endpoint."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        *,
        api_app_id: str = "A0RUMBO",
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        if not app_url.startswith(("http://", "https://")):
            raise ValueError(f"app_url must be an http(s) URL, not {app_url!r}")
        super().__init__(signing_secret, emulator, api_app_id=api_app_id, clock=clock)
        self.app_url = app_url
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _deliver(self, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        # app_url is checked to be http(s) in __init__
        request = urllib.request.Request(  # noqa: S310
            self.app_url, data=raw, headers=headers, method="POST")
        return self._open(request)

    def _fetch(self, path: str, query: str, headers: dict[str, str]
               ) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(self.app_url)
        url = urlunsplit((parts.scheme, parts.netloc, path, query, ""))
        return self._open(urllib.request.Request(url, headers=headers))  # noqa: S310

    def _open(self, request: urllib.request.Request) -> tuple[int, dict[str, str], str]:
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                status, reply_headers, text = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, text = error.code, error.headers, error.read()
        return status, dict(reply_headers.items()), text.decode("utf-8", "replace")


class AppDriver(SignedDriver):
    """In the test's process: the same signed bodies and headers, as Bolt's adapters hand
    them to the app (`BoltRequest`, `App.dispatch`; the OAuth flow's pages for a GET).
    `after_request` runs once the app has answered each request (a test's hook to run the
    work the app left for after its ack)."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        emulator: SlackEmulator,
        *,
        api_app_id: str = "A0RUMBO",
        clock: Callable[[], float] = time.time,
        after_request: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(signing_secret, emulator, api_app_id=api_app_id, clock=clock)
        self.app = app
        self.after_request = after_request

    def _deliver(self, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return _answer(self.app.dispatch(BoltRequest(body=raw.decode(), headers=dict(headers))))

    def _fetch(self, path: str, query: str, headers: dict[str, str]
               ) -> tuple[int, dict[str, str], str]:
        flow = self.app.oauth_flow
        request = BoltRequest(body="", query=query, headers=dict(headers))
        if flow is not None and path == flow.install_path:
            return _answer(flow.handle_installation(request))
        if flow is not None and path == flow.redirect_uri_path:
            return _answer(flow.handle_callback(request))
        return _answer(BoltResponse(status=404, body="Not Found"))

    def _after_request(self) -> None:
        if self.after_request is not None:
            self.after_request()


def _answer(response: BoltResponse) -> tuple[int, dict[str, str], str]:
    """A BoltResponse as an HTTP client sees it: one value per header, the body as text."""
    headers = {name: ", ".join(values) if name != "set-cookie" else values[0]
               for name, values in response.headers.items()}
    return response.status, headers, response.body


class SocketDriver(Driver):
    """Over Socket Mode: the same payloads, as envelopes the emulator's Socket Mode server
    delivers to the app's open connection; the ack's payload is the answer."""

    def __init__(
        self,
        emulator: SlackEmulator,
        *,
        api_app_id: str = "A0RUMBO",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(emulator, api_app_id=api_app_id, clock=clock)
        self.server = emulator.socket_mode

    def resend(self, response: Response, *, retry_num: int = 1,
               retry_reason: str = "timeout") -> Response:
        """Deliver the same envelope's payload again with retry_attempt: what Slack does
        when it got no ack (a connection lost before the ack came through)."""
        if response.envelope_id is None:
            raise ValueError("that response came from no Socket Mode envelope")
        return _acked(self.server.redeliver(response.envelope_id, retry_attempt=retry_num,
                                            retry_reason=retry_reason))

    # ---- the transport ---------------------------------------------------------------------

    def _send_command(self, fields: dict, retry_num: int | None) -> Response:
        return _acked(self.server.deliver("slash_commands", fields, retry_attempt=retry_num))

    def _send(self, payload: dict, retry_num: int | None) -> Response:
        return _acked(self.server.deliver("interactive", payload, retry_attempt=retry_num))

    def _send_event(self, envelope: dict, retry_num: int | None, retry_reason: str | None
                    ) -> Response:
        return _acked(self.server.deliver("events_api", envelope, retry_attempt=retry_num,
                                          retry_reason=retry_reason))


def _acked(ack: Ack) -> Response:
    """A Socket Mode ack as a Response; status 504 when none came in time (the emulator
    recorded a violation; Slack shows the user an error)."""
    envelope = ack.envelope
    if ack.elapsed is None:
        return Response(504, {}, "", envelope_id=envelope["envelope_id"],
                        content_type=envelope["type"])
    text = json.dumps(ack.payload) if ack.payload else ""
    return Response(200, {"Content-Type": JSON} if text else {}, text, elapsed=ack.elapsed,
                    body=json.dumps(envelope["payload"]).encode(),
                    content_type=envelope["type"], envelope_id=envelope["envelope_id"])


def view_state(view: dict, values: dict[str, Any] | None = None, *, strict: bool = True
               ) -> dict:
    """`view.state.values` as Slack builds it from the input blocks.

    `values` maps block_id to a plain value; other inputs keep their initial value.
    With strict, raise ValueError where Slack's client would refuse to submit.
    """
    values = dict(values or {})
    state = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        block_id, element = block["block_id"], block["element"]
        kind = element.get("type", "")
        key = _state_key(kind)
        given = values.pop(block_id, _UNSET)
        if given is _UNSET:
            chosen = element.get(INITIAL_KEYS.get(key, "initial_value"))
        elif key == "selected_option":
            chosen = None if given is None else _option(element, given)
        elif key == "selected_options":
            chosen = [_option(element, v) for v in given or []]
        elif key == "rich_text_value" and isinstance(given, str):
            chosen = {"type": "rich_text", "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": given}]}]}
        elif key == "value" and given is not None:
            chosen = str(given)
        else:
            chosen = given
        if chosen == "":
            chosen = None
        if chosen is None and key in LIST_KEYS:
            chosen = []
        if strict:
            _check_input(block, element, chosen)
        entry = {"type": kind, key: chosen}
        if kind == "timepicker" and element.get("timezone"):
            entry["timezone"] = element["timezone"]
        state[block_id] = {element.get("action_id"): entry}
    if strict and values:
        raise ValueError(f"the view has no input blocks {sorted(values)}; "
                         f"its inputs are {sorted(state)}")
    return state


def _check_input(block: dict, element: dict, chosen: Any) -> None:
    """Raise ValueError where Slack's client would keep the user from submitting."""
    block_id = block["block_id"]
    if not block.get("optional") and chosen in (None, []):
        raise ValueError(f"Slack would not submit: required input {block_id!r} is empty")
    if element.get("type") == "plain_text_input" and isinstance(chosen, str):
        low, high = element.get("min_length", 0), element.get("max_length", 3000)
        if not low <= len(chosen) <= high:
            raise ValueError(f"Slack would not submit: input {block_id!r} must be "
                             f"{low} to {high} characters, got {len(chosen)}")


def _state_key(kind: str) -> str:
    if kind in SINGLE_OPTION:
        return "selected_option"
    if kind in MULTI_OPTION:
        return "selected_options"
    return SELECTED_KEYS.get(kind, "value")


def _options(element: dict) -> list[dict]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: dict, value: Any) -> dict:
    for option in _options(element):
        if option.get("value") == value:
            return option
    known = [o.get("value") for o in _options(element)]
    raise LookupError(f"{element.get('action_id')!r} has no option {value!r}; options: {known}")


def _elements(block: dict) -> list[dict]:
    if block.get("type") == "actions":
        return list(block.get("elements") or [])
    return [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]


def _element(blocks: list, action_id: str, value: str | None, selected: Any = None
             ) -> tuple[dict, dict]:
    """`_find_element`, which raises LookupError when there is none."""
    found = _find_element(blocks, action_id, value, selected)
    if found is None:
        raise AssertionError("unreachable: _find_element raises when not quiet")
    return found


def _find_element(blocks: list, action_id: str, value: str | None, selected: Any = None, *,
                  quiet: bool = False) -> tuple[dict, dict] | None:
    """The element with that action_id (and button value; or, for menus sharing an
    action_id, the one offering the `selected` option)."""
    for block in blocks:
        for element in _elements(block):
            if element.get("action_id") != action_id or value not in (None, element.get("value")):
                continue
            offered = [o.get("value") for o in _options(element)]
            if isinstance(selected, str) and offered and selected not in offered:
                continue
            return block, element
    if quiet:
        return None
    seen = sorted({str(e.get("action_id")) for b in blocks for e in _elements(b)
                   if e.get("action_id")})
    raise LookupError(f"no element with action_id {action_id!r}"
                      + (f" and value {value!r}" if value else "") + f"; action_ids: {seen}")


def _find_message(messages: list[dict], ts: str | None, action_id: str, value: str | None,
                  selected: Any,
                  what: str) -> tuple[dict, dict, dict]:
    candidates = [m for m in messages if ts in (None, m["ts"])]
    for message in reversed(candidates):
        found = _find_element(message.get("blocks") or [], action_id, value, selected,
                              quiet=True)
        if found:
            return message, *found
    where = f"{what} {ts}" if ts else f"any {what} of the {len(messages)} there"
    raise LookupError(f"no element with action_id {action_id!r}"
                      + (f" and value {value!r}" if value else "") + f" in {where}")


def _action(block: dict, element: dict, selected: Any, action_ts: str) -> dict:
    kind = element.get("type", "")
    action = {"type": kind, "action_id": element.get("action_id"),
              "block_id": block.get("block_id"), "action_ts": action_ts}
    key = _state_key(kind)
    if kind == "button":
        action["text"] = element.get("text")
        action.update({k: element[k] for k in ("value", "style") if k in element})
    elif selected is None:
        raise ValueError(f"pass selected= to pick a value in the {kind} {action['action_id']!r}")
    elif key == "selected_option":
        action[key] = _option(element, selected)
    elif key == "selected_options":
        action[key] = [_option(element, v) for v in selected]
    else:
        action[key] = selected
    return action
