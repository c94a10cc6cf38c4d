"""The in-process harness itself (tests/inprocess.py): the fake clock, and the Deferred
background that runs the work after the acks when a test settles it."""

import contextvars
from datetime import UTC, datetime, timedelta

import pytest

from tests.inprocess import Deferred, FakeClock

T0 = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)


def test_the_fake_clock_stands_still_until_moved():
    clock = FakeClock(T0)
    assert clock() == clock() == T0
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5) == clock()
    assert FakeClock().now.tzinfo is not None  # the real now, timezone-aware
    with pytest.raises(ValueError):
        FakeClock(datetime(2027, 2, 1, 10, 0))


def test_settle_runs_jobs_in_due_order_moving_the_clock_to_each_delayed_one():
    clock = FakeClock(T0)
    later = Deferred(clock)
    ran = []
    later.run_in(2, lambda: ran.append(("two seconds", clock())))
    later.run(lambda: ran.append(("now", clock())))
    later.run_in(1, lambda: ran.append(("a second", clock())))
    assert ran == [] and later.pending() == 3  # nothing runs by itself
    assert later.settle() == 3
    assert ran == [("now", T0), ("a second", T0 + timedelta(seconds=1)),
                   ("two seconds", T0 + timedelta(seconds=2))]
    assert later.pending() == 0 and later.settle() == 0


def test_what_a_job_queues_runs_in_the_same_settle_and_the_clock_never_goes_back():
    clock = FakeClock(T0)
    later = Deferred(clock)
    ran = []

    def first():
        ran.append("first")
        later.run_in(1, lambda: ran.append(("again", clock())))  # a redraw a second later

    later.run_in(1, first)
    clock.advance(timedelta(seconds=5))  # the test moved the clock past it meanwhile
    assert later.settle() == 2
    assert ran == ["first", ("again", T0 + timedelta(seconds=6))]


def test_a_job_runs_in_the_context_of_the_request_that_queued_it():
    request = contextvars.ContextVar("request", default=None)
    later = Deferred(FakeClock(T0))
    request.set("the request's ids")
    seen = []
    later.run(lambda: seen.append(request.get()))
    request.set(None)
    later.settle()
    assert seen == ["the request's ids"]


def test_a_failing_job_fails_the_settle_and_a_job_that_never_stops_queueing_too():
    later = Deferred(FakeClock(T0))
    later.run(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        later.settle()

    def forever():
        later.run_in(1, forever)

    later.run(forever)
    with pytest.raises(RuntimeError, match="more keep coming"):
        later.settle()
