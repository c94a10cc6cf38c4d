"""A workspace removes Rumbo: its tokens go at once, its data waits out the retention
period (RUMBO_RETENTION_DAYS) and is then purged; a reinstall within it finds it again."""

from slack_bolt import App

from bot.listeners.common import Interaction, store_in_ack
from storage import installations


def removed(act: Interaction, db) -> None:
    """app_uninstalled, or tokens_revoked for the bot: no call with its token again (Slack
    does not promise which of the two comes first; both do the same)."""
    event = act.body.get("event") or {}
    if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return None  # user tokens only: Rumbo keeps none
    enterprise_id = act.body.get("enterprise_id")
    installations.remove(db, enterprise_id=enterprise_id, team_id=act.team_id)
    if not act.body.get("is_enterprise_install"):
        installations.uninstalled(db, team_id=act.team_id, now=act.deps.clock())
    return None


def register(app: App) -> None:
    app.event("app_uninstalled")(store_in_ack(removed))
    app.event("tokens_revoked")(store_in_ack(removed))
