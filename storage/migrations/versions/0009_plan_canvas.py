"""the plan's channel canvas: its id, whether the plan keeps one, why Slack refused it, and
a digest of each section as last written

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canvas_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("canvas_on", sa.Boolean(), nullable=False,
                                      server_default="1"))
        batch_op.add_column(sa.Column("canvas_refused", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("canvas_digest", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("canvas_digest")
        batch_op.drop_column("canvas_refused")
        batch_op.drop_column("canvas_on")
        batch_op.drop_column("canvas_id")
