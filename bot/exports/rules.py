"""What the export's words and files are called."""

from datetime import date

from bot.platform.i18n import N_
from storage.models import Plan

# `/plan export me scores` skips the question: the words each choice takes.
CHANNEL, PRIVATE, SCORES = {"channel", "canal"}, {"me", "private", "yo", "privado"}, \
    {"scores", "puntuaciones"}


def export_filename(plan: Plan, today: date) -> str:
    """`plan-acme-2026-11-30`: safe on every system, recognisable in a download folder."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan.account_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:40] or "account"
    return f"plan-{slug}-{today.isoformat()}"


# The plan sheet's headings, each worded once: the export writes them (in the plan's
# language) and the import reads them back in English or Spanish (bot/imports/rules.py).
PLAN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("category", N_("Category")),
    ("type", N_("Type")),
    ("title", N_("Objective or initiative")),
    ("target", N_("Target")),
    ("measure", N_("Measure")),
    ("unit", N_("Unit")),
    ("baseline", N_("Baseline")),
    ("target_value", N_("Target value")),
    ("target_date", N_("Target date")),
    ("due_date", N_("Due date")),
    ("horizon", N_("Horizon")),
    ("owner", N_("Owner")),
    ("status", N_("Status")),
)

# What the Type column says of a row.
ROW_TYPES: dict[str, str] = {"objective": N_("Objective"), "initiative": N_("Initiative")}

# The plan's own fields above the headings, as (label, value) pairs.
PLAN_LABELS: dict[str, str] = {
    "account": N_("Account"),
    "period": N_("Period"),
    "start_date": N_("Start date"),
    "end_date": N_("End date"),
    "cadence": N_("Review cadence"),
    "review_day": N_("Review day"),
    "review_time": N_("Review time"),
    "timezone": N_("Timezone"),
    "next_review": N_("Next review"),
    "facilitators": N_("Facilitators"),
}

NO_CATEGORY = N_("Without a category")
