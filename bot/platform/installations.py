"""Rumbo in many workspaces (OAuth mode): the installation and OAuth state stores Bolt's
OAuthSettings use, on Rumbo's own database; bot tokens encrypted at rest; expiring tokens
(token rotation) refreshed before anyone uses them, by one process at a time.

Refreshing here, ahead of Bolt's own threshold, means listeners (through Bolt's authorize)
and the outbox's sender (through `client_for`) both get a fresh token the same way, and Bolt's
unlocked refresh never runs.
"""

import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import overload

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.platform.request import Interaction
from bot.platform.routes import Routes
from bot.platform.runners import store_in_ack
from bot.platform.slack import SharedClients, make_client
from storage import installations
from storage.db import new_session
from storage.models import Installation as Row
from storage.types import utc_now

log = logging.getLogger("rumbo")

# Bolt refreshes a token 120 minutes before it expires; Rumbo does it first, under a lock.
REFRESH_AHEAD = timedelta(minutes=150)
STATE_LIFETIME = timedelta(seconds=600)
# How long a process trusts the installation it read (tokens decrypted once in that time):
# an uninstall or a refresh by another process is seen within this. Refreshes start hours
# before a token expires, so a copy this old is never expired.
KEPT_SECONDS = 10


class Sealed:
    """Tokens at rest: Fernet (AES, authenticated) with the key RUMBO_ENCRYPTION_KEY."""

    def __init__(self, key: str):
        from cryptography.fernet import Fernet  # only processes that hold tokens load it

        self._fernet = Fernet(key.encode())

    @overload
    def seal(self, token: str) -> str: ...

    @overload
    def seal(self, token: None) -> None: ...

    def seal(self, token: str | None) -> str | None:
        return self._fernet.encrypt(token.encode()).decode() if token else None

    def open(self, sealed: str | None) -> str | None:
        if not sealed:
            return None
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            log.error("a stored token cannot be decrypted with RUMBO_ENCRYPTION_KEY")
            return None


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment else None


