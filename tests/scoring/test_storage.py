"""Evaluations, settling and rounds, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from storage import plans, scoring, sessions
from storage.models import Evaluation, Idea, IdeaHistory, ScoringRound
from tests.factories import contribute, create

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def history_of(db, idea):
    """What the idea's history holds, oldest first."""
    return db.exec(select(IdeaHistory).where(IdeaHistory.idea_id == idea.id)
                   .order_by(IdeaHistory.at, IdeaHistory.id)).all()


def plan_with_ideas(db, texts=("Portal", "Dashboard", "Dinner")):
    plan = create(db)
    contribute(db, plan, ideas=[(t, "realistic", 2) for t in texts])
    return plan, sessions.ideas_of(db, plan=plan)


def test_one_evaluation_per_participant_however_often_submitted(db):
    _plan, (idea, *_rest) = plan_with_ideas(db)
    scoring.save_evaluation(db, idea=idea, user_id="U7", user_team_id="T1", now=NOW,
                            values={"score": "2", "pros": "cheap"})
    scoring.save_evaluation(db, idea=idea, user_id="U7", user_team_id="T1", now=NOW,
                            values={"score": "3", "pros": "cheap and quick"})
    scoring.save_evaluation(db, idea=idea, user_id="U8", user_team_id="T1", now=NOW,
                            values={"score": "1"})
    evaluations = scoring.evaluations_of(db, idea=idea)
    assert [(e.user_id, e.score, e.pros) for e in evaluations] == [
        ("U7", "3", "cheap and quick"), ("U8", "1", None)]
    assert len(db.exec(select(Evaluation)).all()) == 2


def test_settling_is_recorded_and_a_stale_settle_is_refused(db):
    _plan, (idea, *_rest) = plan_with_ideas(db)
    seen = idea.version
    scoring.settle(db, idea=idea, score="3", user_id="U1", now=NOW, expected_version=seen)
    assert idea.score == "3" and idea.revealed_at == NOW and idea.version == seen + 1
    # A second facilitator who looked at the idea before the first settled it:
    with pytest.raises(scoring.StaleIdea):
        scoring.settle(db, idea=idea, score="1", user_id="U2", now=NOW, expected_version=seen)
    db.refresh(idea)
    assert idea.score == "3"
    later = NOW + timedelta(days=30)
    scoring.settle(db, idea=idea, score="1", user_id="U2", now=later,
                   expected_version=idea.version, note="budget frozen")
    history = [(h.kind, h.before, h.after, h.user_id, h.note)
               for h in history_of(db, idea)]
    assert history == [("score", None, "3", "U1", None), ("score", "3", "1", "U2",
                                                          "budget frozen")]


def test_edit_and_merge_keep_everything(db):
    plan, (portal, dashboard, _dinner) = plan_with_ideas(db)
    scoring.edit_idea(db, idea=portal, text="Self-service portal", tag="ambitious",
                      user_id="U7", now=NOW, expected_version=portal.version)
    scoring.save_evaluation(db, idea=dashboard, user_id="U8", user_team_id="T1", now=NOW,
                            values={"score": "2"})
    scoring.merge(db, idea=dashboard, into=portal, user_id="U1", now=NOW,
                  expected_version=dashboard.version)
    rows = scoring.idea_rows(db, plan=plan)
    assert [r.idea.text for r in rows] == ["Self-service portal", "Dinner"]
    assert rows[0].merged == 1
    assert db.get(Idea, dashboard.id).merged_into_id == portal.id  # kept, only hidden
    assert len(scoring.evaluations_of(db, idea=dashboard)) == 1
    assert [h.kind for h in history_of(db, portal)] == ["edit"]
    assert history_of(db, portal)[0].before == "realistic|Portal"


def test_idea_lookups_check_workspace_and_channel(db):
    plan, (idea, *_rest) = plan_with_ideas(db)
    assert plans.in_channel(db, Idea, idea.id, team_id="T1", channel_id="C1") == (plan, idea)
    assert plans.in_channel(db, Idea, idea.id, team_id="T2", channel_id="C1") == (None, None)
    assert plans.in_channel(db, Idea, idea.id, team_id="T1", channel_id="C2") == (None, None)
    assert plans.in_channel(db, Idea, 99999, team_id="T1", channel_id="C1") == (None, None)
    plans.archive_plan(db, plan=plan, user_id="U1", now=plan.created_at)
    db.refresh(plan)
    assert plans.in_channel(db, Idea, idea.id, team_id="T1", channel_id="C1") == (None, None)
    assert plans.in_channel(db, Idea, idea.id, team_id="T1", channel_id="C1",
                            active=False) == (plan, idea)


