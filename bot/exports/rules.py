"""What the export's words and files are called."""

from datetime import date

from storage.models import Plan

# `/plan export me scores` skips the question: the words each choice takes.
CHANNEL, PRIVATE, SCORES = {"channel", "canal"}, {"me", "private", "yo", "privado"}, \
    {"scores", "puntuaciones"}


def export_filename(plan: Plan, today: date) -> str:
    """`plan-acme-2026-11-30`: safe on every system, recognisable in a download folder."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in plan.account_name.lower())
    slug = "-".join(part for part in slug.split("-") if part)[:40] or "account"
    return f"plan-{slug}-{today.isoformat()}"
