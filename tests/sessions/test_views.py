"""The strategy session's Block Kit (bot/sessions/views.py): its modals, live card and recap
valid for Slack in both languages, user text escaped, nothing cut; who is offered End
session; parsing what the answers and idea modals submit."""

import json

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.driver import view_state
from bot.help import views as help_views
from bot.platform.blocks import (
    escape,
    metadata,
    notice_modal,
    plain,
)
from bot.sessions import views as sessions_views
from storage.models import Answer, Idea
from tests.factories import EVIL, LANGS, NOW, all_text, plan, session


def shown(message) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("lang", LANGS)
def test_modals_are_valid(lang):
    views = [
        sessions_views.answers_modal(lang=lang, private_metadata=metadata(session_id=3)),
        sessions_views.idea_modal(lang=lang, private_metadata=metadata(plan_id=7)),
        sessions_views.my_answers_modal(
            lang=lang, private_metadata="{}",
            answers=[Answer(id=i, team_id="T1", plan_id=7, session_id=3, question=i % 5 + 1,
                            text="a" * 3000, user_id="U1") for i in range(200)],
            ideas=[Idea(id=1, team_id="T1", plan_id=7, text=EVIL * 100, user_id="U1")]),
    ]
    for view in views:
        assert check_view(view) == [], view["blocks"][:2]


@pytest.mark.parametrize("lang", LANGS)
def test_messages_are_valid(lang):
    p = plan(language=lang)
    many = {f"U{i}": [i, 1] for i in range(100)}
    messages = [
        sessions_views.session_card(lang=lang, plan=p, strategy_session=session(),
                                    contributions=many, answer_count=5000, idea_count=100),
        sessions_views.session_card(lang=lang, plan=p, strategy_session=session(ended_at=NOW),
                                    contributions={}, answer_count=0, idea_count=0),
    ]
    for message in messages:
        assert check_message(message["blocks"], message["text"]) == []


def test_user_text_is_escaped_everywhere_it_is_shown():
    recap = sessions_views.session_recap(
        lang="en", plan=plan(),
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
        sessions_views.session_card(lang="en", plan=p, strategy_session=session(),
                                    contributions={}, answer_count=0, idea_count=0),
        *sessions_views.session_recap(lang="en", plan=p, answers=[], ideas=[]),
    ):
        assert "<!channel>" not in message["text"] and "&lt;!channel&gt;" in message["text"]
        assert message["blocks"][0]["text"] == {"type": "plain_text", "emoji": True,
                                                "text": message["blocks"][0]["text"]["text"]}
        assert "<!channel> Acme" in message["blocks"][0]["text"]["text"]


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


def answers_values(**values):
    view = sessions_views.answers_modal(lang="en", private_metadata="{}")
    return view_state(view, values, strict=False)


def test_answers_and_tagged_ideas():
    answers, ideas, errors = sessions_views.parse_answers(answers_values(
        q1=" Renewals are late ", q3="Stop the weekly report",
        ideas_realistic="Shared dashboard\n\n• Monthly review", ideas_someday="AI forecasts"),
        "en")
    assert errors == {}
    assert answers == {1: "Renewals are late", 3: "Stop the weekly report"}
    assert ideas == [("Shared dashboard", "realistic", None), ("Monthly review", "realistic", None),
                     ("AI forecasts", "someday", None)]


def test_an_empty_or_forged_answers_submission_is_refused():
    assert sessions_views.parse_answers(answers_values(), "en")[2] == {
        "q1": "Write at least one answer or idea before saving."}
    errors = sessions_views.parse_answers(answers_values(q4="x" * 3001), "en")[2]
    assert list(errors) == ["q4"] and "3000" in errors["q4"]


def test_idea_form():
    view = sessions_views.idea_modal(lang="en", private_metadata="{}")
    idea, errors = sessions_views.parse_idea(view_state(view, {
        "idea_text": " Portal ", "idea_tag": "ambitious", "idea_question": "3"}), "en")
    assert errors == {} and idea == ("Portal", "ambitious", 3)
    forged = view_state(view, {"idea_text": "Portal"})
    forged["idea_tag"]["value"]["selected_option"] = {"value": "certain"}
    assert sessions_views.parse_idea(forged, "en")[1] == {"idea_tag": "Choose one of the options."}
    assert "idea_text" in sessions_views.parse_idea(view_state(view, {}, strict=False), "en")[1]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_session_times_are_each_readers_own(lang):
    p = plan(language=lang)
    running = all_text(sessions_views.session_card(lang=lang, plan=p, strategy_session=session(),
                                                   contributions={}, answer_count=0, idea_count=0))
    ends = int(session().ends_at.timestamp())
    assert f"<!date^{ends}^{{time}}|10:30 (America/Mexico_City)>" in running
    ended = all_text(sessions_views.session_card(lang=lang, plan=p,
                                                 strategy_session=session(ended_at=NOW),
                                                 contributions={}, answer_count=0, idea_count=0))
    assert f"<!date^{int(NOW.timestamp())}^{{date_short_pretty}} {{time}}|" in ended
    help_text = all_text(help_views.help_message(lang=lang, plan=p, running=session()))
    assert f"<!date^{ends}^{{time}}|" in help_text


@pytest.mark.parametrize("lang", LANGS)
def test_end_session_sits_apart_under_a_label_and_asks_nobody_in_the_client(lang):
    card = sessions_views.session_card(lang=lang, plan=plan(language=lang),
                                       strategy_session=session(),
                                       contributions={}, answer_count=0, idea_count=0)
    blocks = card["blocks"]
    ids = [b.get("block_id") for b in blocks]
    facilitators = blocks[ids.index("session_facilitators")]
    assert [e["action_id"] for e in facilitators["elements"]] == [sessions_views.SESSION_FOCUS,
                                                                  sessions_views.SESSION_END]
    assert "confirm" not in facilitators["elements"][-1]
    label = blocks[ids.index("session_facilitators") - 1]
    assert label["type"] == "context"
    assert label["elements"][0]["text"] == {"en": "*Facilitators*",
                                            "es": "*Facilitadores*"}[lang]
    apart = ids.index("session_facilitators")
    assert sessions_views.SESSION_END not in shown({"blocks": blocks[:apart]})


@pytest.mark.parametrize("lang", LANGS)
def test_the_confirmations_are_valid_modals(lang):
    confirm = sessions_views.end_session_modal(lang=lang, private_metadata=metadata(session_id=3))
    assert confirm["callback_id"] == sessions_views.SESSION_END_CALLBACK
    assert confirm["submit"]["text"] == {"en": "End session", "es": "Finalizar sesión"}[lang]
    refused = notice_modal(lang=lang, title=plain("x" * 24), text="Only <@U1> can do that.")
    for view in (confirm, refused):
        assert check_view(view) == []
    assert "submit" not in refused
