"""Step 4 on Slack: the review modal, owners' check-ins, the reminders, and the progress summary."""

from datetime import date

from babel.dates import format_date

from bot.objectives.rules import STATUSES
from bot.platform.blocks import (
    button,
    chunk_lines,
    context,
    escape,
    header,
    input_block,
    long_date,
    mention,
    modal,
    option,
    plain,
    section,
    select_input,
    slack_moment,
    split_messages,
    text_input,
    value_of,
)
from bot.platform.i18n import N_, gettext_for, ngettext_for
from bot.platform.state import CHOOSE, TOO_LONG, read_state
from bot.reviews.rules import local_moment, measure_progress, overdue, trend


def review_when(plan, lang: str, day=None) -> str:
    """A review's day (`day`, else the plan's next) and time, as each reader's Slack shows it
    in their own timezone; where it cannot, in the plan's: 'Friday, January 15, 2027 at
    10:00 (Europe/Madrid)'. Help, the plan, App Home and the reminders say it alike."""
    _ = gettext_for(lang)
    day = day or plan.next_review_on
    if day is None:
        return "–"
    moment = local_moment(day, plan.review_time, plan.timezone)
    return slack_moment(moment, "{date_long_pretty} {time}", _(
        "{date} at {time} ({timezone})").format(
            date=format_date(day, format="full", locale=lang),
            time=plan.review_time.strftime("%H:%M"), timezone=plan.timezone))


# --- the review -------------------------------------------------------------------------------

REVIEW_CALLBACK = "review_page"
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
    return {"type": "modal", "callback_id": REVIEW_CALLBACK, "private_metadata": private_metadata,
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
            button(_("Nudge those who did not"), CHECKIN_NUDGE, value_of(plan.id))]})
    return blocks


def parse_page(values: dict, lang: str):
    """(items [{entity, entity_id, status, value, note}], worked, not_worked), errors."""
    _ = gettext_for(lang)
    raw, errors = read_state(values), {}
    items: dict[str, dict] = {}
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


# --- owners' check-ins ------------------------------------------------------------------------

