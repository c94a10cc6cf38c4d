"""User text in Markdown (the exported document, the channel's canvas): shown as typed,
never as Markdown structure."""

import re

# Characters that can start Markdown structure anywhere in a line (CommonMark + GFM tables).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")

# An ordered list item ("1." or "1)") at the start of a line.
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def md_escape(text: str | None) -> list[str]:
    """User text as Markdown lines that render as the text and nothing else: no headings,
    lists, quotes, code, links, HTML, tables or setext underlines. Leading spaces (code
    blocks) and blank lines (which would end a list item) are dropped."""
    lines = []
    for raw in (text or "").splitlines():
        line = _MD_SPECIAL.sub(r"\\\1", raw.strip())
        if not line:
            continue
        if line[0] in "-+=":
            line = "\\" + line
        lines.append(_MD_ORDERED.sub(r"\1\\\2", line))
    return lines


def md_inline(text: str | None) -> str:
    """User text on one line (headings, table-free labels)."""
    return " ".join(md_escape(text))