def test_rounds_and_participants(db):
    plan, ideas = plan_with_ideas(db)
    scoring.save_evaluation(db, idea=ideas[0], user_id="U9", user_team_id="T9", now=NOW,
                            values={"score": "2"})
    assert set(scoring.participants(db, plan=plan)) == {"U1", "U2", "U7", "U9"}
    scoring_round = scoring.start_round(db, plan=plan, idea_ids=[i.id for i in ideas],
                                        user_id="U1", now=NOW)
    with pytest.raises(scoring.RoundAlreadyRunning):
        scoring.start_round(db, plan=plan, idea_ids=[], user_id="U1", now=NOW)
    scoring.move_round(db, scoring_round=scoring_round, position=7)
    assert scoring_round.position == 2
    scoring.move_round(db, scoring_round=scoring_round, position=-1)
    assert scoring_round.position == 0
    assert scoring.end_round(db, scoring_round=scoring_round, now=NOW)
    assert not scoring.end_round(db, scoring_round=scoring_round, now=NOW)


def test_a_round_button_names_its_round_and_idea_in_this_channel(db):
    plan, ideas = plan_with_ideas(db)
    scoring_round = scoring.start_round(db, plan=plan, idea_ids=[ideas[0].id], user_id="U1",
                                        now=NOW)
    db.commit()
    found = dict(round_id=scoring_round.id, idea_id=ideas[1].id, team_id="T1",
                 channel_id="C1")
    assert scoring.round_and_idea(db, **found) == (plan, scoring_round, ideas[1])
    for wrong in ({"team_id": "T2"}, {"channel_id": "C2"}, {"idea_id": 99999},
                  {"round_id": 99999}):
        assert scoring.round_and_idea(db, **(found | wrong)) is None
    other = create(db, channel="C2", key="k2")
    contribute(db, other, ideas=[("Elsewhere", None, None)])
    elsewhere = sessions.ideas_of(db, plan=other)[0]
    assert scoring.round_and_idea(db, **(found | {"idea_id": elsewhere.id})) is None
    plans.archive_plan(db, plan=plan, user_id="U1", now=NOW)
    db.commit()
    db.expire_all()
    assert scoring.round_and_idea(db, **found) is None


def test_scores_mark_the_running_rounds_card_in_their_own_statement(db):
    """A trigger marks it, at the score's time; a changed score marks it again once the card
    was redrawn; a plan with no running round has no card to mark."""
    plan, ideas = plan_with_ideas(db)
    scoring.save_evaluation(db, idea=ideas[0], user_id="U9", user_team_id=None, now=NOW,
                            values={"score": "3"})  # no round yet: nothing to mark
    scoring_round = scoring.start_round(db, plan=plan, idea_ids=[i.id for i in ideas],
                                        user_id="U1", now=NOW)
    db.commit()

    def marked():
        return db.exec(select(ScoringRound.card_dirty_at)
                       .where(ScoringRound.id == scoring_round.id)).one()

    def score(idea, value, now):
        return scoring.save_score(db, round_id=scoring_round.id, idea_id=idea.id, team_id="T1",
                                  channel_id="C1", user_id="U9", user_team_id=None,
                                  score=value, now=now)

    assert marked() is None
    later = NOW + timedelta(seconds=5)
    assert score(ideas[0], "2", later)  # changed: an UPDATE
    assert marked() == later
    db.exec(update(ScoringRound).values(card_dirty_at=None))
    assert score(ideas[1], "1", NOW)  # a new one: an INSERT
    assert marked() == NOW
    db.exec(update(ScoringRound).values(card_dirty_at=None))
    scoring.save_evaluation(db, idea=ideas[2], user_id="U8", user_team_id=None, now=later,
                            values={"pros": "cheap", "score": "2"})
    assert marked() == later
    scoring.end_round(db, scoring_round=scoring_round, now=NOW)
    db.exec(update(ScoringRound).values(card_dirty_at=None))
    scoring.save_evaluation(db, idea=ideas[0], user_id="U9", user_team_id=None, now=later,
                            values={"score": "1"})
    assert marked() is None  # the round has ended


