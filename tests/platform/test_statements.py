"""What the commonest requests cost the database before their ack, counted (never timed):
the issue's ceilings on SQL statements, which a change to a hot path must not creep past.
The work after the ack (card redraws, notes) is not counted here; benchmarks/statements.py
prints both."""

import pytest
from sqlalchemy import event

from tests.scenario import AM, TEAMMATE, create_plan, setup_channel, start_session

CHANNEL = "C0COUNT"


@pytest.fixture
def counted(slack):
    """The slack fixture, with `acked` listing the statements of the last request's ack."""
    setup_channel(slack, CHANNEL)
    create_plan(slack, CHANNEL, "Count Co", language="en")
    start_session(slack, CHANNEL)
    slack.driver.command(TEAMMATE, CHANNEL, "help")  # their language is known from now on
    statements: list[str] = []
    settle = slack.driver.after_request

    def after_the_ack():
        slack.acked = [s for s in statements if s.split()[0] not in ("BEGIN", "COMMIT")]
        settle()
        statements.clear()

    def note(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(slack.engine, "before_cursor_execute", note)
    slack.driver.after_request = after_the_ack
    yield slack
    event.remove(slack.engine, "before_cursor_execute", note)


def test_help_reads_the_channel_once(counted):
    counted.driver.command(TEAMMATE, CHANNEL, "help")
    assert len(counted.acked) <= 1, counted.acked


def test_an_idea_is_stored_in_two_statements_and_the_commit(counted):
    """The idea (which finds the channel's plan and session, and returns what the answer
    shows), the key."""
    counted.driver.command(AM, CHANNEL, "idea Counted")
    assert len(counted.acked) <= 2, counted.acked
    assert any(s.startswith("INSERT INTO idea") for s in counted.acked)


def test_answers_are_stored_in_three_statements_and_the_commit(counted):
    """One INSERT for the answers, one for the ideas (each finds its session and plan
    itself), the key."""
    counted.driver.click(TEAMMATE, "session_add_answers", channel_id=CHANNEL)
    counted.driver.submit(TEAMMATE, {"q1": "An answer", "ideas_realistic": "An idea"})
    assert len(counted.acked) <= 3, counted.acked
    assert [s.split()[2] for s in counted.acked if s.startswith("INSERT")][:2] == [
        "answer", "idea"]


def test_a_one_click_score_is_stored_in_two_statements_and_the_commit(counted):
    """The score (which finds its round, idea and plan, and marks the card), the key."""
    counted.driver.command(AM, CHANNEL, "idea To score")
    counted.driver.command(AM, CHANNEL, "score")
    counted.driver.click(TEAMMATE, "round_score_3", channel_id=CHANNEL)
    assert len(counted.acked) <= 2, counted.acked
    assert any(s.startswith("INSERT INTO evaluation") for s in counted.acked)
