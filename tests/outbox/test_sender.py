"""The outbox's sender (bot/outbox/sender.py) with an injected clock (never sleeping for real
time): restarts, downtime catch-up, two dispatchers, Slack's rate limits and failures,
leases taken over without posting twice. SQLite and PostgreSQL, the Web API emulator.
What each capability schedules: tests/<capability>/test_deliveries.py."""

import threading
from datetime import UTC, date, datetime, timedelta

from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlmodel import select

from bot.outbox.sender import Sender
from bot.platform.slack import make_client
from bot.reviews.deliveries import schedule_missing
from storage import outbox, plans
from storage.db import make_engine, new_session
from storage.models import Delivery, Plan
from storage.outbox import LEASE
from tests.factories import dispatcher, madrid, new_plan, posts
from tests.inprocess import FakeClock

FACILITATOR = "U1"  # the web_api fixture's user


def test_restart_with_pending_deliveries_sends_them_once(engine, web_api):
    with new_session(engine) as db:
        new_plan(db)
    clock = FakeClock(madrid(date(2027, 3, 1)))
    assert dispatcher(engine, web_api, clock).run_once() == 0
    # The process stops; the next one starts after the reminder was due.
    clock.now = madrid(date(2027, 3, 29), 9, 5)
    assert dispatcher(engine, web_api, clock).run_once() == 1
    assert dispatcher(engine, web_api, clock).run_once() == 0
    assert len(posts(web_api)) == 1


def test_a_long_outage_collapses_into_one_message(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
    clock = FakeClock(madrid(date(2027, 4, 12)))  # down since before the first reminder
    assert dispatcher(engine, web_api, clock).run_once() == 1
    assert "overdue by 7 days" in posts(web_api)[-1].params["text"]
    with new_session(engine) as db:
        statuses = sorted(d.status for d in db.exec(select(Delivery).where(
            Delivery.plan_id == plan.id, Delivery.kind.startswith("review"))))
    assert statuses == ["pending"] + ["sent"] + ["skipped"] * 4


def test_two_dispatchers_send_each_delivery_once(engine, web_api):
    with new_session(engine) as db:
        for channel in ("C1", "C2", "C3"):
            web_api.add_channel(channel, channel.lower(), members=[FACILITATOR])
            new_plan(db, channel=channel)
    clock = FakeClock(madrid(date(2027, 3, 29)))
    # Two schedulers as two processes would have them: separate engines and connections.
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(2)]
    runners = [dispatcher(e, web_api, clock) for e in engines]
    barrier = threading.Barrier(2)
    sent = []

    def run(runner):
        barrier.wait()
        for _ in range(5):
            sent.append(runner.run_once())

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for e in engines:
        e.dispose()
    assert sum(sent) == 3
    assert sorted(c.params["channel"] for c in web_api.calls_to("chat.postMessage")) == [
        "C1", "C2", "C3"]


