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


def test_clean_drops_control_characters_and_keeps_the_rest():
    from bot.blocks.state import clean

    assert clean("a\x00b\x07c\x1b[0m\x7f") == "abc[0m"
    assert clean("one\r\ntwo\rthree\tfour\n") == "one\ntwo\nthree\tfour\n"
    assert clean("שלום 👋 ñ") == "שלום 👋 ñ"


def test_fit_never_cuts_an_escape_sequence():
    from bot.blocks.text import escape, fit

    text = escape("&" * 1000)
    cut = fit(text, 3000)
    assert len(cut) <= 3000 and cut.endswith("&amp;…")
    assert fit("short", 3000) == "short"
