"""Reading a plan out of a workbook's cells: headings in English or Spanish in any order,
values converted, what is not understood said; the changes an import would make; the
workbook's own checks (zip, macros, formulas, rows) before and while it is read."""

import zipfile
from datetime import date, time
from io import BytesIO

import pytest
from openpyxl import Workbook

from bot.imports import rules, workbook
from bot.imports.rules import Existing


def sheet_of(*rows, title="Sheet") -> rules.Sheet:
    return rules.read_sheet([{"title": title, "rows": [list(r) for r in rows]}])


def test_the_exports_headings_are_known_in_both_languages_and_tell_the_language():
    english = sheet_of(["Category", "Type", "Objective or initiative", "Target", "Owner"],
                       ["Financial", "Objective", "Grow", "+10 %", "Ana"],
                       ["Financial", "Initiative", "Call clients", "All", None])
    spanish = sheet_of(["Categoría", "Tipo", "Objetivo o iniciativa", "Meta", "Responsable"],
                       ["Financiera", "Objetivo", "Crecer", "+10 %", "Ana"],
                       ["Financiera", "Iniciativa", "Llamar", "Todos", None])
    for sheet, lang in ((english, "en"), (spanish, "es")):
        assert sheet.lang == lang
        assert [(r.kind, r.objective) for r in sheet.rows] == [
            ("objective", ""), ("initiative", sheet.rows[0].title)]
        assert sheet.people(new_plan=True) == ["Ana"]
        assert sheet.problems == []


def test_a_hand_made_sheet_with_columns_in_any_order_and_spanish_values():
    sheet = sheet_of(
        ["Plan hecho a mano"],
        ["  FECHA ", "Iniciativa", "Responsable", "Objetivo", "Categoría", "Valor inicial",
         "Horizonte", "Estado"],
        ["31/12/2027", None, "ana@example.com", "Reducir costes", "Financiera", "1.234,5",
         "Largo plazo", "Según lo previsto"],
        [{"date": "2027-03-01"}, "Renegociar", "tom", None, "Financiera", None, None, None],
        ["mañana", "Otra", None, "Reducir costes", "Financiera", None, None, "Quizás"])
    objective, first, second = sheet.rows
    assert objective.values["target_date"] == date(2027, 12, 31)
    assert objective.values["horizon"] == "long"
    assert objective.values["status"] == "on_track"
    assert "baseline" not in objective.values  # not a number: left out, and said
    assert (first.kind, first.objective, first.values["due_date"]) == (
        "initiative", "Reducir costes", date(2027, 3, 1))
    assert second.objective == "Reducir costes"  # named in its row
    assert "due_date" not in second.values and "status" not in second.values
    said = [(row, msgid) for row, msgid, _parts in sheet.problems]
    assert (3, "“{value}” is not a number") in said  # 1.234,5: thousands and decimals mixed
    assert (5, "“{value}” is not a date") in said
    assert (5, "“{value}” is not a known value of its column") in said


def test_plan_fields_above_the_headings_are_read_in_either_language():
    sheet = sheet_of(["Plan de cuenta: Acme"],
                     ["Cuenta", "Acme", "Período", "Año calendario", "Fecha de inicio",
                      {"date": "2027-01-01"}, "Fecha de fin", {"date": "2027-12-31"}],
                     ["Frecuencia de revisión", "Cada 6 meses", "Día de revisión", "Jueves",
                      "Hora de revisión", {"time": "09:30:00"}, "Zona horaria", "Europe/Madrid"],
                     ["Facilitadores", "Ana, Tom"],
                     [],
                     ["Categoría", "Tipo", "Objetivo o iniciativa"])
    assert sheet.plan["account"] == "Acme" and sheet.plan["period"] == "calendar_year"
    assert sheet.plan["cadence"] == "semiannual"
    assert sheet.plan["review_day"] == 3 and sheet.plan["review_time"] == time(9, 30)
    assert sheet.plan["facilitators"] == ["Ana", "Tom"]
    assert sheet.people(new_plan=True) == ["Ana", "Tom"] and sheet.people(new_plan=False) == []
    settings = rules.plan_settings(sheet.plan, today=date(2026, 12, 1), timezone="UTC",
                                   lang="es")
    assert (settings["start_date"], settings["end_date"], settings["timezone"]) == (
        date(2027, 1, 1), date(2027, 12, 31), "Europe/Madrid")
    defaults = rules.plan_settings({}, today=date(2026, 12, 1), timezone="America/Lima",
                                   lang="en")
    assert defaults["account_name"] == "Imported plan"
    assert (defaults["period"], defaults["end_date"]) == ("twelve_months", date(2027, 11, 30))


