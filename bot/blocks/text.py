"""Small Block Kit text helpers shared by the builders."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.i18n import gettext_for

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


def review_when(plan, lang: str, day=None) -> str:
    """The next review's day (`day`, else the plan's) and time, as each reader's Slack shows
    it in their own timezone; where it cannot, in the plan's: 'Friday, January 15, 2027 at
    10:00 (Europe/Madrid)'. Help, the plan and App Home say it alike."""
    _ = gettext_for(lang)
    day = day or plan.next_review_on
    if day is None:
        return "–"
    moment = datetime.combine(day, plan.review_time, ZoneInfo(plan.timezone))
    return _slack_moment(moment, "{date_long_pretty} {time}", _(
        "{date} at {time} ({timezone})").format(
            date=format_date(day, format="full", locale=lang),
            time=plan.review_time.strftime("%H:%M"), timezone=plan.timezone))


def local_time(moment: datetime, timezone: str, lang: str) -> str:
    """A moment in the plan's timezone, e.g. '14:30 (Europe/Madrid)'."""
    clock = format_datetime(moment, "HH:mm", tzinfo=ZoneInfo(timezone), locale=lang)
    return f"{clock} ({timezone})"


def local_datetime(moment: datetime, timezone: str, lang: str) -> str:
    """A date and time in the plan's timezone, in the plan's language."""
    local = moment.astimezone(ZoneInfo(timezone))
    day = format_date(local.date(), format="full", locale=lang)
    return f"{day}, {local_time(moment, timezone, lang)}"


def slack_date(moment: datetime, timezone: str, lang: str,
               shown: str = "{date_short_pretty} {time}") -> str:
    """A moment each reader sees in their own timezone (Slack's `<!date^…>`, `shown` in its
    tokens); clients that cannot format it show the plan's local time instead."""
    return _slack_moment(moment, shown, local_datetime(moment, timezone, lang))


def slack_time(moment: datetime, timezone: str, lang: str) -> str:
    """The time of day of a moment, in each reader's own timezone (the plan's as fallback)."""
    return _slack_moment(moment, "{time}", local_time(moment, timezone, lang))


def _slack_moment(moment: datetime, shown: str, fallback: str) -> str:
    return f"<!date^{int(moment.timestamp())}^{shown}|{fallback.replace('|', '/')}>"
