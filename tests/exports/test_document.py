"""The plan export (`/plan export`): what is read, the workbook's real cells, the Markdown."""

import zipfile
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import select

from bot.exports import document as exports_document
from storage import exports, plans, scoring, sessions
from storage.models import Category, Initiative, Objective
from tests.factories import contribute, make_plan

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Madrid
FORMULA = '=HYPERLINK("http://evil")'
NAMES = {"U1": "Ana Pérez", "U2": "Bob Smith", "U3": "Carla Ruiz"}  # U4 has no name


def build(db, *, language="en", channel="C1", key="k1"):
    """A plan with categories, objectives, initiatives, ideas, evaluations, a session."""
    plan = plans.create_plan(
        db, plan=make_plan(channel, language=language),
        categories=["Financial", "# Customer | experience", "Technology"],
        facilitators=["U2"])
    finance, customer, _technology = db.exec(
        select(Category).where(Category.plan_id == plan.id).order_by(Category.position)).all()
    session = sessions.start_session(db, plan=plan, user_id="U1", now=NOW,
                                     ends_at=NOW + timedelta(minutes=90))
    contribute(db, plan, session, user_id="U3", now=NOW + timedelta(minutes=5),
               answers={3: "Too many manual steps", 1: "Renewals are late\n- injected bullet"},
               ideas=[("Self-service portal", "realistic", 2), (FORMULA, "ambitious", 3)])
    contribute(db, plan, session, user_id="U4", now=NOW + timedelta(minutes=10),
               answers={1: "Good relationship", 2: "Removed later"},
               ideas=[("Portal for customers", "realistic", 2), ("Dinner\x0b party", None, None)])
    sessions.edit_answers(db, strategy_session=session, user_id="U4",
                          texts={a.id: "" for a in sessions.answers_of(
                             db, strategy_session=session, user_id="U4") if a.question == 2},
                          now=NOW + timedelta(minutes=20))
    portal, evil, duplicate, dinner = sessions.ideas_of(db, plan=plan)
    scoring.merge(db, idea=duplicate, into=portal, user_id="U1", now=NOW,
                  expected_version=duplicate.version)
    scoring.save_evaluation(db, idea=portal, user_id="U1", user_team_id="T1", now=NOW,
                            values={"score": "3", "pros": "Fewer calls", "cons": "=1+1",
                                    "likelihood": "likely", "need": "need",
                                    "urgency": "both", "effort": "hard", "worth_it": "yes",
                                    "costs": "20k", "time_resources": "Two sprints"})
    scoring.save_evaluation(db, idea=portal, user_id="U2", user_team_id="T1", now=NOW,
                            values={"score": "2"})
    scoring.save_evaluation(db, idea=duplicate, user_id="U3", user_team_id="T1", now=NOW,
                            values={"score": "1"})
    scoring.settle(db, idea=portal, score="3", user_id="U2", now=NOW,
                   expected_version=portal.version, note="# Clients ask | for it")
    scoring.settle(db, idea=dinner, score="discard", user_id="U2", now=NOW,
                   expected_version=dinner.version)

    def objective(category, statement, **extra):
        values = dict(team_id="T1", plan_id=plan.id, category_id=category.id,
                      statement=statement, target="Half the calls", measure="Calls a month",
                      horizon="medium", created_by="U1", created_at=NOW)
        values.update(extra)
        row = Objective(**values)
        db.add(row)
        db.flush()
        return row

    revenue = objective(finance, "Grow revenue", idea_id=portal.id, unit="EUR", baseline=100.0,
                        target_value=1234.5, target_date=date(2027, 6, 30), horizon="quick_win",
                        owner_id="U1", status="on_track")
    evil_objective = objective(customer, FORMULA, owner_id="U4", target="+5 points",
                               created_at=NOW + timedelta(seconds=1))
    for i, (parent, title, owner, due) in enumerate([
        (revenue, "Run 3 times a week", "U3", date(2027, 1, 31)),
        (revenue, "@Quarterly | upsell review", None, None),
        (evil_objective, "Survey clients", "U2", date(2027, 3, 1)),
    ]):
        db.add(Initiative(team_id="T1", plan_id=plan.id, objective_id=parent.id, title=title,
                          target="Done", measure="Yes/no", owner_id=owner, due_date=due,
                          created_by="U1", created_at=NOW + timedelta(seconds=i)))
    db.commit()
    return plan


