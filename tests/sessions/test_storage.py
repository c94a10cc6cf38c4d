"""Strategy sessions in storage (storage/sessions.py), on SQLite and PostgreSQL: one running
session a plan, contributions kept with author and time and stored once, answers edited
only by their author."""

from datetime import timedelta

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from storage import plans, requests, sessions
from storage.models import Answer, StrategySession
from tests.factories import NOW, contribute, create, once, start


def test_one_running_session_per_plan(db):
    plan = create(db)
    session = start(db, plan)
    with pytest.raises(sessions.SessionAlreadyRunning):
        start(db, plan, key="s2")
    assert sessions.end_session(db, strategy_session=session, user_id="U1", now=NOW)
    assert not sessions.end_session(db, strategy_session=session, user_id="U1", now=NOW)
    db.commit()
    start(db, plan, key="s3")


def test_contributions_keep_author_time_and_are_stored_once(db):
    plan = create(db)
    session = start(db, plan)
    later = NOW + timedelta(minutes=5)
    kwargs = dict(plan=plan, strategy_session=session, user_id="U7", user_team_id="T_GUEST",
                  answers={1: "Going well", 3: "Stop weekly calls"},
                  ideas=[("Self-service portal", "ambitious", None)], now=later)
    once(db, "view:V1", lambda: contribute(db, **kwargs))
    with pytest.raises(requests.DuplicateRequest):
        once(db, "view:V1", lambda: contribute(db, **kwargs))
    answers = sessions.answers_of(db, strategy_session=session)
    assert [(a.question, a.text, a.user_id, a.user_team_id) for a in answers] == [
        (1, "Going well", "U7", "T_GUEST"), (3, "Stop weekly calls", "U7", "T_GUEST")]
    assert answers[0].created_at == later and answers[0].created_at.tzinfo is not None
    assert [i.text for i in sessions.ideas_of(db, plan=plan)] == ["Self-service portal"]
    assert sessions.contributors(db, strategy_session=session) == {"U7": [2, 1]}


def test_contributions_are_stored_only_where_they_belong(db):
    """The INSERTs find their plan and session themselves: a submission naming another
    workspace, another channel, another plan's session or an archived plan stores nothing
    and says so."""
    plan = create(db)
    session = start(db, plan)
    other = create(db, channel="C2", key="k2")
    own = dict(team_id="T1", channel_id="C1", plan_id=plan.id, session_id=session.id,
               user_id="U7", user_team_id=None, answers={1: "Mine"}, ideas=[("Idea", None, 2)],
               now=NOW)
    for wrong in ({"team_id": "T2"}, {"channel_id": "C2"}, {"plan_id": other.id},
                  {"session_id": session.id + 99}, {"plan_id": other.id, "channel_id": "C2"},
                  {"answers": {}, "team_id": "T2"}):
        assert not sessions.add_contributions(db, **(own | wrong)), wrong
        db.rollback()
    assert sessions.add_contributions(db, **(own | {"answers": {}, "session_id": None}))
    assert sessions.add_contributions(db, **own)
    db.commit()
    stored = [(i.text, i.plan_id, i.session_id) for i in sessions.ideas_of(db, plan=plan)]
    assert stored == [("Idea", plan.id, None), ("Idea", plan.id, session.id)]
    assert [a.text for a in sessions.answers_of(db, strategy_session=session)] == ["Mine"]
    assert sessions.ideas_of(db, plan=other) == []
    plans.archive_plan(db, plan=plan, user_id="U1", now=NOW)
    assert not sessions.add_contributions(db, **(own | {"answers": {}, "session_id": None}))


def test_an_idea_typed_in_a_channel_goes_to_its_active_plan_and_running_session(db):
    """`/plan idea`'s INSERT finds the plan and the session and returns what the answer
    shows; in a channel with no active plan (or another workspace's) it stores nothing."""
    def add(channel="C1", team="T1", text="Portal"):
        return sessions.add_idea_here(db, team_id=team, channel_id=channel, user_id="U7",
                                      user_team_id=None, text=text, now=NOW)

    plan = create(db, account_name="Acme & Co", language="en")
    assert add() == (None, "Acme & Co", "en")
    session = start(db, plan)
    assert add(text="In the session") == (session.id, "Acme & Co", "en")
    assert add(team="T2") is None and add(channel="C2") is None
    sessions.end_session(db, strategy_session=session, user_id="U1", now=NOW)
    assert add(text="After it") == (None, "Acme & Co", "en")
    stored = [(i.text, i.session_id, i.plan_id) for i in sessions.ideas_of(db, plan=plan)]
    assert stored == [("Portal", None, plan.id), ("In the session", session.id, plan.id),
                      ("After it", None, plan.id)]
    plans.archive_plan(db, plan=plan, user_id="U1", now=NOW)
    assert add() is None


def test_contributions_mark_their_sessions_card_in_their_own_insert(db, engine):
    """The database marks the card (a trigger): at the first contribution's time, kept by
    the later ones until the card is redrawn; an idea outside a session marks nothing."""
    plan = create(db)
    session = start(db, plan)
    statements = []

    def count(_connection, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    once(db, "view:V1", lambda: contribute(db, plan, session, answers={1: "Going well"},
                                           ideas=[("Portal", None, None)]))
    event.remove(engine, "before_cursor_execute", count)
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)

    def card():
        return db.exec(select(StrategySession.card_dirty_at)
                       .where(StrategySession.id == session.id)).one()

    assert card() == NOW
    once(db, "view:V2", lambda: contribute(db, plan, session, answers={2: "Later"},
                                           now=NOW + timedelta(seconds=3)))
    assert card() == NOW  # marked already: the first mark stands until the redraw
    db.exec(update(StrategySession).values(card_dirty_at=None))
    db.commit()
    once(db, "cmd:T1", lambda: contribute(db, plan, ideas=[("Without a session", None, None)]))
    assert card() is None


def test_editing_answers_only_touches_ones_own_and_hides_emptied(db):
    plan = create(db)
    session = start(db, plan)
    for user in ("U7", "U8"):
        contribute(db, plan, session, user_id=user,
                   answers={1: f"{user} one", 2: f"{user} two"})
    mine = sessions.answers_of(db, strategy_session=session, user_id="U7")
    theirs = sessions.answers_of(db, strategy_session=session, user_id="U8")
    changed = sessions.edit_answers(db, strategy_session=session, user_id="U7", now=NOW, texts={
        mine[0].id: "U7 corrected", mine[1].id: "", theirs[0].id: "hijacked"})
    assert changed == 2
    assert [a.text for a in sessions.answers_of(db, strategy_session=session)] == [
        "U7 corrected", "U8 one", "U8 two"]
    hidden = db.get(Answer, mine[1].id)
    assert hidden.text == "U7 two" and hidden.deleted_at is not None  # kept, only hidden
