"""Block Kit checks: what Slack would refuse with `invalid_blocks`.

slack_sdk's models check most element rules; the limits they miss (block counts per
surface, private_metadata, duplicate ids, ...) are checked here by hand.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40000
PRIVATE_METADATA = 3000
MODAL_BUTTON_TEXT = 24  # title, submit, close
ID_LENGTH = 255  # block_id, action_id, callback_id, external_id
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
SELECT_OPTIONS = 100
OVERFLOW_OPTIONS = (1, 5)
LABEL_TEXT = 2000  # input label and hint
PLACEHOLDER_TEXT = 150
TEXT_INPUT_MAX = 3000


def check_message(blocks: list | None, text: str | None) -> list[str]:
    """Violations in a message's `blocks` and `text` (empty list: valid)."""
    problems = []
    if text is not None and len(str(text)) > MESSAGE_TEXT:
        problems.append(f"text is {len(str(text))} characters, more than {MESSAGE_TEXT}")
    if blocks is None:
        return problems
    if not isinstance(blocks, list):
        return [*problems, "blocks must be a list"]
    if len(blocks) > MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {MESSAGE_BLOCKS} per message")
    return problems + _check_blocks(blocks)


def check_view(view: dict) -> list[str]:
    """Violations in a modal or Home tab view (empty list: valid)."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    problems = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append(f"view type must be 'modal' or 'home', not {kind!r}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*problems, "view blocks must be a list"]
    if len(blocks) > VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks, more than {VIEW_BLOCKS} per view")
    metadata = view.get("private_metadata") or ""
    if len(metadata) > PRIVATE_METADATA:
        problems.append(f"private_metadata is {len(metadata)} characters, more than 3000")
    for key in ("callback_id", "external_id"):
        problems += _too_long(f"view {key}", view.get(key), ID_LENGTH)
    if kind == "modal":
        if not view.get("title"):
            problems.append("modal needs a title")
        for key in ("title", "submit", "close"):
            problems += _too_long(f"modal {key}", _text(view.get(key)), MODAL_BUTTON_TEXT)
        if not view.get("submit") and any(_type(b) == "input" for b in blocks):
            problems.append("modal with input blocks needs a submit button")
    if not problems:
        try:
            View(**view).validate_json()
        except Exception as error:  # slack_sdk raises several types here
            problems.append(f"view: {error}")
    return problems + _check_blocks(blocks)


def _check_blocks(blocks: list) -> list[str]:
    problems = []
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict):
            problems.append(f"{where}: a block must be an object")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in seen_block_ids:
                problems.append(f"{where}: duplicate block_id {block_id!r}")
            seen_block_ids.add(block_id)
        own = _check_block(block, f"{where} ({_type(block)})")
        problems += own
        if not own:
            problems += _sdk_check(block, where)
    return problems


def _sdk_check(block: dict, where: str) -> list[str]:
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return [f"{where}: unknown block type {_type(block)!r}"]
        parsed.to_dict()  # validates the block and everything inside it
    except Exception as error:  # slack_sdk raises several types here
        return [f"{where} ({_type(block)}): {error}"]
    return []


def _check_block(block: dict, where: str) -> list[str]:
    kind = _type(block)
    problems = _too_long(f"{where} block_id", block.get("block_id"), ID_LENGTH)
    elements: list = []
    if kind == "section":
        problems += _too_long(f"{where} text", _text(block.get("text")), SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            problems.append(f"{where}: {len(fields)} fields, more than {SECTION_FIELDS}")
        for field in fields:
            problems += _too_long(f"{where} field", _text(field), FIELD_TEXT)
        if block.get("accessory"):
            elements = [block["accessory"]]
    elif kind == "header":
        problems += _too_long(f"{where} text", _text(block.get("text")), HEADER_TEXT)
    elif kind == "context":
        count = len(block.get("elements") or [])
        if count > CONTEXT_ELEMENTS:
            problems.append(f"{where}: {count} elements, more than {CONTEXT_ELEMENTS}")
    elif kind == "actions":
        elements = block.get("elements") or []
        if len(elements) > ACTIONS_ELEMENTS:
            problems.append(f"{where}: {len(elements)} elements, more than {ACTIONS_ELEMENTS}")
    elif kind == "input":
        problems += _too_long(f"{where} label", _text(block.get("label")), LABEL_TEXT)
        problems += _too_long(f"{where} hint", _text(block.get("hint")), LABEL_TEXT)
        if block.get("element"):
            elements = [block["element"]]
    seen_action_ids: set[str] = set()
    for element in elements:
        if not isinstance(element, dict):
            problems.append(f"{where}: an element must be an object")
            continue
        action_id = element.get("action_id")
        if action_id is not None:
            if action_id in seen_action_ids:
                problems.append(f"{where}: duplicate action_id {action_id!r}")
            seen_action_ids.add(action_id)
        problems += _check_element(element, f"{where} {_type(element)}")
    return problems


def _check_element(element: dict, where: str) -> list[str]:
    kind = _type(element)
    problems = _too_long(f"{where} action_id", element.get("action_id"), ID_LENGTH)
    problems += _too_long(f"{where} placeholder", _text(element.get("placeholder")),
                          PLACEHOLDER_TEXT)
    if kind == "button":
        problems += _too_long(f"{where} text", _text(element.get("text")), BUTTON_TEXT)
        problems += _too_long(f"{where} value", element.get("value"), BUTTON_VALUE)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        problems += _too_long(f"{where} option text", _text(option.get("text")), OPTION_TEXT)
        problems += _too_long(f"{where} option value", option.get("value"), OPTION_VALUE)
    if kind in ("static_select", "multi_static_select") and len(options) > SELECT_OPTIONS:
        problems.append(f"{where}: {len(options)} options, more than {SELECT_OPTIONS}")
    low, high = OVERFLOW_OPTIONS
    if kind == "overflow" and not low <= len(options) <= high:
        problems.append(f"{where}: {len(options)} options, overflow takes {low} to {high}")
    if kind == "plain_text_input" and "max_length" in element:
        max_length = element["max_length"]
        if not isinstance(max_length, int) or not 1 <= max_length <= TEXT_INPUT_MAX:
            problems.append(f"{where}: max_length {max_length!r} is not between 1 and 3000")
    return problems


def _type(obj: Any) -> str:
    return obj.get("type", "") if isinstance(obj, dict) else ""


def _text(obj: Any) -> str | None:
    """The text of a text object ({"type": ..., "text": ...}), or None."""
    return obj.get("text") if isinstance(obj, dict) else obj


def _too_long(what: str, value: Any, limit: int) -> list[str]:
    if value is not None and len(str(value)) > limit:
        return [f"{what} is {len(str(value))} characters, more than {limit}"]
    return []
