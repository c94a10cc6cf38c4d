"""Step 3 on Slack: the objectives list, the objective and initiative modals, the whole
plan (`/plan show`), the settings modal, and the history."""

from datetime import date

from bot.blocks import plan_form
from bot.blocks.inputs import (
    input_block,
    modal,
    option,
    radio_input,
    select_input,
    text_input,
)
from bot.blocks.state import CHOOSE, REQUIRED, TOO_LONG, errors_for_blocks, read_state
from bot.blocks.text import (
    button,
    chunk_lines,
    context,
    escape,
    header,
    long_date,
    mention,
    review_when,
    section,
    shorten,
    slack_date,
    split_messages,
)
from bot.i18n import N_, gettext_for
from bot.method import CLIENT_SIZES, LANGUAGE_NAMES, PERIODS, WEEKDAYS
from bot.planning import HORIZONS, STATUSES, gaps, outside_period, overdue
from bot.reminders import CADENCE_NAMES

OBJECTIVE_CALLBACK, INITIATIVE_CALLBACK = "objective_save", "initiative_save"
SETTINGS_CALLBACK = "plan_settings"
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


# --- modals -----------------------------------------------------------------------------------

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
    raw, errors = read_state(values), {}
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
    raw, errors = read_state(values), {}
    result = {
        "title": _text(raw, "title", 3000, errors, _),
        "target": _text(raw, "target", 3000, errors, _),
        "measure": _text(raw, "measure", MEASURE_MAX, errors, _),
        "owner_id": raw.get("owner"),
        "due_date": _check_date(raw, "due_date", meta, errors, lang),
    }
    return result, errors


# --- settings ---------------------------------------------------------------------------------

def settings_modal(*, lang, plan, categories, facilitators, private_metadata) -> dict:
    """The new-plan form, filled in, with one field per category (empty it to remove it)."""
    _ = gettext_for(lang)
    base = plan_form.modal(lang=lang, channel_id=plan.channel_id, today=plan.start_date,
                           timezone=plan.timezone, creator_id=plan.created_by,
                           account_name=plan.account_name, period=plan.period)
    current = {"client_size": plan.client_size, "period": plan.period,
               "review_weekday": str(plan.review_weekday), "language": plan.language}
    blocks = []
    for block in base["blocks"]:
        block_id = block.get("block_id")
        if block_id == plan_form.CATEGORIES:
            for category in categories:
                blocks.append(text_input(f"cat_{category.id}", _("Category"),
                                         initial=category.name, multiline=False,
                                         max_length=plan_form.CATEGORY_MAX,
                                         hint=_("Empty it to remove the category.")))
            blocks.append(text_input("new_categories", _("New categories, one per line"),
                                     max_length=1000))
            continue
        element = block.get("element", {})
        if block_id in current:
            chosen = next(o for o in element["options"] if o["value"] == current[block_id])
            element["initial_option"] = chosen
        elif block_id == plan_form.END and plan.end_date:
            element["initial_date"] = plan.end_date.isoformat()
        elif block_id == plan_form.TIME:
            element["initial_time"] = plan.review_time.strftime("%H:%M")
        elif block_id == plan_form.NEXT_REVIEW and plan.next_review_on:
            element["initial_date"] = plan.next_review_on.isoformat()
        elif block_id == plan_form.FACILITATORS:
            element["initial_users"] = facilitators
        if block_id is None:
            continue  # the new-plan modal's introduction
        blocks.append(block)
    blocks += _nudge_settings(lang, plan)
    return modal(SETTINGS_CALLBACK, lang=lang, title=_("Plan settings"), submit=_("Save"),
                 blocks=blocks, private_metadata=private_metadata)


CADENCES = {
    "default": N_("From the client size (quarterly or every 6 months)"),
    **CADENCE_NAMES,
    "weeks": N_("Every N weeks (below)"),
}
SUMMARY_FREQUENCIES = {"weekly": N_("Weekly"), "monthly": N_("Monthly"),
                       "quarterly": N_("Quarterly"), "off": N_("Off")}


def _nudge_settings(lang, plan) -> list[dict]:
    _ = gettext_for(lang)
    number = {"type": "number_input", "is_decimal_allowed": False}

    def count(block_id, label, value, hint=None):
        return input_block(block_id, label, {**number, "initial_value": str(value),
                                             "min_value": "1", "max_value": "52"},
                           optional=True, hint=hint)

    cadences = [option(_(label), code) for code, label in CADENCES.items()]
    summaries = [option(_(label), code) for code, label in SUMMARY_FREQUENCIES.items()]
    return [
        select_input("cadence", _("Review cadence"), cadences, plan.cadence or "default"),
        count("cadence_weeks", _("Weeks between reviews"), plan.cadence_weeks or 12),
        text_input("reminder_days", _("Remind this many days before a review"),
                   initial=plan.reminder_days.replace(",", ", "), multiline=False,
                   max_length=30, optional=False, hint=_("Comma-separated, e.g. 7, 1.")),
        count("overdue_every_days", _("Nudge every N days while a review is overdue"),
              plan.overdue_every_days),
        count("overdue_max", _("At most this many overdue nudges"), plan.overdue_max),
        count("checkin_days", _("Ask owners for a check-in this many days before a review"),
              plan.checkin_days, hint=_("Each owner gets one direct message, at a working "
                                        "hour in their own timezone.")),
        select_input("summary_frequency", _("Progress summaries"), summaries,
                     plan.summary_frequency),
    ]


