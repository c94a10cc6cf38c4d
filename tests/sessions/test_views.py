"""Block Kit builders: valid for Slack in both languages, user text escaped, nothing cut."""

import json
from datetime import date

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.help import views as help_views
from bot.home.views import home_view
from bot.plans import views as plans_views
from bot.platform.blocks import chunk_lines, escape, metadata
from bot.sessions import views as sessions_views
from storage.models import Answer, Idea
from tests.factories import EVIL, LANGS, NOW, all_text, plan, session


@pytest.mark.parametrize("lang", LANGS)
def test_modals_are_valid(lang):
    views = [
        plans_views.new_plan_modal(lang=lang, channel_id="C1", today=date(2026, 11, 30),
                        timezone="Europe/Madrid", creator_id="U1", account_name="x" * 500),
        sessions_views.answers_modal(lang=lang, private_metadata=metadata(session_id=3)),
        sessions_views.idea_modal(lang=lang, private_metadata=metadata(plan_id=7)),
        sessions_views.my_answers_modal(
            lang=lang, private_metadata="{}",
            answers=[Answer(id=i, team_id="T1", plan_id=7, session_id=3, question=i % 5 + 1,
                            text="a" * 3000, user_id="U1") for i in range(200)],
            ideas=[Idea(id=1, team_id="T1", plan_id=7, text=EVIL * 100, user_id="U1")]),
        home_view(lang=lang, plans=[(plan(id=i, next_review_on=date(2026, 1, 5)), i % 2 == 0)
                                    for i in range(300)], today=date(2026, 11, 30),
                  at_risk=[(plan(), EVIL * 30, "at_risk")] * 50),
    ]
    for view in views:
        assert check_view(view) == [], view["blocks"][:2]


@pytest.mark.parametrize("lang", LANGS)
def test_messages_are_valid(lang):
    p = plan(language=lang)
    many = {f"U{i}": [i, 1] for i in range(100)}
    messages = [
        help_views.help_message(lang=lang),
        help_views.help_message(lang=lang, plan=p, running=session(), idea_count=3,
                         not_understood=EVIL),
        plans_views.archive_offer(lang=lang, plan=p),
        plans_views.plan_announcement(lang=lang, plan=p, categories=["Financial"] * 12,
                              facilitators=["U1", "U2"]),
        sessions_views.session_card(lang=lang, plan=p, strategy_session=session(),
                                    contributions=many,
                         answer_count=5000, idea_count=100),
        sessions_views.session_card(lang=lang, plan=p, strategy_session=session(ended_at=NOW),
                         contributions={}, answer_count=0, idea_count=0),
    ]
    for message in messages:
        assert check_message(message["blocks"], message["text"]) == []


def test_user_text_is_escaped_everywhere_it_is_shown():
    p = plan()
    help_text = all_text(help_views.help_message(lang="en", plan=p, not_understood=EVIL))
    assert escape(EVIL) in help_text and "<!channel>" not in help_text
    assert "Acme &amp; &lt;Sons&gt;" in help_text
    recap = sessions_views.session_recap(
        lang="en", plan=p,
        answers=[Answer(id=1, team_id="T1", plan_id=7, session_id=3, question=2, text=EVIL,
                        user_id="U1")],
        ideas=[Idea(id=1, team_id="T1", plan_id=7, text=EVIL, tag="someday", user_id="U2")])
    text = "\n".join(all_text(m) for m in recap)
    assert "<!channel>" not in text and "<https://evil" not in text
    assert text.count(escape(EVIL)) == 2
    assert "<@U1>" in text and "<@U2>" in text  # authors are real mentions


@pytest.mark.parametrize("lang", LANGS)
def test_the_recap_names_people_of_another_organisation_as_such(lang):
    recap = sessions_views.session_recap(lang=lang, plan=plan(), ideas=[], answers=[
        Answer(id=1, team_id="T1", plan_id=7, session_id=3, question=1, text="ours",
               user_id="U1", user_team_id="T1"),
        Answer(id=2, team_id="T1", plan_id=7, session_id=3, question=1, text="theirs",
               user_id="U9", user_team_id="T0CLIENT")])
    lines = [line for m in recap for line in all_text(m).splitlines() if line.startswith("•")]
    assert len(lines) == 2 and lines[0].endswith("<@U1>")
    assert lines[1].startswith("• theirs — <@U9> (") and lines[1].endswith(")")


