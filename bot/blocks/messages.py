"""Channel and ephemeral messages. Each builder returns {"text": ..., "blocks": [...]}."""

from datetime import timedelta

from bot.blocks.inputs import confirm_modal
from bot.blocks.text import (
    MESSAGE_BLOCK_LIMIT,
    button,
    chunk_lines,
    context,
    divider,
    escape,
    header,
    long_date,
    mention,
    plain,
    review_when,
    section,
    shorten,
    slack_date,
    slack_time,
    split_messages,
)
from bot.domain import minutes_per_question
from bot.i18n import gettext_for, ngettext_for
from bot.method import IDEA_TAGS, PERIODS, QUESTIONS, WEEKDAYS
from bot.reminders import cadence_words

ROUND_START = "round_start"  # handled with the scoring round (bot/listeners/ideas.py)
SESSION_ADD_ANSWERS = "session_add_answers"
SESSION_ADD_IDEA = "session_add_idea"
SESSION_MY_ANSWERS = "session_my_answers"
SESSION_END = "session_end"
SESSION_END_CALLBACK = "session_end_confirm"
SESSION_BOARD = "session_board"
SESSION_FOCUS = "session_focus"  # value "session_id:question" (0: every question again)
BOARD_CALLBACK = "session_board"
PLAN_ARCHIVE = "plan_archive"


ECHO_MAX = 200  # how much of a command Rumbo did not understand it repeats


def notice(text: str) -> dict:
    """A one-paragraph message; `text` is already mrkdwn-safe.

    Every builder's "text" (the notification fallback, which Slack parses for mentions
    and links) carries user text escaped, like the blocks' mrkdwn; header blocks are
    plain_text and need no escaping."""
    return {"text": text, "blocks": [section(text)]}


def given_back(intro: str, text: str) -> dict:
    """`intro`, then the user's own text quoted in full, over as many sections as it takes:
    what Rumbo could not keep goes back to its author, never cut."""
    quoted = ["> " + line for line in escape(text).splitlines() or [""]]
    blocks = [section(intro)] + [section(chunk) for chunk in chunk_lines(quoted)]
    return {"text": intro, "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


def _period_line(plan, lang: str) -> str:
    _ = gettext_for(lang)
    period = _(PERIODS[plan.period])
    start = long_date(plan.start_date, lang)
    if plan.end_date is None:
        return _("{period}, from {start}").format(period=period, start=start)
    end = long_date(plan.end_date, lang)
    return _("{period}, {start} – {end}").format(period=period, start=start, end=end)


def _cadence_line(plan, lang: str) -> str:
    _ = gettext_for(lang)
    return _("{cadence}, on a {weekday} at {time} ({timezone})").format(
        cadence=cadence_words(plan, lang),
        weekday=_(WEEKDAYS[plan.review_weekday]).lower(),
        time=plan.review_time.strftime("%H:%M"),
        timezone=plan.timezone,
    )


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
    blocks.append(divider())
    everyone, theirs = [], []
    for name, usage, what, facilitators_only in _commands(lang, has_plan=plan is not None):
        names = [name, *(aliases or {}).get(name, [])]
        if lang == "es":  # a Spanish reader first sees the Spanish name
            names = names[1:] + names[:1]
        names[0] += f" {usage}" if usage else ""
        line = " · ".join(f"`/plan {n}`" for n in names) + f": {what}"
        (theirs if facilitators_only else everyone).append(line)
    blocks += [section(chunk) for chunk in chunk_lines(everyone)]
    if plan is None or facilitator:
        blocks.append(section(_("*Facilitators*")))
        blocks += [section(chunk) for chunk in chunk_lines(theirs)]
    else:
        blocks.append(context(_("The plan's facilitators ({people}) also run the scoring "
                                "rounds and the reviews, and change the settings.").format(
            people=", ".join(mention(u) for u in facilitators))))
    text = _("Rumbo: strategic account planning")
    return {"text": text, "blocks": blocks}


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
        ("calendar", "", _("the coming review dates as a calendar file (.ics)"), False),
        ("history", "", _("who changed what in the plan, and when"), False),
        ("summary", "", _("the progress summary, per category"), False),
        ("help", "", _("show this help"), False),
        ("score", "", _("a scoring round: the team scores the unscored ideas one by one"), True),
        ("settings", "", _("period, categories, cadence, facilitators"), True),
        ("review", "", _("review the plan: status and value of every objective and "
                         "initiative, what worked, what did not"), True),
        ("resume", "", _("turn reminders back on after a channel problem"), True),
    ]


