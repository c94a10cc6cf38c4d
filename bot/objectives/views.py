"""Step 3 on Slack: the objectives list, the objective and initiative modals, and the whole
plan (`/plan show`) (builders and parsers together)."""

from datetime import date

from bot.objectives.rules import HORIZONS, STATUSES, gaps, outside_period
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
    radio_input,
    section,
    select_input,
    split_messages,
    text_input,
    value_of,
)
from bot.platform.i18n import N_, gettext_for
from bot.platform.state import CHOOSE, REQUIRED, TOO_LONG, read_state
from bot.reviews.views import overdue_flag, review_when

OBJECTIVE_CALLBACK, INITIATIVE_CALLBACK = "objective_save", "initiative_save"
OBJECTIVE_PROMOTE, OBJECTIVE_NEW = "objective_promote", "objective_new"
OBJECTIVE_MENU, INITIATIVE_MENU = "objective_menu", "initiative_menu"
OBJECTIVES_PREVIOUS, OBJECTIVES_NEXT = "objectives_previous", "objectives_next"
PLAN_SHARE = "plan_share"

# The next steps a saved objective or initiative offers.
OBJECTIVE_ADD_INITIATIVE, PLAN_EXPORT = "objective_add_initiative", "plan_export"
MEASURE_MAX, UNIT_MAX = 255, 32
PAGE_BLOCKS = 40
KEEP_DATES = "keep_dates"

OUTSIDE = N_("This date is outside the plan's period ({start} – {end}). Tick “Keep dates "
             "outside the plan period” to keep it anyway.")


def _keep_dates(lang) -> dict:
    _ = gettext_for(lang)
    return input_block(KEEP_DATES, _("Dates"), {
        "type": "checkboxes",
        "options": [option(_("Keep dates outside the plan period"), "yes")]}, optional=True)


def _owner(lang, initial) -> dict:
    _ = gettext_for(lang)
    element = {"type": "users_select"}
    if initial:
        element["initial_user"] = initial
    return input_block("owner", _("Owner"), element, optional=True,
                       hint=_("Clients who are guests in the channel can own items too."))


def _date(block_id, label, initial) -> dict:
    element = {"type": "datepicker"}
    if initial:
        element["initial_date"] = initial.isoformat()
    return input_block(block_id, label, element, optional=True)


def objective_modal(*, lang, categories, objective=None, idea=None, private_metadata) -> dict:
    """Promote an idea settled at 3, write an objective directly, or edit one."""
    _ = gettext_for(lang)
    o = objective
    statement = o.statement if o else (idea.text if idea else None)
    category_options = [option(c.name, str(c.id)) for c in categories]
    horizons = [option(_(label), value) for value, label in HORIZONS.items()]
    number = {"type": "number_input", "is_decimal_allowed": True}
    blocks = [
        select_input("category", _("Category"), category_options,
                     str(o.category_id) if o else None),
        text_input("statement", _("Objective"), initial=statement, optional=False),
        text_input("target", _("Target"), initial=o and o.target, optional=False,
                   hint=_("What success looks like: “lose 15 lb by Christmas”.")),
        text_input("measure", _("How it will be measured"), initial=o and o.measure,
                   optional=False, multiline=False, max_length=MEASURE_MAX,
                   hint=_("A rough measure is fine: revenue, hours saved, NPS…")),
        text_input("unit", _("Unit"), initial=o and o.unit, multiline=False,
                   max_length=UNIT_MAX),
        input_block("baseline", _("Baseline"), {**number, **_initial_number(o, "baseline")},
                    optional=True),
        input_block("target_value", _("Target value"),
                    {**number, **_initial_number(o, "target_value")}, optional=True),
        _date("target_date", _("Target date"), o and o.target_date),
        radio_input("horizon", _("Horizon"), horizons, o.horizon if o else "medium",
                    optional=False),
        _owner(lang, o and o.owner_id),
        _keep_dates(lang),
    ]
    title = _("Edit objective") if o else _("New objective")
    return modal(OBJECTIVE_CALLBACK, lang=lang, title=title, submit=_("Save"), blocks=blocks,
                 private_metadata=private_metadata)


def _initial_number(item, name) -> dict:
    value = getattr(item, name, None) if item else None
    return {} if value is None else {"initial_value": f"{value:g}"}


def initiative_modal(*, lang, objective, initiative=None, private_metadata) -> dict:
    _ = gettext_for(lang)
    i = initiative
    blocks = [
        context(_("Objective: {objective}").format(objective=escape(objective.statement[:2000]))),
        text_input("title", _("Initiative"), initial=i and i.title, optional=False,
                   hint=_("A milestone, not every action: “run 3 times a week”.")),
        text_input("target", _("Target"), initial=i and i.target, optional=False),
        text_input("measure", _("Agreed measure"), initial=i and i.measure, optional=False,
                   multiline=False, max_length=MEASURE_MAX),
        _owner(lang, i and i.owner_id),
        _date("due_date", _("Due date"), i and i.due_date),
        _keep_dates(lang),
    ]
    title = _("Edit initiative") if i else _("New initiative")
    return modal(INITIATIVE_CALLBACK, lang=lang, title=title, submit=_("Save"), blocks=blocks,
                 private_metadata=private_metadata)


