"""Session modals (answers, corrections, a single idea): builders and parsers together."""

from bot.blocks.inputs import TEXT_MAX, modal, option, radio_input, select_input, text_input
from bot.blocks.state import CHOOSE, REQUIRED, TOO_LONG, read_state
from bot.blocks.text import context, escape
from bot.domain import split_idea_lines
from bot.i18n import N_, gettext_for
from bot.method import IDEA_FIELDS, IDEA_TAGS, QUESTIONS

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