def test_notification_text_is_escaped_and_headers_are_plain():
    p = plan(account_name="<!channel> Acme")
    for message in (
        plans_views.plan_announcement(lang="en", plan=p, categories=["A"], facilitators=["U1"]),
        sessions_views.session_card(lang="en", plan=p, strategy_session=session(), contributions={},
                         answer_count=0, idea_count=0),
        *sessions_views.session_recap(lang="en", plan=p, answers=[], ideas=[]),
    ):
        assert "<!channel>" not in message["text"] and "&lt;!channel&gt;" in message["text"]
        assert message["blocks"][0]["text"] == {"type": "plain_text", "emoji": True,
                                                "text": message["blocks"][0]["text"]["text"]}
        assert "<!channel> Acme" in message["blocks"][0]["text"]["text"]


def test_escape_only_touches_the_three_characters():
    assert escape("a & b < c > d *bold* _it_") == "a &amp; b &lt; c &gt; d *bold* _it_"


@pytest.mark.parametrize("lang", LANGS)
def test_a_huge_recap_is_split_never_truncated(lang):
    answers = [Answer(id=i, team_id="T1", plan_id=7, session_id=3, question=i % 5 + 1,
                      text=f"answer {i} " + "&<>" * 990, user_id="U1") for i in range(60)]
    ideas = [Idea(id=i, team_id="T1", plan_id=7, text=f"idea {i} " + "x" * 2900,
                  tag="realistic", user_id="U2") for i in range(40)]
    recap = sessions_views.session_recap(lang=lang, plan=plan(language=lang), answers=answers,
                                         ideas=ideas)
    assert len(recap) > 1
    for message in recap:
        assert check_message(message["blocks"], message["text"]) == []
    # Splits happen at spaces or line ends: compare without whitespace.
    text = "".join("".join(all_text(m) for m in recap).split())
    for i in range(60):
        assert f"answer{i}&amp;" in text
    assert text.count("&amp;&lt;&gt;") == 60 * 990
    for i in range(40):
        assert f"idea{i}xxx" in text


def test_chunk_lines_never_splits_an_entity():
    line = "a" * 2998 + "&amp;" + "b" * 10
    chunks = chunk_lines([line], limit=3000)
    assert all(len(c) <= 3000 for c in chunks)
    assert chunks[0].endswith("a") and chunks[1].startswith("&amp;")
    assert "".join(chunks) == line


def test_session_card_shows_questions_counts_contributors_and_end_time():
    card = sessions_views.session_card(lang="es", plan=plan(language="es"),
                                       strategy_session=session(),
                            contributions={"U7": [2, 1], "U8": [0, 3]}, answer_count=2,
                            idea_count=4)
    text = all_text(card)
    assert "¿Dónde estamos?" in text and "¿Cómo se debe medir el progreso?" in text
    assert "10:30 (America/Mexico_City)" in text  # 16:30 UTC in the plan's timezone
    assert "<@U7> (2/1)" in text and "<@U8> (0/3)" in text
    everyone, facilitators = [b for b in card["blocks"] if b["type"] == "actions"]
    assert [a["action_id"] for a in everyone["elements"]] == [
        sessions_views.SESSION_ADD_ANSWERS, sessions_views.SESSION_ADD_IDEA,
        sessions_views.SESSION_MY_ANSWERS, sessions_views.SESSION_BOARD]
    # End session apart, under its label, with no client-side confirm (see test_blocks_access)
    assert [a["action_id"] for a in facilitators["elements"]] == [sessions_views.SESSION_FOCUS,
                                                                 sessions_views.SESSION_END]
    ended = sessions_views.session_card(lang="en", plan=plan(),
                                        strategy_session=session(ended_at=NOW),
                             contributions={}, answer_count=0, idea_count=0)
    # Ended: a short summary, the answers still one click away.
    assert [e["action_id"] for b in ended["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == [sessions_views.SESSION_BOARD]
    assert len(json.dumps(ended)) < 1000