def _text(raw, name, limit, errors, _, *, required=True):
    value = (raw.get(name) or "").strip()
    if not value and required:
        errors[name] = _(REQUIRED)
    elif len(value) > limit:
        errors[name] = _(TOO_LONG).format(max_length=limit)
    return value or None


def _number(raw, name, errors, _):
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        errors[name] = _("Enter a number.")
        return None


def _check_date(raw, name, meta, errors, lang):
    """A date outside the plan's period is refused until the user says to keep it."""
    value = raw.get(name)
    day = date.fromisoformat(value) if value else None
    start = date.fromisoformat(meta["start"]) if meta.get("start") else None
    end = date.fromisoformat(meta["end"]) if meta.get("end") else None
    if start and outside_period(day, start, end) and "yes" not in (raw.get(KEEP_DATES) or []):
        _ = gettext_for(lang)
        errors[name] = _(OUTSIDE).format(start=long_date(start, lang),
                                         end=long_date(end, lang) if end else "…")
    return day


def parse_objective(values: dict, lang: str, meta: dict):
    """(field values, errors): an objective needs a target and a measure."""
    _ = gettext_for(lang)
    raw = read_state(values)
    errors: dict[str, str] = {}
    category = raw.get("category")
    if category is None or not str(category).isdigit():
        errors["category"] = _(REQUIRED)
    horizon = raw.get("horizon")
    if horizon not in HORIZONS:
        errors["horizon"] = _(CHOOSE if horizon else REQUIRED)
    result = {
        "category_id": int(category) if category and str(category).isdigit() else None,
        "statement": _text(raw, "statement", 3000, errors, _),
        "target": _text(raw, "target", 3000, errors, _),
        "measure": _text(raw, "measure", MEASURE_MAX, errors, _),
        "unit": _text(raw, "unit", UNIT_MAX, errors, _, required=False),
        "baseline": _number(raw, "baseline", errors, _),
        "target_value": _number(raw, "target_value", errors, _),
        "target_date": _check_date(raw, "target_date", meta, errors, lang),
        "horizon": horizon,
        "owner_id": raw.get("owner"),
    }
    return result, errors


def parse_initiative(values: dict, lang: str, meta: dict):
    _ = gettext_for(lang)
    raw = read_state(values)
    errors: dict[str, str] = {}
    result = {
        "title": _text(raw, "title", 3000, errors, _),
        "target": _text(raw, "target", 3000, errors, _),
        "measure": _text(raw, "measure", MEASURE_MAX, errors, _),
        "owner_id": raw.get("owner"),
        "due_date": _check_date(raw, "due_date", meta, errors, lang),
    }
    return result, errors


def _objective_line(o, lang) -> str:
    _ = gettext_for(lang)
    measure = escape(o.measure)
    if o.baseline is not None or o.target_value is not None:
        unit = f" {escape(o.unit)}" if o.unit else ""
        measure += f" ({_format(o.baseline)} → {_format(o.target_value)}{unit})"
    parts = [_("Target: {target}").format(target=escape(o.target)),
             _("Measure: {measure}").format(measure=measure)]
    if o.target_date:
        parts.append(_("by {date}").format(date=long_date(o.target_date, lang)))
    parts.append(_(HORIZONS[o.horizon]))
    parts.append(_("Owner: {owner}").format(owner=mention(o.owner_id) if o.owner_id
                                            else _("nobody yet")))
    parts.append(_(STATUSES[o.status]))
    return f"{_ticked(o.statement, o.status)}\n" + " · ".join(parts)


def _ticked(text: str, status: str) -> str:
    """Done items are struck through with a check; the rest in bold."""
    return f"~{escape(text)}~ ✅" if status == "done" else f"*{escape(text)}*"


def _initiative_line(i, lang, today=None) -> str:
    _ = gettext_for(lang)
    parts = [_("Target: {target}").format(target=escape(i.target)),
             _("Measure: {measure}").format(measure=escape(i.measure)),
             _("Owner: {owner}").format(owner=mention(i.owner_id) if i.owner_id
                                        else _("nobody yet")),
             _("Due: {date}").format(date=long_date(i.due_date, lang) if i.due_date
                                     else _("no date yet")),
             _(STATUSES[i.status])]
    return f"◦ {_ticked(i.title, i.status)}\n" + " · ".join(parts) + overdue_flag(i, lang, today)


def _format(number) -> str:
    return "–" if number is None else f"{number:g}"


