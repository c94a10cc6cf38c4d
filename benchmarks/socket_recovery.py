"""How long a lost Socket Mode connection costs: the client `rumbo socket` runs (or, with
`--builtin`, slack_sdk's builtin one, what Bolt's default adapter runs) against the
emulator's loopback Socket Mode server, which asks for a reconnect (`disconnect`), resets
the connection, closes it with a FIN, or leaves it silent (half-open). Prints, for each,
the seconds until a new connection is up and the CPU seconds this process spent meanwhile
(the builtin client spins on a FIN). Run by hand, never in CI:

    .venv/bin/python -m benchmarks.socket_recovery [--rounds 3] [--builtin [--ping 2]]
"""

import argparse
import logging
import statistics
import time

from slack_sdk import WebClient
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.devslack import SlackEmulator

APP_TOKEN = "xapp-1-A0RUMBO-1-bench"  # noqa: S105 (a fake app-level token)
LOSSES = {
    "disconnect": lambda server: server.disconnect("refresh_requested"),
    "reset": lambda server: server.drop(),
    "fin": lambda server: server.drop(reset=False),
    "silence": lambda server: server.silence(),
}


def make_client(args, web_client):
    if args.builtin:
        from slack_sdk.socket_mode.builtin import SocketModeClient

        return SocketModeClient(app_token=APP_TOKEN, web_client=web_client,
                                ping_interval=args.ping)
    from bot.platform.socket_mode import PongTimingSocketModeClient

    return PongTimingSocketModeClient(app_token=APP_TOKEN, web_client=web_client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--builtin", action="store_true", help="slack_sdk's builtin client")
    parser.add_argument("--ping", type=float, default=10, help="its ping interval (Bolt: 10)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the clients log every loss as an error
    seconds: dict[str, list[float]] = {loss: [] for loss in LOSSES}
    cpu: dict[str, list[float]] = {loss: [] for loss in LOSSES}
    with SlackEmulator(app_token=APP_TOKEN) as emulator:
        server = emulator.socket_mode
        client = make_client(args, WebClient(base_url=emulator.api_url))
        client.socket_mode_request_listeners.append(
            lambda c, request: c.send_socket_mode_response(
                SocketModeResponse(envelope_id=request.envelope_id)))
        client.connect()
        server.wait_connected()
        for _ in range(args.rounds):
            for loss, lose in LOSSES.items():
                before = server.opened
                started, cpu_started = time.monotonic(), time.process_time()
                lose(server)
                server.wait_connected(newer_than=before, timeout=120)
                seconds[loss].append(time.monotonic() - started)
                cpu[loss].append(time.process_time() - cpu_started)
                assert server.deliver("slash_commands", {"text": loss}).elapsed is not None
        opens = len(emulator.calls_to("apps.connections.open"))
        client.auto_reconnect_enabled = False
        server.drop()
    name = f"builtin, {args.ping:g} s pings" if args.builtin else "rumbo socket's"
    print(f"{name} client, {args.rounds} rounds; {opens} URLs for "
          f"{server.opened} connections")
    for loss in LOSSES:
        print(f"  {loss:<10} new connection after {statistics.median(seconds[loss]):5.2f} s "
              f"(max {max(seconds[loss]):5.2f}), CPU {statistics.median(cpu[loss]):5.2f} s")


if __name__ == "__main__":
    main()
