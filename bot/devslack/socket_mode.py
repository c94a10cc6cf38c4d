"""Slack's side of Socket Mode, on loopback: the websocket server `apps.connections.open`
points the app at.

The app connects to the URL the emulator's `apps.connections.open` gave it and is greeted
with `hello`. A test delivers envelopes (`deliver`) and gets the app's ack back; it can ask
for a reconnect (`disconnect`), cut every connection as a network reset or a FIN does
(`drop`), or leave it half-open and silent (`silence`), and deliver an envelope again after
it (`redeliver`), as Slack does when an ack is lost. Between the app and the websocket
server is a wire of our own (`_Wire`), the network, which a test can cut or freeze.
Envelopes not acknowledged within 3 seconds, and acks that break the protocol, are
recorded in `emulator.violations`.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

if TYPE_CHECKING:
    from bot.devslack.emulator import SlackEmulator

ACK_TIMEOUT = 3.0  # seconds Slack waits for an envelope's ack
RECONNECT_TIMEOUT = 15.0  # long enough for a client to notice a silent connection
DEBUG_HOST = "applink-devslack"
# Interactive payloads whose ack may carry an answer (a response_action, options).
ANSWERED_INTERACTIONS = ("view_submission", "block_suggestion")


@dataclass
class Ack:
    """The app's answer to one envelope."""

    envelope: dict  # as it was delivered
    payload: dict | None  # what the app put in its ack, if anything
    elapsed: float | None  # seconds from sending the envelope to its ack; None: no ack in time
    link: int  # the number of the connection the envelope went out on (0: none was open)


class _Wire:
    """The network under one connection: bytes relayed both ways between the app's socket
    and the websocket server's, which a test cuts (a reset or a FIN, no close frame) or
    freezes (half-open: nothing read from the app any more, its pings unanswered, its
    socket left open, as when a NAT or a mobile network forgets a connection)."""

    def __init__(self, app_side: socket.socket, slack_side: socket.socket) -> None:
        self.app_side, self.slack_side = app_side, slack_side
        self.frozen = False
        self._open = 2  # directions still relaying; the sockets close after the last
        self._lock = threading.Lock()

    def start(self) -> None:
        for source, sink in ((self.app_side, self.slack_side), (self.slack_side, self.app_side)):
            threading.Thread(target=self._relay, args=(source, sink), daemon=True,
                             name="slack-socket-mode-wire").start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.frozen:  # lost in the network; and nothing is read after it
                    return
                sink.sendall(data)
            with contextlib.suppress(OSError):  # a FIN: passed on
                sink.shutdown(socket.SHUT_WR)
        except OSError:  # a reset, or a side closed: the other side is reset too
            self.cut(reset=True)
            return
        with self._lock:
            self._open -= 1
            done = self._open == 0
        if done:
            self.cut(reset=False)

    def freeze(self) -> None:
        self.frozen = True

    def cut(self, *, reset: bool) -> None:
        """Close both sides at once: with reset, a TCP reset (linger 0, no FIN before it);
        else a FIN. Shutting the reading side first wakes a relay blocked in recv, which
        would otherwise hold the socket open."""
        for side in (self.app_side, self.slack_side):
            with contextlib.suppress(OSError):  # closed already
                if reset:
                    side.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    side.shutdown(socket.SHUT_RD)
                else:
                    side.shutdown(socket.SHUT_RDWR)
            side.close()


@dataclass
class _Link:
    number: int
    ws: ServerConnection
    wire: _Wire
    draining: bool = False  # told to disconnect: Slack sends it nothing more
    silent: bool = False  # its wire frozen: what Slack sends there is lost
    cut: bool = False  # its wire cut by a test (a reset or a FIN)


