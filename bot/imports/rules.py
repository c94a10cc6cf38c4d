"""Reading a plan out of a spreadsheet: the headings it may use (the export's own, in English
or Spanish, or a hand-made sheet's), what each row says, and what importing it would create
or change in the channel's plan. Plain Python over the cells `workbook.cells()` gives."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from bot.exports.rules import NO_CATEGORY, PLAN_COLUMNS, PLAN_LABELS, ROW_TYPES
from bot.imports import workbook
from bot.objectives.rules import HORIZONS, STATUSES
from bot.plans.rules import PERIODS, WEEKDAYS, is_known_timezone, plan_end
from bot.platform.i18n import LANGUAGES, N_, gettext_for
from bot.reviews.rules import CADENCE_NAMES

# Why a file is refused, for each of workbook's codes and the layout's.
UNKNOWN_LAYOUT = "unknown_layout"
REFUSALS: dict[str, str] = {
    workbook.TOO_BIG: N_("The file is over 5 MB. Import a smaller workbook."),
    workbook.NOT_XLSX: N_("That is not an Excel workbook (.xlsx) I can read. Save it as "
                          ".xlsx and try again."),
    workbook.ZIP_BOMB: N_("The workbook would unpack to far more than its size: I don't "
                          "open it."),
    workbook.MACROS: N_("The workbook has macros. Save it as a plain .xlsx workbook, without "
                        "macros, and try again."),
    workbook.TOO_MANY_ROWS: N_("A sheet has more than 2,000 rows. Split it and import the "
                               "parts."),
    workbook.FORMULAS: N_("The workbook has formulas ({detail}). Replace them with their "
                          "values (copy, paste values) and try again."),
    workbook.UNREADABLE: N_("I couldn't read the workbook in time. Check that it opens in "
                            "Excel and try again."),
    UNKNOWN_LAYOUT: N_("I couldn't find the plan in the workbook: no sheet has a heading row "
                       "with an objective column (Objective, or Type with Objective or "
                       "initiative) next to categories, targets, measures, owners or dates, "
                       "in English or Spanish."),
}

# A hand-made sheet's other names for the columns, normalised (see `normal`), English and
# Spanish. The export's headings (PLAN_COLUMNS) are known in both languages already.
HAND_HEADINGS: dict[str, tuple[str, ...]] = {
    "category": ("categories", "categorias", "area", "perspective", "perspectiva"),
    "objective": ("objective", "objectives", "objetivo", "objetivos", "strategy",
                  "estrategia"),
    "initiative": ("initiative", "initiatives", "iniciativa", "iniciativas", "milestone",
                   "hito"),
    "target": ("targets", "goal", "metas"),
    "measure": ("measures", "medida", "medidas", "mediciones", "indicador", "kpi", "metric"),
    "owner": ("owners", "responsables", "who", "quien"),
    "date": ("date", "dates", "fecha", "fechas", "when", "cuando"),
    "due_date": ("deadline", "due"),
    "target_value": ("valor objetivo",),
    "status": ("estatus", "state"),
    "horizon": ("horizonte",),
}

TEXT_LIMITS = {"category": 75, "title": 3000, "target": 3000, "measure": 255, "unit": 32}
HEADING_ROWS = 40  # how far down a sheet the heading row is looked for
DEFAULT_HORIZON = "medium"

OBJECTIVE_KEYS = ("target", "measure", "unit", "baseline", "target_value", "target_date",
                  "horizon", "owner_id", "status")
INITIATIVE_KEYS = ("target", "measure", "due_date", "owner_id", "status")


def normal(text: Any) -> str:
    """A heading or label as compared: no accents, case, punctuation or extra spaces."""
    bare = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^\w]+", " ", bare.casefold()).split())


def _both_languages(labels: dict[str, str]) -> dict[str, str]:
    """{normal label in any language: code} for a dict of {code: msgid}."""
    known: dict[str, str] = {}
    for lang in LANGUAGES:
        _ = gettext_for(lang)
        for code, msgid in labels.items():
            known.setdefault(normal(_(msgid)), code)
            known.setdefault(normal(code), code)
    return known


HEADINGS = _both_languages(dict(PLAN_COLUMNS)) | {
    word: key for key, words in HAND_HEADINGS.items() for word in words}
TYPES = _both_languages(ROW_TYPES)
HORIZON_CODES = _both_languages(HORIZONS)
STATUS_CODES = _both_languages(STATUSES)
PERIOD_CODES = _both_languages(PERIODS)
WEEKDAY_NUMBERS = {name: int(code) for name, code in _both_languages(
    {str(i): day for i, day in enumerate(WEEKDAYS)}).items()}
CADENCES = _both_languages(CADENCE_NAMES)
LABELS = _both_languages(PLAN_LABELS)
# Each language's own headings, to tell which one a sheet is written in.
HEADING_WORDS = {lang: {normal(gettext_for(lang)(msgid)) for msgid in [
    *dict(PLAN_COLUMNS).values(), *ROW_TYPES.values()]} for lang in LANGUAGES}
NO_CATEGORY_NAMES = set(_both_languages({"none": NO_CATEGORY}))


@dataclass
class Row:
    """One row of the sheet understood: a category, an objective or an initiative."""

    number: int  # the sheet's own row number
    kind: str  # category, objective, initiative
    category: str | None  # None: the plan's first category
    title: str = ""  # an objective's statement, an initiative's title
    objective: str = ""  # an initiative's objective (its statement)
    values: dict = field(default_factory=dict)  # model fields the sheet has a column for
    owner: str | None = None  # as written: a name or an email


@dataclass
class Sheet:
    """What a workbook holds for a plan: the plan's own fields (those the export writes
    above the headings), its rows, and what was not understood."""

    plan: dict
    rows: list[Row]
    problems: list[tuple[int, str, dict]]  # (row number, msgid, its parts)
    columns: set[str]  # the keys of the columns found
    lang: str | None = None  # the language of its headings, when they tell

    def people(self, *, new_plan: bool) -> list[str]:
        """Everyone named, as written, once each: the owners, and for a new plan its
        facilitators (an existing plan keeps its own)."""
        named = [row.owner for row in self.rows if row.owner]
        if new_plan:
            named += self.plan.get("facilitators") or []
        return list(dict.fromkeys(named))


class LayoutUnknown(Exception):
    pass


def read_sheet(sheets: list[dict]) -> Sheet:
    """The plan in a workbook's cells: the first sheet with a heading row. Raises
    LayoutUnknown."""
    for sheet in sheets:
        rows = sheet["rows"]
        for index, cells in enumerate(rows[:HEADING_ROWS]):
            columns = _heading_columns(cells)
            if columns is not None:
                found = _read_rows(rows, index, columns)
                found.lang = _language(cells)
                return found
    raise LayoutUnknown


def _heading_columns(cells: list) -> dict[int, str] | None:
    """{column index: key} when the row is a heading row: an objective column (the export's
    Type and title, or a hand-made Objective) and at least one other."""
    columns: dict[int, str] = {}
    for index, cell in enumerate(cells):
        key = HEADINGS.get(normal(cell)) if isinstance(cell, str) else None
        if key is not None and key not in columns.values():
            columns[index] = key
    keys = set(columns.values())
    has_objectives = {"type", "title"} <= keys or "objective" in keys
    return columns if has_objectives and len(keys) >= 3 else None


def _language(headings: list) -> str | None:
    """The language most of the headings are in; None for a tie (mostly English words
    both languages share, or none of either)."""
    words = {normal(cell) for cell in headings if isinstance(cell, str)}
    hits = sorted(((len(words & known), lang) for lang, known in HEADING_WORDS.items()),
                  reverse=True)
    return hits[0][1] if hits[0][0] > hits[1][0] else None


def _read_rows(rows: list[list], heading: int, columns: dict[int, str]) -> Sheet:
    problems: list[tuple[int, str, dict]] = []
    plan = _plan_fields(rows[:heading])
    found: list[Row] = []
    objective_of: dict[str | None, str] = {}  # category -> the last objective in it
    for number, cells in enumerate(rows[heading + 1:], start=heading + 2):
        raw = {key: _cell(cells, index) for index, key in columns.items()}
        if all(value is None for value in raw.values()):
            continue
        row = _row(number, raw, objective_of, problems)
        if row is not None:
            found.append(row)
            if row.kind == "objective":
                objective_of[row.category] = row.title
    return Sheet(plan=plan, rows=found, problems=problems, columns=set(columns.values()))


def _cell(cells: list, index: int):
    value = cells[index] if index < len(cells) else None
    if isinstance(value, str):
        value = value.strip()
    return None if value == "" else value


def _row(number: int, raw: dict, objective_of: dict, problems: list) -> Row | None:
    def problem(msgid: str, **parts) -> None:
        problems.append((number, msgid, parts))

    category = _text(raw.get("category"))
    if category is not None and normal(category) in NO_CATEGORY_NAMES:
        category = None
    if category is not None and len(category) > TEXT_LIMITS["category"]:
        problem(N_("the category's name is longer than 75 characters"))
        return None
    if "type" in raw or "title" in raw:  # the export's layout: a Type and a title
        title = _text(raw.get("title"))
        kind = TYPES.get(normal(raw["type"])) if raw.get("type") is not None else None
        if kind is None and title is None and raw.get("type") is None:
            kind = "category" if category else None
        if kind is None:
            problem(N_("its type ({value}) is neither Objective nor Initiative"),
                    value=str(raw.get("type") or ""))
            return None
        objective = objective_of.get(category, "") if kind == "initiative" else ""
    else:  # a hand-made sheet: an Objective column, maybe an Initiative column
        initiative, objective = _text(raw.get("initiative")), _text(raw.get("objective"))
        if initiative:
            kind, title = "initiative", initiative
            objective = objective or objective_of.get(category, "")
        elif objective:
            kind, title, objective = "objective", objective, ""
        elif category:
            kind, title = "category", None
        else:
            problem(N_("it names no objective nor initiative"))
            return None
    if kind == "category":
        return Row(number=number, kind="category", category=category)
    if not title:
        problem(N_("the objective or initiative has no title"))
        return None
    if len(title) > TEXT_LIMITS["title"]:
        problem(N_("the title is longer than 3,000 characters"))
        return None
    if kind == "initiative" and not objective:
        problem(N_("the initiative “{title}” has no objective above it"), title=title)
        return None
    values = _values(kind, raw, problem)
    owner = _text(raw.get("owner"))
    return Row(number=number, kind=kind, category=category, title=title, objective=objective,
               values=values, owner=owner)


def _values(kind: str, raw: dict, problem) -> dict:
    """The model's fields the row has a column for, converted; what cannot be is left out
    (and said)."""
    values: dict = {}
    for key in ("target", "measure") + (("unit",) if kind == "objective" else ()):
        if key in raw:
            text = _text(raw[key]) or ""
            if len(text) > TEXT_LIMITS[key]:
                problem(N_("“{value}” is too long for its column"), value=text[:40] + "…")
            else:  # a unit may be missing; a target and a measure are text, maybe empty
                values[key] = text or (None if key == "unit" else "")
    if kind == "objective":
        for key in ("baseline", "target_value"):
            if key in raw:
                number = _number(raw[key])
                if number is False:
                    problem(N_("“{value}” is not a number"), value=str(raw[key]))
                else:
                    values[key] = number
    key = "target_date" if kind == "objective" else "due_date"  # a hand-made Date is either
    if key in raw or "date" in raw:
        typed = raw[key] if key in raw else raw["date"]
        day = _date(typed)
        if day is False:
            problem(N_("“{value}” is not a date"), value=str(typed))
        else:
            values[key] = day
    for key, codes, default in (("horizon", HORIZON_CODES, DEFAULT_HORIZON),
                                ("status", STATUS_CODES, "not_started")):
        if kind == "initiative" and key == "horizon":
            continue
        if key in raw:
            code = codes.get(normal(raw[key])) if raw[key] is not None else default
            if code is None:
                problem(N_("“{value}” is not a known value of its column"), value=str(raw[key]))
            else:
                values[key] = code
    return values


def _plan_fields(rows: list[list]) -> dict:
    """The plan's own fields written above the headings, as label and value pairs."""
    plan: dict = {}
    for cells in rows:
        for index in range(0, len(cells) - 1):
            key = LABELS.get(normal(cells[index])) if isinstance(cells[index], str) else None
            value = _cell(cells, index + 1)
            if key is None or value is None or key in plan:
                continue
            if key == "account":
                plan[key] = (_text(value) or "")[:150]
            elif key == "period" and normal(value) in PERIOD_CODES:
                plan[key] = PERIOD_CODES[normal(value)]
            elif key in ("start_date", "end_date", "next_review") and _date(value):
                plan[key] = _date(value)
            elif key == "review_day" and normal(value) in WEEKDAY_NUMBERS:
                plan[key] = WEEKDAY_NUMBERS[normal(value)]
            elif key == "review_time" and _time(value):
                plan[key] = _time(value)
            elif key == "cadence" and normal(value) in CADENCES:
                plan[key] = CADENCES[normal(value)]
            elif key == "timezone":
                plan[key] = _text(value)
            elif key == "facilitators":
                plan[key] = [name.strip() for name in str(value).split(",") if name.strip()]
    return plan


