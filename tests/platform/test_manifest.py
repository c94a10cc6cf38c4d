"""manifest.yml: a valid app manifest asking for the minimum scopes the code really uses."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
# The bot scopes each Web API method needs (Slack's method reference).
SCOPE_OF = {
    "auth_test": set(),
    "chat_postEphemeral": {"chat:write"},
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "conversations_members": {"channels:read", "groups:read"},
    "conversations_open": {"im:write"},
    "conversations_info": {"channels:read", "groups:read"},
    "conversations_canvases_create": {"canvases:write"},
    "canvases_edit": {"canvases:write"},
    "canvases_sections_lookup": {"canvases:read"},
    "files_upload_v2": {"files:write"},
    "files_info": {"files:read"},
    "users_lookupByEmail": {"users:read.email"},
    "users_info": {"users:read"},
    "views_open": set(),
    "views_publish": set(),
    "views_update": set(),
    "views_push": set(),
}


def manifest(name: str = "manifest.yml") -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def methods_called_by_the_app() -> set[str]:
    called = set()
    for path in (ROOT / "bot").rglob("*.py"):
        if "devslack" in path.parts:
            continue
        called |= set(re.findall(r"\bclient\.((?:chat|users|views|conversations|files|"
                                 r"reactions|pins|team|auth|canvases)_\w+)\(", path.read_text()))
    return called


def test_scopes_are_exactly_what_the_code_uses():
    called = methods_called_by_the_app()
    assert called, "the scan found no Web API calls"
    unknown = called - set(SCOPE_OF)
    assert not unknown, f"add the scopes of {unknown} to SCOPE_OF and manifest.yml"
    needed = set().union(*(SCOPE_OF[m] for m in called)) | {"commands"}
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed
    # What OAuth installs ask for is the same.
    from bot.platform.app import BOT_SCOPES

    assert set(BOT_SCOPES) == needed
    assert set(manifest("manifest-distributed.yml")["oauth_config"]["scopes"]["bot"]) == needed


def test_the_distributed_manifest_is_the_same_app_over_http_with_oauth():
    one, many = manifest(), manifest("manifest-distributed.yml")
    assert many["features"] == {**one["features"], "slash_commands": [
        {**one["features"]["slash_commands"][0], "url": "https://YOUR-HOST/slack/events"}]}
    assert many["settings"]["socket_mode_enabled"] is False
    assert many["settings"]["token_rotation_enabled"] is True
    assert many["oauth_config"]["redirect_urls"] == ["https://YOUR-HOST/slack/oauth_redirect"]
    for where in (many["settings"]["event_subscriptions"], many["settings"]["interactivity"]):
        assert where["request_url"] == "https://YOUR-HOST/slack/events"
    assert many["settings"]["event_subscriptions"]["bot_events"] == one["settings"][
        "event_subscriptions"]["bot_events"]


def test_manifest_declares_the_command_interactivity_home_and_socket_mode():
    data = manifest()
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/plan"]
    assert "new" in commands[0]["usage_hint"] and len(commands[0]["description"]) <= 100
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened", "app_uninstalled", "tokens_revoked"]
    assert len(data["display_information"]["name"]) <= 35
    assert 175 <= len(data["display_information"]["long_description"]) <= 4000
