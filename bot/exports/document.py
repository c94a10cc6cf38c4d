"""The plan document users download (`/plan export`): the seed's "PLANTILLA" filled in.

`collect()` reads everything the document shows in a handful of queries; `to_xlsx()` and
`to_markdown()` are pure functions of that snapshot. User text is data: it never becomes
an Excel formula nor Markdown structure.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from io import BytesIO
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.exports.rules import NO_CATEGORY, PLAN_COLUMNS, PLAN_LABELS, ROW_TYPES
from bot.objectives.rules import HORIZONS
from bot.objectives.rules import STATUSES as PLAN_STATUSES
from bot.plans.rules import PERIODS, WEEKDAYS
from bot.platform.blocks import local_date, long_date
from bot.platform.i18n import N_, gettext_for
from bot.platform.markdown import md_escape, md_inline
from bot.reviews.rules import cadence_words
from bot.scoring.rules import EFFORT, LIKELIHOOD, NEED, SCORE_LABELS, URGENCY, WORTH_IT
from bot.scoring.rules import STATUSES as IDEA_STATUSES
from bot.sessions.rules import IDEA_TAGS, QUESTIONS
from storage.exports import PlanDocument
from storage.models import Category, Idea, Initiative, Objective

# The priority list: 3s first, then 2s to evaluate, 1s on hold, the unscored, the discarded.
PRIORITY_ORDER: tuple[str | None, ...] = ("3", "2", "1", None, "discard")

# The evaluation prompts of step 2 as columns: (Evaluation field, label, coded values).
EVALUATION_COLUMNS: tuple[tuple[str, str, dict[str, str] | None], ...] = (
    ("pros", N_("Pros"), None),
    ("cons", N_("Cons"), None),
    ("likelihood", N_("Likelihood"), LIKELIHOOD),
    ("costs", N_("Costs"), None),
    ("need", N_("Need"), NEED),
    ("time_resources", N_("Time and resources"), None),
    ("urgency", N_("Urgency"), URGENCY),
    ("effort", N_("Effort"), EFFORT),
    ("worth_it", N_("Worth it"), WORTH_IT),
)


def _label(_: Callable[[str], str], labels: dict, code):
    """A code's translated label; an unknown code as it is."""
    if code in labels:
        return _(labels[code])
    return "" if code is None else str(code)


def _question_title(_, number: int | None) -> str:
    if number is None:
        return ""
    for question in QUESTIONS:
        if question.number == number:
            return _("{number}. {title}").format(number=number, title=_(question.title))
    return str(number)


def _by_priority(doc: PlanDocument) -> list[Idea]:
    rank = {score: i for i, score in enumerate(PRIORITY_ORDER)}
    return sorted(doc.ideas, key=lambda idea: rank.get(idea.score, len(rank)))


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A moment in the plan's timezone, naive: Excel has no timezones."""
    return moment.astimezone(tz).replace(tzinfo=None)


def _grouped(doc: PlanDocument):
    """[(category or None, [(objective, [initiatives])])] in the plan's order; objectives
    of a category not in the document come last, under None."""
    initiatives: dict[int, list[Initiative]] = {}
    for initiative in doc.initiatives:
        initiatives.setdefault(initiative.objective_id, []).append(initiative)
    objectives: dict[int, list[Objective]] = {}
    for objective in doc.objectives:
        objectives.setdefault(objective.category_id, []).append(objective)
    known = {c.id for c in doc.categories}
    groups: list[tuple[Category | None, list[Objective]]] = [
        (c, objectives.get(c.id, [])) for c in doc.categories]
    strays = [o for o in doc.objectives if o.category_id not in known]
    if strays:
        groups.append((None, strays))
    return [(category, [(o, initiatives.get(o.id, [])) for o in members])
            for category, members in groups]


DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"
MIN_WIDTH, MAX_WIDTH = 10, 60

# What spreadsheet programs read as the start of a formula (CSV/Excel injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_INDENTED = Alignment(vertical="top", wrap_text=True, indent=2)


def _sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip("' ")[:31] or "Sheet"
    title, n = base, 2
    while title.casefold() in taken:
        suffix = f" {n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.casefold())
    return title


