"""Slow work after the ack, in a process of its own.

Bolt runs lazy listeners on threads of the process that answers Slack; under load that
work takes the interpreter lock from the request threads, and acknowledgements slow down.
`rumbo serve` therefore hands each lazy listener call to a child process, the way Bolt's
own FaaS adapters do: the request is re-dispatched there with Bolt's lazy-only headers, so
the same listener code runs. The child runs at a lower CPU priority, so acknowledgements
come first and the work catches up right after a burst.
"""

import atexit
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.util.utils import get_name_for_callable

log = logging.getLogger("rumbo")

WORK_THREADS = 4  # the work is mostly waiting on Slack and the database
WORK_NICENESS = 10
STOP = None


class WorkProcessRunner(LazyListenerRunner):
    """Bolt's lazy listener runner, sending each call to the work process."""

    def __init__(self, settings_values: dict):
        self.logger = log
        self._settings_values = settings_values
        self._context = multiprocessing.get_context("spawn")
        self._queue = self._context.Queue()
        self._process = None
        self._checked = 0.0
        self._lock = threading.Lock()
        atexit.register(self.stop)

    def start(self, function, request: BoltRequest) -> None:
        headers = {key: list(values) for key, values in request.headers.items()}
        headers["x-slack-bolt-lazy-only"] = ["1"]
        headers["x-slack-bolt-lazy-function-name"] = [get_name_for_callable(function)]
        self._ensure_running()
        self._queue.put((request.raw_body, headers))

    def _ensure_running(self) -> None:
        # Checking on the process costs a system call: do it at most once a second.
        now = time.monotonic()
        if self._process is not None and now - self._checked < 1:
            return
        with self._lock:
            self._checked = now
            if self._process is not None and self._process.is_alive():
                return
            if self._process is not None:
                log.error("the work process stopped (exit code %s); starting a new one",
                          self._process.exitcode)
            self._process = self._context.Process(
                target=work, args=(self._settings_values, self._queue), name="rumbo-work",
                daemon=True)
            self._process.start()

    def stop(self, timeout: float = 20) -> None:
        """Let the work process finish what it was given, then stop it."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                return
            self._queue.put(STOP)
            self._process.join(timeout)


def hand_work_to_process(app: App, settings) -> None:
    """Make `app` send its lazy listener calls to a work process."""
    runner = app.listener_runner
    runner.lazy_listener_runner = WorkProcessRunner(settings.model_dump())
    # Bolt deep-copies every request for its lazy-listener threads; the work process reads
    # the raw body again, so the copy would be pure cost: measured at a third of the
    # acknowledgement's CPU time (benchmarks/serve_latency.py). Pass the request as is.
    runner._build_lazy_request = lambda request, _function_name: request


def work(settings_values: dict, queue) -> None:
    """The work process: dispatch lazy-only requests to a Rumbo app of its own."""
    from bot.app import create_app
    from bot.settings import Settings
    from storage.db import make_engine

    os.nice(WORK_NICENESS)
    settings = Settings(**settings_values)
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s[work]: %(message)s")
    # The requests come from our own queue, already verified when they arrived; a
    # backlog may be older than the signature's five minutes.
    app = create_app(settings, make_engine(settings.database_url), verify_requests=False)
    with ThreadPoolExecutor(WORK_THREADS, thread_name_prefix="work") as pool:
        while (item := queue.get()) is not STOP:
            body, headers = item
            pool.submit(app.dispatch, BoltRequest(body=body, headers=headers))
