"""Bolt listeners, grouped by what the user is doing."""

from slack_bolt import App

from bot.listeners import commands, home, ideas, objectives, plans, reviews, sessions
from bot.listeners.common import Deps


def register_listeners(app: App, deps: Deps) -> None:
    for module in (commands, plans, sessions, ideas, objectives, reviews, home):
        module.register(app, deps)