class _Sheet:
    """Writes cells as data, tracks column widths, bolds and freezes the header row."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.widths: dict[int, int] = {}
        self.row = 0
        self.header_row: int | None = None
        self.columns = 0

    def put(self, row: int, column: int, value, *, font=None, alignment=None, measure=True):
        if value is None or value == "":
            return None
        cell = self.ws.cell(row=row, column=column)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell.value = value
            if value.startswith(_FORMULA_STARTS):
                # Text, never a formula, even when the cell is edited later in Excel.
                cell.data_type = "s"
                cell.quotePrefix = True
            width = max(map(len, value.splitlines() or [""]))
            if alignment is None:
                alignment = _WRAP if len(value) > MAX_WIDTH or "\n" in value else _TOP
        else:
            cell.value = value
            if isinstance(value, datetime):
                cell.number_format, width = DATETIME_FORMAT, 16
            elif isinstance(value, date):
                cell.number_format, width = DATE_FORMAT, 10
            elif isinstance(value, time):
                cell.number_format, width = TIME_FORMAT, 5
            else:
                width = len(str(value))
        cell.alignment = alignment or _TOP
        if font is not None:
            cell.font = font
        if measure:
            self.widths[column] = max(self.widths.get(column, 0), width)
        return cell

    def line(self, values: Iterable, **style) -> int:
        self.row += 1
        for column, value in enumerate(values, start=1):
            self.put(self.row, column, value, **style)
        return self.row

    def header(self, labels: list[str]) -> None:
        self.header_row = self.line(labels, font=_BOLD)
        self.columns = len(labels)
        self.ws.freeze_panes = self.ws.cell(row=self.header_row + 1, column=1).coordinate

    def finish(self) -> None:
        for column in range(1, max([self.columns, *self.widths]) + 1):
            width = min(MAX_WIDTH, max(MIN_WIDTH, self.widths.get(column, 0) + 2))
            self.ws.column_dimensions[get_column_letter(column)].width = width
        if self.header_row is not None and self.row > self.header_row:
            last = get_column_letter(self.columns)
            self.ws.auto_filter.ref = f"A{self.header_row}:{last}{self.row}"


def _plan_sheet(sheet: _Sheet, doc: PlanDocument, _) -> None:
    plan = doc.plan
    sheet.line([_("Account plan: {account}").format(account=plan.account_name)],
               font=_TITLE, measure=False)

    def pairs(*items):
        sheet.row += 1
        for i, (label, value) in enumerate(items):
            sheet.put(sheet.row, 2 * i + 1, label, font=_BOLD)
            sheet.put(sheet.row, 2 * i + 2, value, measure=False, alignment=_TOP)

    label = {key: _(msgid) for key, msgid in PLAN_LABELS.items()}
    pairs((label["account"], plan.account_name),
          (label["period"], _label(_, PERIODS, plan.period)),
          (label["start_date"], plan.start_date), (label["end_date"], plan.end_date))
    pairs((label["cadence"], cadence_words(plan, doc.lang)),
          (label["review_day"], _(WEEKDAYS[plan.review_weekday])),
          (label["review_time"], plan.review_time), (label["timezone"], plan.timezone))
    facilitators = sorted((doc.name(u) for u in doc.facilitators), key=str.casefold)
    pairs((label["next_review"], plan.next_review_on),
          (label["facilitators"], ", ".join(facilitators)))
    sheet.row += 1

    sheet.header([_(msgid) for _key, msgid in PLAN_COLUMNS])
    no_category = _(NO_CATEGORY)
    objective_type, initiative_type = _(ROW_TYPES["objective"]), _(ROW_TYPES["initiative"])
    for category, objectives in _grouped(doc):
        category_name = category.name if category is not None else no_category
        if not objectives:
            sheet.line([category_name])
        for objective, initiatives in objectives:
            row = sheet.line([
                category_name, objective_type, None, objective.target, objective.measure,
                objective.unit, objective.baseline, objective.target_value,
                objective.target_date, None, _label(_, HORIZONS, objective.horizon),
                doc.name(objective.owner_id), _label(_, PLAN_STATUSES, objective.status),
            ])
            sheet.put(row, 3, objective.statement, font=_BOLD)
            for initiative in initiatives:
                row = sheet.line([
                    category_name, initiative_type, None, initiative.target,
                    initiative.measure, None, None, None, None, initiative.due_date, None,
                    doc.name(initiative.owner_id),
                    _label(_, PLAN_STATUSES, initiative.status),
                ])
                sheet.put(row, 3, initiative.title, alignment=_INDENTED)


def _score_value(_, score: str | None):
    """A score as a number when it is one (so it sorts), else its label."""
    if score is None:
        return None
    return int(score) if score.isdigit() else _label(_, SCORE_LABELS, score)


def _ideas_sheet(sheet: _Sheet, doc: PlanDocument, _, tz: ZoneInfo) -> None:
    per_person = [_("Evaluated by"), _("Score"),
                  *(_(label) for _name, label, _codes in EVALUATION_COLUMNS)]
    sheet.header([_("Idea"), _("Kind"), _("Source question"), _("Author"),
                  _("Added ({timezone})").format(timezone=doc.plan.timezone),
                  _("Settled score"), _("Status"), _("Why settled"),
                  *(per_person if doc.per_person else [])])
    for idea in _by_priority(doc):
        about = [idea.text, _label(_, IDEA_TAGS, idea.tag),
                 _question_title(_, idea.source_question), doc.name(idea.user_id),
                 _local(idea.created_at, tz), _score_value(_, idea.score),
                 _label(_, IDEA_STATUSES, idea.score), doc.settle_notes.get(idea.id)]
        evaluations = doc.evaluations.get(idea.id, [])
        if not evaluations:
            sheet.line(about)
        for evaluation in evaluations:
            sheet.line([
                *about, doc.name(evaluation.user_id), _score_value(_, evaluation.score),
                *(_label(_, codes, getattr(evaluation, name)) if codes
                  else getattr(evaluation, name)
                  for name, _label_text, codes in EVALUATION_COLUMNS),
            ])


def _sessions_sheet(sheet: _Sheet, doc: PlanDocument, _, tz: ZoneInfo) -> None:
    sheet.header([_("Session"), _("Question number"), _("Question"), _("Answer"),
                  _("Author"), _("Time ({timezone})").format(timezone=doc.plan.timezone)])
    for strategy_session, answers in doc.sessions:
        started = strategy_session.started_at.astimezone(tz).date()
        for answer in answers:
            question = next((q for q in QUESTIONS if q.number == answer.question), None)
            sheet.line([started, answer.question, _(question.title) if question else None,
                        answer.text, doc.name(answer.user_id), _local(answer.created_at, tz)])


def _history_sheet(sheet: _Sheet, doc: PlanDocument, _) -> None:
    """Each objective's measure at its baseline, at every review and its target, and a
    native line chart of it (baseline and reviews; one line per objective)."""
    measured = [o for o in doc.objectives if o.status != "abandoned" and (
        o.baseline is not None or o.target_value is not None
        or any(o.id in values for _day, values in doc.history))]
    sheet.header([_("Date"), _("Point"), *[
        f"{o.statement[:60]} ({o.unit})" if o.unit else o.statement[:60] for o in measured]])
    sheet.line([doc.plan.start_date, _("Baseline"), *[o.baseline for o in measured]])
    for closed, values in doc.history:  # on the day it was held, in the plan's timezone
        sheet.line([local_date(closed, doc.plan.timezone), _("Review"),
                    *[values.get(o.id) for o in measured]])
    last_point = sheet.row
    sheet.line([doc.plan.end_date, _("Target"), *[o.target_value for o in measured]])
    if not measured:
        return
    chart = LineChart()
    chart.title = _("Measure history")[:100]
    chart.y_axis.title, chart.x_axis.title = _("Value"), _("Date")
    chart.x_axis.number_format = DATE_FORMAT
    header = sheet.header_row or 1
    chart.add_data(Reference(sheet.ws, min_col=3, max_col=2 + len(measured), min_row=header,
                             max_row=last_point), titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=1, min_row=header + 1, max_row=last_point))
    chart.width, chart.height = 24, 12
    sheet.ws.add_chart(chart, f"A{sheet.row + 3}")


def to_xlsx(doc: PlanDocument) -> bytes:
    """The plan as an Excel workbook: the plan, the ideas and their evaluations, the
    strategy sessions' answers, the measures' history with its chart, one sheet each."""
    _ = gettext_for(doc.lang)
    tz = ZoneInfo(doc.plan.timezone)
    workbook = Workbook()
    taken: set[str] = set()
    plan_ws = workbook.active
    plan_ws.title = _sheet_title(_("Plan"), taken)
    fills = [
        lambda sheet: _plan_sheet(sheet, doc, _),
        lambda sheet: _ideas_sheet(sheet, doc, _, tz),
        lambda sheet: _sessions_sheet(sheet, doc, _, tz),
        lambda sheet: _history_sheet(sheet, doc, _),
    ]
    worksheets = [plan_ws, workbook.create_sheet(_sheet_title(_("Ideas"), taken)),
                  workbook.create_sheet(_sheet_title(_("Sessions"), taken)),
                  workbook.create_sheet(_sheet_title(_("History"), taken))]
    for ws, fill in zip(worksheets, fills, strict=True):
        sheet = _Sheet(ws)
        fill(sheet)
        sheet.finish()
    workbook.properties.title = _sheet_value(
        _("Account plan: {account}").format(account=doc.plan.account_name))
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def titles(doc: PlanDocument) -> tuple[str, str]:
    """The two files' titles, told apart in Slack: (the workbook's, the document's)."""
    _ = gettext_for(doc.lang)
    title = _("Account plan: {account}").format(account=doc.plan.account_name)
    return (_("{title} (Excel workbook)").format(title=title),
            _("{title} (Markdown document)").format(title=title))


