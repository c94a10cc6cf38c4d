"""Rumbo's tables. Every row carries the Slack workspace (`team_id`) it belongs to."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ClientSize(StrEnum):
    LARGE = "large"
    SMALL = "small"

class Period(StrEnum):
    CALENDAR_YEAR = "calendar_year"
    SIX_MONTHS = "six_months"
    TWELVE_MONTHS = "twelve_months"
    PERPETUAL = "perpetual"

class PlanStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"

class IdeaTag(StrEnum):
    REALISTIC = "realistic"
    AMBITIOUS = "ambitious"
    SOMEDAY = "someday"

class Workspace(SQLModel, table=True):
    team_id: str = Field(primary_key=True, max_length=32)
    name: str | None = Field(default=None, max_length=255)
    bot_user_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

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

    id: int | None = Field(default=None, primary_key=True)
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
    status: str = Field(default=PlanStatus.ACTIVE, max_length=16)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_by: str | None = Field(default=None, max_length=32)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

class Facilitator(SQLModel, table=True):
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    user_id: str = Field(primary_key=True, max_length=32)

class Category(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
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

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    channel_id: str = Field(max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    started_by: str = Field(max_length=32)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    ended_by: str | None = Field(default=None, max_length=32)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

class Answer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    session_id: int = Field(foreign_key="strategy_session.id", index=True)
    question: int = Field(ge=1, le=5)
    text: str = Field(max_length=3000)
    user_id: str = Field(max_length=32)
    # The author's own workspace: differs from team_id for Slack Connect guests.
    user_team_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Cleared answers are kept, only hidden: nothing a user typed is lost.
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

class Idea(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="workspace.team_id", max_length=32)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="strategy_session.id")
    source_question: int | None = Field(default=None, ge=1, le=5)
    tag: str | None = Field(default=None, max_length=16)
    text: str = Field(max_length=3000)
    user_id: str = Field(max_length=32)
    user_team_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

class ProcessedRequest(SQLModel, table=True):
    """Idempotency keys: written in the same transaction as the data they guard."""

    __tablename__ = "processed_request"

    team_id: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
