"""Installations of Rumbo (one per workspace, or per Enterprise Grid organisation), OAuth
states, and a workspace's life: uninstalled, kept for a retention period, purged.

Tokens arrive here already encrypted (bot/platform/installations.py); nothing here knows Slack.
"""

from datetime import datetime

from sqlalchemy import and_, delete, update
from sqlmodel import Session, SQLModel, col, select

from storage.db import insert
from storage.models import Delivery, Installation, OAuthState, Workspace
from storage.outbox import NOT_INSTALLED
from storage.types import utc_now

FIELDS = ("is_enterprise_install", "app_id", "bot_id", "bot_user_id", "bot_scopes",
          "bot_token", "bot_refresh_token", "bot_token_expires_at", "installer_user_id",
          "installed_at")


def save(session: Session, row: Installation) -> None:
    """Store an install, replacing the workspace's previous one (a reinstall)."""
    values = {name: getattr(row, name) for name in FIELDS}
    session.exec(insert(session, Installation)
                 .values(enterprise_id=row.enterprise_id, team_id=row.team_id, **values)
                 .on_conflict_do_update(index_elements=["enterprise_id", "team_id"],
                                        set_=values))
    if row.team_id:
        # What waited for an install goes out now (a backlog collapses as after downtime).
        session.exec(update(Delivery).where(col(Delivery.team_id) == row.team_id,
                                            col(Delivery.status) == "paused",
                                            col(Delivery.last_error) == NOT_INSTALLED)
                     .values(status="pending", last_error=None, next_attempt_at=None))
        session.exec(insert(session, Workspace)
                     .values(team_id=row.team_id, created_at=utc_now(), uninstalled_at=None)
                     .on_conflict_do_update(index_elements=["team_id"],
                                            set_={"uninstalled_at": None}))


def find(session: Session, *, enterprise_id: str | None, team_id: str | None,
         lock: bool = False) -> Installation | None:
    """The workspace's own install if it has one, else its organisation's (org-wide).
    With `lock`, the row is locked first, till the transaction ends: refresh tokens are
    single use, so one process at a time may spend one."""
    if team_id and not enterprise_id:
        enterprise_id = session.exec(select(Workspace.enterprise_id).where(
            Workspace.team_id == team_id)).first()
    wheres = []
    if team_id:  # team ids are unique across Slack
        wheres.append(col(Installation.team_id) == team_id)
    if enterprise_id:
        wheres.append(and_(col(Installation.enterprise_id) == enterprise_id,
                           col(Installation.team_id) == ""))
    for where in wheres:
        if lock:  # an UPDATE that changes nothing: SQLite's write lock, PostgreSQL's row
            session.exec(update(Installation).where(where)
                         .values(bot_token=Installation.bot_token)
                         .execution_options(synchronize_session=False))
        # Read again from the database, not the session's copy: another process may
        # have refreshed the tokens while this one waited for the lock.
        found = session.exec(select(Installation).where(where)
                             .execution_options(populate_existing=True)).first()
        if found is not None:
            return found
    return None


def update_tokens(session: Session, *, row: Installation, bot_token: str,
                  bot_refresh_token: str | None, bot_token_expires_at: datetime | None) -> None:
    session.exec(update(Installation).where(col(Installation.id) == row.id).values(
        bot_token=bot_token, bot_refresh_token=bot_refresh_token,
        bot_token_expires_at=bot_token_expires_at))


def remove(session: Session, *, enterprise_id: str | None, team_id: str | None) -> int:
    """Delete an install's tokens, at once (an uninstall, revoked tokens)."""
    return session.exec(delete(Installation).where(
        col(Installation.enterprise_id) == (enterprise_id or ""),
        col(Installation.team_id) == (team_id or ""))).rowcount


def uninstalled(session: Session, *, team_id: str, now: datetime) -> None:
    """The workspace removed Rumbo: its data waits out the retention period."""
    session.exec(update(Workspace).where(col(Workspace.team_id) == team_id,
                                         col(Workspace.uninstalled_at).is_(None))
                 .values(uninstalled_at=now))


def to_purge(session: Session, *, uninstalled_before: datetime) -> list[str]:
    return list(session.exec(select(Workspace.team_id).where(
        col(Workspace.uninstalled_at) < uninstalled_before)))


def purge(session: Session, *, team_id: str) -> int:
    """Delete everything of one workspace, every table, dependants first. Returns how many
    rows went."""
    removed = 0
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "team_id" in table.columns:
            removed += session.exec(delete(table).where(table.c.team_id == team_id)).rowcount
    return removed


def issue_state(session: Session, *, state: str, expires_at: datetime) -> None:
    session.add(OAuthState(state=state, expires_at=expires_at))


def consume_state(session: Session, *, state: str, now: datetime) -> bool:
    """True once for a state issued and not expired: one conditional DELETE, so two
    redirects with the same state cannot both pass. Expired states go too."""
    used = session.exec(delete(OAuthState).where(
        col(OAuthState.state) == state, col(OAuthState.expires_at) > now)).rowcount == 1
    session.exec(delete(OAuthState).where(col(OAuthState.expires_at) <= now))
    return used
