"""The export's Block Kit (bot/exports/views.py): the question `/plan export` asks, and
what it parses."""

import pytest

from bot.devslack.blockkit import check_view
from bot.devslack.driver import view_state
from bot.exports import views as exports_views


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_export_question_defaults_to_the_channel_without_each_persons_scores(lang):
    view = exports_views.export_modal(lang=lang, private_metadata="{}")
    assert check_view(view) == []
    assert exports_views.parse_export(view_state(view, {}), lang) == (False, False, {})
    assert exports_views.parse_export(view_state(view, {"to": "me", "scores": ["yes"]}), lang) \
        == (True, True, {})