def test_rate_limits_are_honoured(engine, web_api):
    with new_session(engine) as db:
        new_plan(db)
    web_api.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    clock = FakeClock(madrid(date(2027, 3, 29)))
    client = make_client(token="xoxb-test", base_url=web_api.api_url)
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers)
    assert Sender(engine, client, clock).run_once() == 1
    calls = web_api.calls_to("chat.postMessage")
    assert [c.http_status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1  # waited for Retry-After


def test_a_failed_delivery_is_retried_with_backoff_never_dropped(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
    web_api.fail_next("chat.postMessage", http_status=500, times=3)  # beyond the client's retries
    clock = FakeClock(madrid(date(2027, 3, 29)))
    run = dispatcher(engine, web_api, clock)
    for handler in run.clients(None).retry_handlers:  # the client's retries, without their
        handler.interval_calculator = FixedValueRetryIntervalCalculator(0)  # backoff sleeps
    assert run.run_once() == 0
    assert len(web_api.calls_to("chat.postMessage")) == 3  # the client tried three times
    with new_session(engine) as db:
        failed = db.exec(select(Delivery).where(Delivery.plan_id == plan.id,
                                                Delivery.key.endswith("ahead:7"))).one()
    assert failed.status == "pending" and failed.next_attempt_at > clock.now
    assert failed.last_error
    assert run.run_once() == 0  # not before its backoff
    clock.now = failed.next_attempt_at
    assert run.run_once() == 1
    assert len(posts(web_api)) == 1


def test_an_archived_channel_pauses_nudges_and_tells_the_facilitators_once(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
    web_api.add_channel("C1", "acme", members=[FACILITATOR], is_archived=True)
    clock = FakeClock(madrid(date(2027, 3, 29)))
    run = dispatcher(engine, web_api, clock)
    assert run.run_once() == 0
    dms = [c for c in web_api.calls_to("chat.postMessage") if c.params["channel"] == FACILITATOR]
    assert len(dms) == 1 and "paused" in dms[0].params["text"]
    tried = len(web_api.calls_to("chat.postMessage"))
    for day in (date(2027, 4, 4), date(2027, 4, 5), date(2027, 4, 8)):
        clock.now = madrid(day)
        run.run_once()
    assert len(web_api.calls_to("chat.postMessage")) == tried  # no retry storm
    # Back in the channel: resumed, the latest relevant reminder goes out, once.
    web_api.add_channel("C1", "acme", members=[FACILITATOR])
    with new_session(engine) as db:
        outbox.resume_plan(db, plan=db.get(Plan, plan.id))
        db.commit()
    assert run.run_once() == 1
    assert "overdue" in posts(web_api)[-1].params["text"]


def claimed_by_a_process_that_died(engine) -> Delivery:
    """The first reminder, claimed (with a lease) just now by a process that then died.
    Just now, by the emulator's clock too: a takeover reads the channel's history since."""
    with new_session(engine) as db:
        first = min(outbox.pending_for(db, plan=new_plan(db)), key=lambda d: d.due_at)
        assert outbox.claim(db, delivery=first, now=datetime.now(UTC), lease=LEASE)
        return db.get(Delivery, first.id)


def test_a_claim_whose_process_died_is_taken_over_after_its_lease(engine, web_api, caplog):
    claimed = claimed_by_a_process_that_died(engine)
    clock = FakeClock(claimed.claimed_at + LEASE - timedelta(seconds=1))
    assert dispatcher(engine, web_api, clock).run_once() == 0  # still held
    clock.now = claimed.claimed_at + LEASE + timedelta(seconds=1)
    assert dispatcher(engine, web_api, clock).run_once() == 1
    assert "taking over" in caplog.text
    assert dispatcher(engine, web_api, clock).run_once() == 0
    posted = posts(web_api)
    assert len(posted) == 1
    assert posted[0].params["metadata"]["event_payload"] == {"key": claimed.key, "part": 0}
    with new_session(engine) as db:
        assert db.get(Delivery, claimed.id).status == "sent"


def test_a_takeover_does_not_post_again_what_the_dead_process_posted(engine, web_api):
    claimed = claimed_by_a_process_that_died(engine)
    # It died after Slack took its message, before it could write that down.
    client = make_client(token="xoxb-test", base_url=web_api.api_url)
    client.chat_postMessage(channel="C1", text="the reminder", metadata={
        "event_type": "rumbo_delivery", "event_payload": {"key": claimed.key, "part": 0}})
    clock = FakeClock(claimed.claimed_at + LEASE + timedelta(seconds=1))
    assert dispatcher(engine, web_api, clock).run_once() == 1
    assert len(posts(web_api)) == 1  # the one the dead process posted
    history = web_api.calls_to("conversations.history")
    assert history and history[0].params["include_all_metadata"] in (True, "true", "1")
    with new_session(engine) as db:
        done = db.get(Delivery, claimed.id)
        assert done.status == "sent" and done.parts_done == 1


def test_a_takeover_does_not_send_again_a_direct_message_the_dead_process_sent(engine, web_api):
    from bot.outbox.schedule import Planned
    from storage.models import Initiative, Objective

    with new_session(engine) as db:
        plan = new_plan(db)
        category = plans.categories(db, plan=plan)[0]
        objective = Objective(team_id=plan.team_id, plan_id=plan.id, category_id=category.id,
                              statement="Faster onboarding", target="A week",
                              measure="Days", horizon="medium", created_by=FACILITATOR)
        db.add(objective)
        db.flush()
        item = Initiative(team_id=plan.team_id, plan_id=plan.id, objective_id=objective.id,
                          title="Welcome pack", target="Sent", measure="Packs",
                          owner_id=FACILITATOR, due_date=date(2027, 3, 1),
                          created_by=FACILITATOR)
        db.add(item)
        db.flush()
        key = f"deadline:{plan.id}:{item.id}:2027-03-01:owner"
        now = datetime.now(UTC)
        outbox.schedule(db, plan=plan, planned=[Planned(
            key, "deadline_owner", now, {"initiative_id": item.id, "due": "2027-03-01"})])
        db.commit()
        reminder = outbox.by_key(db, plan=plan, key=key)
        assert outbox.claim(db, delivery=reminder, now=now, lease=LEASE)
        claimed_at = db.get(Delivery, reminder.id).claimed_at
    # The owner got the reminder; the process died before it could write that down.
    client = make_client(token="xoxb-test", base_url=web_api.api_url)
    client.chat_postMessage(channel=FACILITATOR, text="Welcome pack is due", metadata={
        "event_type": "rumbo_delivery", "event_payload": {"key": key, "part": 0}})
    clock = FakeClock(claimed_at + LEASE + timedelta(seconds=1))
    assert dispatcher(engine, web_api, clock).run_once() == 1
    direct = [c for c in web_api.calls_to("chat.postMessage") if c.params["channel"] == FACILITATOR]
    assert len(direct) == 1  # the one the dead process sent
    assert web_api.calls_to("conversations.open") and web_api.calls_to("conversations.history")
    with new_session(engine) as db:
        assert db.get(Delivery, reminder.id).status == "sent"


def test_a_plan_from_before_check_ins_gets_them_when_a_process_starts(engine, web_api):
    with new_session(engine) as db:
        plan = new_plan(db)
        # As a plan made by an older Rumbo: no check-in was ever scheduled for it.
        for delivery in outbox.pending_for(db, plan=plan):
            if delivery.key.startswith("checkin:"):
                db.delete(delivery)
        db.commit()
    now = datetime(2027, 1, 2, tzinfo=UTC)
    assert schedule_missing(engine, now) == 1
    with new_session(engine) as db:
        keys = [d.key for d in outbox.pending_for(db, plan=db.get(Plan, plan.id))]
    assert any(k.startswith(f"checkin:{plan.id}:") for k in keys)
    assert schedule_missing(engine, now) == 0  # up to date now