CHECKIN_UPDATE = "checkin_update"
CHECKIN_CALLBACK = "checkin_save"
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
                  button(_("Update"), CHECKIN_UPDATE, value_of(plan.id, due.isoformat()),
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
    return modal(CHECKIN_CALLBACK, lang=lang, title=_("Check-in"), submit=_("Save"), blocks=blocks,
                 private_metadata=private_metadata)


def saved_view(*, lang) -> dict:
    _ = gettext_for(lang)
    return {"type": "modal", "title": plain(_("Check-in"), 24), "close": plain(_("Close"), 24),
            "blocks": [section(_("Thank you: your check-in is saved, and the review will open "
                                 "with it. You can update it until then."))]}


CHECKINS_CLOSED = N_("That review was held already: its check-ins are closed.")


def parse_checkin(values: dict, lang: str):
    """(the owner's items, errors): the review page's fields, for their items only."""
    (items, _worked, _not_worked), errors = parse_page(values, lang)
    return items, errors


# --- reminders and deadlines ------------------------------------------------------------------

REVIEW_START, REVIEW_POSTPONE, REVIEW_SKIP = "review_start", "review_postpone", "review_skip"


def review_reminder(*, lang, plan, kind, due, days=None, overdue_days=None) -> dict:
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    account = escape(plan.account_name)
    when = review_when(plan, lang, due)
    if kind == "review_ahead":
        text = n_("The review of *{account}* is in {days} day, on {date}.",
                  "The review of *{account}* is in {days} days, on {date}.", days).format(
            account=account, days=days, date=when)
    elif kind == "review_due":
        text = _("It is time to review *{account}*: be critical about what worked and what "
                 "did not, tick off what is done.").format(account=account)
    else:
        text = n_("The review of *{account}* is overdue by {days} day (it was due on {date}).",
                  "The review of *{account}* is overdue by {days} days (it was due on "
                  "{date}).", overdue_days).format(account=account, days=overdue_days,
                                                   date=when)
    value = value_of(plan.id, due.isoformat())
    blocks = [section(text), {"type": "actions", "elements": [
        button(_("Start review"), REVIEW_START, value, style="primary"),
        button(_("Postpone"), REVIEW_POSTPONE, value),
        button(_("Skip the next reminder"), REVIEW_SKIP, value),
    ]}, context(_("Postponing and skipping are for facilitators."))]
    return {"text": text, "blocks": blocks}


def deadline_reminder(*, lang, plan, initiative, mention_owner=False) -> dict:
    _ = gettext_for(lang)
    text = _("*{title}* (*{account}*) is due on {date}, and you own it. Where does it "
             "stand?").format(
        title=escape(initiative.title[:300]), account=escape(plan.account_name),
        date=long_date(initiative.due_date, lang))
    if mention_owner:
        text = f"{mention(initiative.owner_id)} " + text
    return {"text": text, "blocks": [section(text)]}


def overdue_flag(item, lang, today) -> str:
    """' · ⚠️ Overdue since …' for an initiative past its due date (else "")."""
    _ = gettext_for(lang)
    if today is None or not overdue(item, today):
        return ""
    return " · ⚠️ " + _("*Overdue* since {date}").format(date=long_date(item.due_date, lang))


# --- the progress summary ---------------------------------------------------------------------

TREND_MARKS = {"up": "↗", "down": "↘", "flat": "→", "": ""}
COUNTED = ("done", "on_track", "at_risk", "off_track")


def progress_messages(*, lang, plan, categories, objectives, initiatives, values,
                      changes=None, title=None) -> list[dict]:
    """Per category: objectives done / on track / at risk / off track, each measure's
    progress from baseline to target and its trend since the last review; items at risk;
    done items celebrated. `values` is {objective id: (current, previous)}."""
    _ = gettext_for(lang)
    title = title or _("Progress: {account}").format(account=plan.account_name)
    blocks = [header(title)]
    if changes:
        blocks += [section(chunk) for chunk in chunk_lines(changes)]
    for category in categories:
        mine = [o for o in objectives if o.category_id == category.id]
        counts = " · ".join(f"{sum(1 for o in mine if o.status == s)} {_(STATUSES[s]).lower()}"
                            for s in COUNTED)
        lines = [f"*{escape(category.name)}* — {counts}"]
        for o in mine:
            lines.append(_objective_progress(o, values.get(o.id, (None, None)), lang))
        blocks += [section(chunk) for chunk in chunk_lines(lines)]
    at_risk = [o.statement for o in objectives if o.status in ("at_risk", "off_track")]
    at_risk += [i.title for i in initiatives if i.status in ("at_risk", "off_track")]
    if at_risk:
        heading = _("At risk or off track")
        blocks += [section(chunk) for chunk in chunk_lines(
            [f"⚠️ *{heading}*"] + [f"• {escape(x)}" for x in at_risk])]
    done = [o.statement for o in objectives if o.status == "done"]
    done += [i.title for i in initiatives if i.status == "done"]
    if done:
        heading = _("Done: nothing more satisfying")
        blocks += [section(chunk) for chunk in chunk_lines(
            [f"🎉 *{heading}*"] + [f"• ~{escape(x)}~ ✅" for x in done])]
    if not objectives:
        blocks.append(context(_("No objectives yet: `/plan objectives` turns the 3s into "
                                "objectives.")))
    return [{"text": escape(title), "blocks": part} for part in split_messages(blocks)]


def _objective_progress(objective, values, lang) -> str:
    _ = gettext_for(lang)
    current, previous = values
    statement = escape(objective.statement)
    if objective.status == "done":
        statement = f"~{statement}~ ✅"
    line = f"• {statement} — {_(STATUSES[objective.status])}"
    percent = measure_progress(objective.baseline, objective.target_value, current)
    if percent is not None:
        rising = (objective.target_value or 0) >= (objective.baseline or 0)
        mark = TREND_MARKS[trend(current, previous, rising_is_good=rising)]
        line += " · " + _("{percent}% of the way ({value} of {target})").format(
            percent=round(percent), value=f"{current:g}", target=f"{objective.target_value:g}")
        if mark:
            line += f" {mark}"
    return line


# --- postponing a review ----------------------------------------------------------------------

POSTPONE_CALLBACK = "review_postpone_date"


def postpone_modal(*, lang, plan, private_metadata) -> dict:
    _ = gettext_for(lang)
    element = {"type": "datepicker"}
    if plan.next_review_on:
        element["initial_date"] = plan.next_review_on.isoformat()
    return modal(POSTPONE_CALLBACK, lang=lang, title=_("Postpone the review"),
                 submit=_("Postpone"), blocks=[input_block(
                     "date", _("New date"), element,
                     hint=_("A holiday, the client's year-end… the reminders follow."))],
                 private_metadata=private_metadata)


def parse_postpone(values: dict, lang: str):
    """(the new review date, errors)."""
    chosen = read_state(values).get("date")
    try:
        return date.fromisoformat(chosen or ""), {}
    except (TypeError, ValueError):
        _ = gettext_for(lang)
        return None, {"date": _("Choose a day from today on.")}