def test_a_sheet_without_an_objective_column_is_an_unknown_layout():
    with pytest.raises(rules.LayoutUnknown):
        sheet_of(["Name", "Email", "Target"], ["Ana", "ana@example.com", "x"])
    with pytest.raises(rules.LayoutUnknown):  # an objective column alone is not a plan
        sheet_of(["Objective"], ["Grow"])


def test_changes_match_by_category_and_title_ignoring_case_and_accents():
    sheet = sheet_of(["Categoría", "Objetivo", "Iniciativa", "Meta", "Responsable"],
                     ["FINANCIERA", "Crecér", None, "+10 %", "Ana"],
                     ["financiera", "Crecér", "Llamar", "Todos", "Nadie"],
                     ["Nueva", "Otra cosa", None, "x", None],
                     ["Nueva", "Otra cosa", None, "y", None])
    existing = Existing(
        categories=["Financiera"],
        objectives={rules.key_of("Financiera", "crecer"): {
            "id": 7, "statement": "crecer", "target": "+10 %", "measure": "",
            "owner_id": "U1", "status": "not_started"}})
    changes, problems = rules.changes(sheet, existing, people={"Ana": "U1"}, lang="es")
    assert [(c.kind, c.action, c.title or c.category, c.fields) for c in changes] == [
        ("objective", "same", "Crecér", []),
        ("initiative", "create", "Llamar", []),
        ("category", "create", "Nueva", []),
        ("objective", "create", "Otra cosa", []),
    ]
    initiative = changes[1]
    assert (initiative.objective_id, initiative.objective) == (7, "crecer")
    assert initiative.values["owner_id"] is None
    assert initiative.values["target"] == "Todos\nResponsable: Nadie"
    assert problems == [(5, "“{title}” appears twice; the first is imported",
                         {"title": "Otra cosa"})]


def test_an_update_changes_only_the_columns_the_sheet_has():
    sheet = sheet_of(["Category", "Objective", "Target"], ["Financial", "Grow", "+20 %"])
    existing = Existing(categories=["Financial"], objectives={rules.key_of("Financial", "Grow"): {
        "id": 1, "statement": "Grow", "target": "+10 %", "measure": "Revenue",
        "owner_id": "U1", "status": "on_track"}})
    (change,), _problems = rules.changes(sheet, existing, people={}, lang="en")
    assert (change.action, change.values, change.item_id) == ("update", {"target": "+20 %"}, 1)


def workbook_bytes(*rows, extra: dict | None = None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = BytesIO()
    book.save(out)
    if not extra:
        return out.getvalue()
    source = zipfile.ZipFile(BytesIO(out.getvalue()))
    again = BytesIO()
    with zipfile.ZipFile(again, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item, source.read(item))
        for name, content in extra.items():
            archive.writestr(name, content)
    return again.getvalue()


def test_the_child_reads_cells_with_their_types():
    (sheet,) = workbook.cells(workbook_bytes(["a", 1, 2.5, date(2027, 1, 2), time(9, 30)]))
    assert sheet["rows"] == [["a", 1, 2.5, {"date": "2027-01-02"}, {"time": "09:30:00"}]]


@pytest.mark.parametrize(("content", "code"), [
    (b"not a zip", workbook.NOT_XLSX),
    (b"x" * (workbook.MAX_BYTES + 1), workbook.TOO_BIG),
    (workbook_bytes(["a"], extra={"xl/vbaProject.bin": b"\0"}), workbook.MACROS),
    (workbook_bytes(["a"], extra={f"junk/{i}": b"" for i in range(600)}), workbook.ZIP_BOMB),
    (workbook_bytes(["a", "=SUM(1,2)"]), workbook.FORMULAS),
    (workbook_bytes(*[[i] for i in range(workbook.MAX_ROWS + 1)]), workbook.TOO_MANY_ROWS),
])
def test_what_the_workbook_refuses(content, code):
    with pytest.raises(workbook.Refused) as refused:
        workbook.cells(content)
    assert refused.value.code == code
    assert rules.refusal(code) == rules.REFUSALS[code]  # each worded


def test_a_child_that_takes_too_long_is_stopped(monkeypatch):
    monkeypatch.setattr(workbook, "READ_TIMEOUT", 0.001)
    with pytest.raises(workbook.Refused) as refused:
        workbook.cells(workbook_bytes(["a"]))
    assert refused.value.code == workbook.UNREADABLE
