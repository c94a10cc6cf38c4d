"""The strategy session on Slack: its live card, the recap, the answers board, its timers'
notes, and the modals for answers, corrections and ideas (builders and parsers together)."""

from datetime import timedelta

from bot.platform.blocks import (
    TEXT_MAX,
    button,
    chunk_lines,
    confirm_modal,
    context,
    divider,
    escape,
    header,
    mention,
    modal,
    option,
    plain,
    radio_input,
    section,
    select_input,
    slack_date,
    slack_time,
    split_messages,
    text_input,
    value_of,
)
from bot.platform.i18n import N_, gettext_for, ngettext_for
from bot.platform.state import CHOOSE, REQUIRED, TOO_LONG, read_state
from bot.scoring.views import ROUND_START
from bot.sessions.rules import (
    IDEA_FIELDS,
    IDEA_TAGS,
    QUESTIONS,
    minutes_per_question,
    split_idea_lines,
)

# --- the live card, the recap, the board ------------------------------------------------------

SESSION_ADD_ANSWERS = "session_add_answers"
SESSION_ADD_IDEA = "session_add_idea"
SESSION_MY_ANSWERS = "session_my_answers"
SESSION_END = "session_end"
SESSION_END_CALLBACK = "session_end_confirm"
SESSION_BOARD = "session_board"
SESSION_FOCUS = "session_focus"  # value "session_id:question" (0: every question again)
BOARD_CALLBACK = "session_board"


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
    value = value_of(strategy_session.id)
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
            step = button(_("Step through the questions"), SESSION_FOCUS, value_of(value, 1))
        elif focus < len(QUESTIONS):
            step = button(_("Next question"), SESSION_FOCUS, value_of(value, focus + 1),
                          style="primary")
        else:
            step = button(_("Show every question"), SESSION_FOCUS, value_of(value, 0))
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
            button(_("Start a scoring round"), ROUND_START, value_of(plan.id), style="primary")]})
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


# --- the timers' notes ------------------------------------------------------------------------

def session_timer(*, lang, plan, kind, facilitators, minutes=10) -> dict:
    _ = gettext_for(lang)
    if kind == "session_warning":
        n_ = ngettext_for(lang)
        text = n_("{minutes} minute left in the strategy session of *{account}*: time to add "
                  "the last ideas.", "{minutes} minutes left in the strategy session of "
                  "*{account}*: time to add the last ideas.", minutes).format(
            minutes=minutes, account=escape(plan.account_name))
    else:
        text = _("Time is up for the strategy session of *{account}*. {people}: end it from "
                 "the card to post the recap.").format(
            account=escape(plan.account_name),
            people=", ".join(mention(u) for u in facilitators))
    return {"text": text, "blocks": [section(text)]}


# --- the modals: answers, corrections, an idea ------------------------------------------------

ANSWERS_CALLBACK = "session_answers"
EDIT_CALLBACK = "session_my_answers"
IDEA_CALLBACK = "idea_add"
IDEA_TEXT, IDEA_TAG, IDEA_QUESTION = "idea_text", "idea_tag", "idea_question"

# Room left in a modal's 100 blocks for answers being corrected.
EDITABLE_ANSWERS_MAX = 90


