"""The review (step 4): a modal paged through every objective and initiative (status,
measured value, note), what worked and what did not; and what changed since the last one."""

from bot.blocks.inputs import input_block, option, select_input, text_input
from bot.blocks.plan_items import overdue_flag
from bot.blocks.state import CHOOSE, TOO_LONG, read_state
from bot.blocks.text import (
    button,
    chunk_lines,
    context,
    escape,
    long_date,
    mention,
    plain,
    section,
)
from bot.i18n import gettext_for
from bot.planning import STATUSES

CALLBACK = "review_page"
CHECKIN_NUDGE = "checkin_nudge"
PAGE_ITEMS = 15
NOTE_MAX = 3000


def items_for_review(objectives, initiatives) -> list[tuple[str, object]]:
    """Every objective followed by its initiatives; abandoned ones stay in the history."""
    items = []
    for objective in objectives:
        if objective.status == "abandoned":
            continue
        items.append(("objective", objective))
        items += [("initiative", i) for i in initiatives
                  if i.objective_id == objective.id and i.status != "abandoned"]
    return items


def pages_of(items) -> int:
    return max(1, -(-len(items) // PAGE_ITEMS))


def change_lines(*, lang, changes, objectives, initiatives, reasons=None,
                 values=None) -> list[str]:
    """What changed since the last review, in words: new, ticked off, targets hit,
    modified, abandoned (with the reason noted at the review)."""
    _ = gettext_for(lang)
    reasons, values = reasons or {}, values or {}
    titles = {("objective", o.id): o.statement for o in objectives}
    titles.update({("initiative", i.id): i.title for i in initiatives})
    lines = []
    for o in objectives:
        current, previous = values.get(o.id, (None, None))
        if o.target_value is not None and current is not None and _reached(o, current) and (
                previous is None or not _reached(o, previous)):
            lines.append("🎯 " + _("Target hit: {title}").format(title=escape(o.statement)))
    for change in changes:
        title = escape(titles.get((change.entity, change.entity_id), change.after or "")[:200])
        if change.field == "created":
            lines.append("🆕 " + _("New: {title}").format(title=title))
        elif change.field == "status" and change.after == "done":
            lines.append("✅ " + _("Done: {title}").format(title=title))
        elif change.field == "status" and change.after == "abandoned":
            line = "🗑️ " + _("Abandoned: {title}").format(title=title)
            reason = reasons.get((change.entity, change.entity_id))
            if reason:
                line += " — " + escape(reason[:300])
            lines.append(line)
        elif change.field == "status":
            lines.append(_("{title}: {before} → {after}").format(
                title=title, before=_(STATUSES.get(change.before, "Not started")),
                after=_(STATUSES.get(change.after, "Not started"))))
        else:
            lines.append("✏️ " + _("Modified: {title}").format(title=title))
    return lines


def _reached(objective, value: float) -> bool:
    rising = objective.target_value >= (objective.baseline or 0)
    return value >= objective.target_value if rising else value <= objective.target_value


def item_inputs(lang, entity: str, item, saved, last_value: float | None,
                today=None) -> list[dict]:
    """An objective's or initiative's fields (status, current value, note), filled in from
    `saved` (an ItemReview or CheckIn) or the item itself. Block ids `o12_status`… are what
    `parse_page` reads, for the review and the owners' check-ins alike."""
    _ = gettext_for(lang)
    statuses = [option(_(label), code) for code, label in STATUSES.items()]
    prefix = f"{entity[0]}{item.id}"
    title = item.statement if entity == "objective" else item.title
    describe = ("" if entity == "objective" else "◦ ") + f"*{escape(title[:500])}*\n" + _(
        "Target: {target}").format(target=escape(item.target[:500]))
    if entity == "initiative":
        describe += overdue_flag(item, lang, today)
    blocks = [section(describe),
              select_input(f"{prefix}_status", _("Status"), statuses,
                           saved.status if saved else item.status)]
    if entity == "objective":
        last = saved.value if saved and saved.value is not None else last_value
        element = {"type": "number_input", "is_decimal_allowed": True}
        if last is not None:
            element["initial_value"] = f"{last:g}"
        unit = f" ({item.unit})" if item.unit else ""
        blocks.append(input_block(f"{prefix}_value", _("Current value of “{measure}”")
                                  .format(measure=item.measure[:100]) + unit, element,
                                  optional=True))
    blocks.append(text_input(f"{prefix}_note", _("Note"), initial=saved and saved.note,
                             multiline=False, max_length=NOTE_MAX))
    return blocks


def review_page(*, lang, plan, items, page, current, values, changes, private_metadata,
                checkins=None, checked_in=None, today=None):
    """One page of the review modal. `current` is {(entity, id): ItemReview} already saved
    in this review; `checkins` {(entity, id): CheckIn} the owners' check-ins; `values`
    {objective id: last measured value}; `checked_in` (who did, who did not) or None."""
    _ = gettext_for(lang)
    pages = pages_of(items)
    blocks = []
    if page == 0:
        blocks.append(section(_("Be critical: what worked and what did not? Modify or "
                                "abandon strategies that no longer serve, even favourite "
                                "ones, and tick off what is done.")))
        if changes:
            heading = _("Since the last review")
            blocks += [section(chunk) for chunk in chunk_lines(
                [f"*{heading}*"] + changes)][:5]
        if checked_in is not None:
            blocks += checkin_status(lang, plan, *checked_in)
    blocks.append(context(_("Page {page} of {pages}").format(page=page + 1, pages=pages)))
    checkins = checkins or {}
    for entity, item in items[page * PAGE_ITEMS:(page + 1) * PAGE_ITEMS]:
        # What this review saved, else what the owner checked in, else the item as it is.
        saved = current.get((entity, item.id)) or checkins.get((entity, item.id))
        blocks += item_inputs(lang, entity, item, saved, values.get(item.id), today)
    last_page = page == pages - 1
    if last_page:
        blocks.append(text_input("worked", _("What worked?"), max_length=NOTE_MAX))
        blocks.append(text_input("not_worked", _("What did not?"), max_length=NOTE_MAX))
    title = _("Review: {account}").format(account=plan.account_name)
    return {"type": "modal", "callback_id": CALLBACK, "private_metadata": private_metadata,
            "title": plain(title, 24),
            "submit": plain(_("Close the review") if last_page else _("Next page"), 24),
            "close": plain(_("Later"), 24), "blocks": blocks}


def checkin_status(lang, plan, checked: list[str], missing: list[str]) -> list[dict]:
    """Who checked in before the review and who did not, with a nudge for the latter."""
    _ = gettext_for(lang)
    if not checked and not missing:
        return []
    nobody = _("nobody")
    lines = [_("*Owners' check-ins*"),
             _("Checked in: {people}").format(
                 people=", ".join(mention(u) for u in checked) or nobody),
             _("Not yet: {people}").format(
                 people=", ".join(mention(u) for u in missing) or nobody)]
    blocks = [section("\n".join(lines)[:3000])]
    if missing:
        blocks.append({"type": "actions", "block_id": "checkin_nudge", "elements": [
            button(_("Nudge those who did not"), CHECKIN_NUDGE, str(plan.id))]})
    return blocks


def saving_view(lang) -> dict:
    """Shown while the next page is prepared (the ack has no database to read it from)."""
    _ = gettext_for(lang)
    return {"type": "modal", "title": plain(_("Review"), 24),
            "close": plain(_("Later"), 24),
            "blocks": [section(_("Saving this page… the next one opens in a moment."))]}


def parse_page(values: dict, lang: str):
    """(items [{entity, entity_id, status, value, note}], worked, not_worked), errors."""
    _ = gettext_for(lang)
    raw, errors, items = read_state(values), {}, {}
    for block_id, value in raw.items():
        head, _sep, field = block_id.partition("_")
        if head[:1] not in ("o", "i") or not head[1:].isdigit() or not field:
            continue
        entity = "objective" if head[0] == "o" else "initiative"
        item = items.setdefault(head, {"entity": entity, "entity_id": int(head[1:]),
                                       "status": None, "value": None, "note": None})
        if field == "status":
            if value not in STATUSES:
                errors[block_id] = _(CHOOSE)
            item["status"] = value
        elif field == "value" and value not in (None, ""):
            try:
                item["value"] = float(value)
            except ValueError:
                errors[block_id] = _("Enter a number.")
        elif field == "note" and value:
            if len(value) > NOTE_MAX:
                errors[block_id] = _(TOO_LONG).format(max_length=NOTE_MAX)
            item["note"] = value.strip() or None
    texts = {}
    for name in ("worked", "not_worked"):
        text = (raw.get(name) or "").strip() or None
        if text and len(text) > NOTE_MAX:
            errors[name] = _(TOO_LONG).format(max_length=NOTE_MAX)
        texts[name] = text
    return (list(items.values()), texts["worked"], texts["not_worked"]), errors


def review_summary_lines(*, lang, review, due) -> list[str]:
    _ = gettext_for(lang)
    lines = []
    if due:
        lines.append(_("Review of {date}").format(date=long_date(due, lang)))
    for label, text in ((_("What worked"), review.worked),
                        (_("What did not"), review.not_worked)):
        if text:
            lines.append(f"*{label}*\n" + escape(text))
    return lines
