"""A local stand-in for Slack, for end-to-end tests: a Web API emulator and a request driver."""

from bot.devslack.blockkit import check_message, check_view
from bot.devslack.driver import Response, SlackDriver, view_state
from bot.devslack.emulator import Call, SlackEmulator, SlackError

__all__ = [
    "Call",
    "Response",
    "SlackDriver",
    "SlackEmulator",
    "SlackError",
    "check_message",
    "check_view",
    "view_state",
]
