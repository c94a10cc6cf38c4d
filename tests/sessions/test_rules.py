"""The session's rules (bot/sessions/rules.py)."""

from bot.sessions.rules import split_idea_lines


def test_idea_lines():
    assert split_idea_lines("• One\n\n - Two  \n*Three\n   ") == ["One", "Two", "Three"]
    assert split_idea_lines(None) == []
