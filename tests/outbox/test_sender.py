"""Scheduled nudges with an injected clock (never sleeping for real time): reminders
ahead, at and overdue, DST, restarts, downtime catch-up, two dispatchers, Slack failures.
Runs on SQLite and PostgreSQL against the Web API emulator."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlmodel import select

from bot.devslack import SlackEmulator
from bot.outbox.sender import LEASE, Dispatcher
from bot.platform.slack import make_client
from bot.reviews.deliveries import review_held
from bot.reviews.rules import local_moment, review_reminders
from bot.sessions.deliveries import cancel_session_timers, schedule_session_timers
from bot.sessions.rules import warning_lead
from storage import outbox, plans, sessions
from storage.db import make_engine, new_session
from storage.models import Delivery, Plan, StrategySession
from tests.factories import new_plan
from tests.inprocess import FakeClock

FACILITATOR = "U1"


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        emulator.add_user(FACILITATOR, "ana")
        emulator.add_channel("C1", "acme", members=[FACILITATOR])
        yield emulator


def dispatcher(engine, slack, clock):
    return Dispatcher(engine, make_client(token="xoxb-test", base_url=slack.api_url), clock)


def posts(slack, channel="C1"):
    return [c for c in slack.calls_to("chat.postMessage")
            if c.params["channel"] == channel and c.http_status == 200 and c.response["ok"]]


def madrid(day, hour=9, minute=0):
    return local_moment(day, time(hour, minute), "Europe/Madrid")


def test_review_reminders_ahead_at_and_overdue(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
    assert plan.next_review_on == date(2027, 4, 5)  # quarterly, on the review Monday
    clock = FakeClock(madrid(date(2027, 3, 29)) - timedelta(minutes=1))
    run = dispatcher(engine, slack, clock)
    assert run.run_once() == 0
    expected = [(date(2027, 3, 29), "in 7 days"), (date(2027, 4, 4), "in 1 day"),
                (date(2027, 4, 5), "time to review"), (date(2027, 4, 8), "overdue by 3 days"),
                (date(2027, 4, 11), "overdue by 6 days"), (date(2027, 4, 14), "overdue by 9")]
    for number, (day, words) in enumerate(expected, 1):
        clock.now = madrid(day)
        assert run.run_once() == 1
        assert run.run_once() == 0  # the same tick twice sends nothing more
        assert len(posts(slack)) == number
        assert words in posts(slack)[-1].params["text"]
        assert "review_start" in str(posts(slack)[-1].params["blocks"])
    clock.now = madrid(date(2027, 5, 1))
    assert run.run_once() == 0  # at most 3 overdue nudges


@pytest.mark.parametrize(
    ("timezone", "before", "after"),
    [("Europe/Madrid", 8, 7),  # CET → CEST on 2027-03-28: 09:00 local stays 09:00
     ("America/Mexico_City", 15, 15)],  # no daylight saving since 2022
)
def test_review_time_stays_local_across_dst(engine, timezone, before, after):
    with new_session(engine) as db:
        plan = new_plan(db, timezone=timezone, start_date=date(2026, 12, 28))
    planned = {(p.kind, p.payload.get("days")): p.due_at
               for p in review_reminders(plan, date(2027, 3, 29))}
    assert planned[("review_ahead", 7)].hour == before  # Monday 22 March
    assert planned[("review_due", None)].hour == after  # Monday 29 March


def test_a_quarterly_review_on_the_31st_stays_on_month_ends(engine):
    with new_session(engine) as db:
        plan = new_plan(db, start_date=date(2027, 1, 31), review_weekday=6,
                        period="perpetual", end_date=None)
    from bot.reviews.rules import review_dates

    dates = []
    after = plan.start_date
    for _ in range(4):
        after = review_dates(plan, after=after)
        dates.append(after)
    # Apr 30, Jul 31, Oct 31, Jan 31 (never drifting to the 30th), then the Sunday on or
    # after each.
    assert dates == [date(2027, 5, 2), date(2027, 8, 1), date(2027, 10, 31), date(2028, 2, 6)]


def test_restart_with_pending_deliveries_sends_them_once(engine, slack):
    with new_session(engine) as db:
        new_plan(db)
    clock = FakeClock(madrid(date(2027, 3, 1)))
    assert dispatcher(engine, slack, clock).run_once() == 0
    # The process stops; the next one starts after the reminder was due.
    clock.now = madrid(date(2027, 3, 29), 9, 5)
    assert dispatcher(engine, slack, clock).run_once() == 1
    assert dispatcher(engine, slack, clock).run_once() == 0
    assert len(posts(slack)) == 1


def test_a_long_outage_collapses_into_one_message(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
    clock = FakeClock(madrid(date(2027, 4, 12)))  # down since before the first reminder
    assert dispatcher(engine, slack, clock).run_once() == 1
    assert "overdue by 7 days" in posts(slack)[-1].params["text"]
    with new_session(engine) as db:
        statuses = sorted(d.status for d in db.exec(select(Delivery).where(
            Delivery.plan_id == plan.id, Delivery.kind.startswith("review"))))
    assert statuses == ["pending"] + ["sent"] + ["skipped"] * 4


def test_two_dispatchers_send_each_delivery_once(engine, slack):
    with new_session(engine) as db:
        for channel in ("C1", "C2", "C3"):
            slack.add_channel(channel, channel.lower(), members=[FACILITATOR])
            new_plan(db, channel=channel)
    clock = FakeClock(madrid(date(2027, 3, 29)))
    # Two schedulers as two processes would have them: separate engines and connections.
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(2)]
    runners = [dispatcher(e, slack, clock) for e in engines]
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
    assert sorted(c.params["channel"] for c in slack.calls_to("chat.postMessage")) == [
        "C1", "C2", "C3"]


def test_rate_limits_are_honoured(engine, slack):
    with new_session(engine) as db:
        new_plan(db)
    slack.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    clock = FakeClock(madrid(date(2027, 3, 29)))
    client = make_client(token="xoxb-test", base_url=slack.api_url)
    assert any(isinstance(h, RateLimitErrorRetryHandler) for h in client.retry_handlers)
    assert Dispatcher(engine, client, clock).run_once() == 1
    calls = slack.calls_to("chat.postMessage")
    assert [c.http_status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1  # waited for Retry-After


def test_a_failed_delivery_is_retried_with_backoff_never_dropped(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
    slack.fail_next("chat.postMessage", http_status=500, times=3)  # beyond the client's retries
    clock = FakeClock(madrid(date(2027, 3, 29)))
    run = dispatcher(engine, slack, clock)
    assert run.run_once() == 0
    with new_session(engine) as db:
        failed = db.exec(select(Delivery).where(Delivery.plan_id == plan.id,
                                                Delivery.key.endswith("ahead:7"))).one()
    assert failed.status == "pending" and failed.next_attempt_at > clock.now
    assert failed.last_error
    assert run.run_once() == 0  # not before its backoff
    clock.now = failed.next_attempt_at
    assert run.run_once() == 1
    assert len(posts(slack)) == 1


def test_an_archived_channel_pauses_nudges_and_tells_the_facilitators_once(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
    slack.add_channel("C1", "acme", members=[FACILITATOR], is_archived=True)
    clock = FakeClock(madrid(date(2027, 3, 29)))
    run = dispatcher(engine, slack, clock)
    assert run.run_once() == 0
    dms = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == FACILITATOR]
    assert len(dms) == 1 and "paused" in dms[0].params["text"]
    tried = len(slack.calls_to("chat.postMessage"))
    for day in (date(2027, 4, 4), date(2027, 4, 5), date(2027, 4, 8)):
        clock.now = madrid(day)
        run.run_once()
    assert len(slack.calls_to("chat.postMessage")) == tried  # no retry storm
    # Back in the channel: resumed, the latest relevant reminder goes out, once.
    slack.add_channel("C1", "acme", members=[FACILITATOR])
    with new_session(engine) as db:
        outbox.resume_plan(db, plan=db.get(Plan, plan.id))
        db.commit()
    assert run.run_once() == 1
    assert "overdue" in posts(slack)[-1].params["text"]


def test_holding_a_review_cancels_its_reminders_and_schedules_the_next(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
        review_held(db, plan=plan, due=date(2027, 4, 5), now=madrid(date(2027, 4, 1)))
        db.commit()
        assert plan.next_review_on == date(2027, 7, 5)
    clock = FakeClock(madrid(date(2027, 4, 8)))
    assert dispatcher(engine, slack, clock).run_once() == 0  # no overdue nudge
    clock.now = madrid(date(2027, 6, 28))
    assert dispatcher(engine, slack, clock).run_once() == 1
    assert "in 7 days" in posts(slack)[-1].params["text"]


def test_session_timers(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
        start = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
        strategy_session = sessions.start_session(db, plan=plan, user_id=FACILITATOR, now=start,
                                                 ends_at=start + timedelta(minutes=90))
        schedule_session_timers(db, plan=plan, strategy_session=strategy_session)
        db.commit()
    clock = FakeClock(start + timedelta(minutes=80))
    run = dispatcher(engine, slack, clock)
    assert run.run_once() == 1 and "10 minutes left" in posts(slack)[-1].params["text"]
    clock.now = start + timedelta(minutes=90)
    assert run.run_once() == 1 and "Time is up" in posts(slack)[-1].params["text"]

    # A session ended early takes its timers with it.
    with new_session(engine) as db:
        plan = db.get(Plan, plan.id)
        first = db.get(StrategySession, strategy_session.id)
        sessions.end_session(db, strategy_session=first, user_id=FACILITATOR, now=clock.now)
        second = sessions.start_session(db, plan=plan, user_id=FACILITATOR, now=clock.now,
                                       ends_at=clock.now + timedelta(minutes=30))
        schedule_session_timers(db, plan=plan, strategy_session=second)
        sessions.end_session(db, strategy_session=second, user_id=FACILITATOR, now=clock.now)
        cancel_session_timers(db, plan=plan, strategy_session=second)
        db.commit()
    clock.now += timedelta(minutes=40)
    assert run.run_once() == 0  # an ended session's timers are gone


def test_a_short_sessions_warning_fits_its_length(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
        start = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)
        short = sessions.start_session(db, plan=plan, user_id=FACILITATOR, now=start,
                                      ends_at=start + timedelta(minutes=5))
        schedule_session_timers(db, plan=plan, strategy_session=short)
        db.commit()
    clock = FakeClock(start + timedelta(seconds=10))
    run = dispatcher(engine, slack, clock)
    assert run.run_once() == 0  # not "10 minutes left" at once
    clock.now = start + timedelta(minutes=4)
    assert run.run_once() == 1 and "1 minute left" in posts(slack)[-1].params["text"]
    assert [warning_lead(timedelta(minutes=m)).total_seconds() / 60
            for m in (5, 20, 49, 50, 90)] == [1, 4, 9, 10, 10]


def test_monthly_progress_summaries(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db, summary_frequency="monthly")

    def upcoming():
        with new_session(engine) as db:
            return [d.key for d in outbox.pending_for(db, plan=db.get(Plan, plan.id))
                    if d.kind == "summary"]

    clock = FakeClock(madrid(date(2027, 2, 1)))
    run = dispatcher(engine, slack, clock)
    assert run.run_once() == 1
    assert "Progress" in posts(slack)[-1].params["text"]
    assert upcoming() == [f"summary:{plan.id}:2027-03-01"]
    # Down for all of March: that summary is stale, skipped, and April's is scheduled.
    clock.now = madrid(date(2027, 3, 20))
    assert run.run_once() == 0  # nothing else is due yet
    assert upcoming() == [f"summary:{plan.id}:2027-04-01"]


def claimed_by_a_process_that_died(engine) -> Delivery:
    """The first reminder, claimed (with a lease) just now by a process that then died.
    Just now, by the emulator's clock too: a takeover reads the channel's history since."""
    with new_session(engine) as db:
        first = min(outbox.pending_for(db, plan=new_plan(db)), key=lambda d: d.due_at)
        assert outbox.claim(db, delivery=first, now=datetime.now(UTC), lease=LEASE)
        return db.get(Delivery, first.id)


def test_a_claim_whose_process_died_is_taken_over_after_its_lease(engine, slack, caplog):
    claimed = claimed_by_a_process_that_died(engine)
    clock = FakeClock(claimed.claimed_at + LEASE - timedelta(seconds=1))
    assert dispatcher(engine, slack, clock).run_once() == 0  # still held
    clock.now = claimed.claimed_at + LEASE + timedelta(seconds=1)
    assert dispatcher(engine, slack, clock).run_once() == 1
    assert "taking over" in caplog.text
    assert dispatcher(engine, slack, clock).run_once() == 0
    posted = posts(slack)
    assert len(posted) == 1
    assert posted[0].params["metadata"]["event_payload"] == {"key": claimed.key, "part": 0}
    with new_session(engine) as db:
        assert db.get(Delivery, claimed.id).status == "sent"


def test_a_takeover_does_not_post_again_what_the_dead_process_posted(engine, slack):
    claimed = claimed_by_a_process_that_died(engine)
    # It died after Slack took its message, before it could write that down.
    client = make_client(token="xoxb-test", base_url=slack.api_url)
    client.chat_postMessage(channel="C1", text="the reminder", metadata={
        "event_type": "rumbo_delivery", "event_payload": {"key": claimed.key, "part": 0}})
    clock = FakeClock(claimed.claimed_at + LEASE + timedelta(seconds=1))
    assert dispatcher(engine, slack, clock).run_once() == 1
    assert len(posts(slack)) == 1  # the one the dead process posted
    history = slack.calls_to("conversations.history")
    assert history and history[0].params["include_all_metadata"] in (True, "true", "1")
    with new_session(engine) as db:
        done = db.get(Delivery, claimed.id)
        assert done.status == "sent" and done.parts_done == 1


def test_a_takeover_does_not_send_again_a_direct_message_the_dead_process_sent(engine, slack):
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
        key = f"deadline:{plan.id}:{item.id}:2027-03-01"
        now = datetime.now(UTC)
        outbox.schedule(db, plan=plan, planned=[Planned(
            key, "deadline", now, {"initiative_id": item.id, "due": "2027-03-01"})])
        db.commit()
        reminder = outbox.by_key(db, plan=plan, key=key)
        assert outbox.claim(db, delivery=reminder, now=now, lease=LEASE)
        claimed_at = db.get(Delivery, reminder.id).claimed_at
    # The owner got the reminder; the process died before it could write that down.
    client = make_client(token="xoxb-test", base_url=slack.api_url)
    client.chat_postMessage(channel=FACILITATOR, text="Welcome pack is due", metadata={
        "event_type": "rumbo_delivery", "event_payload": {"key": key, "part": 0}})
    clock = FakeClock(claimed_at + LEASE + timedelta(seconds=1))
    assert dispatcher(engine, slack, clock).run_once() == 1
    direct = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == FACILITATOR]
    assert len(direct) == 1  # the one the dead process sent
    assert slack.calls_to("conversations.open") and slack.calls_to("conversations.history")
    with new_session(engine) as db:
        assert db.get(Delivery, reminder.id).status == "sent"


def test_a_plan_from_before_check_ins_gets_them_when_a_process_starts(engine, slack):
    with new_session(engine) as db:
        plan = new_plan(db)
        # As a plan made by an older Rumbo: no check-in was ever scheduled for it.
        for delivery in outbox.pending_for(db, plan=plan):
            if delivery.key.startswith("checkin:"):
                db.delete(delivery)
        db.commit()
    run = dispatcher(engine, slack, FakeClock(datetime(2027, 1, 2, tzinfo=UTC)))
    assert run.schedule_missing() == 1
    with new_session(engine) as db:
        keys = [d.key for d in outbox.pending_for(db, plan=db.get(Plan, plan.id))]
    assert any(k.startswith(f"checkin:{plan.id}:") for k in keys)
    assert run.schedule_missing() == 0  # up to date now
