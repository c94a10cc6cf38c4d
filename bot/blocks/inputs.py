"""Modal building blocks shared by every form: options, inputs, the modal itself."""

import json

from bot.blocks.text import plain, section
from bot.i18n import gettext_for

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
    element = {"type": "radio_buttons", "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return input_block(block_id, label, element, optional=optional, hint=hint)


def select_input(block_id: str, label: str, options: list[dict], initial=None, *,
                 optional=False, hint=None, placeholder=None) -> dict:
    element = {"type": "static_select", "options": options[:100]}
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