def _moment(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


class RumboInstallationStore(InstallationStore):
    def __init__(self, engine: Engine, *, sealed: Sealed, client_id: str, client_secret: str,
                 api_url: str, clock=utc_now):
        self.engine, self.sealed, self.api_url, self.clock = engine, sealed, api_url, clock
        self.client_id, self.client_secret = client_id, client_secret
        self.clients = SharedClients(api_url)
        # (enterprise_id, team_id) -> (read at, the installation or None)
        self._kept: dict[tuple[str, str], tuple[float, Installation | None]] = {}

    @property
    def logger(self) -> logging.Logger:
        return log

    # --- what Bolt calls ---

    def save(self, installation: Installation) -> None:
        if not installation.bot_token:
            raise ValueError("Rumbo is installed with a bot token")  # its scopes ask for one
        with new_session(self.engine) as db:
            installations.save(db, Row(
                enterprise_id=installation.enterprise_id or "",
                team_id="" if installation.is_enterprise_install else installation.team_id or "",
                is_enterprise_install=bool(installation.is_enterprise_install),
                app_id=installation.app_id, bot_id=installation.bot_id,
                bot_user_id=installation.bot_user_id,
                bot_scopes=",".join(installation.bot_scopes or []),
                bot_token=self.sealed.seal(installation.bot_token),
                bot_refresh_token=self.sealed.seal(installation.bot_refresh_token),
                bot_token_expires_at=_moment(installation.bot_token_expires_at),
                installer_user_id=installation.user_id,
                installed_at=datetime.fromtimestamp(installation.installed_at, UTC)))
            db.commit()
        self._kept.clear()

    def save_bot(self, bot: Bot) -> None:
        """New tokens for an install (Bolt's own refresh, should Rumbo's have failed)."""
        with new_session(self.engine) as db:
            row = installations.find(db, enterprise_id=bot.enterprise_id, team_id=bot.team_id,
                                     lock=True)
            if row is not None and bot.bot_token:
                installations.update_tokens(
                    db, row=row, bot_token=self.sealed.seal(bot.bot_token),
                    bot_refresh_token=self.sealed.seal(bot.bot_refresh_token),
                    bot_token_expires_at=_moment(bot.bot_token_expires_at))
            db.commit()
        self._kept.clear()

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                          user_id: str | None = None, is_enterprise_install: bool | None = False
                          ) -> Installation | None:
        """The workspace's installation, read (and its tokens decrypted) at most once in
        KEPT_SECONDS by this process."""
        team_id = None if is_enterprise_install else team_id
        key = (enterprise_id or "", team_id or "")
        kept = self._kept.get(key)
        if kept is not None and time.monotonic() - kept[0] < KEPT_SECONDS:
            return kept[1]
        row = self._fresh(enterprise_id, team_id)
        installation = None if row is None else Installation(
            app_id=row.app_id, enterprise_id=row.enterprise_id or None,
            team_id=row.team_id or team_id, bot_token=self.sealed.open(row.bot_token),
            bot_id=row.bot_id, bot_user_id=row.bot_user_id, bot_scopes=row.bot_scopes,
            bot_refresh_token=self.sealed.open(row.bot_refresh_token),
            bot_token_expires_at=_epoch(row.bot_token_expires_at),
            user_id=row.installer_user_id or "", is_enterprise_install=row.is_enterprise_install,
            installed_at=row.installed_at.timestamp())
        self._kept[key] = (time.monotonic(), installation)
        return installation

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        installation = self.find_installation(enterprise_id=enterprise_id, team_id=team_id,
                                              is_enterprise_install=is_enterprise_install)
        return installation.to_bot() if installation else None

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        if user_id is not None:
            return  # Rumbo keeps no user tokens
        with new_session(self.engine) as db:
            installations.remove(db, enterprise_id=enterprise_id, team_id=team_id)
            db.commit()
        self._kept.clear()

    def forget(self) -> None:
        """Read installations again from now on (one was just removed)."""
        self._kept.clear()

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    # --- what the outbox's sender calls ---

    def client_for(self, team_id: str) -> WebClient | None:
        """A client with the workspace's own bot token; None when Rumbo is not installed
        there (any more)."""
        bot = self.find_bot(enterprise_id=None, team_id=team_id)
        return self.clients.get(bot.bot_token) if bot and bot.bot_token else None

    # --- token rotation ---

    def _fresh(self, enterprise_id: str | None, team_id: str | None) -> Row | None:
        with new_session(self.engine) as db:
            row = installations.find(db, enterprise_id=enterprise_id, team_id=team_id)
            if row is None or not self._expiring(row):
                return row
            try:
                return self._refresh(db, enterprise_id, team_id)
            except (OperationalError, SlackApiError) as error:
                # Another process is refreshing it right now, or Slack refused: the current
                # token still works for a while (refreshes start well before expiry).
                db.rollback()
                log.warning("no token refresh for %s now: %s", row.team_id or row.enterprise_id,
                            type(error).__name__)
                return installations.find(db, enterprise_id=enterprise_id, team_id=team_id)

    def _expiring(self, row: Row) -> bool:
        return (row.bot_refresh_token is not None and row.bot_token_expires_at is not None
                and row.bot_token_expires_at - self.clock() < REFRESH_AHEAD)

    def _refresh(self, db, enterprise_id: str | None, team_id: str | None) -> Row | None:
        row = installations.find(db, enterprise_id=enterprise_id, team_id=team_id, lock=True)
        if row is None or not self._expiring(row):  # refreshed while we waited for the lock
            db.commit()
            return row
        refreshed = make_client(token=None, base_url=self.api_url).oauth_v2_access(
            client_id=self.client_id, client_secret=self.client_secret,
            grant_type="refresh_token", refresh_token=self.sealed.open(row.bot_refresh_token))
        installations.update_tokens(
            db, row=row, bot_token=self.sealed.seal(refreshed["access_token"]),
            bot_refresh_token=self.sealed.seal(refreshed.get("refresh_token")),
            bot_token_expires_at=self.clock() + timedelta(seconds=int(refreshed["expires_in"])))
        db.commit()
        log.info("refreshed the bot token of %s", row.team_id or row.enterprise_id)
        return installations.find(db, enterprise_id=enterprise_id, team_id=team_id)


class RumboStateStore(OAuthStateStore):
    """OAuth states in the database, so any process can finish a flow another began."""

    def __init__(self, engine: Engine, clock=utc_now):
        self.engine, self.clock = engine, clock

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args, **kwargs) -> str:
        state = secrets.token_urlsafe(32)
        with new_session(self.engine) as db:
            installations.issue_state(db, state=state,
                                      expires_at=self.clock() + STATE_LIFETIME)
            db.commit()
        return state

    def consume(self, state: str) -> bool:
        with new_session(self.engine) as db:
            used = installations.consume_state(db, state=state, now=self.clock())
            db.commit()
        return used


def removed(act: Interaction, db) -> Callable[[], None] | None:
    """app_uninstalled, or tokens_revoked for the bot: no call with its token again (Slack
    does not promise which of the two comes first; both do the same)."""
    event = act.body.get("event") or {}
    if event.get("type") == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return None  # user tokens only: Rumbo keeps none
    enterprise_id = act.body.get("enterprise_id")
    installations.remove(db, enterprise_id=enterprise_id, team_id=act.team_id)
    if not act.body.get("is_enterprise_install"):
        installations.uninstalled(db, team_id=act.team_id, now=act.deps.clock())
    return act.deps.installations.forget if act.deps.installations else None


def register(app: Routes) -> None:
    app.event("app_uninstalled")(store_in_ack(removed))
    app.event("tokens_revoked")(store_in_ack(removed))
