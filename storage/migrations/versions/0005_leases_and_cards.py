"""delivery leases and parts; card redraw marks

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CARD_TABLES = ("strategy_session", "scoring_round")


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_until", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("parts_done", sa.Integer(), server_default="0", nullable=False)
        )
    # A claim held by a process that stopped before this version had no lease: expire it.
    op.execute("UPDATE delivery SET claimed_until = claimed_at WHERE status = 'sending'")
    for table in CARD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("card_dirty_at", storage.types.UTCDateTime(timezone=True),
                          nullable=True)
            )
            batch_op.add_column(
                sa.Column("card_drawn_at", storage.types.UTCDateTime(timezone=True),
                          nullable=True)
            )


def downgrade() -> None:
    for table in CARD_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("card_drawn_at")
            batch_op.drop_column("card_dirty_at")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("parts_done")
        batch_op.drop_column("claimed_until")
