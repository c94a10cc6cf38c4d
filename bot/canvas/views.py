"""The channel's canvas: the plan as a living document, in the plan's language. A pure
function of the plan's data (`sections`), in sections Rumbo finds again by their headings
(`canvases.sections.lookup`) and replaces one by one; and the notes Rumbo sends about it."""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from bot.objectives.rules import STATUSES
from bot.plans.rules import PERIODS
from bot.platform.blocks import escape, long_date
from bot.platform.i18n import N_, gettext_for
from bot.platform.markdown import md_escape, md_inline
from bot.reviews.rules import cadence_words, overdue
from bot.scoring.rules import STATUSES as IDEA_STATUSES
from storage.models import Category, Idea, Initiative, Objective, Plan, Review

# The priority list on the canvas: 3s, 2s to evaluate further, 1s on hold.
PRIORITIES = ("3", "2", "1")


@dataclass(frozen=True)
class Section:
    """One part of the canvas: its heading (found again by its text) and what follows."""

    key: str
    level: int  # 1 or 2: h1, h2
    heading: str
    body: str

    @property
    def markdown(self) -> str:
        return f"{'#' * self.level} {self.heading}\n\n{self.body.strip()}\n"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.markdown.encode()).hexdigest()[:16]


@dataclass
class CanvasData:
    """What the canvas shows, read at one moment (bot/canvas/deliveries.py reads it)."""

    plan: Plan
    categories: list[Category]
    objectives: list[Objective]
    initiatives: list[Initiative]
    ideas: list[Idea]  # not merged into another
    facilitators: list[str]
    next_review: date | None
    last_review: Review | None
    today: date


def mention(user_id: str | None) -> str:
    """A person in canvas markdown (not mrkdwn's <@U…>)."""
    return f"![](@{user_id})" if user_id else ""


def document(sections: list[Section]) -> str:
    return "\n".join(section.markdown for section in sections)


def digests(sections: list[Section]) -> str:
    """What Rumbo keeps of the canvas it wrote: {section: digest}, as JSON."""
    return json.dumps({section.key: section.digest for section in sections})


def sections(data: CanvasData) -> list[Section]:
    lang, plan = data.plan.language, data.plan
    _ = gettext_for(lang)
    return [
        Section("plan", 1, _("Account plan"), _plan_body(data, _)),
        Section("objectives", 2, _("Objectives and initiatives"), _objectives_body(data, _)),
        Section("priorities", 2, _("Priority list"), _priorities_body(data, _)),
        Section("next_review", 2, _("Next review"), _next_review_body(plan, data, _)),
        Section("last_review", 2, _("Last review"), _last_review_body(data, _)),
    ]


def _field(_, label: str, value: str) -> str:
    return _("{label}: {value}").format(label=label, value=value)


def _plan_body(data: CanvasData, _) -> str:
    plan, lang = data.plan, data.plan.language
    period, start = _(PERIODS[plan.period]), long_date(plan.start_date, lang)
    if plan.end_date is None:
        when = _("{period}, from {start}").format(period=period, start=start)
    else:
        when = _("{period}, {start} – {end}").format(period=period, start=start,
                                                    end=long_date(plan.end_date, lang))
    lines = [f"**{md_inline(plan.account_name)}**", "",
             "- " + _field(_, _("Period"), when),
             "- " + _field(_, _("Reviews"), cadence_words(plan, lang))]
    if data.facilitators:
        lines.append("- " + _field(_, _("Facilitators"),
                                   ", ".join(mention(u) for u in data.facilitators)))
    lines += ["", "> " + _("Rumbo keeps this canvas up to date from the plan. Change the plan "
                           "with `/plan` in this channel: what is typed here by hand is "
                           "overwritten at the next change.")]
    return "\n".join(lines)


def _objectives_body(data: CanvasData, _) -> str:
    lang = data.plan.language
    initiatives: dict[int, list[Initiative]] = {}
    for initiative in data.initiatives:
        initiatives.setdefault(initiative.objective_id, []).append(initiative)
    lines: list[str] = []
    for category in data.categories:
        lines += ["", f"### {md_inline(category.name)}", ""]
        members = [o for o in data.objectives if o.category_id == category.id]
        if not members:
            lines.append("_" + _("No objectives yet.") + "_")
        for objective in members:
            lines.append("- **" + " ".join(md_escape(objective.statement)) + "**")
            due = objective.target_date
            lines += ["  - " + line for line in _details(_, lang, [
                (_("Target"), " ".join(md_escape(objective.target))),
                (_("Measure"), md_inline(objective.measure)),
                (_("Status"), _(STATUSES.get(objective.status, objective.status))),
                (_("Owner"), mention(objective.owner_id)),
                (_("Due date"), _due(_, lang, due, overdue_on(due, objective.status,
                                                            data.today))),
            ])]
            for initiative in initiatives.get(objective.id, []):
                lines.append("  - " + _("Initiative: {title}").format(
                    title=" ".join(md_escape(initiative.title))))
                lines += ["    - " + line for line in _details(_, lang, [
                    (_("Target"), " ".join(md_escape(initiative.target))),
                    (_("Measure"), md_inline(initiative.measure)),
                    (_("Status"), _(STATUSES.get(initiative.status, initiative.status))),
                    (_("Owner"), mention(initiative.owner_id)),
                    (_("Due date"), _due(_, lang, initiative.due_date,
                                         overdue(initiative, data.today))),
                ])]
    return "\n".join(lines) if lines else "_" + _("No categories yet.") + "_"