DEFAULT_REVIEW_TIME = time(10, 0)
# A cadence as the plan stores it: (client size, cadence), the size setting the default.
CADENCE_SETTINGS = {"quarterly": ("large", None), "semiannual": ("small", None),
                    "monthly": ("large", "monthly")}


def plan_settings(found: dict, *, today: date, timezone: str, lang: str) -> dict:
    """A new plan's settings: what the sheet says (the export writes them all), else what
    `/plan new` would suggest (12 months from today, reviewed quarterly, Mondays at 10:00
    in the importer's timezone)."""
    _ = gettext_for(lang)
    period = found.get("period", "twelve_months")
    start = found.get("start_date") or today
    client_size, cadence = CADENCE_SETTINGS[found.get("cadence", "quarterly")]
    next_review = found.get("next_review")
    zone = found.get("timezone")
    return {
        "account_name": found.get("account") or _("Imported plan"),
        "client_size": client_size, "cadence": cadence, "period": period,
        "start_date": start, "end_date": plan_end(period, start, found.get("end_date")),
        "timezone": zone if zone and is_known_timezone(zone) else timezone,
        "review_weekday": found.get("review_day", 0),
        "review_time": found.get("review_time") or DEFAULT_REVIEW_TIME,
        "next_review_on": next_review if next_review and next_review >= today else None,
        "language": lang,
    }


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):  # a date or time cell in a text column
        value = next(iter(value.values()))
    return str(value).strip() or None


