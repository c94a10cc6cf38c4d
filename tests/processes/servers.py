"""Real `rumbo serve`, `rumbo socket` and `rumbo worker` processes against the Slack
emulator, for the tests that need a process: crashes, several instances, Socket Mode,
serving over HTTP."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from bot.outbox.ticks import TICK_NAME
from tests.inprocess import BOT_TOKEN, SIGNING_SECRET

LEASE = "1"  # seconds a dead process's delivery waits before another process takes it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningServer(NamedTuple):
    url: str
    pid: int


class Rumbo:
    """One `rumbo serve` (gunicorn's master and worker; or `command`: socket, worker) in a
    process group of its own, so a test can kill the whole tree at once and start another
    on the same database.

    `command="server"` starts what `rumbo serve` becomes once it has checked the settings
    and migrated the database (it execs `python -m bot.platform.server`): the same process
    tree, a second sooner, for tests that restart it often on a database migrated already
    (crashes, several instances). `rumbo serve` itself: tests/processes/test_serve.py."""

    def __init__(self, *, api_url: str, database_url: str, log_path, scheduler: bool = False,
                 env: dict | None = None, command: str = "serve"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.command = command
        self.env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.env.pop("SLACK_APP_TOKEN", None)
        no_scheduler = [] if scheduler else ["--no-scheduler"]
        if command == "server":
            self.args = [sys.executable, "-m", "bot.platform.server", "127.0.0.1",
                         str(self.port), *no_scheduler]
        else:
            self.args = [sys.executable, "-m", "bot.platform.cli", command]
        if command == "serve":
            self.args += ["--host", "127.0.0.1", "--port", str(self.port), *no_scheduler]
        self.process = None

    def start(self) -> "Rumbo":
        return self.launch().ready()

    def launch(self) -> "Rumbo":
        """Start the process and return at once (start several, then wait for each)."""
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(self.args, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def ready(self) -> "Rumbo":
        """Wait until `rumbo serve` answers /healthz (other commands have nothing to ask)."""
        if self.command in ("serve", "server"):
            _wait_healthy(self.url, self.process, self.log_path)
        return self

    def kill(self, signum=signal.SIGKILL) -> None:
        """Send `signum` to the whole process tree (SIGKILL: an OOM kill, a node gone)."""
        os.killpg(self.process.pid, signum)
        self.process.wait(timeout=30)

    def end(self) -> None:
        """A test's teardown: the whole tree killed at once, if it still runs (no test reads
        anything from a clean stop there; `stop` is the clean one)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextmanager
def running_rumbo(*, api_url: str, database_url: str, log_path, scheduler: bool = False,
                  env: dict | None = None):
    rumbo = Rumbo(api_url=api_url, database_url=database_url, log_path=log_path,
                  scheduler=scheduler, env=env).start()
    try:
        yield RunningServer(rumbo.url, rumbo.process.pid)
    finally:
        rumbo.stop()


def start_socket_mode(*, app_token: str, connected, api_url: str, database_url: str, log_path,
                      env: dict | None = None, timeout: float = 30) -> Rumbo:
    """Start `rumbo socket` with the app-level token; return it once `connected()` says the
    emulator's Socket Mode server holds its connection (there is no /healthz to wait on)."""
    rumbo = Rumbo(api_url=api_url, database_url=database_url, log_path=log_path, env=env,
                  command="socket")
    rumbo.env["SLACK_APP_TOKEN"] = app_token
    rumbo.start()
    deadline = time.monotonic() + timeout
    while not connected():
        if rumbo.process.poll() is not None:
            raise RuntimeError(f"rumbo socket exited: {_tail(log_path)}")
        if time.monotonic() > deadline:
            rumbo.kill()
            raise RuntimeError(f"rumbo socket did not connect: {_tail(log_path)}")
        time.sleep(0.05)  # polling the start-up, not timing anything
    return rumbo


PASS_DONE = f'Job "{TICK_NAME}'  # APScheduler's line when a pass of the outbox ended


def passes(log_path) -> int:
    """How many passes of the outbox (scheduler ticks) the processes writing `log_path`
    have finished, as APScheduler logs them."""
    path = Path(log_path)
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines()
               if PASS_DONE in line and "executed successfully" in line)


def wait_for_pass(log_path, *, more_than: int, timeout: float = 30) -> None:
    """Block until the processes writing `log_path` finished a pass of the outbox after the
    `more_than` they had: what a due delivery needs to have been looked at once more."""
    deadline = time.monotonic() + timeout
    while passes(log_path) <= more_than:
        if time.monotonic() > deadline:
            raise AssertionError(f"no pass of the outbox in {timeout}s: {_tail(log_path)}")
        time.sleep(0.05)  # polling the log for the event, not timing anything


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
