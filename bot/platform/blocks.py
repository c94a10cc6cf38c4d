"""The Block Kit pieces every view is built from: text (escaped user text, dates and times as
each reader sees them), blocks, inputs and modals, notices."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.platform.i18n import gettext_for

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape user text for mrkdwn: no fake links, no <!channel> pings."""
    return text.translate(_ESCAPES)


def plain(text: str, limit: int | None = None) -> dict:
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": mrkdwn(fit(text, SECTION_TEXT_LIMIT)), **extra}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text, 150)}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def divider() -> dict:
    return {"type": "divider"}


def value_of(*parts) -> str:
    """A button's value (or a menu option's) made of parts: `value_of(plan.id, due)`; a
    handler reads them back by position (`Interaction.part`, `number`, `day`)."""
    return ":".join(str(part) for part in parts)


def parts_of(value: str) -> list[str]:
    return value.split(":") if value else []


def button(text: str, action_id: str, value: str = "", *, style: str | None = None, **extra):
    element = {"type": "button", "text": plain(text, 75), "action_id": action_id, **extra}
    if value:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def shorten(text: str, limit: int) -> str:
    """User text cut to `limit` characters (with an ellipsis), before it is escaped."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(text: str, limit: int) -> str:
    """mrkdwn cut to `limit` characters (with an ellipsis) so Slack takes the block,
    never inside an escape sequence such as `&amp;`."""
    if len(text) <= limit:
        return text
    cut = limit - 1
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return text[:cut] + "…"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def quote(text: str) -> str:
    """Escaped user text as a mrkdwn block quote (keeps line breaks)."""
    return "\n".join("> " + line for line in escape(text).splitlines() or [""])


def chunk_lines(lines: list[str], limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Join lines into texts of at most `limit` characters, splitting over-long lines
    without cutting an escape sequence such as `&amp;` in two."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        for piece in _split_long(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _split_long(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        amp = line.rfind("&", 0, cut)
        if amp != -1 and ";" not in line[amp:cut]:
            cut = amp  # do not split inside an entity
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def split_messages(blocks: list[dict], limit: int = MESSAGE_BLOCK_LIMIT) -> list[list[dict]]:
    """Blocks for one logical message, cut into Slack-sized messages."""
    return [blocks[i : i + limit] for i in range(0, len(blocks), limit)] or [[]]


def long_date(day, lang: str) -> str:
    return format_date(day, format="long", locale=lang)


def local_time(moment: datetime, timezone: str, lang: str) -> str:
    """A moment in the plan's timezone, e.g. '14:30 (Europe/Madrid)'."""
    clock = format_datetime(moment, "HH:mm", tzinfo=ZoneInfo(timezone), locale=lang)
    return f"{clock} ({timezone})"


def local_date(moment: datetime, timezone: str) -> date:
    """The day a moment falls on in a timezone: in Mexico City 3 December at 19:00 is still
    the 3rd, though it is the 4th in UTC."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def local_datetime(moment: datetime, timezone: str, lang: str) -> str:
    """A date and time in the plan's timezone, in the plan's language."""
    day = format_date(local_date(moment, timezone), format="full", locale=lang)
    return f"{day}, {local_time(moment, timezone, lang)}"


def slack_date(moment: datetime, timezone: str, lang: str,
               shown: str = "{date_short_pretty} {time}") -> str:
    """A moment each reader sees in their own timezone (Slack's `<!date^…>`, `shown` in its
    tokens); clients that cannot format it show the plan's local time instead."""
    return slack_moment(moment, shown, local_datetime(moment, timezone, lang))


def slack_time(moment: datetime, timezone: str, lang: str) -> str:
    """The time of day of a moment, in each reader's own timezone (the plan's as fallback)."""
    return slack_moment(moment, "{time}", local_time(moment, timezone, lang))


def slack_moment(moment: datetime, shown: str, fallback: str) -> str:
    """Slack's `<!date^…>`: `shown` in each reader's timezone, `fallback` where it cannot."""
    return f"<!date^{int(moment.timestamp())}^{shown}|{fallback.replace('|', '/')}>"


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


TEXT_MAX = 3000


def metadata(**ids) -> str:
    """A modal's private_metadata: the ids (and language) its submission needs."""
    return json.dumps(ids, separators=(",", ":"))


def option(text: str, value: str, description: str | None = None) -> dict:
    built = {"text": plain(text, 75), "value": value}
    if description:
        built["description"] = plain(description, 75)
    return built


def input_block(block_id: str, label: str, element: dict, *, optional=False, hint=None):
    block = {"type": "input", "block_id": block_id, "label": plain(label),
             "element": {"action_id": "value", **element}, "optional": optional}
    if hint:
        block["hint"] = plain(hint[:2000])
    return block


def text_input(block_id: str, label: str, *, initial=None, optional=True, multiline=True,
               max_length=TEXT_MAX, hint=None) -> dict:
    element = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = str(initial)[:max_length]
    return input_block(block_id, label, element, optional=optional, hint=hint)


def radio_input(block_id: str, label: str, options: list[dict], initial=None, *,
                optional=True, hint=None) -> dict:
    element: dict = {"type": "radio_buttons", "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return input_block(block_id, label, element, optional=optional, hint=hint)


def select_input(block_id: str, label: str, options: list[dict], initial=None, *,
                 optional=False, hint=None, placeholder=None) -> dict:
    element: dict = {"type": "static_select", "options": options[:100]}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return input_block(block_id, label, element, optional=optional, hint=hint)


def modal(callback_id: str, *, lang: str, title: str, submit: str, blocks: list,
          private_metadata: str) -> dict:
    _ = gettext_for(lang)
    return {"type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
            "title": plain(title, 24), "submit": plain(submit, 24),
            "close": plain(_("Cancel"), 24), "blocks": blocks}


def confirm_modal(callback_id: str, *, title: str, text: str, confirm: str, deny: str,
                  private_metadata: str) -> dict:
    """A question before something that cannot be undone, opened only for who may do it
    (Slack's own confirm dialog would ask everyone, then refuse those who may not)."""
    return {"type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
            "title": plain(title, 24), "submit": plain(confirm, 24),
            "close": plain(deny, 24), "blocks": [section(text)]}


def notice_modal(*, lang: str, title: dict, text: str) -> dict:
    """What replaces a modal with no input to show an error on: `text`, and Close."""
    _ = gettext_for(lang)
    return {"type": "modal", "title": title, "close": plain(_("Close"), 24),
            "blocks": [section(text)]}