def archive_offer(*, lang, plan) -> dict:
    _ = gettext_for(lang)
    text = _("This channel already has an active plan, *{account}*. Nothing has been changed. "
             "To start a new plan, archive the current one first: it stays readable.").format(
        account=escape(plan.account_name))
    confirm = {
        "title": {"type": "plain_text", "text": _("Archive the plan?")[:100]},
        "text": {"type": "plain_text", "text": _("The plan stays readable, but it is no longer "
                                                 "the channel's active plan.")},
        "confirm": {"type": "plain_text", "text": _("Archive")[:30]},
        "deny": {"type": "plain_text", "text": _("Cancel")[:30]},
    }
    blocks = [
        section(text),
        {"type": "actions", "elements": [
            button(_("Archive it and start a new plan"), PLAN_ARCHIVE, str(plan.id),
                   style="danger", confirm=confirm)]},
    ]
    return {"text": text, "blocks": blocks}


def plan_announcement(*, lang, plan, categories, facilitators) -> dict:
    _ = gettext_for(lang)
    title = _("Account plan: {account}").format(account=plan.account_name)
    fields = [
        (_("Period"), _period_line(plan, lang)),
        (_("Reviews"), _cadence_line(plan, lang)),
        (_("Facilitators"), ", ".join(mention(u) for u in facilitators)),
        (_("Categories"), "\n".join(f"• {escape(c)}" for c in categories)),
    ]
    blocks = [
        header(title),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:2000]} for label, value in fields]},
        context(_("Created by {user}. Next: run the strategy session with `/plan session`.")
                .format(user=mention(plan.created_by))),
    ]
    return {"text": escape(title), "blocks": blocks}


def session_card(*, lang, plan, strategy_session, contributions, answer_count, idea_count):
    """The live card of a strategy session; `contributions` is {user: [answers, ideas]}."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    ended = strategy_session.ended_at is not None
    title = _("Strategy session: {account}").format(account=plan.account_name)
    if ended:
        timing = _("This session ended on {when}.").format(
            when=slack_date(strategy_session.ended_at, plan.timezone, lang))
    else:
        minutes = round((strategy_session.ends_at - strategy_session.started_at)
                        .total_seconds() / 60)
        timing = _("{minutes} minutes, until {end}. Anyone in the channel can contribute: "
                   "not only about money.").format(
            minutes=minutes, end=slack_time(strategy_session.ends_at, plan.timezone, lang))
    blocks = [header(title), section(timing)]
    focus = strategy_session.focus_question
    if not ended:  # once over, the card is a short summary: the recap holds the rest
        blocks += _questions(strategy_session, plan, lang)
        blocks.append(divider())
    counts = "{} · {}".format(
        n_("*{count}* answer", "*{count}* answers", answer_count).format(count=answer_count),
        n_("*{count}* idea", "*{count}* ideas", idea_count).format(count=idea_count))
    blocks.append(section(counts))
    if contributions:
        people = ", ".join(
            f"{mention(user)} ({answers}/{ideas})" for user, (answers, ideas)
            in list(contributions.items())[:40])
        blocks.append(context(_("Contributed (answers/ideas): {people}").format(people=people)))
    else:
        blocks.append(context(_("No contributions yet.")))
    value = str(strategy_session.id)
    see_answers = button(_("See answers"), SESSION_BOARD, value)
    if ended:
        blocks.append({"type": "actions", "block_id": "session_actions",
                       "elements": [see_answers]})
    else:
        blocks.append({"type": "actions", "block_id": "session_actions", "elements": [
            button(_("Add answers"), SESSION_ADD_ANSWERS, value, style="primary"),
            button(_("Add idea"), SESSION_ADD_IDEA, value),
            button(_("My answers"), SESSION_MY_ANSWERS, value),
            see_answers,
        ]})
        if focus is None:
            step = button(_("Step through the questions"), SESSION_FOCUS, f"{value}:1")
        elif focus < len(QUESTIONS):
            step = button(_("Next question"), SESSION_FOCUS, f"{value}:{focus + 1}",
                          style="primary")
        else:
            step = button(_("Show every question"), SESSION_FOCUS, f"{value}:0")
        # Apart and labelled; End session's confirmation opens only for facilitators (not
        # Slack's confirm dialog, which would ask a guest first and refuse them after).
        blocks += [context(_("*Facilitators*")),
                   {"type": "actions", "block_id": "session_facilitators", "elements": [
                       step, button(_("End session"), SESSION_END, value, style="danger")]}]
    return {"text": escape(title), "blocks": blocks}


def end_session_modal(*, lang, private_metadata) -> dict:
    _ = gettext_for(lang)
    return confirm_modal(
        SESSION_END_CALLBACK, title=_("End the session?"),
        text=_("A recap with every answer and idea is posted to the channel."),
        confirm=_("End session"), deny=_("Keep going"), private_metadata=private_metadata)


def _questions(strategy_session, plan, lang) -> list[dict]:
    """The five questions with their prompts; when the facilitator steps through them, the
    one in focus with its prompts and time, the others by title only."""
    _ = gettext_for(lang)
    focus = strategy_session.focus_question
    blocks = []
    for question in QUESTIONS:
        title = f"*{question.number}. {_(question.title)}*"
        if focus is not None and question.number != focus:
            blocks.append(context(title))
            continue
        prompts = "\n".join(f"• {_(p)}" for p in question.prompts)
        text = f"{title}\n_{_(question.intro)}_\n{prompts}"
        if focus is not None:
            minutes = minutes_per_question(strategy_session.started_at,
                                           strategy_session.ends_at)
            until = min(strategy_session.focus_since + timedelta(minutes=minutes),
                        strategy_session.ends_at)
            text = _("*Now: question {number} of {count}*, about {minutes} minutes, until "
                     "{time}.").format(number=focus, count=len(QUESTIONS), minutes=minutes,
                                       time=slack_time(until, plan.timezone, lang)) \
                + "\n" + text
        blocks.append(section(text))
    return blocks


def session_recap(*, lang, plan, answers, ideas) -> list[dict]:
    """The recap, cut into as many messages as Slack's limits need (never truncated)."""
    _ = gettext_for(lang)
    title = _("Session recap: {account}").format(account=plan.account_name)
    blocks = [header(title)]
    for question in QUESTIONS:
        lines = [f"*{question.number}. {_(question.title)}*"]
        mine = [a for a in answers if a.question == question.number]
        no_answers = _("No answers.")
        lines += [_entry(a, plan, lang) for a in mine] or [f"_{no_answers}_"]
        blocks += [section(chunk) for chunk in chunk_lines(lines)]
    ideas_title, no_ideas = _("Ideas"), _("No ideas.")
    lines = [f"*{ideas_title}* ({len(ideas)})"]
    for idea in ideas:
        tag = f"[{_(IDEA_TAGS[idea.tag])}] " if idea.tag else ""
        lines.append(_entry(idea, plan, lang, prefix=tag))
    if not ideas:
        lines.append(f"_{no_ideas}_")
    blocks += [section(chunk) for chunk in chunk_lines(lines)]
    blocks.append(context(_("Next: evaluate and score the ideas together.")))
    if ideas:
        blocks.append({"type": "actions", "elements": [
            button(_("Start a scoring round"), ROUND_START, str(plan.id), style="primary")]})
    return [{"text": escape(title), "blocks": part} for part in split_messages(blocks)]


