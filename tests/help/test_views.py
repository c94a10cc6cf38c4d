"""The help's Block Kit (bot/help/views.py): who may do what, per person and with every
Spanish name the router takes; valid for Slack, user text escaped."""

import json

import pytest

from bot.devslack.blockkit import check_message
from bot.help import views as help_views
from bot.help.listeners import ALIASES, SUBCOMMANDS
from bot.platform.blocks import escape
from tests.factories import EVIL, LANGS, all_text, plan, session

FACILITATORS_ONLY = ["`/plan score`", "`/plan settings`", "`/plan review`", "`/plan resume`",
                     "`/plan new"]


def shown(message) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("lang", LANGS)
def test_the_help_lists_the_facilitators_commands_only_to_them(lang):
    p = plan(language=lang)
    guest = help_views.help_message(lang=lang, plan=p, aliases=ALIASES, facilitators=["U1", "U2"])
    facilitator = help_views.help_message(lang=lang, plan=p, aliases=ALIASES, facilitator=True,
                                          facilitators=["U1"])
    no_plan = help_views.help_message(lang=lang, aliases=ALIASES)
    for command in FACILITATORS_ONLY:
        assert command not in shown(guest)
        assert command in shown(facilitator)
    assert "<@U1>, <@U2>" in shown(guest)  # who runs them
    assert all(command in shown(no_plan) for command in FACILITATORS_ONLY[:-1])
    assert "`/plan new" in shown(no_plan)  # without a plan anyone creates it
    for message in (guest, facilitator, no_plan):
        assert check_message(message["blocks"], message["text"]) == []


def test_the_help_lists_every_spanish_name_the_router_takes():
    listed = shown(help_views.help_message(lang="es", plan=plan(), aliases=ALIASES,
                                           facilitator=True, facilitators=["U1"]))
    for name in SUBCOMMANDS:
        # Every name is listed, but for the unaccented spellings of accented ones.
        if name and name not in ("sesion", "revision"):
            assert f"`/plan {name}`" in listed or f"`/plan {name} " in listed, name
    assert "`/plan sesión [minutos]` · `/plan session`" in listed  # the Spanish name first
    assert "`/plan sesion`" not in listed


@pytest.mark.parametrize("lang", LANGS)
def test_messages_are_valid(lang):
    for message in (
        help_views.help_message(lang=lang),
        help_views.help_message(lang=lang, plan=plan(language=lang), running=session(),
                                idea_count=3, not_understood=EVIL),
    ):
        assert check_message(message["blocks"], message["text"]) == []


def test_user_text_is_escaped_everywhere_it_is_shown():
    help_text = all_text(help_views.help_message(lang="en", plan=plan(), not_understood=EVIL))
    assert escape(EVIL) in help_text and "<!channel>" not in help_text
    assert "Acme &amp; &lt;Sons&gt;" in help_text