def _parse_nudges(raw: dict, lang: str):
    """The nudge settings, or errors on their fields."""
    _ = gettext_for(lang)
    errors, values = {}, {}
    cadence = raw.pop("cadence", None) or "default"
    if cadence not in CADENCES:
        errors["cadence"] = _(CHOOSE)
    values["cadence"] = None if cadence == "default" else cadence
    defaults = {"cadence_weeks": None, "overdue_every_days": 3, "overdue_max": 3,
                "checkin_days": 3}
    for name, low, high in (("cadence_weeks", 1, 52), ("overdue_every_days", 1, 30),
                            ("overdue_max", 0, 10), ("checkin_days", 1, 30)):
        text = raw.pop(name, None)
        if text in (None, ""):
            values[name] = defaults[name]
            continue
        if not str(text).isdigit() or not low <= int(text) <= high:
            errors[name] = _("Enter a whole number from {low} to {high}.").format(
                low=low, high=high)
        else:
            values[name] = int(text)
    if values.get("cadence") == "weeks" and not values.get("cadence_weeks"):
        errors["cadence_weeks"] = _("How many weeks between reviews?")
    days = [d.strip() for d in (raw.pop("reminder_days", None) or "").split(",") if d.strip()]
    if not days or not all(d.isdigit() and 0 < int(d) <= 90 for d in days):
        errors["reminder_days"] = _("Days between 1 and 90, separated by commas.")
    values["reminder_days"] = ",".join(str(int(d)) for d in sorted(
        {d for d in days if d.isdigit()}, key=int, reverse=True))
    frequency = raw.pop("summary_frequency", None) or "monthly"
    if frequency not in SUMMARY_FREQUENCIES:
        errors["summary_frequency"] = _(CHOOSE)
    values["summary_frequency"] = frequency
    return values, errors


def parse_settings(values: dict, lang: str):
    """((plan values, renames {id: name}, removed [ids], added [names], facilitators),
    errors)."""
    raw = read_state(values)
    nudges, nudge_errors = _parse_nudges(raw, lang)
    renames = {int(k[4:]): (v or "").strip() for k, v in raw.items()
               if k.startswith("cat_") and k[4:].isdigit()}
    added = [line.strip() for line in (raw.get("new_categories") or "").splitlines()
             if line.strip()]
    names = [name for name in renames.values() if name] + added
    common = {k: v for k, v in raw.items()
              if not k.startswith("cat_") and k != "new_categories" and v is not None}
    try:
        data = plan_form.PlanInput(**common, categories="\n".join(names))
    except plan_form.ValidationError as error:
        errors = errors_for_blocks(error, lang)
        if "categories" in errors:
            target = "new_categories" if added or not renames else f"cat_{next(iter(renames))}"
            errors[target] = errors.pop("categories")
        return None, {**errors, **nudge_errors}
    if nudge_errors:
        return None, nudge_errors
    plan_values = {**data.model_dump(exclude={"categories", "facilitators"}), **nudges}
    removed = [category_id for category_id, name in renames.items() if not name]
    kept = {category_id: name for category_id, name in renames.items() if name}
    return (plan_values, kept, removed, added, data.facilitators), {}


# --- the objectives list ----------------------------------------------------------------------

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


def overdue_flag(item, lang, today) -> str:
    """' · ⚠️ Overdue since …' for an initiative past its due date (else "")."""
    _ = gettext_for(lang)
    if today is None or not overdue(item, today):
        return ""
    return " · ⚠️ " + _("*Overdue* since {date}").format(date=long_date(item.due_date, lang))


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
                           "accessory": button(_("Promote"), OBJECTIVE_PROMOTE, str(idea.id),
                                               style="primary")})
    by_category = {c.id: [o for o in objectives if o.category_id == c.id] for c in categories}
    for category in categories:
        blocks.append(section(f"*{escape(category.name)}*"))
        if not by_category[category.id]:
            blocks.append(context(_("No objective yet.")))
        for o in by_category[category.id]:
            menu = [option(_("Add initiative"), f"initiative:{o.id}"),
                    option(_("Edit objective"), f"edit:{o.id}")]
            blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                       "text": _objective_line(o, lang)[:3000]},
                           "accessory": {"type": "overflow", "action_id": OBJECTIVE_MENU,
                                         "options": menu}})
            for i in [i for i in initiatives if i.objective_id == o.id]:
                blocks.append({"type": "section", "text": {
                    "type": "mrkdwn", "text": _initiative_line(i, lang)[:3000]},
                    "accessory": {"type": "overflow", "action_id": INITIATIVE_MENU,
                                  "options": [option(_("Edit initiative"), f"edit:{i.id}")]}})
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
    elements = [button(_("Write an objective"), OBJECTIVE_NEW, str(plan.id), style="primary")]
    if page > 0:
        elements.append(button(_("Previous page"), OBJECTIVES_PREVIOUS, str(page - 1)))
    if page < pages - 1:
        elements.append(button(_("Next page"), OBJECTIVES_NEXT, str(page + 1)))
    blocks = [header(title), context(summary), *shown, {"type": "actions",
                                                       "elements": elements}]
    return {"text": escape(title), "blocks": blocks}


