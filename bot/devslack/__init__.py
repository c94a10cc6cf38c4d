"""A local stand-in for Slack, for end-to-end tests: a Web API emulator and request drivers
(over HTTP, in the test's process, over Socket Mode)."""

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.driver import AppDriver, Response, SlackDriver, view_state
from bot.devslack.emulator import Call, SlackEmulator, SlackError

__all__ = [
    "AppDriver",
    "Call",
    "Response",
    "SlackDriver",
    "SlackEmulator",
    "SlackError",
    "check_message",
    "check_view",
    "view_state",
]
