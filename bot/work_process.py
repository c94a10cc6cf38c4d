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
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_bolt.util.utils import get_name_for_callable

log = logging.getLogger("rumbo")

WORK_THREADS = 4  # the work is mostly waiting on Slack and the database
WORK_NICENESS = 10
WATCH_SECONDS = 1
STOP = None


class WorkProcessRunner(LazyListenerRunner):
    """Bolt's lazy listener runner, sending each call to the work process.

    Calls wait in an in-process queue and a feeder thread hands them over a pipe, so an
    ack never blocks. A watchdog starts a new work process if the old one dies; the pipe
    then refuses what the feeder sends, and the feeder keeps it for the new process (only
    a call the dead process had already taken is lost). A pipe, not a multiprocessing
    Queue: a process killed while reading a Queue can leave its lock taken forever."""

    def __init__(self, settings_values: dict):
        self.logger = log
        self._settings_values = settings_values
        self._context = multiprocessing.get_context("spawn")
        self._outbox: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._stopping = False
        self._start_process()
        threading.Thread(target=self._feed, name="rumbo-work-feeder", daemon=True).start()
        threading.Thread(target=self._watch, name="rumbo-work-watchdog", daemon=True).start()
        atexit.register(self.stop)

    def start(self, function, request: BoltRequest) -> None:
        headers = {key: list(values) for key, values in request.headers.items()}
        headers["x-slack-bolt-lazy-only"] = ["1"]
        headers["x-slack-bolt-lazy-function-name"] = [get_name_for_callable(function)]
        self._outbox.put((request.raw_body, headers))

    def _start_process(self) -> None:
        reader, self._pipe = self._context.Pipe(duplex=False)
        self._process = self._context.Process(
            target=work, args=(self._settings_values, reader), name="rumbo-work",
            daemon=True)
        self._process.start()
        reader.close()  # only the work process reads, so a dead one breaks the pipe

    def _feed(self) -> None:
        while True:
            item = self._outbox.get()
            while True:
                try:
                    with self._lock:
                        self._pipe.send(item)
                    break
                except OSError:  # the work process died: the watchdog starts another
                    time.sleep(WATCH_SECONDS / 4)
            if item is STOP:
                return

    def _watch(self) -> None:
        while True:
            time.sleep(WATCH_SECONDS)
            with self._lock:
                if self._stopping:
                    return
                if not self._process.is_alive():
                    log.error("the work process stopped (exit code %s); starting a new one",
                              self._process.exitcode)
                    self._start_process()

    def stop(self, timeout: float = 20) -> None:
        """Let the work process finish what it was given, then stop it."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        self._outbox.put(STOP)
        self._process.join(timeout)


def hand_work_to_process(app: App, settings) -> None:
    """Make `app` send its lazy listener calls to a work process."""
    runner = app.listener_runner
    runner.lazy_listener_runner = WorkProcessRunner(settings.model_dump())
    # Bolt deep-copies every request for its lazy-listener threads; the work process reads
    # the raw body again, so the copy would be pure cost: measured at a third of the
    # acknowledgement's CPU time (benchmarks/serve_latency.py). Pass the request as is.
    runner._build_lazy_request = lambda request, _function_name: request


def work(settings_values: dict, pipe) -> None:
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
        while True:
            try:
                item = pipe.recv()
            except EOFError:  # the serving process is gone
                return
            if item is STOP:
                return
            body, headers = item
            pool.submit(app.dispatch, BoltRequest(body=body, headers=headers))
