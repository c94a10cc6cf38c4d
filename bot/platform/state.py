"""Reading what users send: a command's text and a submitted view's `state.values`, made
clean at this boundary; and validation errors turned into `response_action: errors` for
the right blocks."""

import re

from pydantic import ValidationError

from bot.platform.i18n import N_, gettext_for

# NUL and the other C0 control characters but tab and newline (and DEL): terminal escape
# sequences and bells mean nothing in a plan, and PostgreSQL refuses NUL in text.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """User text as Rumbo keeps it: control characters dropped (a carriage return becomes
    part of a line break), every other character kept, emoji and right-to-left text too."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def read_state(values: dict) -> dict:
    """{block_id: plain value} from Slack's {block_id: {action_id: element state}}, text
    cleaned."""
    plain_values = {}
    for block_id, actions in (values or {}).items():
        for element in actions.values():
            value = _element_value(element)
            plain_values[block_id] = clean(value) if isinstance(value, str) else value
    return plain_values


def _element_value(element: dict):
    kind = element.get("type")
    if kind in ("datepicker",):
        return element.get("selected_date")
    if kind == "timepicker":
        return element.get("selected_time")
    if kind in ("static_select", "radio_buttons", "external_select"):
        option = element.get("selected_option")
        return option["value"] if option else None
    if kind in ("checkboxes", "multi_static_select"):
        return [o["value"] for o in element.get("selected_options") or []]
    if kind == "multi_users_select":
        return element.get("selected_users") or []
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "conversations_select":
        return element.get("selected_conversation")
    if kind == "file_input":
        return element.get("files") or []
    return element.get("value")


REQUIRED = N_("This field is required.")
TOO_LONG = N_("This is too long: use at most {max_length} characters.")
CHOOSE = N_("Choose one of the options.")

_GENERIC = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "string_too_long": TOO_LONG,
    "literal_error": CHOOSE,
}


def errors_for_blocks(error: ValidationError, lang: str) -> dict:
    """One translated message per input block (block ids are the field names).

    Our own validators raise ValueError with an English msgid, which is translated here.
    """
    _ = gettext_for(lang)
    errors: dict[str, str] = {}
    for item in error.errors():
        if not item["loc"]:
            continue
        block_id = str(item["loc"][0])
        if block_id in errors:
            continue
        ctx = item.get("ctx") or {}
        if item["type"] == "value_error" and "error" in ctx:
            errors[block_id] = _(str(ctx["error"]))
        elif item["type"] in _GENERIC:
            errors[block_id] = _(_GENERIC[item["type"]]).format(**ctx)
        else:
            errors[block_id] = _(N_("This value is not valid."))
    return errors