def answers_modal(*, lang: str, private_metadata: str) -> dict:
    _ = gettext_for(lang)
    blocks = [context(_("Answer any question you like and leave the rest empty. "
                        "You can come back and add more as often as you want."))]
    for question in QUESTIONS:
        prompts = " · ".join(_(p) for p in question.prompts)
        blocks.append(
            text_input(f"q{question.number}", f"{question.number}. {_(question.title)}",
                       hint=prompts)
        )
    for tag, label in IDEA_FIELDS.items():
        blocks.append(text_input(f"ideas_{tag}", _(label), hint=_("One idea per line.")))
    return modal(ANSWERS_CALLBACK, lang=lang, title=_("Add answers"), submit=_("Save"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_answers(values: dict, lang: str):
    """(answers {question: text}, ideas [(text, tag, None)]) or errors by block id."""
    _ = gettext_for(lang)
    raw = {block: (text or "").strip() for block, text in read_state(values).items()}
    errors = {block: _(TOO_LONG).format(
        max_length=TEXT_MAX) for block, text in raw.items() if len(text) > TEXT_MAX}
    if errors:
        return None, None, errors
    answers = {q.number: raw[f"q{q.number}"] for q in QUESTIONS if raw.get(f"q{q.number}")}
    ideas = [(line, tag, None) for tag in IDEA_TAGS
             for line in split_idea_lines(raw.get(f"ideas_{tag}"))]
    if not answers and not ideas:
        return None, None, {"q1": _(N_("Write at least one answer or idea before saving."))}
    return answers, ideas, {}


def my_answers_modal(*, lang: str, answers, ideas, private_metadata: str) -> dict:
    """The user's own answers, prefilled and editable; their ideas listed for reference."""
    _ = gettext_for(lang)
    titles = {q.number: _(q.title) for q in QUESTIONS}
    blocks = [context(_("Correct anything you wrote. Empty an answer to remove it."))]
    for answer in answers[:EDITABLE_ANSWERS_MAX]:
        blocks.append(
            text_input(f"a{answer.id}", f"{answer.question}. {titles[answer.question]}",
                       initial=answer.text)
        )
    if ideas:
        lines = "\n".join(f"• {escape(idea.text)}" for idea in ideas)
        blocks.append(context(_("Your ideas in this session:") + "\n" + lines[:2900]))
    return modal(EDIT_CALLBACK, lang=lang, title=_("My answers"), submit=_("Save"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_my_answers(values: dict, lang: str):
    """({answer_id: text}, errors)."""
    _ = gettext_for(lang)
    texts, errors = {}, {}
    for block, text in read_state(values).items():
        if not block.startswith("a") or not block[1:].isdigit():
            continue
        text = text or ""
        if len(text.strip()) > TEXT_MAX:
            errors[block] = _(TOO_LONG).format(max_length=TEXT_MAX)
        texts[int(block[1:])] = text.strip()
    return texts, errors


def idea_modal(*, lang: str, private_metadata: str, initial_text: str = "") -> dict:
    _ = gettext_for(lang)
    tags = [option(_(label), tag) for tag, label in IDEA_TAGS.items()]
    questions = [option(f"{q.number}. {_(q.title)}", str(q.number)) for q in QUESTIONS]
    blocks = [
        text_input(IDEA_TEXT, _("Idea"), optional=False, initial=initial_text,
                   hint=_("What would create the most value if there were no obstacles?")),
        radio_input(IDEA_TAG, _("Kind"), tags),
        select_input(IDEA_QUESTION, _("Comes from question"), questions, optional=True,
                     placeholder=_("Choose a question")),
    ]
    return modal(IDEA_CALLBACK, lang=lang, title=_("Add idea"), submit=_("Add"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_idea(values: dict, lang: str):
    """((text, tag, question), errors)."""
    _ = gettext_for(lang)
    raw = read_state(values)
    text = (raw.get(IDEA_TEXT) or "").strip()
    tag, question = raw.get(IDEA_TAG), raw.get(IDEA_QUESTION)
    if not text:
        return None, {IDEA_TEXT: _(REQUIRED)}
    if len(text) > TEXT_MAX:
        return None, {IDEA_TEXT: _(TOO_LONG).format(max_length=TEXT_MAX)}
    if tag is not None and tag not in IDEA_TAGS:
        return None, {IDEA_TAG: _(CHOOSE)}
    if question is not None and question not in {str(q.number) for q in QUESTIONS}:
        return None, {IDEA_QUESTION: _(CHOOSE)}
    return (text, tag, int(question) if question else None), {}