def rows(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def header_of(ws):
    row = int(ws.freeze_panes[1:]) - 1
    return row, [c.value for c in ws[row] if c.value is not None]


def test_collect_reads_this_plan_only_in_a_handful_of_queries(db):
    plan = build(db)
    build(db, channel="C2", key="other")  # another channel's plan stays out
    statements = []
    engine = db.get_bind()

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        doc = exports.collect(db, plan=plan, names=NAMES)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 10  # one a kind of row (the measures' history, settle notes)
    assert doc.lang == "en"
    assert [c.name for c in doc.categories] == [
        "Financial", "# Customer | experience", "Technology"]
    assert [o.statement for o in doc.objectives] == ["Grow revenue", FORMULA]
    assert [i.title for i in doc.initiatives] == [
        "Run 3 times a week", "@Quarterly | upsell review", "Survey clients"]
    # The merged duplicate is hidden behind the portal idea, with its evaluation.
    assert [i.text for i in doc.ideas] == ["Self-service portal", FORMULA, "Dinner\x0b party"]
    portal = doc.ideas[0]
    assert [(e.user_id, e.score) for e in doc.evaluations[portal.id]] == [("U1", "3"),
                                                                          ("U2", "2")]
    assert set(doc.evaluations) == {portal.id}
    (session, answers), = doc.sessions
    # Ordered by question, then time; the cleared answer is left out.
    assert [(a.question, a.text) for a in answers] == [
        (1, "Renewals are late\n- injected bullet"), (1, "Good relationship"),
        (3, "Too many manual steps")]
    assert sorted(doc.facilitators) == ["U1", "U2"]
    assert all(o.plan_id == plan.id for o in doc.objectives + doc.initiatives + doc.ideas)
    assert exports.collect(db, plan=plan, names={}, lang="es").lang == "es"


def test_people_in_names_everyone_the_document_shows(db):
    plan = build(db)
    build(db, channel="C2", key="other")
    # U3 authored answers and ideas; U4 owns an objective; U1, U2 facilitate and evaluate.
    assert exports.people_in(db, plan=plan) == {"U1", "U2", "U3", "U4"}
    empty = plans.create_plan(db, plan=make_plan("C3"), categories=[], facilitators=[])
    assert exports.people_in(db, plan=empty) == {"U1"}


def test_the_workbook_has_the_template_layout_with_real_cells(db):
    plan = build(db)
    data = exports_document.to_xlsx(exports.collect(db, plan=plan, names=NAMES))
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["Plan", "Ideas", "Sessions", "History"]

    for ws in book.worksheets:
        row, labels = header_of(ws)
        assert labels and all(c.font.bold for c in ws[row] if c.value is not None)
        widths = [d.width for d in ws.column_dimensions.values()]
        assert widths and all(10 <= w <= 60 for w in widths)

    ws = book["Plan"]
    assert ws["A1"].value == "Account plan: Acme"
    title_rows = {r[0]: r for r in rows(ws)[1:4]}
    assert title_rows["Account"][1] == "Acme"
    assert title_rows["Account"][2:4] == ["Period", "12 months"]
    start = ws.cell(row=2, column=6)
    assert start.is_date and start.value.date() == date(2026, 12, 1)
    assert title_rows["Review cadence"][1] == "Quarterly"
    assert title_rows["Review cadence"][6:8] == ["Timezone", "Europe/Madrid"]
    assert title_rows["Next review"][2:4] == ["Facilitators", "Ana Pérez, Bob Smith"]

    header_row, labels = header_of(ws)
    assert header_row == 6 and ws.freeze_panes == "A7"
    assert labels == ["Category", "Type", "Objective or initiative", "Target", "Measure",
                      "Unit", "Baseline", "Target value", "Target date", "Due date",
                      "Horizon", "Owner", "Status"]
    table = [dict(zip(labels, r, strict=False)) for r in rows(ws)[header_row:]]
    assert [(t["Category"], t["Type"], t["Objective or initiative"]) for t in table] == [
        ("Financial", "Objective", "Grow revenue"),
        ("Financial", "Initiative", "Run 3 times a week"),
        ("Financial", "Initiative", "@Quarterly | upsell review"),
        ("# Customer | experience", "Objective", FORMULA),
        ("# Customer | experience", "Initiative", "Survey clients"),
        ("Technology", None, None),
    ]
    revenue, run = table[0], table[1]
    assert revenue["Owner"] == "Ana Pérez" and run["Owner"] == "Carla Ruiz"
    assert table[3]["Owner"] == "U4"  # no name known: the user id
    assert (revenue["Horizon"], revenue["Status"]) == ("Quick win", "On track")
    assert (revenue["Baseline"], revenue["Target value"], revenue["Unit"]) == (100, 1234.5,
                                                                               "EUR")
    target_date = ws.cell(row=header_row + 1, column=9)
    assert target_date.is_date and target_date.value.date() == date(2027, 6, 30)
    assert target_date.number_format == exports_document.DATE_FORMAT
    due = ws.cell(row=header_row + 2, column=10)
    assert due.is_date and due.value.date() == date(2027, 1, 31)
    assert ws.cell(row=header_row + 1, column=3).font.bold
    assert ws.cell(row=header_row + 2, column=3).alignment.indent > 0

    # User text that looks like a formula is stored as text, never as a formula.
    evil = ws.cell(row=header_row + 4, column=3)
    assert evil.value == FORMULA and evil.data_type == "s" and evil.quotePrefix
    for cell in (ws.cell(row=header_row + 3, column=3), ws.cell(row=header_row + 4, column=4)):
        assert cell.value in ("@Quarterly | upsell review", "+5 points")
        assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_the_history_sheet_holds_every_review_and_a_native_chart_of_it(db):
    from storage import reviews
    from storage.models import Objective

    plan = build(db)
    grow = db.exec(select(Objective).where(Objective.plan_id == plan.id,
                                           Objective.statement == "Grow revenue")).one()
    grow.baseline, grow.target_value, grow.unit = 100.0, 200.0, "k€"
    db.add(grow)
    for day, value in ((date(2027, 3, 1), 120.0), (date(2027, 6, 1), 150.0)):
        review = reviews.open_review(db, plan=plan, due_on=day, user_id="U1", now=NOW)
        reviews.save_items(db, review=review, items=[{
            "entity": "objective", "entity_id": grow.id, "status": "on_track", "value": value}])
        reviews.close_review(db, plan=plan, review=review, worked=None, not_worked=None,
                             user_id="U1", now=datetime.combine(day, time(9), UTC))
    db.commit()
    book = load_workbook(BytesIO(exports_document.to_xlsx(exports.collect(db, plan=plan,
                                                                          names=NAMES))))
    ws = book["History"]
    header_row, labels = header_of(ws)
    assert labels[:3] == ["Date", "Point", "Grow revenue (k€)"]
    table = rows(ws)[header_row:header_row + 4]
    assert [(r[0].date(), r[1], r[2]) for r in table] == [
        (date(2026, 12, 1), "Baseline", 100), (date(2027, 3, 1), "Review", 120),
        (date(2027, 6, 1), "Review", 150), (date(2027, 11, 30), "Target", 200)]
    [chart] = ws._charts
    assert chart.tagname == "lineChart"
    series = chart.series[labels.index("Grow revenue (k€)") - 2]
    assert series.val.numRef.f == f"'History'!$C${header_row + 1}:$C${header_row + 3}"
    assert series.cat.numRef.f == f"'History'!$A${header_row + 1}:$A${header_row + 3}"


def test_the_export_of_a_monthly_plan_says_monthly(db):
    plan = build(db, language="es")
    plan.cadence, plan.next_review_on = "monthly", date(2027, 1, 4)
    db.add(plan)
    db.commit()
    document = exports.collect(db, plan=plan, names=NAMES)
    ws = load_workbook(BytesIO(exports_document.to_xlsx(document)))["Plan"]
    title_rows = {r[0]: r for r in rows(ws)[1:4]}
    assert title_rows["Frecuencia de revisión"][1] == "Mensual"
    assert title_rows["Próxima revisión"][1].date() == date(2027, 1, 4)
    markdown = exports_document.to_markdown(document)
    assert "- Revisiones: Mensual, un lunes a las" in markdown
    assert "- Próxima revisión: 4 de enero de 2027" in markdown
    plan.cadence, plan.cadence_weeks = "weeks", 6
    english = exports_document.to_markdown(exports.collect(db, plan=plan, names=NAMES, lang="en"))
    assert "- Reviews: Every 6 weeks, on a monday" in english


def test_the_ideas_sheet_has_one_row_per_evaluation_in_priority_order(db):
    plan = build(db)
    book = load_workbook(BytesIO(exports_document.to_xlsx(exports.collect(db, plan=plan,
                                                                          names=NAMES))))
    ws = book["Ideas"]
    assert ws.freeze_panes == "A2"
    _row, labels = header_of(ws)
    assert labels == ["Idea", "Kind", "Source question", "Author", "Added (Europe/Madrid)",
                      "Settled score", "Status", "Why settled", "Evaluated by", "Score",
                      "Pros", "Cons",
                      "Likelihood", "Costs", "Need", "Time and resources", "Urgency", "Effort",
                      "Worth it"]
    table = [dict(zip(labels, r, strict=False)) for r in rows(ws)[1:]]
    assert [(t["Idea"], t["Evaluated by"]) for t in table] == [
        ("Self-service portal", "Ana Pérez"), ("Self-service portal", "Bob Smith"),
        (FORMULA, None), ("Dinner party", None)]  # the illegal control character is dropped
    first = table[0]
    assert first["Kind"] == "Realistic"
    assert first["Source question"] == "2. Where do we want to go?"
    assert first["Author"] == "Carla Ruiz"
    assert first["Added (Europe/Madrid)"] == datetime(2026, 12, 1, 11, 5)  # local, naive
    assert (first["Settled score"], first["Status"], first["Score"]) == (3, "3 · Obvious winner", 3)
    assert (first["Likelihood"], first["Need"], first["Urgency"], first["Effort"],
            first["Worth it"]) == ("Likely to succeed", "A need", "Urgent and important",
                                   "Hard", "Yes")
    assert (first["Pros"], first["Costs"], first["Time and resources"]) == (
        "Fewer calls", "20k", "Two sprints")
    cons = ws.cell(row=2, column=labels.index("Cons") + 1)
    assert cons.value == "=1+1" and cons.data_type == "s"
    assert table[2]["Status"] == "Not scored yet" and table[2]["Settled score"] is None
    assert (table[3]["Status"], table[3]["Settled score"]) == ("Discard", "discard")


def test_the_sessions_sheet_has_one_row_per_answer_in_local_time(db):
    plan = build(db)
    book = load_workbook(BytesIO(exports_document.to_xlsx(exports.collect(db, plan=plan,
                                                                          names=NAMES))))
    ws = book["Sessions"]
    assert ws.freeze_panes == "A2"
    _row, labels = header_of(ws)
    assert labels == ["Session", "Question number", "Question", "Answer", "Author",
                      "Time (Europe/Madrid)"]
    table = rows(ws)[1:]
    assert [r[1:5] for r in table] == [
        [1, "Where are we?", "Renewals are late\n- injected bullet", "Carla Ruiz"],
        [1, "Where are we?", "Good relationship", "U4"],
        [3, "What changes must be made?", "Too many manual steps", "Carla Ruiz"],
    ]
    assert ws["A2"].is_date and ws["A2"].value.date() == date(2026, 12, 1)
    assert ws["F2"].value == datetime(2026, 12, 1, 11, 5) and ws["F2"].value.tzinfo is None
    bullet = ws["D2"]
    assert bullet.data_type == "s" and bullet.alignment.wrap_text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_language_exports_without_errors(db, lang):
    plan = build(db, language=lang)
    doc = exports.collect(db, plan=plan, names=NAMES)
    assert doc.lang == lang
    book = load_workbook(BytesIO(exports_document.to_xlsx(doc)))
    assert len(book.sheetnames) == 4 and all(len(n) <= 31 for n in book.sheetnames)
    assert "Grow revenue" in exports_document.to_markdown(doc)


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [exports_document._sheet_title(n, taken) for n in ("Plan", "plan", "a/b:c" * 20, "")]
    assert names[0] == "Plan" and names[1] == "plan 2"
    assert len(names[2]) <= 31 and not set("[]:*?/\\") & set(names[2])
    assert names[3] == "Sheet"


def test_the_markdown_document_follows_the_plan(db):
    plan = build(db)
    text = exports_document.to_markdown(exports.collect(db, plan=plan, names=NAMES))
    lines = text.splitlines()
    assert lines[0] == "# Account plan: Acme"
    assert "- Facilitators: Ana Pérez, Bob Smith" in lines
    assert "- Reviews: Quarterly, on a monday at 09:00 (Europe/Madrid)" in lines
    headings = [line for line in lines if line.startswith("#")]
    assert headings[:6] == [
        "# Account plan: Acme", "## Objectives and initiatives", "### Financial",
        "### \\# Customer \\| experience", "### Technology", "## Priority list"]

    def at(line):
        return lines.index(line)

    # Objectives under their category, initiatives nested under their objective.
    assert at("### Financial") < at("- **Grow revenue**") < at("### \\# Customer \\| experience")
    assert at("- **\\=HYPERLINK(\"http://evil\")**") > at("### \\# Customer \\| experience")
    assert at("    - **Run 3 times a week**") > at("- **Grow revenue**")
    assert "    - **@Quarterly \\| upsell review**" in lines
    assert "  - Owner: Ana Pérez" in lines and "      - Owner: Carla Ruiz" in lines
    assert "  - Target value: 1,234.5" in lines and "  - Target date: June 30, 2027" in lines
    assert "  - Status: On track" in lines and "  - Horizon: Quick win" in lines
    assert lines[at("### Technology") + 2] == "_No objectives yet._"

    # The priority list: 3s first, evaluations with their answers, discarded last.
    priorities = lines[at("## Priority list"):at("## Strategy sessions")]
    assert [line for line in priorities if line.startswith("### ")] == [
        "### 3 · Obvious winner (1)", "### 2 · Has potential (0)",
        "### 1 · Sounds good, unlikely right now (0)", "### Not scored yet (1)",
        "### Discard (1)"]
    assert "    - Ana Pérez: 3" in priorities and "      - Likelihood: Likely to succeed" in lines
    assert "      - Cons: \\=1+1" in priorities

    # Session answers grouped by question; a multi-line answer cannot start a new item.
    assert at("#### 1. Where are we?") < at("#### 3. What changes must be made?")
    renewals = at("- Renewals are late\\")
    assert lines[renewals + 1] == "  \\- injected bullet — Carla Ruiz, 11:05"
    assert "- Good relationship — U4, 11:10" in lines
    assert "Removed later" not in text


@pytest.mark.parametrize(("typed", "shown"), [
    ("# heading", "\\# heading"),
    ("| a | b |", "\\| a \\| b \\|"),
    ("- item", "\\- item"),
    ("+ item", "\\+ item"),
    ("1. first", "1\\. first"),
    ("2) second", "2\\) second"),
    ("===", "\\==="),
    ("> quote", "\\> quote"),
    ("    code", "code"),
    ("```fence", "\\`\\`\\`fence"),
    ("[link](http://x) <b> *bold* _it_ ~~s~~ &amp; \\", "\\[link\\](http://x) \\<b\\> "
     "\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\&amp; \\\\"),
    ("Grow 10% in 2027.", "Grow 10% in 2027."),
])
def test_markdown_escapes_what_could_become_structure(typed, shown):
    assert exports_document.md_escape(typed) == [shown]


def test_markdown_escape_drops_blank_lines():
    assert exports_document.md_escape("a\n\n  \nb") == ["a", "b"]
    assert exports_document.md_escape(None) == [] and exports_document.md_inline("x\ny") == "x y"


def test_without_each_persons_scores_only_the_decisions_and_their_notes_remain(db):
    plan = build(db)
    doc = exports.collect(db, plan=plan, names=NAMES, per_person=False)
    assert doc.evaluations == {} and not doc.per_person
    book = load_workbook(BytesIO(exports_document.to_xlsx(doc)))
    _row, labels = header_of(book["Ideas"])
    assert labels == ["Idea", "Kind", "Source question", "Author", "Added (Europe/Madrid)",
                      "Settled score", "Status", "Why settled"]
    table = [dict(zip(labels, r, strict=False)) for r in rows(book["Ideas"])[1:]]
    assert [(t["Idea"], t["Why settled"]) for t in table] == [
        ("Self-service portal", "# Clients ask | for it"), (FORMULA, None),
        ("Dinner party", None)]  # one row per idea
    cells = {str(c) for sheet in book.worksheets for r in rows(sheet) for c in r if c}
    markdown = exports_document.to_markdown(doc)
    for evaluation_text in ("Fewer calls", "Two sprints", "=1+1"):
        assert evaluation_text not in cells and evaluation_text not in markdown
    assert "Evaluations:" not in markdown
    assert "  - Why settled: \\# Clients ask \\| for it" in markdown.splitlines()


def test_each_persons_scores_are_those_of_revealed_ideas_only(db):
    plan = build(db)
    dinner = next(i for i in sessions.ideas_of(db, plan=plan) if i.text.startswith("Dinner"))
    evil = next(i for i in sessions.ideas_of(db, plan=plan) if i.text == FORMULA)
    scoring.save_evaluation(db, idea=evil, user_id="U3", user_team_id="T1", now=NOW,
                            values={"score": "1", "pros": "Hidden until revealed"})
    scoring.save_evaluation(db, idea=dinner, user_id="U3", user_team_id="T1", now=NOW,
                            values={"score": "1", "pros": "Settled, so revealed"})
    db.commit()
    doc = exports.collect(db, plan=plan, names=NAMES)
    assert evil.id not in doc.evaluations and dinner.id in doc.evaluations
    assert "Hidden until revealed" not in exports_document.to_markdown(doc)
    assert "Settled, so revealed" in exports_document.to_markdown(doc)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_two_files_have_distinct_titles(db, lang):
    doc = exports.collect(db, plan=build(db, language=lang), names=NAMES)
    workbook, document = exports_document.titles(doc)
    assert workbook != document and "Acme" in workbook and "Acme" in document
    assert "Excel" in workbook and "Markdown" in document
