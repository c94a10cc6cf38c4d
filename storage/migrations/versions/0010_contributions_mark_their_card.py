"""contributions mark their session's card: an answer or an idea stored in a strategy
session marks the session's live card for redrawing in its own INSERT (a trigger), so
the commonest write of a meeting is one statement fewer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTRIBUTIONS = ("answer", "idea")
# What `storage.outbox.mark_card` does for a session's card, at the contribution's time.
MARK = ("UPDATE strategy_session SET card_dirty_at = NEW.created_at "
        "WHERE id = NEW.session_id AND card_dirty_at IS NULL")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE FUNCTION mark_session_card() RETURNS trigger AS $$ "
                   f"BEGIN {MARK}; RETURN NULL; END $$ LANGUAGE plpgsql")
    for name in CONTRIBUTIONS:
        if postgres:
            op.execute(f"CREATE TRIGGER {name}_marks_session_card AFTER INSERT ON {name} "
                       "FOR EACH ROW WHEN (NEW.session_id IS NOT NULL) "
                       "EXECUTE FUNCTION mark_session_card()")
        else:
            op.execute(f"CREATE TRIGGER {name}_marks_session_card AFTER INSERT ON {name} "
                       f"WHEN NEW.session_id IS NOT NULL BEGIN {MARK}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in CONTRIBUTIONS:
        op.execute(f"DROP TRIGGER {name}_marks_session_card"
                   + (f" ON {name}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION mark_session_card()")
