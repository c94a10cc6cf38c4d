"""The real Background: the work after an ack on a pool, delayed work handed to it by one
timer thread, each with the context (the request's ids) it was asked from."""

import contextvars
import threading

from bot.platform.deps import Background

REQUEST = contextvars.ContextVar("request", default=None)


def test_delayed_work_runs_in_order_on_the_pool_with_its_context_and_one_timer_thread():
    background = Background(threads=2)
    done: list[tuple[str, str | None, str]] = []
    both = threading.Event()

    def job(name):
        def run():
            done.append((name, REQUEST.get(), threading.current_thread().name))
            if len(done) == 3:
                both.set()
        return run

    def timers():
        return {t for t in threading.enumerate() if t.name == "rumbo-timer"}

    before = timers()
    REQUEST.set("first request")
    background.run_in(0.3, job("later"))
    REQUEST.set("second request")
    background.run_in(0.05, job("sooner"))
    background.run_in(0.1, job("between"))
    started = timers() - before

    assert both.wait(timeout=10)
    assert [(name, request) for name, request, _thread in done] == [
        ("sooner", "second request"), ("between", "second request"),
        ("later", "first request")]
    assert all(thread.startswith("rumbo-after") for _name, _request, thread in done)
    assert len(started) == 1  # one for all three delays
    background.shutdown()