def _gap_lines(lang, categories, objectives, initiatives) -> list[str]:
    _ = gettext_for(lang)
    found = gaps(categories=categories, objectives=objectives, initiatives=initiatives)
    if found.complete:
        return [_("✅ The plan is complete: every category has an objective, every objective "
                  "an initiative, every initiative an owner and a due date.")]
    title = _("Before the first review")
    lines = [f"*{title}*"]
    for label, items in (
        (_("Categories with no objective"), found.empty_categories),
        (_("Objectives with no initiative"), found.objectives_without_initiatives),
        (_("Initiatives with no owner"), found.initiatives_without_owner),
        (_("Initiatives with no due date"), found.initiatives_without_due_date),
    ):
        if items:
            lines.append(f"⚠️ {label}: " + "; ".join(escape(x[:80]) for x in items[:20]))
    return lines


def objectives_message(*, lang, plan, categories, objectives, initiatives, to_promote,
                       page=0) -> dict:
    """Ideas ready to promote, objectives by category with their initiatives and menus, and
    the completeness check; paged by blocks so nothing is cut."""
    _ = gettext_for(lang)
    blocks = []
    if to_promote:
        ready = _("Ideas settled at 3, ready to become objectives")
        blocks.append(section(f"*{ready}*"))
        for idea in to_promote:
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": escape(idea.text)[:3000]},
                           "accessory": button(_("Promote"), OBJECTIVE_PROMOTE, value_of(idea.id),
                                               style="primary")})
    by_category = {c.id: [o for o in objectives if o.category_id == c.id] for c in categories}
    for category in categories:
        blocks.append(section(f"*{escape(category.name)}*"))
        if not by_category[category.id]:
            blocks.append(context(_("No objective yet.")))
        for o in by_category[category.id]:
            menu = [option(_("Add initiative"), value_of("initiative", o.id)),
                    option(_("Edit objective"), value_of("edit", o.id))]
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": _objective_line(o, lang)[:3000]},
                           "accessory": {"type": "overflow", "action_id": OBJECTIVE_MENU,
                                         "options": menu}})
            for i in [i for i in initiatives if i.objective_id == o.id]:
                blocks.append({"type": "section", "text": {
                    "type": "mrkdwn", "text": _initiative_line(i, lang)[:3000]},
                    "accessory": {"type": "overflow", "action_id": INITIATIVE_MENU,
                                  "options": [option(_("Edit initiative"),
                                                     value_of("edit", i.id))]}})
    blocks += [section(chunk) for chunk in chunk_lines(_gap_lines(lang, categories, objectives,
                                                                  initiatives))]
    pages = max(1, -(-len(blocks) // PAGE_BLOCKS))
    page = min(max(page, 0), pages - 1)
    shown = blocks[page * PAGE_BLOCKS:(page + 1) * PAGE_BLOCKS]
    title = _("Objectives: {account}").format(account=plan.account_name)
    summary = _("{objectives} objectives · {initiatives} initiatives").format(
        objectives=len(objectives), initiatives=len(initiatives))
    if pages > 1:
        summary += " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
    elements = [button(_("Write an objective"), OBJECTIVE_NEW, value_of(plan.id), style="primary")]
    if page > 0:
        elements.append(button(_("Previous page"), OBJECTIVES_PREVIOUS, str(page - 1)))
    if page < pages - 1:
        elements.append(button(_("Next page"), OBJECTIVES_NEXT, str(page + 1)))
    blocks = [header(title), context(summary), *shown, {"type": "actions",
                                                        "elements": elements}]
    return {"text": escape(title), "blocks": blocks}


def plan_messages(*, lang, plan, categories, objectives, initiatives, facilitators,
                  next_review, shared=False, today=None) -> list[dict]:
    """The plan as it stands, split into as many messages as needed, never cut."""
    _ = gettext_for(lang)
    title = _("Account plan: {account}").format(account=plan.account_name)
    period = (_("{start} – {end}").format(start=long_date(plan.start_date, lang),
                                          end=long_date(plan.end_date, lang))
              if plan.end_date else _("from {start}").format(
                  start=long_date(plan.start_date, lang)))
    intro = [_("*Period:* {period}").format(period=period),
             _("*Next review:* {date}").format(date=review_when(plan, lang, next_review))
             if next_review else _("*Next review:* none: the plan's period is over."),
             _("*Facilitators:* {people}").format(people=", ".join(mention(u)
                                                                   for u in facilitators))]
    blocks = [header(title), section("\n".join(intro))]
    no_objective = _("No objective yet.")
    for category in categories:
        lines = [f"*{escape(category.name)}*"]
        mine = [o for o in objectives if o.category_id == category.id]
        if not mine:
            lines.append(f"_{no_objective}_")
        for o in mine:
            lines.append(_objective_line(o, lang))
            lines += ["    " + _initiative_line(i, lang, today).replace("\n", "\n    ")
                      for i in initiatives if i.objective_id == o.id]
        blocks += [section(chunk) for chunk in chunk_lines(lines)]
    blocks += [section(chunk) for chunk in chunk_lines(_gap_lines(lang, categories, objectives,
                                                                  initiatives))]
    if not shared:
        blocks.append({"type": "actions", "elements": [
            button(_("Post to the channel"), PLAN_SHARE, value_of(plan.id))]})
    return [{"text": escape(title), "blocks": part} for part in split_messages(blocks)]
