"""The export's one question: where the plan template goes, and whether it carries each
person's scores."""

from bot.platform.blocks import escape, input_block, modal, option, radio_input
from bot.platform.i18n import gettext_for
from bot.platform.state import read_state

CALLBACK = "plan_export"
TO_CHANNEL, TO_ME = "channel", "me"


def export_modal(*, lang, private_metadata) -> dict:
    """The channel by default; each person's scores left out by default: the channel may
    hold the client, and scores stay hidden until a facilitator reveals them, so nobody
    anchors on another's vote. The settled scores (the team's decision) are always in."""
    _ = gettext_for(lang)
    blocks = [
        radio_input("to", _("Send it to"), [
            option(_("The channel"), TO_CHANNEL, _("everyone in it can download it")),
            option(_("Only me"), TO_ME, _("a private copy in a direct message from Rumbo")),
        ], TO_CHANNEL, optional=False),
        input_block("scores", _("Each person's scores"), {"type": "checkboxes", "options": [
            option(_("Include who scored what, with their notes"), "yes")]}, optional=True,
            hint=_("Left out unless you tick it: the channel may include the client. Only "
                   "ideas whose scores were revealed show them; the settled score is always "
                   "in.")),
    ]
    return modal(CALLBACK, lang=lang, title=_("Export the plan"), submit=_("Export"),
                 blocks=blocks, private_metadata=private_metadata)


def parse_export(values: dict, lang: str):
    """(private, per_person, errors): nothing can be wrong."""
    raw = read_state(values)
    return raw.get("to") == TO_ME, "yes" in (raw.get("scores") or []), {}


def upload_comment(*, lang, plan, private: bool, per_person: bool) -> str:
    _ = gettext_for(lang)
    account = escape(plan.account_name)
    if private:
        text = _("Your private copy of the plan template: {account}").format(account=account)
    else:
        text = _("The plan template, filled in: {account}").format(account=account)
    if per_person:
        text += "\n" + _("With each person's scores and notes, for the ideas whose scores "
                         "were revealed.")
    return text
