"""the question a strategy session is on, when the facilitator steps through them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("focus_question", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("focus_since", storage.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategy_session", schema=None) as batch_op:
        batch_op.drop_column("focus_since")
        batch_op.drop_column("focus_question")