def _number(value) -> float | None | bool:
    """A float, None for an empty cell, False when it is not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # Spanish decimals
    try:
        return float(text)
    except ValueError:
        return False


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


def _date(value) -> date | None | bool:
    """A date, None for an empty cell, False when it is not one. Written dates are read
    day first (31/12/2026), as in Spanish and most of the world."""
    if value is None:
        return None
    if isinstance(value, dict) and ("date" in value or "datetime" in value):
        return date.fromisoformat((value.get("date") or value["datetime"])[:10])
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(str(value).strip(), pattern).date()
        except ValueError:
            continue
    return False


def _time(value) -> time | None:
    if isinstance(value, dict) and "time" in value:
        return time.fromisoformat(value["time"])
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        return None


# --- what importing the sheet would do ---------------------------------------------------


@dataclass
class Change:
    """One row's effect on the plan: create, update (the fields that change) or nothing."""

    row: int
    kind: str  # category, objective, initiative
    action: str  # create, update, same
    category: str
    title: str = ""
    objective: str = ""  # an initiative's objective, by its statement
    values: dict = field(default_factory=dict)  # what to store (create: all of it)
    fields: list[str] = field(default_factory=list)  # what an update changes
    item_id: int | None = None  # what an update changes
    objective_id: int | None = None  # an initiative's objective, if the plan has it already