def test_a_one_click_score_is_stored_only_for_a_running_round_here(db):
    """The upsert finds the round and the idea itself: of this workspace's channel, the
    round running, the idea of its plan and not settled; else nothing is stored. A changed
    score keeps the rest of the person's evaluation; the upsert returns what the
    confirmation shows."""
    plan, ideas = plan_with_ideas(db)
    other = create(db, channel="C2", key="k2")
    contribute(db, other, ideas=[("Elsewhere", None, None)])
    (elsewhere,) = sessions.ideas_of(db, plan=other)
    scoring_round = scoring.start_round(db, plan=plan, idea_ids=[i.id for i in ideas],
                                        user_id="U1", now=NOW)
    scoring.save_evaluation(db, idea=ideas[0], user_id="U9", user_team_id=None, now=NOW,
                            values={"pros": "cheap", "score": "1"})
    db.commit()
    click = dict(round_id=scoring_round.id, idea_id=ideas[0].id, team_id="T1",
                 channel_id="C1", user_id="U9", user_team_id=None, score="3", now=NOW)
    for wrong in ({"team_id": "T2"}, {"channel_id": "C2"}, {"round_id": 99999},
                  {"idea_id": elsewhere.id}, {"idea_id": 99999}):
        assert scoring.save_score(db, **(click | wrong)) is None, wrong
    assert scoring.save_score(db, **click) == (ideas[0].text, plan.language)
    evaluation = scoring.evaluation_of(db, idea=ideas[0], user_id="U9")
    assert (evaluation.score, evaluation.pros) == ("3", "cheap")
    scoring.settle(db, idea=ideas[1], score="2", user_id="U2", now=NOW,
                   expected_version=ideas[1].version)
    assert scoring.save_score(db, **(click | {"idea_id": ideas[1].id})) is None
    scoring.end_round(db, scoring_round=scoring_round, now=NOW)
    assert scoring.save_score(db, **(click | {"idea_id": ideas[2].id})) is None
    assert scoring.evaluations_of(db, idea=ideas[2]) == []


def test_the_ideas_list_is_paged_by_the_database_and_every_idea_is_reachable(db):
    """By status (unscored, 3, 2, 1, discarded), then oldest first; merged ideas counted on
    the idea they went into; a page asked past the end is the last one."""
    texts = [f"Idea {n}" for n in range(23)]
    plan, ideas = plan_with_ideas(db, texts)
    statuses = [None, "3", "2", "1", "discard"]
    for n, idea in enumerate(ideas[:20]):
        if statuses[n % 5] is not None:
            scoring.settle(db, idea=idea, score=statuses[n % 5], user_id="U2", now=NOW,
                           expected_version=idea.version)
    scoring.merge(db, idea=ideas[21], into=ideas[3], user_id="U2", now=NOW,
                  expected_version=ideas[21].version)
    for user, score in (("U9", "2"), ("U8", "3")):
        scoring.save_evaluation(db, idea=ideas[3], user_id=user, user_team_id=None, now=NOW,
                                values={"score": score})

    def page(n, show_discarded=True):
        return scoring.ideas_page(db, plan=plan, order=statuses, page=n, page_size=5,
                                  show_discarded=show_discarded)

    first = page(0)
    assert first.counts == {None: 6, "3": 4, "2": 4, "1": 4, "discard": 4}  # 22 listed
    assert first.pages == 5
    seen = [row.idea.text for n in range(first.pages) for row in page(n).rows]
    by_status = {s: [i.text for n, i in enumerate(ideas[:20]) if statuses[n % 5] == s]
                 for s in statuses}
    by_status[None] += ["Idea 20", "Idea 22"]
    assert seen == [text for s in statuses for text in by_status[s]]
    assert page(99).page == 4 and [r.idea.text for r in page(99).rows] == seen[20:]
    [merged_into] = [r for r in page(2).rows if r.idea.id == ideas[3].id]
    assert merged_into.merged == 1 and merged_into.scorers == {"U9": "2", "U8": "3"}
    hidden = page(0, show_discarded=False)
    assert hidden.pages == 4 and hidden.counts == first.counts
    assert [r.idea.text for n in range(4) for r in page(n, False).rows] == seen[:18]


def test_idea_rows_of_some_ideas_only_and_of_them_all_agree(db):
    """A round's card reads its own ideas alone; each row as the whole list has it."""
    plan, (a, b, c) = plan_with_ideas(db, ("A", "B", "C"))
    other = create(db, channel="C2", key="k2")
    contribute(db, other, ideas=[("Elsewhere", None, None)])
    (elsewhere,) = sessions.ideas_of(db, plan=other)
    scoring.merge(db, idea=c, into=a, user_id="U2", now=NOW, expected_version=c.version)
    for user, score in (("U9", "2"), ("U8", "3")):
        scoring.save_evaluation(db, idea=a, user_id=user, user_team_id=None, now=NOW,
                                values={"score": score})

    def seen(rows):
        return [(r.idea.text, r.merged, r.scorers) for r in rows]

    everything = seen(scoring.idea_rows(db, plan=plan))
    assert everything == [("A", 1, {"U9": "2", "U8": "3"}), ("B", 0, {})]
    assert seen(scoring.idea_rows(db, plan=plan, ids=[a.id, c.id])) == everything[:1]
    assert seen(scoring.idea_rows(db, plan=plan, ids=[b.id])) == everything[1:]
    assert scoring.idea_rows(db, plan=plan, ids=[]) == []
    assert scoring.idea_rows(db, plan=plan, ids=[elsewhere.id]) == []  # another plan's