# --- the whole plan ---------------------------------------------------------------------------

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
            button(_("Post to the channel"), PLAN_SHARE, str(plan.id))]})
    return [{"text": escape(title), "blocks": part} for part in split_messages(blocks)]


# What a history line calls each kind of change (PlanChange.entity, PlanChange.field).
CHANGE_LABELS = {
    "plan": N_("Plan"), "category": N_("Category"), "objective": N_("Objective"),
    "initiative": N_("Initiative"), "created": N_("created"), "removed": N_("removed"),
    "name": N_("name"), "statement": N_("statement"), "title": N_("title"),
    "target": N_("target"), "measure": N_("measure"), "unit": N_("unit"),
    "baseline": N_("baseline"), "target_value": N_("target value"),
    "target_date": N_("target date"), "due_date": N_("due date"), "horizon": N_("horizon"),
    "owner_id": N_("owner"), "status": N_("status"), "category_id": N_("category"),
    "facilitator": N_("facilitator"), "account_name": N_("account name"),
    "client_size": N_("client size"), "period": N_("period"), "start_date": N_("start date"),
    "end_date": N_("end date"), "timezone": N_("timezone"), "review_weekday": N_("review day"),
    "review_time": N_("review time"), "language": N_("language"),
    "next_review_on": N_("next review"), "checkin_days": N_("check-in days"),
}


# The words each coded field's values take, in the history.
HISTORY_WORDS = {"period": PERIODS, "client_size": CLIENT_SIZES, "status": STATUSES,
                 "horizon": HORIZONS, "cadence": CADENCES,
                 "summary_frequency": SUMMARY_FREQUENCIES, "language": LANGUAGE_NAMES}


def history_message(*, lang, plan, changes, categories=None) -> dict:
    """Every change, newest first: who (a mention), when (in each reader's timezone), what,
    from what to what, in words (`period: Calendar year → 12 months`), never codes.
    `categories` is {id: name}, to name an objective's category."""
    _ = gettext_for(lang)
    title = _("History: {account}").format(account=plan.account_name)

    def label(code):
        return _(CHANGE_LABELS[code]) if code in CHANGE_LABELS else code.replace("_", " ")

    def shown(change, value):
        return _history_value(change.field, value, lang, categories or {})

    lines = []
    for c in changes:
        when, who, what = slack_date(c.at, plan.timezone, lang), mention(c.user_id), \
            label(c.entity)
        if c.field == "created":
            lines.append(_("{when} · {who} · {what} added: {after}").format(
                when=when, who=who, what=what, after=shown(c, c.after)))
        elif c.field == "removed":
            lines.append(_("{when} · {who} · {what} removed: {before}").format(
                when=when, who=who, what=what, before=shown(c, c.before)))
        else:
            lines.append(_("{when} · {who} · {what}, {field}: {before} → {after}").format(
                when=when, who=who, what=what, field=label(c.field),
                before=shown(c, c.before), after=shown(c, c.after)))
    lines = lines or [_("Nothing has changed yet.")]
    blocks = [header(title), *[section(chunk) for chunk in chunk_lines(lines)][:45]]
    return {"text": escape(title), "blocks": blocks}


def _history_value(field: str, value: str | None, lang: str, categories: dict) -> str:
    """A value as the history stored it (text), as people read it."""
    _ = gettext_for(lang)
    if value is None or value == "None":
        return "–"
    if field in ("owner_id", "facilitator"):
        return mention(value)
    if field == "category_id":
        name = categories.get(int(value)) if value.isdigit() else None
        return escape(name) if name is not None else value
    words = HISTORY_WORDS.get(field)
    if words is not None and value in words:
        return _(words[value])
    if field == "review_weekday" and value.isdigit() and int(value) < len(WEEKDAYS):
        return _(WEEKDAYS[int(value)])
    if field == "review_time":
        return value[:5]
    if field.endswith(("_date", "_on")):
        try:
            return long_date(date.fromisoformat(value), lang)
        except ValueError:
            pass
    return escape(shorten(value, 200))
