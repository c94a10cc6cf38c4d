"""The plan itself on Slack: the new-plan modal, the settings modal, the history, the
announcement and the archive offer (builders and parsers together)."""

from datetime import date, time

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from bot.objectives.rules import HORIZONS, STATUSES
from bot.plans.rules import (
    CLIENT_SIZES,
    DEFAULT_CATEGORIES,
    LANGUAGE_NAMES,
    PERIODS,
    WEEKDAYS,
    is_known_timezone,
    plan_end_date,
)
from bot.platform.blocks import (
    button,
    chunk_lines,
    context,
    escape,
    header,
    input_block,
    long_date,
    mention,
    metadata,
    modal,
    option,
    plain,
    section,
    select_input,
    shorten,
    slack_date,
    text_input,
    value_of,
)
from bot.platform.i18n import LANGUAGES, N_, gettext_for
from bot.platform.state import CHOOSE, errors_for_blocks, read_state
from bot.reviews.rules import CADENCE_NAMES, cadence_words

# --- the new-plan modal -----------------------------------------------------------------------

NEW_PLAN_CALLBACK = "plan_new"
DEFAULT_PERIOD = "twelve_months"  # a plan made on 2 December must not end on the 31st
NAME_MAX = 100
CATEGORY_MAX = 75
CATEGORIES_MAX = 12
TIMEZONE_MAX = 64

# Block ids are the PlanInput field names, so validation errors land on the right field.
NAME, CLIENT_SIZE, PERIOD = "account_name", "client_size", "period"
START, END, CATEGORIES, TIMEZONE = "start_date", "end_date", "categories", "timezone"
WEEKDAY, TIME, LANGUAGE, FACILITATORS = "review_weekday", "review_time", "language", "facilitators"
NEXT_REVIEW = "next_review_on"