@dataclass
class Existing:
    """The channel's plan as the import matches rows with it (empty: no plan yet)."""

    categories: list[str] = field(default_factory=list)  # in order
    objectives: dict[tuple, dict] = field(default_factory=dict)
    initiatives: dict[tuple, dict] = field(default_factory=dict)

    @classmethod
    def of(cls, *, categories: dict[int, str], objectives, initiatives) -> "Existing":
        """From the plan's categories {id: name} (in order) and its objectives and
        initiatives (models)."""
        found = cls(categories=list(categories.values()))
        keys: dict[int, tuple] = {}
        for objective in objectives:
            keys[objective.id] = key = key_of(categories[objective.category_id],
                                              objective.statement)
            found.objectives[key] = {"id": objective.id, "statement": objective.statement,
                                     **{k: getattr(objective, k) for k in OBJECTIVE_KEYS}}
        for initiative in initiatives:
            key = (*keys[initiative.objective_id], normal(initiative.title))
            found.initiatives[key] = {"id": initiative.id,
                                      **{k: getattr(initiative, k) for k in INITIATIVE_KEYS}}
        return found


def key_of(*names: str) -> tuple[str, ...]:
    """How rows are matched with what the plan holds: by category and title, ignoring case
    and accents, so importing the same file twice changes nothing."""
    return tuple(normal(name) for name in names)


