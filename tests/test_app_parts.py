"""Small parts of the app with rules of their own."""

import threading

from bot.app import RetryGuard
from bot.listeners.common import Debouncer


def test_retry_guard_keys():
    assert RetryGuard.key({"event_id": "Ev1", "type": "event_callback"}) == "Ev1"
    assert RetryGuard.key({"trigger_id": "T1", "command": "/plan"}) == "T1"
    # Submissions are re-validated instead: an answer of errors must come back again.
    assert RetryGuard.key({"type": "view_submission", "trigger_id": "T2"}) is None


def test_retry_guard_remembers_within_its_size():
    guard = RetryGuard(size=2)
    assert guard.first_time("a") and not guard.first_time("a")
    assert guard.first_time("b") and guard.first_time("c")
    assert guard.first_time("a")  # forgotten: the oldest went first


def test_debouncer_folds_a_burst_into_one_run_and_never_overlaps():
    debouncer = Debouncer(delay=0.05)
    runs, started, release, done = [], threading.Event(), threading.Event(), threading.Event()

    def job():
        runs.append(len(runs))
        if len(runs) == 1:
            started.set()
            release.wait(5)
        else:
            done.set()

    for _ in range(10):
        debouncer.request("card", job)
    assert started.wait(5)
    # Requests while the first run is busy fold into exactly one more run, after it.
    for _ in range(10):
        debouncer.request("card", job)
    release.set()
    assert done.wait(5)
    assert runs == [0, 1]


def test_debouncer_keys_are_independent():
    debouncer = Debouncer(delay=0.01)
    finished = {key: threading.Event() for key in ("a", "b")}
    for key, event in finished.items():
        debouncer.request(key, event.set)
    assert all(event.wait(5) for event in finished.values())