def overdue_on(due: date | None, status: str, today: date) -> bool:
    """An objective past its target date, as `overdue` says of an initiative."""
    return overdue(_Dated(due, status), today)


@dataclass(frozen=True)
class _Dated:
    due_date: date | None
    status: str


def _due(_, lang: str, day: date | None, late: bool) -> str:
    if day is None:
        return ""
    shown = long_date(day, lang)
    return shown + " ⚠️ **" + _("Overdue") + "**" if late else shown


def _details(_, lang: str, pairs: list[tuple[str, str]]) -> list[str]:
    return [_field(_, label, value) for label, value in pairs if value]


def _priorities_body(data: CanvasData, _) -> str:
    lines: list[str] = []
    for score in PRIORITIES:
        members = [idea for idea in data.ideas if idea.score == score]
        lines += ["", f"### {_(IDEA_STATUSES[score])} ({len(members)})", ""]
        lines += ["- " + " ".join(md_escape(idea.text)) for idea in members] or \
            ["_" + _("None.") + "_"]
    return "\n".join(lines)


def _next_review_body(plan: Plan, data: CanvasData, _) -> str:
    if data.next_review is None:
        return "_" + _("No review is scheduled.") + "_"
    return _("{day}, at {time} ({timezone})").format(
        day=f"**{long_date(data.next_review, plan.language)}**",
        time=plan.review_time.strftime("%H:%M"), timezone=md_inline(plan.timezone))


def _last_review_body(data: CanvasData, _) -> str:
    review = data.last_review
    if review is None or review.closed_at is None:
        return "_" + _("No review held yet.") + "_"
    lang = data.plan.language
    lines = [_("Held on {day} by {person}.").format(
        day=long_date(review.closed_at.date(), lang), person=mention(review.held_by))]
    counts: dict[str, int] = {}
    items: list[Objective | Initiative] = [*data.objectives, *data.initiatives]
    for item in items:
        counts[item.status] = counts.get(item.status, 0) + 1
    if counts:
        lines += ["", ", ".join(f"{_(STATUSES.get(status, status))}: {count}"
                                for status, count in counts.items())]
    for label, text in ((_("What worked"), review.worked),
                        (_("What did not work"), review.not_worked)):
        if text:
            lines += ["", f"**{label}**", ""] + ["> " + line for line in md_escape(text)]
    return "\n".join(lines)


# --- what Rumbo tells the facilitator about the canvas (mrkdwn) ---------------------------

REFUSALS = {
    "team_tier_cannot_create_channel_canvases": N_(
        "This workspace's Slack plan does not let apps make channel canvases, so the plan "
        "has no canvas here; everything else works as before. A workspace admin can "
        "upgrade the Slack plan, then run `/plan canvas`."),
    "free_team_canvas_tab_already_exists": N_(
        "On this workspace's Slack plan a channel has only one canvas tab, and this "
        "channel's is taken. Remove that tab (or turn the canvas off in `/plan settings`), "
        "then run `/plan canvas`."),
    "channel_canvas_already_exists": N_(
        "This channel already has a canvas that someone else made, and Rumbo does not "
        "write over it. Delete it or move its content, then run `/plan canvas`; or turn "
        "the canvas off in `/plan settings`."),
    "not_in_channel": N_(
        "Rumbo is not in this channel, so it cannot keep its canvas. Invite it with "
        "`/invite @Rumbo`, then run `/plan canvas`."),
    "missing_scope": N_(
        "Rumbo was installed before it asked to write canvases (`canvases:write`). "
        "Reinstall it from its install page, then run `/plan canvas`."),
}
OTHER_REFUSAL = (N_("Slack did not let Rumbo keep this channel's canvas ({error}). The plan "
                 "works without it; run `/plan canvas` to try again."))


def refused_note(*, lang: str, plan: Plan, error: str) -> str:
    _ = gettext_for(lang)
    why = _(REFUSALS[error]) if error in REFUSALS else _(OTHER_REFUSAL).format(error=error)
    return _("*The plan's canvas ({account})*").format(account=escape(plan.account_name)) + \
        "\n" + why


def asked_note(*, lang: str, on: bool) -> str:
    """`/plan canvas`'s answer, before the canvas is written."""
    _ = gettext_for(lang)
    if not on:
        return _("This plan's canvas is turned off. Turn it on in `/plan settings`.")
    return _("Writing the plan on this channel's canvas: it is in the channel's tabs in a "
             "moment.")
