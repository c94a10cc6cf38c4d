"""Bolt listeners, grouped by what the user is doing. Each handler is a module-level
function; the listener shapes (after the ack, stored in the ack, a modal submission) are in
common.py."""

from slack_bolt import App

from bot.listeners import (
    checkins,
    commands,
    exports,
    home,
    ideas,
    installs,
    objectives,
    plans,
    reviews,
    sessions,
)


def register_listeners(app: App) -> None:
    for module in (commands, plans, sessions, ideas, objectives, exports, reviews, checkins,
                   home, installs):
        module.register(app)
