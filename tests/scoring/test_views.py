"""Step 2 builders: valid Block Kit in both languages, paged or split, never truncated."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.scoring import views as scoring_views
from bot.scoring.rules import STATUS_ORDER
from storage.models import Evaluation, Idea, ScoringRound
from storage.scoring import IdeaRow, IdeasPage
from tests.factories import EVIL, all_text, plan

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SCORES = [None, "3", "2", "1", "discard"]


def rows(n, text="Idea"):
    result = []
    for i in range(n):
        idea = Idea(id=i + 1, team_id="T1", plan_id=7, text=f"{text} {i} " + "x" * 300,
                    user_id=f"U{i % 7}", tag="ambitious", source_question=2,
                    score=SCORES[i % 5], revealed_at=NOW if i % 2 else None)
        result.append(IdeaRow(idea, {f"U{j}": "2" for j in range(i % 4)}, i % 3))
    return result


def listed(all_rows, page=0, pages=1):
    """A page of the ideas list as storage cuts it: these rows, counted by status."""
    counts = Counter(r.idea.score for r in all_rows)
    return IdeasPage(rows=sorted(all_rows, key=lambda r: STATUS_ORDER.index(r.idea.score)),
                     counts=dict(counts), page=page, pages=pages)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_full_page_of_long_ideas_is_valid_and_links_its_neighbours(lang):
    page = listed(rows(15), page=2, pages=7)
    message = scoring_views.ideas_message(lang=lang, plan=plan(language=lang), listed=page,
                                          viewer="U1", is_facilitator=True,
                                          show_discarded=True)
    assert check_message(message["blocks"], message["text"]) == []
    overflows = [b["accessory"] for b in message["blocks"] if "accessory" in b]
    assert {o["options"][0]["value"] for o in overflows} == {f"evaluate:{i}"
                                                              for i in range(1, 16)}
    buttons = {e["action_id"]: e["value"] for b in message["blocks"] if b["type"] == "actions"
               for e in b["elements"]}
    assert buttons[scoring_views.IDEAS_PAGE_PREVIOUS] == "1:1"
    assert buttons[scoring_views.IDEAS_PAGE_NEXT] == "3:1"
    assert ("page 3 of 7" if lang == "en" else "página 3 de 7") in all_text(message)


def test_discarded_ideas_are_hidden_until_asked_for():
    ten = rows(10)
    shown = listed([r for r in ten if r.idea.score != "discard"])
    shown.counts["discard"] = 2
    message = scoring_views.ideas_message(lang="en", plan=plan(), listed=shown, viewer="U1",
                                          is_facilitator=False)
    text = all_text(message)
    assert "10 ideas · 2 discarded, hidden" in text and "Idea 4 " not in text
    assert "Idea 9 " not in text and "Idea 3 " in text
    assert scoring_views.IDEAS_PAGE_NEXT not in str(message["blocks"])  # one page
    options = [o["value"] for b in message["blocks"] if "accessory" in b
               for o in b["accessory"]["options"]]
    assert not [o for o in options if o.startswith(("settle", "merge"))]  # not a facilitator
    assert [o for o in options if o.startswith("edit")] == ["edit:2", "edit:9"]  # U1's own


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_long_priority_list_is_split_not_cut(lang):
    all_rows = rows(400)
    messages = scoring_views.priorities_messages(lang=lang, plan=plan(language=lang), rows=all_rows,
                                                 show_discarded=True)
    assert len(messages) >= 1
    text = "".join(all_text(m) for m in messages)
    for row in all_rows:
        if row.idea.score:
            assert f"{row.idea.text[:20]}" in text
    for message in messages:
        assert check_message(message["blocks"], message["text"]) == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_round_card_and_modals_are_valid(lang):
    p = plan(language=lang)
    row = rows(2)[1]
    row.idea.text = EVIL
    scoring_round = ScoringRound(id=1, team_id="T1", plan_id=7, channel_id="C1", idea_ids="1,2",
                                 started_by="U1", started_at=NOW)
    card = scoring_views.round_card(lang=lang, plan=p, scoring_round=scoring_round, row=row,
                                    position=1,
                                    total=2, participants=[f"U{i}" for i in range(60)], settled=1)
    assert check_message(card["blocks"], card["text"]) == []
    assert "<!channel>" not in all_text(card)
    evaluations = [Evaluation(id=i, team_id="T1", idea_id=2, user_id=f"U{i}", score="3",
                              pros=EVIL * 20, cons="no") for i in range(80)]
    views = [
        scoring_views.evaluate_modal(lang=lang, idea=row.idea, evaluation=evaluations[0],
                                     others=[(e.user_id, e.score) for e in evaluations],
                                     private_metadata="{}"),
        scoring_views.settle_modal(lang=lang, idea=row.idea, evaluations=evaluations,
                                   private_metadata="{}"),
        scoring_views.edit_modal(lang=lang, idea=row.idea, private_metadata="{}"),
        scoring_views.merge_modal(lang=lang, idea=row.idea, candidates=[r.idea for r in rows(150)],
                                  private_metadata="{}"),
    ]
    for view in views:
        assert check_view(view) == [], view["callback_id"]
        assert "<!channel>" not in all_text(view)


def test_settle_suggests_the_consensus_and_explains_a_split():
    evaluations = [Evaluation(id=i, team_id="T1", idea_id=2, user_id=f"U{i}", score=s)
                   for i, s in enumerate(["3", "1", "1"])]
    view = scoring_views.settle_modal(lang="en", idea=rows(1)[0].idea, evaluations=evaluations,
                                      private_metadata="{}")
    radio = next(b for b in view["blocks"] if b.get("block_id") == "score")
    assert radio["element"]["initial_option"]["value"] == "1"
    text = all_text(view)
    assert "Suggested: *1* (the median of 3 scores)." in text and "split, from 1 to 3" in text
