"""Small parts of the app with rules of their own."""

from bot.app import RetryGuard


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
