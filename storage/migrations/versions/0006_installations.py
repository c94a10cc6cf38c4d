"""installations, OAuth states, uninstalled workspaces

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Moment = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", String(length=32), nullable=False),
        sa.Column("team_id", String(length=32), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("app_id", String(length=32), nullable=True),
        sa.Column("bot_id", String(length=32), nullable=True),
        sa.Column("bot_user_id", String(length=32), nullable=True),
        sa.Column("bot_scopes", String(length=1000), nullable=False),
        sa.Column("bot_token", String(length=1000), nullable=False),
        sa.Column("bot_refresh_token", String(length=1000), nullable=True),
        sa.Column("bot_token_expires_at", Moment(timezone=True), nullable=True),
        sa.Column("installer_user_id", String(length=32), nullable=True),
        sa.Column("installed_at", Moment(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "team_id"),
    )
    op.create_table(
        "oauth_state",
        sa.Column("state", String(length=64), nullable=False),
        sa.Column("expires_at", Moment(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state"),
    )
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_id", String(length=32), nullable=True))
        batch_op.add_column(sa.Column("uninstalled_at", Moment(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("uninstalled_at")
        batch_op.drop_column("enterprise_id")
    op.drop_table("oauth_state")
    op.drop_table("installation")
