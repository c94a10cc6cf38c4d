"""Owners' check-ins before a review: the ask (a direct message, or a thread in the
account channel for owners who cannot get one), and the modal for the owner's items."""

from bot.blocks.inputs import modal
from bot.blocks.review import item_inputs
from bot.blocks.text import button, context, escape, long_date, mention, plain, section
from bot.i18n import gettext_for
from bot.planning import STATUSES

CHECKIN_UPDATE = "checkin_update"
CALLBACK = "checkin_save"
MODAL_ITEMS = 24  # 4 blocks an objective: a modal holds at most 100


def _items_lines(lang, items, done) -> list[str]:
    _ = gettext_for(lang)
    lines = []
    for entity, item in items:
        title = item.statement if entity == "objective" else item.title
        mark = "✅ " if (entity, item.id) in done else "• "
        lines.append(f"{mark}{escape(title[:300])} — {_(STATUSES[item.status])}")
    return lines


def ask(*, lang, plan, due, items, done=frozenset(), nudge=False, user_id=None) -> dict:
    """The check-in ask: to the owner in a direct message, or (`user_id`) to them in the
    channel's check-in thread."""
    _ = gettext_for(lang)
    when = long_date(due, lang)
    if nudge:
        text = _("A reminder: the review of *{account}* is on {date}, and your check-in is "
                 "still missing.").format(account=escape(plan.account_name), date=when)
    else:
        text = _("The review of *{account}* is on {date}. Where do your items stand? Your "
                 "check-in prefills the review; you can change it until then.").format(
            account=escape(plan.account_name), date=when)
    if user_id:
        text = f"{mention(user_id)} " + text
    blocks = [section(text), section("\n".join(_items_lines(lang, items, done))[:3000]),
              {"type": "actions", "elements": [
                  button(_("Update"), CHECKIN_UPDATE, f"{plan.id}:{due.isoformat()}",
                         style="primary")]}]
    return {"text": text, "blocks": blocks}


def thread_parent(*, lang, plan, due) -> dict:
    _ = gettext_for(lang)
    text = _("Check-ins before the review of *{account}* on {date}: owners, where do your "
             "items stand? Each of you is asked in this thread.").format(
        account=escape(plan.account_name), date=long_date(due, lang))
    return {"text": text, "blocks": [section(text)]}


def checkin_modal(*, lang, plan, due, items, current, values, private_metadata) -> dict:
    """The owner's items, prefilled with their check-in (or the item as it is)."""
    _ = gettext_for(lang)
    blocks = [section(_("Before the review of *{account}* on {date}: only your own items. "
                        "You can change this until the review.").format(
        account=escape(plan.account_name), date=long_date(due, lang)))]
    for entity, item in items[:MODAL_ITEMS]:
        blocks += item_inputs(lang, entity, item, current.get((entity, item.id)),
                              values.get(item.id) if entity == "objective" else None)
    if len(items) > MODAL_ITEMS:
        blocks.append(context(_("The rest of your items are in the review.")))
    return modal(CALLBACK, lang=lang, title=_("Check-in"), submit=_("Save"), blocks=blocks,
                 private_metadata=private_metadata)


def saved_view(*, lang) -> dict:
    _ = gettext_for(lang)
    return {"type": "modal", "title": plain(_("Check-in"), 24), "close": plain(_("Close"), 24),
            "blocks": [section(_("Thank you: your check-in is saved, and the review will open "
                                 "with it. You can update it until then."))]}


def closed_note(lang) -> str:
    _ = gettext_for(lang)
    return _("That review was held already: its check-ins are closed.")
