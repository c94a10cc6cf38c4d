"""The stand-in's tests: the emulator alone, and slack_sdk's client on it."""

import pytest
from slack_sdk import WebClient

from bot.devslack import SlackEmulator


@pytest.fixture
def slack():
    with SlackEmulator() as emulator:
        emulator.add_user("U1", "alice", real_name="Alice", locale="es-ES", tz="Europe/Madrid")
        emulator.add_channel("C1", "general", members=["U1"])
        yield emulator


@pytest.fixture
def client(slack):
    return WebClient(token="xoxb-test", base_url=slack.api_url)
