"""The scheduler's retention pass (bot/outbox/ticks.py), with the injected clock: the
idempotency keys of processed requests are forgotten a week after the request, not before,
so a retry or a late second submit is still recognised while it can come."""

from datetime import timedelta

from sqlmodel import select

from bot.outbox.ticks import KEYS_KEPT, retention_pass
from storage.models import Idea, ProcessedRequest
from tests.scenario import AM, count, create_plan, db, setup_channel

RETENTION = timedelta(days=30)


def keys(slack) -> set[str]:
    with db(slack) as session:
        return {row.key for row in session.exec(select(ProcessedRequest))}


def test_the_retention_pass_forgets_request_keys_a_week_old(slack):
    setup_channel(slack, "C0KEYS")
    create_plan(slack, "C0KEYS", "Keys Co")
    created = slack.clock.now
    slack.clock.advance(timedelta(days=2))
    idea = slack.driver.command(AM, "C0KEYS", "idea Call the CFO")
    assert f"cmd:{idea.trigger_id}" in keys(slack)
    plan_key = keys(slack) - {f"cmd:{idea.trigger_id}"}
    assert plan_key and all(k.startswith("view:") for k in plan_key)

    # Six days on, both are kept: the command's retry is still recognised.
    retention_pass(slack.engine, now=created + KEYS_KEPT - timedelta(minutes=1),
                   retention=RETENTION)
    assert keys(slack) >= plan_key | {f"cmd:{idea.trigger_id}"}
    slack.driver.resend(idea)
    assert count(slack, Idea, text="Call the CFO") == 1

    # A week after the plan's submission its key goes; the idea's, two days younger, stays.
    retention_pass(slack.engine, now=created + KEYS_KEPT + timedelta(minutes=1),
                   retention=RETENTION)
    assert keys(slack) == {f"cmd:{idea.trigger_id}"}
    retention_pass(slack.engine, now=created + timedelta(days=2) + KEYS_KEPT
                   + timedelta(minutes=1), retention=RETENTION)
    assert keys(slack) == set()