class SocketModeServer:
    def __init__(self, emulator: SlackEmulator, *, ack_timeout: float = ACK_TIMEOUT) -> None:
        self.emulator = emulator
        self.ack_timeout = ack_timeout
        self.acks: list[Ack] = []
        self.envelopes: list[dict] = []  # every envelope delivered, in order
        self.opened = 0  # connections greeted so far; each gets the next number
        self.refusing = False  # a test's outage: every handshake answered 503
        self._cond = threading.Condition()  # guards the state below
        self._tickets: set[str] = set()
        self._links: dict[int, _Link] = {}  # open connections by number
        self._sent: dict[str, tuple[float, int]] = {}  # envelope id -> (sent at, link)
        self._acked: dict[str, Ack] = {}
        self._wires: dict[int, _Wire] = {}  # by the local port of the wire's server side
        self._server: Server | None = None
        self._listener: socket.socket | None = None  # the wire's end the app connects to
        self._threads: list[threading.Thread] = []
        self.port = 0

    # ---- serving ---------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        # No server pings: the app's client pings, and pongs are answered by websockets.
        self._server = serve(self._handle, "127.0.0.1", 0, process_request=self._check_ticket,
                             ping_interval=None, compression=None)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="slack-socket-mode",
                             daemon=True),
            threading.Thread(target=self._accept,
                             args=(self._listener, self._server.socket.getsockname()[:2]),
                             name="slack-socket-mode-accept", daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
            self._listener.close()
            self._listener = None
        if self._server is not None:
            with self._cond:
                wires = list(self._wires.values())
            for wire in wires:  # handlers end at once
                wire.cut(reset=True)
            self._server.shutdown()
            self._server = None
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _accept(self, listener: socket.socket, upstream: tuple[str, int]) -> None:
        """Each connection the app opens gets a wire to the websocket server (`upstream`)."""
        while True:
            try:
                app_side, _ = listener.accept()
            except OSError:  # stopped
                return
            slack_side = socket.create_connection(upstream)
            wire = _Wire(app_side, slack_side)
            with self._cond:
                self._wires[slack_side.getsockname()[1]] = wire
            wire.start()

    def new_url(self) -> str:
        """A URL for one connection, as `apps.connections.open` gives: its ticket works once."""
        ticket = secrets.token_hex(8)
        with self._cond:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.emulator.app_id}"

    # ---- connections -----------------------------------------------------------------------

    def live(self) -> list[int]:
        """The numbers of the open connections Slack would deliver to."""
        with self._cond:
            return [n for n, link in self._links.items() if not link.draining]

    def wait_connected(self, *, newer_than: int = 0, timeout: float = RECONNECT_TIMEOUT) -> int:
        """Block until an open connection numbered above `newer_than` exists, and every one
        told to disconnect is closed; its number. After a disconnect or a drop, pass the
        `opened` count from before it. (The builtin client starts reading its new connection
        only once it has closed the old one, up to 3 s later: what Slack sends there in
        between waits.)"""
        def ready() -> int | None:
            draining = any(link.draining for link in self._links.values())
            return None if draining else self._newest(newer_than)

        with self._cond:
            number = self._cond.wait_for(ready, timeout)
            if number is None:
                raise AssertionError(f"waited {timeout}s for a Socket Mode connection after "
                                     f"number {newer_than}; {self.opened} opened so far")
            return number

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every open connection to go away, as Slack does before it rotates a server
        (refresh_requested), or when the app has too many (too_many_websockets) or Socket
        Mode was turned off (link_disabled). The client must open a new one by itself."""
        message = json.dumps({"type": "disconnect", "reason": reason,
                              "debug_info": {"host": DEBUG_HOST}})
        with self._cond:  # (a silenced one would lose the message: it never closes)
            links = [link for link in self._links.values()
                     if not (link.draining or link.silent)]
            for link in links:
                link.draining = True
        for link in links:
            with contextlib.suppress(ConnectionClosed):  # gone already: nothing to ask
                link.ws.send(message)

    def drop(self, *, reset: bool = True) -> None:
        """Cut every open connection with no disconnect message and no closing handshake: as
        a network reset does (a TCP reset), or with reset=False as a proxy that closes the
        TCP connection under the websocket does (a FIN)."""
        with self._cond:
            links = list(self._links.values())
            for link in links:
                link.cut = True
        for link in links:
            link.wire.cut(reset=reset)

    def silence(self) -> None:
        """Leave every open connection half-open, as when a NAT or a mobile network forgets
        it and tells neither side: nothing the app sends is read any more, its pings go
        unanswered, what Slack sends there is lost, and the socket stays open. Slack still
        counts it open (it delivers to the newest connection, so to a new one as soon as
        the app has opened it); only the app's own pings can tell. An envelope lost there
        gets no ack, and no violation: the network lost it, not the app."""
        with self._cond:
            links = [link for link in self._links.values() if not link.draining]
            for link in links:
                link.silent = True
                link.wire.freeze()

    # ---- envelopes -------------------------------------------------------------------------

    def deliver(
        self,
        kind: str,
        payload: dict,
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> Ack:
        """Send one envelope (kind: slash_commands, interactive or events_api) to one open
        connection and wait for its ack. With no ack in 3 s, a violation is recorded and
        the Ack returned has no elapsed time."""
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()), "type": kind, "payload": payload,
            "accepts_response_payload": kind == "slash_commands" or (
                kind == "interactive" and payload.get("type") in ANSWERED_INTERACTIONS),
        }
        if kind == "events_api" or retry_attempt is not None:  # events always say it
            envelope.update(retry_attempt=retry_attempt or 0, retry_reason=retry_reason or "")
        return self._send_and_wait(envelope)

    def redeliver(self, envelope_id: str, *, retry_attempt: int = 1,
                  retry_reason: str = "timeout") -> Ack:
        """Deliver an envelope again, as Slack does when it did not get the ack: the same
        payload under a new envelope id."""
        with self._cond:
            first = next((e for e in self.envelopes if e["envelope_id"] == envelope_id), None)
        if first is None:
            raise LookupError(f"no envelope {envelope_id} was delivered")
        return self.deliver(first["type"], first["payload"], retry_attempt=retry_attempt,
                            retry_reason=retry_reason)

    def _send_and_wait(self, envelope: dict) -> Ack:
        envelope_id, kind = envelope["envelope_id"], envelope["type"]
        deadline = time.monotonic() + self.ack_timeout
        with self._cond:
            self.envelopes.append(envelope)
        while True:
            with self._cond:
                # Slack picks one connection; here the newest, so that tests are repeatable.
                self._cond.wait_for(lambda: self._newest(0), deadline - time.monotonic())
                link = self._links.get(self._newest(0) or 0)
                if link is not None:
                    self._sent[envelope_id] = (time.monotonic(), link.number)
            if link is None:
                self._violation(f"{kind} envelope {envelope_id}: no open connection to "
                                f"deliver it to within {self.ack_timeout:g} s")
                return Ack(envelope, None, None, 0)
            try:
                link.ws.send(json.dumps(envelope))
                break
            except ConnectionClosed:  # it went away as we sent: try another
                with self._cond:
                    self._links.pop(link.number, None)
        with self._cond:
            acked = self._cond.wait_for(lambda: envelope_id in self._acked,
                                        deadline - time.monotonic())
            ack = self._acked.get(envelope_id)
            lost = link.silent or link.cut  # by the network, not by the app
        if (not acked or ack is None) and lost:
            return Ack(envelope, None, None, link.number)
        if not acked or ack is None:
            self._violation(f"{kind} envelope {envelope_id} not acknowledged within "
                            f"{self.ack_timeout:g} s")
            return Ack(envelope, None, None, link.number)
        return ack

    # ---- the connection handler (one thread per connection) -------------------------------

    def _check_ticket(self, connection: ServerConnection, request):
        query = dict(parse_qsl(urlsplit(request.path).query))
        if self.refusing:
            return connection.respond(503, "Slack is having trouble\n")
        with self._cond:
            ticket = query.get("ticket", "")
            if urlsplit(request.path).path.rstrip("/") == "/link" and ticket in self._tickets:
                self._tickets.discard(ticket)  # a ticket opens one connection
                return None
        return connection.respond(403, "invalid or used ticket: call apps.connections.open\n")

    def _handle(self, ws: ServerConnection) -> None:
        with self._cond:
            self.opened += 1
            wire_key = ws.remote_address[1]
            link = _Link(self.opened, ws, self._wires[wire_key])
            hello = {"type": "hello", "num_connections": len(self._links) + 1,
                     "debug_info": {"host": DEBUG_HOST, "build_number": 1,
                                    "approximate_connection_time": 18060},
                     "connection_info": {"app_id": self.emulator.app_id}}
        try:
            ws.send(json.dumps(hello))
            with self._cond:  # envelopes only after the hello
                self._links[link.number] = link
                self._cond.notify_all()
            for message in ws:
                self._receive(message)
        except ConnectionClosed:
            pass  # the app went away, or a test dropped it
        finally:
            with self._cond:
                self._links.pop(link.number, None)
                self._wires.pop(wire_key, None)
                self._cond.notify_all()
            link.wire.cut(reset=False)

    def _receive(self, message: str | bytes) -> None:
        try:
            ack = json.loads(message)
        except ValueError:
            ack = None
        if not isinstance(ack, dict) or not isinstance(ack.get("envelope_id"), str):
            self._violation(f"the app sent something that is not an ack: {message[:200]!r}")
            return
        envelope_id, payload = ack["envelope_id"], ack.get("payload")
        with self._cond:
            problem = self._record_ack(envelope_id, payload)
        if problem:
            self._violation(problem)

    def _record_ack(self, envelope_id: str, payload: dict | None) -> str | None:
        """Keep the ack (lock held); what is wrong with it, if anything."""
        envelope = next((e for e in self.envelopes if e["envelope_id"] == envelope_id), None)
        if envelope is None or envelope_id not in self._sent:
            return f"ack for an envelope never sent: {envelope_id}"
        if envelope_id in self._acked:
            return f"envelope {envelope_id} acknowledged twice"
        sent_at, number = self._sent[envelope_id]
        self._acked[envelope_id] = Ack(envelope, payload, time.monotonic() - sent_at, number)
        self.acks.append(self._acked[envelope_id])
        self._cond.notify_all()
        if payload and not envelope["accepts_response_payload"]:
            return (f"{envelope['type']} envelope {envelope_id}: the ack carries a payload "
                    f"Slack ignores: {json.dumps(payload)[:200]}")
        return None

    # ---- helpers ---------------------------------------------------------------------------

    def _newest(self, newer_than: int) -> int | None:
        """The newest live connection numbered above `newer_than` (lock held)."""
        numbers = [n for n, link in self._links.items() if n > newer_than and not link.draining]
        return max(numbers) if numbers else None

    def _violation(self, problem: str) -> None:
        """Called without the lock: the emulator takes its own, and calls in with it held."""
        self.emulator.record_violation("socket mode", [problem])