class PlanInput(BaseModel):
    account_name: str = Field(min_length=1, max_length=NAME_MAX)
    client_size: str
    period: str
    start_date: date
    end_date: date | None = None
    categories: list[str]
    timezone: str = Field(min_length=1, max_length=TIMEZONE_MAX)
    review_weekday: int = Field(ge=0, le=6)
    review_time: time
    next_review_on: date | None = None  # None: the first review follows the cadence
    language: str
    facilitators: list[str] = []

    @field_validator("account_name", "timezone", mode="before")
    @classmethod
    def _strip(cls, value):
        return value.strip() if isinstance(value, str) else value

    @field_validator("client_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if value not in CLIENT_SIZES:
            raise ValueError(CHOOSE)
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if value not in PERIODS:
            raise ValueError(CHOOSE)
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(CHOOSE)
        return value

    @field_validator("categories", mode="before")
    @classmethod
    def _categories(cls, value):
        names = [line.strip() for line in (value or "").splitlines() if line.strip()]
        if not names:
            raise ValueError(N_("Give the plan at least one category, one per line."))
        if len(names) > CATEGORIES_MAX:
            raise ValueError(N_("Keep it to at most 12 categories."))
        if any(len(name) > CATEGORY_MAX for name in names):
            raise ValueError(N_("Each category must be at most 75 characters long."))
        if len({name.casefold() for name in names}) != len(names):
            raise ValueError(N_("Each category may appear only once."))
        return names

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not is_known_timezone(value):
            raise ValueError(
                N_("Unknown timezone: use a name such as Europe/Madrid or America/Mexico_City.")
            )
        return value

    @field_validator("next_review_on")
    @classmethod
    def _review_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if value is not None and start is not None and value < start:
            raise ValueError(N_("The next review can't come before the plan's start date."))
        return value

    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None or info.data.get("period") == "perpetual":
            return None
        start = info.data.get("start_date")
        if start is not None and value <= start:
            raise ValueError(N_("The end date must come after the start date."))
        return value


def parse_new_plan(values: dict, lang: str) -> tuple[PlanInput | None, dict[str, str]]:
    """A validated PlanInput, or errors keyed by block id."""
    raw = read_state(values)
    raw = {key: value for key, value in raw.items() if value is not None}
    try:
        return PlanInput(**raw), {}
    except ValidationError as error:
        return None, errors_for_blocks(error, lang)


def end_hint(lang: str, period: str, start: date) -> str:
    """The end date field's hint: the end the period implies, from the start chosen."""
    _ = gettext_for(lang)
    end = plan_end_date(period, start)
    if end is None:
        return _("Perpetual plans have no end.")
    return _("Leave it as it is and the plan ends with its period: {date}.").format(
        date=long_date(end, lang))


def with_end_hint(view: dict, lang: str, period: str, start: date) -> dict:
    """The view (new plan or settings) again, its end date hint following the period and
    start just chosen: for views.update, the fields keep what was typed."""
    blocks = [{**b, "hint": plain(end_hint(lang, period, start))} if b.get("block_id") == END
              else b for b in view["blocks"]]
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    return {**{k: view[k] for k in kept if k in view}, "blocks": blocks}


def new_plan_modal(
    *,
    lang: str,
    channel_id: str | None,
    today: date,
    timezone: str,
    creator_id: str,
    account_name: str = "",
    period: str = DEFAULT_PERIOD,
) -> dict:
    _ = gettext_for(lang)
    sizes = [option(_(label), value) for value, label in CLIENT_SIZES.items()]
    periods = [option(_(label), value) for value, label in PERIODS.items()]
    chosen_period = periods[list(PERIODS).index(period)]
    weekdays = [option(_(name), str(i)) for i, name in enumerate(WEEKDAYS)]
    languages = [option(name, code) for code, name in LANGUAGE_NAMES.items()]
    name_element = {"type": "plain_text_input", "max_length": NAME_MAX}
    if account_name:
        name_element["initial_value"] = account_name[:NAME_MAX]
    blocks = [
        context(_("One active plan per channel; older plans stay readable.")),
        input_block(NAME, _("Account name"), name_element),
        input_block(
            CLIENT_SIZE,
            _("Client size"),
            {"type": "radio_buttons", "options": sizes, "initial_option": sizes[0]},
            hint=_("Sets how often the plan is reviewed."),
        ),
        # Choosing a period or a start redraws the end date's hint (dispatch_action).
        {**input_block(
            PERIOD,
            _("Plan period"),
            {"type": "static_select", "options": periods, "initial_option": chosen_period},
        ), "dispatch_action": True},
        {**input_block(
            START,
            _("Start date"),
            {"type": "datepicker", "initial_date": today.isoformat()},
            hint=_("A plan can start any day: no need to wait for the start of the year."),
        ), "dispatch_action": True},
        input_block(
            END,
            _("End date"),
            {"type": "datepicker"},
            optional=True,
            hint=end_hint(lang, period, today),
        ),
        input_block(
            CATEGORIES,
            _("Categories, one per line"),
            {
                "type": "plain_text_input",
                "multiline": True,
                "max_length": 1000,
                "initial_value": "\n".join(_(c) for c in DEFAULT_CATEGORIES),
            },
            hint=_("The four Balanced Scorecard buckets by default: rename, add or remove."),
        ),
        input_block(
            TIMEZONE,
            _("Timezone"),
            {"type": "plain_text_input", "max_length": TIMEZONE_MAX, "initial_value": timezone},
            hint=_("An IANA name such as Europe/Madrid or America/Mexico_City."),
        ),
        input_block(
            WEEKDAY,
            _("Review day"),
            {"type": "static_select", "options": weekdays, "initial_option": weekdays[0]},
        ),
        input_block(TIME, _("Review time"), {"type": "timepicker", "initial_time": "09:00"}),
        input_block(
            NEXT_REVIEW,
            _("Date of the next review"),
            {"type": "datepicker"},
            optional=True,
            hint=_("Leave it empty to follow the review cadence. The reminders and owners' "
                   "check-ins follow this date."),
        ),
        input_block(
            LANGUAGE,
            _("Plan language"),
            {
                "type": "static_select",
                "options": languages,
                "initial_option": languages[list(LANGUAGE_NAMES).index(lang)],
            },
        ),
        input_block(
            FACILITATORS,
            _("Facilitators"),
            {"type": "multi_users_select", "initial_users": [creator_id]},
            optional=True,
            hint=_("Facilitators run sessions and settle decisions. You are always one."),
        ),
    ]
    return modal(NEW_PLAN_CALLBACK, lang=lang, title=_("New account plan"),
                 submit=_("Create plan"), blocks=blocks,
                 private_metadata=metadata(channel_id=channel_id, lang=lang))


# --- settings ---------------------------------------------------------------------------------

SETTINGS_CALLBACK = "plan_settings"


def settings_modal(*, lang, plan, categories, facilitators, private_metadata) -> dict:
    """The new-plan form, filled in, with one field per category (empty it to remove it)."""
    _ = gettext_for(lang)
    base = new_plan_modal(lang=lang, channel_id=plan.channel_id, today=plan.start_date,
                          timezone=plan.timezone, creator_id=plan.created_by,
                          account_name=plan.account_name, period=plan.period)
    current = {"client_size": plan.client_size, "period": plan.period,
               "review_weekday": str(plan.review_weekday), "language": plan.language}
    blocks = []
    for block in base["blocks"]:
        block_id = block.get("block_id")
        if block_id == CATEGORIES:
            for category in categories:
                blocks.append(text_input(f"cat_{category.id}", _("Category"),
                                         initial=category.name, multiline=False,
                                         max_length=CATEGORY_MAX,
                                         hint=_("Empty it to remove the category.")))
            blocks.append(text_input("new_categories", _("New categories, one per line"),
                                     max_length=1000))
            continue
        element = block.get("element", {})
        if block_id in current:
            chosen = next(o for o in element["options"] if o["value"] == current[block_id])
            element["initial_option"] = chosen
        elif block_id == END and plan.end_date:
            element["initial_date"] = plan.end_date.isoformat()
        elif block_id == TIME:
            element["initial_time"] = plan.review_time.strftime("%H:%M")
        elif block_id == NEXT_REVIEW and plan.next_review_on:
            element["initial_date"] = plan.next_review_on.isoformat()
        elif block_id == FACILITATORS:
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
        _canvas_setting(_, plan),
    ]


