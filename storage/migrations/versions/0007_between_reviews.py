"""between reviews: owners' check-ins and how many days ahead they are asked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

String = sqlmodel.sql.sqltypes.AutoString
Moment = storage.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_days", sa.Integer(), server_default="3",
                                      nullable=False))
    op.create_table(
        "check_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", String(length=32), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("entity", String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", String(length=32), nullable=False),
        sa.Column("status", String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("note", String(length=3000), nullable=True),
        sa.Column("updated_at", Moment(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["workspace.team_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_in_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index("uq_check_in_open", ["plan_id", "entity", "entity_id"],
                              unique=True, sqlite_where=sa.text("review_id IS NULL"),
                              postgresql_where=sa.text("review_id IS NULL"))


def downgrade() -> None:
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_index("uq_check_in_open")
        batch_op.drop_index(batch_op.f("ix_check_in_plan_id"))
    op.drop_table("check_in")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_column("checkin_days")