def answers_board(*, lang, plan, answers, ideas) -> dict:
    """Everything answered so far, by question, for anyone in the meeting to read (a modal
    with no submit; at most 100 blocks, so the longest lists end with a pointer to the
    recap)."""
    _ = gettext_for(lang)
    blocks = []
    for question in QUESTIONS:
        mine = [a for a in answers if a.question == question.number]
        lines = [f"*{question.number}. {_(question.title)}* ({len(mine)})"]
        lines += [_entry(a, plan, lang) for a in mine]
        blocks += [section(chunk) for chunk in chunk_lines(lines)]
    ideas_title = _("Ideas")
    lines = [f"*{ideas_title}* ({len(ideas)})"] + [
        _entry(i, plan, lang, prefix=f"[{_(IDEA_TAGS[i.tag])}] " if i.tag else "")
        for i in ideas]
    blocks += [section(chunk) for chunk in chunk_lines(lines)]
    if len(blocks) > 99:
        blocks = blocks[:98] + [context(_("There is more: the session's recap in the channel "
                                          "holds every answer."))]
    return {"type": "modal", "callback_id": BOARD_CALLBACK,
            "title": plain(_("Answers so far"), 24), "close": plain(_("Close"), 24),
            "blocks": blocks}


def _entry(item, plan, lang: str, prefix: str = "") -> str:
    """An answer or idea with its author, named as a guest when they belong to another
    organisation (a Slack Connect client)."""
    _ = gettext_for(lang)
    body = escape(item.text).replace("\n", "\n    ")
    author = mention(item.user_id)
    if item.user_team_id and item.user_team_id != plan.team_id:
        author += " " + _("(another organisation)")
    return f"• {prefix}{body} — {author}"
