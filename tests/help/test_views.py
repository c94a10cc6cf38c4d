"""Who may do what, as the builders show it: the help per person, the session card's
facilitator controls apart, the confirmation that opens only for facilitators."""

import json

import pytest

from bot.devslack.blockkit import check_message, check_view
from bot.help import views as help_views
from bot.help.listeners import SUBCOMMANDS, aliases
from bot.platform.blocks import metadata, notice_modal, plain
from bot.sessions import views as sessions_views
from tests.factories import LANGS, plan, session

FACILITATORS_ONLY = ["`/plan score`", "`/plan settings`", "`/plan review`", "`/plan resume`",
                     "`/plan new"]


def shown(message) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


@pytest.mark.parametrize("lang", LANGS)
def test_the_help_lists_the_facilitators_commands_only_to_them(lang):
    p = plan(language=lang)
    guest = help_views.help_message(lang=lang, plan=p, aliases=aliases(), facilitators=["U1", "U2"])
    facilitator = help_views.help_message(lang=lang, plan=p, aliases=aliases(), facilitator=True,
                                   facilitators=["U1"])
    no_plan = help_views.help_message(lang=lang, aliases=aliases())
    for command in FACILITATORS_ONLY:
        assert command not in shown(guest)
        assert command in shown(facilitator)
    assert "<@U1>, <@U2>" in shown(guest)  # who runs them
    assert all(command in shown(no_plan) for command in FACILITATORS_ONLY[:-1])
    assert "`/plan new" in shown(no_plan)  # without a plan anyone creates it
    for message in (guest, facilitator, no_plan):
        assert check_message(message["blocks"], message["text"]) == []


def test_the_help_lists_every_spanish_name_the_router_takes():
    listed = shown(help_views.help_message(lang="es", plan=plan(), aliases=aliases(),
                                    facilitator=True, facilitators=["U1"]))
    for name in SUBCOMMANDS:
        # Every name is listed, but for the unaccented spellings of accented ones.
        if name and name not in ("sesion", "revision"):
            assert f"`/plan {name}`" in listed or f"`/plan {name} " in listed, name
    assert "`/plan sesión [minutos]` · `/plan session`" in listed  # the Spanish name first
    assert "`/plan sesion`" not in listed


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
