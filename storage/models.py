"""Rumbo's tables. Every row carries the Slack workspace (`team_id`) it belongs to."""

from datetime import date, datetime, time

from sqlalchemy import Index, UniqueConstraint, literal_column, text
from sqlmodel import Field, SQLModel, col

from storage.types import UTCDateTime, utc_now


class Workspace(SQLModel, table=True):
    team_id: str = Field(primary_key=True, max_length=32)
    name: str | None = Field(default=None, max_length=255)
    bot_user_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    # Its Enterprise Grid organisation, whose org-wide install may serve it.
    enterprise_id: str | None = Field(default=None, max_length=32)
    # Set when the workspace uninstalled Rumbo: its data is purged a retention period later.
    uninstalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Installation(SQLModel, table=True):
    """A workspace's install of Rumbo (or an Enterprise Grid organisation's, with no
    team): its bot token and refresh token, encrypted (bot/platform/installations.py). One row per
    workspace; a reinstall replaces it. Missing ids are stored as "" so the unique key
    holds on every database."""

    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    enterprise_id: str = Field(default="", max_length=32)
    team_id: str = Field(default="", max_length=32)
    is_enterprise_install: bool = False
    app_id: str | None = Field(default=None, max_length=32)
    bot_id: str | None = Field(default=None, max_length=32)
    bot_user_id: str | None = Field(default=None, max_length=32)
    bot_scopes: str = Field(default="", max_length=1000)
    bot_token: str = Field(max_length=1000)
    bot_refresh_token: str | None = Field(default=None, max_length=1000)
    bot_token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    installer_user_id: str | None = Field(default=None, max_length=32)
    installed_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class OAuthState(SQLModel, table=True):
    """The state of an OAuth flow under way: issued by /slack/install, used once."""

    __tablename__ = "oauth_state"

    state: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class Plan(SQLModel, table=True):
    __table_args__ = (
        # One active plan per channel; archived plans stay readable.
        Index(
            "uq_plan_active_channel",
            "team_id",
            "channel_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32, index=True)
    channel_id: str = Field(max_length=32)
    account_name: str = Field(max_length=150)
    client_size: str = Field(max_length=16)
    period: str = Field(max_length=16)
    start_date: date
    end_date: date | None = None
    timezone: str = Field(max_length=64)
    review_weekday: int = Field(ge=0, le=6)
    review_time: time
    language: str = Field(max_length=8)
    status: str = Field(default="active", max_length=16)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    archived_by: str | None = Field(default=None, max_length=32)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Review cadence: quarterly, semiannual, monthly, or every `cadence_weeks` weeks.
    cadence: str | None = Field(default=None, max_length=16)
    cadence_weeks: int | None = None
    # The next review's date when a facilitator postponed it; else it follows the cadence.
    next_review_on: date | None = None
    reminder_days: str = Field(default="7,1", max_length=32,  # days before the review
                               sa_column_kwargs={"server_default": "7,1"})
    overdue_every_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    overdue_max: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    summary_frequency: str = Field(default="monthly", max_length=16,  # weekly … off
                                   sa_column_kwargs={"server_default": "monthly"})
    # Owners are asked for a check-in this many days before each review.
    checkin_days: int = Field(default=3, sa_column_kwargs={"server_default": "3"})
    # Set when Slack refuses the channel (archived, bot removed): nudges wait.
    nudges_paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The channel's canvas, kept by Rumbo as the plan changes (bot/canvas/): its id once
    # made, whether the plan keeps one, Slack's refusal (the facilitator was told; nothing
    # is tried again until `/plan canvas`), and each section's digest as last written.
    canvas_id: str | None = Field(default=None, max_length=32)
    canvas_on: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    canvas_refused: str | None = Field(default=None, max_length=64)
    canvas_digest: str | None = Field(default=None, max_length=1000)


# An active plan, "active" as a literal rather than a bound parameter: SQLite then uses the
# partial index of active plans without preparing the statement again at every execution.
ACTIVE = col(Plan.status) == literal_column("'active'")


class Facilitator(SQLModel, table=True):
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    user_id: str = Field(primary_key=True, max_length=32)


class Category(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    name: str = Field(max_length=75)
    position: int


class StrategySession(SQLModel, table=True):
    __tablename__ = "strategy_session"
    __table_args__ = (
        # At most one running session per plan.
        Index(
            "uq_session_running_plan",
            "plan_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    started_by: str = Field(max_length=32)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    ended_by: str | None = Field(default=None, max_length=32)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The question in focus when the facilitator steps through them one at a time.
    focus_question: int | None = None
    focus_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by every write the card shows, cleared when the card is redrawn (bot/outbox/cards.py).
    card_dirty_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    card_drawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Answer(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    session_id: int = Field(foreign_key="strategy_session.id", index=True)
    question: int = Field(ge=1, le=5)
    text: str = Field(max_length=3000)
    user_id: str = Field(max_length=32)
    # The author's own workspace: differs from team_id for Slack Connect guests.
    user_team_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Cleared answers are kept, only hidden: nothing a user typed is lost.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Idea(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="strategy_session.id")
    source_question: int | None = Field(default=None, ge=1, le=5)
    tag: str | None = Field(default=None, max_length=16)
    text: str = Field(max_length=3000)
    user_id: str = Field(max_length=32)
    user_team_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The settled score ("3", "2", "1", "discard"); None while unscored.
    score: str | None = Field(default=None, max_length=8)
    # Participants' scores stay hidden from each other until a facilitator reveals them.
    revealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A merged idea is kept, hidden behind the idea it was merged into.
    merged_into_id: int | None = Field(default=None, foreign_key="idea.id", index=True)
    # Bumped on every change, so two facilitators settling at once cannot both win.
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Evaluation(SQLModel, table=True):
    """One participant's evaluation of an idea (the seed's step 2 prompts) and score."""

    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    idea_id: int = Field(foreign_key="idea.id", index=True)
    user_id: str = Field(max_length=32)
    user_team_id: str | None = Field(default=None, max_length=32)
    pros: str | None = Field(default=None, max_length=3000)
    cons: str | None = Field(default=None, max_length=3000)
    likelihood: str | None = Field(default=None, max_length=16)
    costs: str | None = Field(default=None, max_length=3000)
    need: str | None = Field(default=None, max_length=16)
    time_resources: str | None = Field(default=None, max_length=3000)
    urgency: str | None = Field(default=None, max_length=16)
    effort: str | None = Field(default=None, max_length=16)
    worth_it: str | None = Field(default=None, max_length=16)
    score: str = Field(max_length=8)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdeaHistory(SQLModel, table=True):
    """What happened to an idea: scored or moved, edited, merged, scores revealed."""

    __tablename__ = "idea_history"

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    idea_id: int = Field(foreign_key="idea.id", index=True)
    kind: str = Field(max_length=16)
    before: str | None = Field(default=None, max_length=3000)
    after: str | None = Field(default=None, max_length=3000)
    note: str | None = Field(default=None, max_length=3000)
    user_id: str = Field(max_length=32)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ScoringRound(SQLModel, table=True):
    """A facilitator-led walk through the unscored ideas, on one card in the channel."""

    __tablename__ = "scoring_round"
    __table_args__ = (
        Index(
            "uq_round_running_plan",
            "plan_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    # The ideas to walk through, comma-separated ids, fixed when the round starts.
    idea_ids: str = Field(max_length=10000)
    position: int = Field(default=0)
    started_by: str = Field(max_length=32)
    started_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    card_dirty_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    card_drawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Objective(SQLModel, table=True):
    """A strategy on the plan: usually an idea settled at 3, with a target and a measure."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    idea_id: int | None = Field(default=None, foreign_key="idea.id")
    category_id: int = Field(foreign_key="category.id")
    statement: str = Field(max_length=3000)
    target: str = Field(max_length=3000)
    measure: str = Field(max_length=255)
    unit: str | None = Field(default=None, max_length=32)
    baseline: float | None = None
    target_value: float | None = None
    target_date: date | None = None
    horizon: str = Field(max_length=16)  # quick_win, medium, long
    owner_id: str | None = Field(default=None, max_length=32)
    status: str = Field(default="not_started", max_length=16)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Initiative(SQLModel, table=True):
    """A milestone towards an objective ("run 3 times a week"), with its own measure."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    title: str = Field(max_length=3000)
    target: str = Field(max_length=3000)
    measure: str = Field(max_length=255)
    owner_id: str | None = Field(default=None, max_length=32)
    due_date: date | None = None
    status: str = Field(default="not_started", max_length=16)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PlanChange(SQLModel, table=True):
    """The plan's history: who changed what, when, from what to what."""

    __tablename__ = "plan_change"

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    entity: str = Field(max_length=16)  # plan, category, objective, initiative
    entity_id: int | None = None
    field: str = Field(max_length=32)  # "created" for a new item
    before: str | None = Field(default=None, max_length=3000)
    after: str | None = Field(default=None, max_length=3000)
    user_id: str = Field(max_length=32)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Review(SQLModel, table=True):
    """A review held: what worked, what did not; item statuses are in ItemReview."""

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    due_on: date | None = None  # the scheduled review it fulfils
    held_by: str = Field(max_length=32)
    held_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    # None while the review is being filled in, page by page.
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worked: str | None = Field(default=None, max_length=3000)
    not_worked: str | None = Field(default=None, max_length=3000)


class ItemReview(SQLModel, table=True):
    """An objective's or initiative's status, measured value and note at a review."""

    __tablename__ = "item_review"
    __table_args__ = (UniqueConstraint("review_id", "entity", "entity_id"),)

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    review_id: int = Field(foreign_key="review.id", index=True)
    entity: str = Field(max_length=16)  # objective, initiative
    entity_id: int
    status: str = Field(max_length=16)
    value: float | None = None
    note: str | None = Field(default=None, max_length=3000)


class CheckIn(SQLModel, table=True):
    """An owner's word on one of their items before the next review (status, value, note):
    open (no review yet) until the review that reads it closes, and prefills it."""

    __tablename__ = "check_in"
    __table_args__ = (
        # One open check-in per item: the owner edits it until the review.
        Index(
            "uq_check_in_open",
            "plan_id",
            "entity",
            "entity_id",
            unique=True,
            sqlite_where=text("review_id IS NULL"),
            postgresql_where=text("review_id IS NULL"),
        ),
    )

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    review_id: int | None = Field(default=None, foreign_key="review.id")
    entity: str = Field(max_length=16)  # objective, initiative
    entity_id: int
    user_id: str = Field(max_length=32)
    status: str = Field(max_length=16)
    value: float | None = None
    note: str | None = Field(default=None, max_length=3000)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """The outbox: every message the team depends on (scheduled nudges, and the posts and
    uploads users ask for), keyed and committed before it is sent, so a crash, a restart,
    a second process or a job that fires twice never loses it nor posts it twice."""

    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index("ix_delivery_due", "status", "due_at"),
    )

    id: int = Field(default=None, primary_key=True)  # None until the row is flushed
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    kind: str = Field(max_length=24)
    key: str = Field(max_length=255)
    due_at: datetime = Field(sa_type=UTCDateTime)
    # pending → sending → sent; or skipped (cancelled, collapsed, stale), paused, failed.
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # A claim is a lease: a process that died while sending loses it at this time.
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How many of its messages are posted already (a recap can take several).
    parts_done: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=255)
    payload: str = Field(default="{}", max_length=3000)


class ProcessedRequest(SQLModel, table=True):
    """Idempotency keys: written in the same transaction as the data they guard."""

    __tablename__ = "processed_request"

    team_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=255)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