def changes(sheet: Sheet, existing: Existing, *, people: dict[str, str], lang: str
            ) -> tuple[list[Change], list[tuple[int, str, dict]]]:
    """What each row would create or change, and the rows that cannot be imported (besides
    those the sheet had already): an objective twice, an initiative of a missing
    objective. `people` maps names as written to Slack user ids; anyone not there stays in
    the text ("Owner: …" after the target)."""
    _ = gettext_for(lang)
    problems: list[tuple[int, str, dict]] = []
    categories = {normal(name): name for name in existing.categories}
    objectives = dict(existing.objectives)
    seen: set[tuple] = set()
    out: list[Change] = []
    for row in sheet.rows:
        # No category: the plan's first (or the sheet's first), else one by that name.
        name = row.category or next(iter(categories.values()), None) or _(NO_CATEGORY)
        if normal(name) not in categories:
            categories[normal(name)] = name
            out.append(Change(row.number, "category", "create", name))
        category = categories[normal(name)]
        if row.kind == "category":
            continue
        values = dict(row.values)
        if "owner" in sheet.columns:
            values["owner_id"] = people.get(row.owner or "")
            if row.owner and values["owner_id"] is None:
                owner_line = _("Owner: {name}").format(name=row.owner)
                target = values.get("target") or ""
                values["target"] = f"{target}\n{owner_line}" if target else owner_line
        if row.kind == "objective":
            key = key_of(category, row.title)
            before = objectives.get(key)
            change = Change(row.number, "objective", "create", category, row.title)
        else:
            objective_key = key_of(category, row.objective)
            if objective_key not in objectives:
                problems.append((row.number, N_("its objective “{title}” is not in the plan"),
                                 {"title": row.objective}))
                continue
            key = (*objective_key, normal(row.title))
            before = existing.initiatives.get(key)
            parent = objectives[objective_key]
            change = Change(row.number, "initiative", "create", category, row.title,
                            objective=parent["statement"], objective_id=parent.get("id"))
        if key in seen:
            problems.append((row.number, N_("“{title}” appears twice; the first is imported"),
                             {"title": row.title}))
            continue
        seen.add(key)
        wanted = OBJECTIVE_KEYS if row.kind == "objective" else INITIATIVE_KEYS
        if before is None:
            change.values = {k: values.get(k) for k in wanted}
            change.values["target"] = change.values["target"] or ""
            change.values["measure"] = change.values["measure"] or ""
            if row.kind == "objective":
                change.values["horizon"] = change.values["horizon"] or DEFAULT_HORIZON
                objectives[key] = {"statement": row.title}
            change.values["status"] = change.values["status"] or "not_started"
        else:
            change.values = {k: v for k, v in values.items()
                             if k in wanted and v != before.get(k)}
            change.fields = list(change.values)
            change.action = "update" if change.values else "same"
            change.item_id = before["id"]
        out.append(change)
    return out, problems


def refusal(code: str) -> str:
    """The msgid telling why a file was refused."""
    return REFUSALS.get(code, REFUSALS[workbook.UNREADABLE])