def _sheet_value(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


class _Markdown:
    def __init__(self):
        self.lines: list[str] = []

    def block(self, text: str = "") -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")
        if text:
            self.lines.append(text)

    def item(self, depth: int, text: str) -> None:
        """A bullet at `depth`; the text's later lines stay inside it (hard breaks)."""
        indent = "  " * depth
        first, *rest = text.split("\n") or [""]
        self.lines.append(f"{indent}- {first}" + ("\\" if rest else ""))
        for i, line in enumerate(rest):
            self.lines.append(f"{indent}  {line}" + ("\\" if i < len(rest) - 1 else ""))

    def text(self) -> str:
        return "\n".join(self.lines).strip() + "\n"


def _field(_, label: str, value) -> str:
    return _("{label}: {value}").format(label=label, value=value)


def _number(value: float | None, lang: str) -> str:
    return format_decimal(value, locale=lang) if value is not None else ""


def to_markdown(doc: PlanDocument) -> str:
    """The same plan as a readable Markdown document."""
    _ = gettext_for(doc.lang)
    lang, plan = doc.lang, doc.plan
    tz = ZoneInfo(plan.timezone)
    md = _Markdown()
    md.block("# " + _("Account plan: {account}").format(account=md_inline(plan.account_name)))

    period = _label(_, PERIODS, plan.period)
    start = long_date(plan.start_date, lang)
    if plan.end_date is None:
        period_line = _("{period}, from {start}").format(period=period, start=start)
    else:
        period_line = _("{period}, {start} – {end}").format(
            period=period, start=start, end=long_date(plan.end_date, lang))
    reviews = _("{cadence}, on a {weekday} at {time} ({timezone})").format(
        cadence=cadence_words(plan, lang), weekday=_(WEEKDAYS[plan.review_weekday]).lower(),
        time=plan.review_time.strftime("%H:%M"), timezone=md_inline(plan.timezone))
    facilitators = sorted((doc.name(u) for u in doc.facilitators), key=str.casefold)
    md.block()
    md.item(0, _field(_, _("Period"), period_line))
    md.item(0, _field(_, _("Reviews"), reviews))
    if plan.next_review_on:
        md.item(0, _field(_, _("Next review"), long_date(plan.next_review_on, lang)))
    if facilitators:
        md.item(0, _field(_, _("Facilitators"), md_inline(", ".join(facilitators))))

    md.block("## " + _("Objectives and initiatives"))
    for category, objectives in _grouped(doc):
        name = category.name if category is not None else _(NO_CATEGORY)
        md.block("### " + md_inline(name))
        md.block()
        if not objectives:
            md.lines.append("_" + _("No objectives yet.") + "_")
        for objective, initiatives in objectives:
            _objective_md(md, doc, _, objective, initiatives)

    md.block("## " + _("Priority list"))
    ideas = _by_priority(doc)
    for score in PRIORITY_ORDER:
        members = [idea for idea in ideas if idea.score == score]
        if not members and score in (None, "discard"):
            continue
        md.block("### " + _("{status} ({count})").format(
            status=_(IDEA_STATUSES[score]), count=len(members)))
        md.block()
        if not members:
            md.lines.append("_" + _("None.") + "_")
        for idea in members:
            _idea_md(md, doc, _, idea)

    md.block("## " + _("Strategy sessions"))
    if not doc.sessions:
        md.block("_" + _("No strategy session yet.") + "_")
    for strategy_session, answers in doc.sessions:
        started = strategy_session.started_at.astimezone(tz)
        md.block("### " + _("Strategy session of {date}").format(
            date=long_date(started.date(), lang)))
        md.block("_" + _("Times are in {timezone}.").format(timezone=md_inline(plan.timezone))
                 + "_")
        if not answers:
            md.block("_" + _("No answers.") + "_")
        for question in QUESTIONS:
            given = [a for a in answers if a.question == question.number]
            if not given:
                continue
            md.block("#### " + _question_title(_, question.number))
            md.block()
            for answer in given:
                clock = format_datetime(answer.created_at, "HH:mm", tzinfo=tz, locale=lang)
                md.item(0, _("{answer} — {author}, {time}").format(
                    answer="\n".join(md_escape(answer.text)),
                    author=md_inline(doc.name(answer.user_id)), time=clock))
    return md.text()


def _objective_md(md: _Markdown, doc: PlanDocument, _, objective, initiatives) -> None:
    lang = doc.lang
    md.item(0, "**" + "\n".join(md_escape(objective.statement)) + "**")
    details = [
        (_("Target"), "\n".join(md_escape(objective.target))),
        (_("Measure"), md_inline(objective.measure)),
        (_("Unit"), md_inline(objective.unit)),
        (_("Baseline"), _number(objective.baseline, lang)),
        (_("Target value"), _number(objective.target_value, lang)),
        (_("Target date"), long_date(objective.target_date, lang)
         if objective.target_date else ""),
        (_("Horizon"), _label(_, HORIZONS, objective.horizon)),
        (_("Owner"), md_inline(doc.name(objective.owner_id))),
        (_("Status"), _label(_, PLAN_STATUSES, objective.status)),
    ]
    for label, value in details:
        if value:
            md.item(1, _field(_, label, value))
    if not initiatives:
        md.item(1, "_" + _("No initiatives yet.") + "_")
        return
    md.item(1, _("Initiatives:"))
    for initiative in initiatives:
        md.item(2, "**" + "\n".join(md_escape(initiative.title)) + "**")
        details = [
            (_("Target"), "\n".join(md_escape(initiative.target))),
            (_("Measure"), md_inline(initiative.measure)),
            (_("Owner"), md_inline(doc.name(initiative.owner_id))),
            (_("Due date"), long_date(initiative.due_date, lang)
             if initiative.due_date else ""),
            (_("Status"), _label(_, PLAN_STATUSES, initiative.status)),
        ]
        for label, value in details:
            if value:
                md.item(3, _field(_, label, value))


def _idea_md(md: _Markdown, doc: PlanDocument, _, idea: Idea) -> None:
    md.item(0, "**" + "\n".join(md_escape(idea.text)) + "**")
    details = [
        (_("Kind"), _label(_, IDEA_TAGS, idea.tag)),
        (_("Source question"), _question_title(_, idea.source_question)),
        (_("Author"), md_inline(doc.name(idea.user_id))),
    ]
    if idea.id in doc.settle_notes:
        details.append((_("Why settled"), "\n".join(md_escape(doc.settle_notes[idea.id]))))
    for label, value in details:
        if value:
            md.item(1, _field(_, label, value))
    evaluations = doc.evaluations.get(idea.id, [])
    if not evaluations:
        return
    md.item(1, _("Evaluations:"))
    for evaluation in evaluations:
        md.item(2, _field(_, md_inline(doc.name(evaluation.user_id)),
                          _label(_, SCORE_LABELS, evaluation.score)))
        for name, label, codes in EVALUATION_COLUMNS:
            value = getattr(evaluation, name)
            if not value:
                continue
            shown = _label(_, codes, value) if codes else "\n".join(md_escape(value))
            if shown:
                md.item(3, _field(_, _(label), shown))
