"""The new-plan modal: builder and parser in one place, sharing the block ids."""

from datetime import date, time

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from bot.blocks import inputs
from bot.blocks.inputs import input_block, option
from bot.blocks.state import CHOOSE, errors_for_blocks, read_state
from bot.blocks.text import context, long_date, plain
from bot.domain import is_known_timezone, plan_end_date
from bot.i18n import LANGUAGES, N_, gettext_for
from bot.method import CLIENT_SIZES, DEFAULT_CATEGORIES, LANGUAGE_NAMES, PERIODS, WEEKDAYS

CALLBACK_ID = "plan_new"
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


def parse(values: dict, lang: str) -> tuple[PlanInput | None, dict[str, str]]:
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


def modal(
    *,
    lang: str,
    channel_id: str,
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
    return inputs.modal(CALLBACK_ID, lang=lang, title=_("New account plan"),
                        submit=_("Create plan"), blocks=blocks,
                        private_metadata=inputs.metadata(channel_id=channel_id, lang=lang))