CANVAS_ON = "on"


def _canvas_setting(_, plan) -> dict:
    """Whether Rumbo keeps the plan on the channel's canvas (bot/canvas/)."""
    keep = option(_("Keep the plan on the channel's canvas"), CANVAS_ON,
                  _("Rewritten at every change: hand edits there are overwritten"))
    element: dict = {"type": "checkboxes", "options": [keep]}
    if plan.canvas_on:
        element["initial_options"] = [keep]
    return input_block("canvas", _("Channel canvas"), element, optional=True)


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
    values["canvas_on"] = CANVAS_ON in (raw.pop("canvas", None) or [])
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
        data = PlanInput(**common, categories="\n".join(names))
    except ValidationError as error:
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


# --- the history ------------------------------------------------------------------------------

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
    "canvas_on": N_("channel canvas"),
}

# The words each coded field's values take, in the history.
HISTORY_WORDS = {"period": PERIODS, "client_size": CLIENT_SIZES, "status": STATUSES,
                 "horizon": HORIZONS, "cadence": CADENCES,
                 "summary_frequency": SUMMARY_FREQUENCIES, "language": LANGUAGE_NAMES,
                 "canvas_on": {"True": N_("on"), "False": N_("off")}}


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


# --- the announcement and the archive offer ---------------------------------------------------

PLAN_ARCHIVE = "plan_archive"


def _period_line(plan, lang: str) -> str:
    _ = gettext_for(lang)
    period = _(PERIODS[plan.period])
    start = long_date(plan.start_date, lang)
    if plan.end_date is None:
        return _("{period}, from {start}").format(period=period, start=start)
    end = long_date(plan.end_date, lang)
    return _("{period}, {start} – {end}").format(period=period, start=start, end=end)


def _cadence_line(plan, lang: str) -> str:
    _ = gettext_for(lang)
    return _("{cadence}, on a {weekday} at {time} ({timezone})").format(
        cadence=cadence_words(plan, lang),
        weekday=_(WEEKDAYS[plan.review_weekday]).lower(),
        time=plan.review_time.strftime("%H:%M"),
        timezone=plan.timezone,
    )


def archive_offer(*, lang, plan) -> dict:
    _ = gettext_for(lang)
    text = _("This channel already has an active plan, *{account}*. Nothing has been changed. "
             "To start a new plan, archive the current one first: it stays readable.").format(
        account=escape(plan.account_name))
    confirm = {
        "title": {"type": "plain_text", "text": _("Archive the plan?")[:100]},
        "text": {"type": "plain_text", "text": _("The plan stays readable, but it is no longer "
                                                 "the channel's active plan.")},
        "confirm": {"type": "plain_text", "text": _("Archive")[:30]},
        "deny": {"type": "plain_text", "text": _("Cancel")[:30]},
    }
    blocks = [
        section(text),
        {"type": "actions", "elements": [
            button(_("Archive it and start a new plan"), PLAN_ARCHIVE, value_of(plan.id),
                   style="danger", confirm=confirm)]},
    ]
    return {"text": text, "blocks": blocks}


def plan_announcement(*, lang, plan, categories, facilitators) -> dict:
    _ = gettext_for(lang)
    title = _("Account plan: {account}").format(account=plan.account_name)
    fields = [
        (_("Period"), _period_line(plan, lang)),
        (_("Reviews"), _cadence_line(plan, lang)),
        (_("Facilitators"), ", ".join(mention(u) for u in facilitators)),
        (_("Categories"), "\n".join(f"• {escape(c)}" for c in categories)),
    ]
    blocks = [
        header(title),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:2000]} for label, value in fields]},
        context(_("Created by {user}. Next: run the strategy session with `/plan session`.")
                .format(user=mention(plan.created_by))),
    ]
    return {"text": escape(title), "blocks": blocks}
