"""The emulator's channel canvases: one markdown document per channel, in sections.

A canvas is kept as its sections: each heading line (h1-h3) is a section, and so is the
text between two headings. `canvases.sections.lookup` finds sections by heading level and
by the text they contain; `canvases.edit` applies one change per call, and a `replace` or
`delete` aimed at a heading takes what is under it too, up to the next heading of the
same or a higher level. Section ids stay the same until their section is edited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_MARKDOWN = 1024 * 1024  # Slack's limit on a canvas's markdown
OPERATIONS = ("insert_after", "insert_before", "insert_at_start", "insert_at_end", "replace",
              "delete", "rename")
SECTION_TYPES = ("h1", "h2", "h3", "any_header")
_HEADING = re.compile(r"^(#{1,3}) +(.*\S)\s*$")


class CanvasError(Exception):
    """What Slack would answer: {"ok": false, "error": …}."""


@dataclass
class Section:
    id: str
    level: int  # 1-3 for a heading, 0 for text
    text: str  # the heading's words, or the text as written

    @property
    def markdown(self) -> str:
        return f"{'#' * self.level} {self.text}" if self.level else self.text


@dataclass
class Canvas:
    id: str
    channel_id: str
    title: str
    made_by: str  # a user id, or the bot's
    sections: list[Section] = field(default_factory=list)
    edits: int = 0

    @property
    def markdown(self) -> str:
        return "\n\n".join(section.markdown for section in self.sections).strip() + "\n"


class Canvases:
    def __init__(self, new_id) -> None:
        self._new_id = new_id  # the emulator's serial ids
        self.by_id: dict[str, Canvas] = {}
        self.by_channel: dict[str, str] = {}

    def clear(self) -> None:
        self.by_id.clear()
        self.by_channel.clear()

    def create(self, *, channel_id: str, content: Any, title: str | None, made_by: str
               ) -> Canvas:
        if channel_id in self.by_channel:
            raise CanvasError("channel_canvas_already_exists")
        canvas = Canvas(id=f"F{self._new_id():04d}C", channel_id=channel_id,
                        title=title or "", made_by=made_by)
        canvas.sections = self._parse(_markdown_of(content, required=False))
        self.by_id[canvas.id] = canvas
        self.by_channel[channel_id] = canvas.id
        return canvas

    def of_channel(self, channel_id: str) -> Canvas | None:
        canvas_id = self.by_channel.get(channel_id)
        return self.by_id.get(canvas_id) if canvas_id else None

    def get(self, canvas_id: Any) -> Canvas:
        if not canvas_id or not isinstance(canvas_id, str):
            raise CanvasError("invalid_arguments")
        canvas = self.by_id.get(canvas_id)
        if canvas is None:
            raise CanvasError("canvas_not_found")
        return canvas

    def delete(self, canvas_id: str) -> None:
        canvas = self.by_id.pop(canvas_id, None)
        if canvas is not None:
            self.by_channel.pop(canvas.channel_id, None)

    def lookup(self, canvas: Canvas, criteria: Any) -> list[dict]:
        if not isinstance(criteria, dict):
            raise CanvasError("invalid_arguments")
        types, text = criteria.get("section_types"), criteria.get("contains_text")
        if types is None and not text:
            raise CanvasError("invalid_arguments")  # one of them at least
        if types is not None and (not isinstance(types, list) or not 1 <= len(types) <= 3
                                  or any(t not in SECTION_TYPES for t in types)):
            raise CanvasError("invalid_arguments")
        found = []
        for section in canvas.sections:
            if types is not None and not (
                    (section.level and "any_header" in types) or f"h{section.level}" in types):
                continue
            if text and str(text).casefold() not in section.text.casefold():
                continue
            found.append({"id": section.id})
        return found

    def edit(self, canvas: Canvas, changes: Any) -> None:
        if not isinstance(changes, list) or len(changes) != 1 or not isinstance(
                changes[0], dict):
            raise CanvasError("invalid_arguments")  # one change per call
        change = changes[0]
        operation, section_id = change.get("operation"), change.get("section_id")
        if operation not in OPERATIONS:
            raise CanvasError("invalid_arguments")
        if operation == "rename":
            title = (change.get("title_content") or {}).get("markdown")
            if not isinstance(title, str):
                raise CanvasError("invalid_arguments")
            canvas.title = title
            canvas.edits += 1
            return
        needs_section = operation in ("insert_after", "insert_before", "delete")
        if needs_section and not section_id:
            raise CanvasError("invalid_arguments")
        if section_id is not None and self._index(canvas, section_id) is None:
            raise CanvasError("canvas_editing_failed")
        new = [] if operation == "delete" else self._parse(
            _markdown_of(change.get("document_content"), required=True))
        sections = canvas.sections
        if operation == "insert_at_start":
            sections[:0] = new
        elif operation == "insert_at_end":
            sections.extend(new)
        elif operation == "replace" and section_id is None:
            sections[:] = new
        else:
            start = self._index(canvas, str(section_id))
            assert start is not None  # checked above
            if operation == "insert_before":
                sections[start:start] = new
            elif operation == "insert_after":
                end = self._end(sections, start)
                sections[end:end] = new
            else:  # replace, delete: the section and what is under its heading
                sections[start:self._end(sections, start)] = new
        if len(canvas.markdown) > MAX_MARKDOWN:
            raise CanvasError("canvas_editing_failed")
        canvas.edits += 1

    def hand_edit(self, canvas: Canvas, markdown: str) -> None:
        """What a person typing in the canvas does to it."""
        canvas.sections = self._parse(markdown)

    @staticmethod
    def _index(canvas: Canvas, section_id: str) -> int | None:
        for index, section in enumerate(canvas.sections):
            if section.id == section_id:
                return index
        return None

    @staticmethod
    def _end(sections: list[Section], start: int) -> int:
        """Where the section at `start` ends: a heading's, at the next heading of its level
        or higher; text's, right after it."""
        level = sections[start].level
        if not level:
            return start + 1
        for index in range(start + 1, len(sections)):
            if sections[index].level and sections[index].level <= level:
                return index
        return len(sections)

    def _parse(self, markdown: str) -> list[Section]:
        sections: list[Section] = []
        text: list[str] = []

        def flush() -> None:
            body = "\n".join(text).strip("\n")
            if body.strip():
                sections.append(Section(self._section_id(), 0, body))
            text.clear()

        for line in markdown.splitlines():
            heading = _HEADING.match(line)
            if heading:
                flush()
                sections.append(Section(self._section_id(), len(heading[1]), heading[2]))
            else:
                text.append(line)
        flush()
        return sections

    def _section_id(self) -> str:
        return f"temp:C:{self._new_id():024d}"


def _markdown_of(content: Any, *, required: bool) -> str:
    if content is None and not required:
        return ""
    if not isinstance(content, dict) or content.get("type") != "markdown" or not isinstance(
            content.get("markdown"), str):
        raise CanvasError("invalid_arguments")
    if len(content["markdown"]) > MAX_MARKDOWN:
        raise CanvasError("invalid_arguments")
    return content["markdown"]
