"""Rumbo without a Slack workspace: the real app against the Web API emulator, driven from a
page in the browser on loopback."""
