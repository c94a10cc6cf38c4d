"""Step 1, the strategy session: the five questions and their prompts, the idea tags, and the
session's timing."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.outbox.schedule import Planned
from bot.platform.i18n import N_


@dataclass(frozen=True)
class Question:
    number: int
    title: str
    intro: str
    prompts: tuple[str, ...]


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        N_("Where are we?"),
        N_("Discuss where you and your client are in your partnership."),
        (
            N_("What is going well and what is not?"),
            N_("Did you get there through good luck, bad luck, good planning or no planning?"),
            N_("How does performance compare with the benchmarks?"),
            N_("Is this a trend (are things getting better or worse)?"),
        ),
    ),
    Question(
        2,
        N_("Where do we want to go?"),
        N_(
            "Think blue sky: what would create the most value if there were no obstacles. "
            "Then group the ideas into realistic and ambitious. Don't ignore the "
            "“someday” ideas: you will come back to them."
        ),
        (
            N_(
                "What is the overall purpose or mission? "
                "What do you both want from the partnership?"
            ),
            N_("Are you happy or unhappy with the status quo?"),
            N_("Is there an appetite to do something totally different? A game changer?"),
            N_("What is the biggest problem your client faces?"),
            N_("If there were no limits, what would you do?"),
            N_("What new trends or technologies are emerging? Are you ahead or falling behind?"),
        ),
    ),
    Question(
        3,
        N_("What changes must be made?"),
        N_("Compare the current state with the desired state. What is holding you back?"),
        (
            N_("What would it take to make things 10 times better than now?"),
            N_("What are the risks (internal / external)? What is inside or outside your control?"),
            N_("What would create more opportunities?"),
            N_("What do you need to stop or start doing?"),
            N_("How can you improve performance?"),
            N_("Consider alternatives: what are your options A, B and C?"),
            N_("What are the quick wins? Sometimes a small change can have a big impact."),
        ),
    ),
    Question(
        4,
        N_("How should the changes be made?"),
        N_(
            "Change won't happen overnight. Some things you can do yourself for a quick "
            "result, but mostly you will have to win other people's support for your "
            "strategy, intellectually and emotionally."
        ),
        (
            N_("What changes can you control or undertake?"),
            N_("What changes need the commitment of stakeholders?"),
            N_("Consider who, what, when, where and how is needed to make your strategy real."),
            N_("Should your focus be narrow or broad?"),
            N_("What can you do for free, and what will need a budget?"),
        ),
    ),
    Question(
        5,
        N_("How will progress be measured?"),
        N_(
            "Don't dwell too long on measurement: a rough figure is fine. This won't be "
            "audited by a team of forensic accountants."
        ),
        (
            N_("Improved financial performance"),
            N_("Process efficiencies"),
            N_("Quality"),
            N_("Customer experience"),
            N_("Continuous improvement"),
            N_("Relationships"),
        ),
    ),
)

IDEA_TAGS: dict[str, str] = {
    "realistic": N_("Realistic"),
    "ambitious": N_("Ambitious"),
    "someday": N_("Someday"),
}

# Labels of the session modal's idea fields, one per tag.
IDEA_FIELDS: dict[str, str] = {
    "realistic": N_("Realistic ideas"),
    "ambitious": N_("Ambitious ideas"),
    "someday": N_("Someday ideas"),
}

SESSION_MINUTES_DEFAULT = 90


def minutes_per_question(started_at: datetime, ends_at: datetime, questions: int = 5) -> int:
    """The time each question gets when the facilitator steps through them: an even share
    of the session, in whole minutes (at least one)."""
    return max(1, int((ends_at - started_at).total_seconds() // 60) // questions)


def session_end(started_at: datetime, minutes: int) -> datetime:
    return started_at + timedelta(minutes=minutes)


def split_idea_lines(text: str | None) -> list[str]:
    """One idea per line; blank lines and bullets typed out of habit are dropped."""
    ideas = []
    for line in (text or "").splitlines():
        line = line.strip().lstrip("•*-–").strip()
        if line:
            ideas.append(line)
    return ideas


SESSION_WARNING = timedelta(minutes=10)


def warning_lead(length: timedelta) -> timedelta:
    """How long before a session's end the "minutes left" note comes: 10 minutes, or a
    fifth of a session shorter than 50 minutes (whole minutes, at least one)."""
    return min(SESSION_WARNING, timedelta(minutes=max(1, int(length.total_seconds() // 300))))


def session_timers(strategy_session) -> list[Planned]:
    base = f"session:{strategy_session.id}"
    lead = warning_lead(strategy_session.ends_at - strategy_session.started_at)
    return [
        Planned(f"{base}:warning", "session_warning", strategy_session.ends_at - lead,
                {"session_id": strategy_session.id, "minutes": int(lead.total_seconds() // 60)}),
        Planned(f"{base}:end", "session_end", strategy_session.ends_at,
                {"session_id": strategy_session.id}),
    ]
