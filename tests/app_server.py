"""Run the real `rumbo serve` against the Slack emulator, for end-to-end tests."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from typing import NamedTuple

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer(NamedTuple):
    url: str
    pid: int


@contextmanager
def running_rumbo(*, api_url: str, database_url: str, log_path, scheduler: bool = False):
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    env.pop("SLACK_APP_TOKEN", None)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), *([] if scheduler else ["--no-scheduler"])],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, process, log_path)
            yield RunningServer(base, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_healthy(base: str, process, log_path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rumbo serve exited: {_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as reply:  # noqa: S310
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # polling the server start-up, not timing anything
    raise RuntimeError(f"rumbo serve did not become healthy: {_tail(log_path)}")


def _tail(path) -> str:
    with open(path) as log:
        return log.read()[-2000:]
