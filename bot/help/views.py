"""The help: what this person can do here, and this channel's plan status."""

import functools

from bot.imports.views import import_button
from bot.plans.views import _period_line
from bot.platform.blocks import (
    chunk_lines,
    context,
    divider,
    escape,
    header,
    mention,
    section,
    shorten,
    slack_time,
)
from bot.platform.i18n import gettext_for, ngettext_for
from bot.reviews.views import review_when

ECHO_MAX = 200  # how much of a command Rumbo did not understand it repeats


def help_message(*, lang, plan=None, running=None, idea_count=0, not_understood=None,
                 aliases=None, facilitator=False, facilitators=()) -> dict:
    """What this person can do here: the facilitators' commands are listed to facilitators
    (and, before there is a plan, to everyone, since whoever creates it picks them); the
    others learn who runs them. `aliases` is {command: [its other names]} (the router's)."""
    _ = gettext_for(lang)
    blocks = []
    if not_understood is not None:
        blocks.append(
            section(_("Sorry, I didn't understand `{text}`. Here is what I can do:").format(
                text=escape(shorten(not_understood, ECHO_MAX))))
        )
    blocks.append(header(_("Rumbo: strategic account planning")))
    if plan is None:
        status = _("This channel has no account plan yet. Create one with `/plan new`.")
    else:
        status = _("*{account}* · {period}").format(
            account=escape(plan.account_name), period=_period_line(plan, lang))
        n_ = ngettext_for(lang)
        status += "\n" + n_("{count} idea so far", "{count} ideas so far", idea_count).format(
            count=idea_count)
        if running is not None:
            status += "\n" + _("A strategy session is running until {end}.").format(
                end=slack_time(running.ends_at, plan.timezone, lang))
        if plan.next_review_on is not None:
            status += "\n" + _("Next review: {date}").format(date=review_when(plan, lang))
    blocks.append(section(status))
    if plan is None:  # most teams have a plan in a spreadsheet already
        blocks.append(import_button(lang))
    blocks.append(divider())
    everyone, theirs = _command_lines(lang, plan is not None, tuple(
        (name, tuple(others)) for name, others in (aliases or {}).items()))
    blocks += [section(chunk) for chunk in everyone]
    if plan is None or facilitator:
        blocks.append(section(_("*Facilitators*")))
        blocks += [section(chunk) for chunk in theirs]
    else:
        blocks.append(context(_("The plan's facilitators ({people}) also run the scoring "
                                "rounds and the reviews, and change the settings.").format(
            people=", ".join(mention(u) for u in facilitators))))
    text = _("Rumbo: strategic account planning")
    return {"text": text, "blocks": blocks}


@functools.cache
def _command_lines(lang: str, has_plan: bool, aliases: tuple[tuple[str, tuple[str, ...]], ...]
                   ) -> tuple[list[str], list[str]]:
    """The help's command lines, for everyone and for facilitators, in sections' chunks:
    the same for every request in a language, so written once."""
    others = dict(aliases)
    everyone: list[str] = []
    theirs: list[str] = []
    for name, usage, what, facilitators_only in _commands(lang, has_plan=has_plan):
        names = [name, *others.get(name, ())]
        if lang == "es":  # a Spanish reader first sees the Spanish name
            names = names[1:] + names[:1]
        names[0] += f" {usage}" if usage else ""
        line = " · ".join(f"`/plan {n}`" for n in names) + f": {what}"
        (theirs if facilitators_only else everyone).append(line)
    return chunk_lines(everyone), chunk_lines(theirs)


def _commands(lang: str, *, has_plan: bool) -> list[tuple[str, str, str, bool]]:
    """(command, its arguments, what it does, facilitators only), in the help's order."""
    _ = gettext_for(lang)
    return [
        # With a plan, a new one means archiving the current one: facilitators only.
        ("new", _("[account]"), _("create this channel's account plan"), has_plan),
        ("session", _("[minutes]"), _("start the strategy session (90 minutes by default)"),
         False),
        ("idea", _("<text>"), _("add an idea at any time"), False),
        ("ideas", "", _("evaluate and score the ideas, settle them, merge duplicates"), False),
        ("priorities", "", _("the priority list: 3s first, 2s to evaluate, 1s on hold"), False),
        ("objectives", "", _("turn 3s into objectives with a target and a measure; add "
                             "initiatives"), False),
        ("show", "", _("the plan as it stands, with its completeness check"), False),
        ("export", _("[channel|me] [scores]"), _("the plan template (Excel and Markdown), "
                                                 "to the channel or a private copy for you, "
                                                 "with or without each person's scores"),
         False),
        ("import", "", _("bring in a plan from a spreadsheet (.xlsx): one Rumbo exported, or "
                         "your own with the same headings, in English or Spanish"), has_plan),
        ("calendar", "", _("the coming review dates as a calendar file (.ics)"), False),
        ("canvas", "", _("write the plan on the channel's canvas now (it follows every "
                         "change by itself)"), False),
        ("history", "", _("who changed what in the plan, and when"), False),
        ("summary", "", _("the progress summary, per category"), False),
        ("help", "", _("show this help"), False),
        ("score", "", _("a scoring round: the team scores the unscored ideas one by one"), True),
        ("settings", "", _("period, categories, cadence, facilitators"), True),
        ("review", "", _("review the plan: status and value of every objective and "
                         "initiative, what worked, what did not"), True),
        ("resume", "", _("turn reminders back on after a channel problem"), True),
    ]
