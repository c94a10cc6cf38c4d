"""the commonest writes of a meeting mark their live card themselves: an answer or an idea
stored in a strategy session marks the session's card, and a score (an evaluation stored
or changed) marks the card of its plan's running scoring round, in their own statement
(triggers), one statement fewer for each; and an index on the ideas merged into another,
which the ideas list counts for each idea it shows

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

# What `storage.outbox.mark_card` does, at the time of the write: (trigger, table, events,
# the card's UPDATE). SQLite drops a table's triggers with the table: a later migration
# that rebuilds answer, idea or evaluation (batch_alter_table) must create them again (the
# storage tests of the marks fail otherwise).
MARKS = (
    ("answer_marks_session_card", "answer", ("INSERT",),
     "UPDATE strategy_session SET card_dirty_at = NEW.created_at "
     "WHERE id = NEW.session_id AND card_dirty_at IS NULL"),
    ("idea_marks_session_card", "idea", ("INSERT",),
     "UPDATE strategy_session SET card_dirty_at = NEW.created_at "
     "WHERE id = NEW.session_id AND card_dirty_at IS NULL"),
    ("evaluation_marks_round_card", "evaluation", ("INSERT", "UPDATE"),
     "UPDATE scoring_round SET card_dirty_at = COALESCE(NEW.updated_at, NEW.created_at) "
     "WHERE plan_id = (SELECT plan_id FROM idea WHERE id = NEW.idea_id) "
     "AND ended_at IS NULL AND card_dirty_at IS NULL"),
)


def upgrade() -> None:
    op.create_index("ix_idea_merged_into_id", "idea", ["merged_into_id"])
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, events, mark in MARKS:
        if postgres:  # a trigger runs a function there
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger AS $$ "
                       f"BEGIN {mark}; RETURN NULL; END $$ LANGUAGE plpgsql")
            op.execute(f"CREATE TRIGGER {name} AFTER {' OR '.join(events)} ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {name}()")
        else:  # one trigger an event
            for event in events:
                op.execute(f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
                           f"BEGIN {mark}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, events, _mark in MARKS:
        if postgres:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            for event in events:
                op.execute(f"DROP TRIGGER {name}_{event.lower()}")
    op.drop_index("ix_idea_merged_into_id", table_name="idea")
