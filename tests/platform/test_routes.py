"""The table of clicks and modals: one handler an id, the block's own before the id's."""

import pytest
from slack_bolt import App

from bot.platform.app import register_listeners
from bot.platform.routes import Routes


def bolt() -> App:
    return App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)


def test_an_id_has_one_handler():
    routes = Routes(bolt())
    routes.action("x")(lambda **_: None)
    with pytest.raises(ValueError):
        routes.action("x")(lambda **_: None)
    routes.view("m")(lambda **_: None)
    with pytest.raises(ValueError):
        routes.view("m")(lambda **_: None)


def test_bolt_gets_a_handful_of_listeners_for_all_of_rumbos():
    app = bolt()
    register_listeners(app)
    # clicks, /plan, submissions, and the three events: not one a click or modal
    assert len(app._listeners) == 6  # Bolt's own list (slack-bolt is pinned)
