"""The import's modals hold what Slack accepts, in both languages, however big the sheet."""

from bot.devslack.blockkit import check_view
from bot.imports import rules, views
from bot.imports.rules import Existing


def big_sheet(rows: int) -> rules.Sheet:
    cells = [["Category", "Type", "Objective or initiative", "Target", "Owner"]]
    for i in range(rows):
        cells.append(["Financial", "Objective" if i % 5 == 0 else "Initiative",
                      f"Item {i} <b>&", "x", f"Person {i % 7}"])
    cells.append(["Financial", "Something else", "Odd", None, None])
    return rules.read_sheet([{"title": "Plan", "rows": cells}])


def test_the_file_modal_asks_for_one_xlsx():
    for lang in ("en", "es"):
        view = views.import_modal(lang=lang, has_plan=lang == "en", private_metadata="{}")
        assert check_view(view) == []
        (field,) = [b for b in view["blocks"] if b["type"] == "input"]
        assert field["block_id"] == views.FILE
        assert field["element"] | {"action_id": "value"} == {
            "type": "file_input", "filetypes": ["xlsx"], "max_files": 1, "action_id": "value"}


def test_the_preview_of_2000_rows_fits_a_modal_and_says_what_is_left():
    sheet = big_sheet(1999)
    changes, problems = rules.changes(sheet, Existing(), people={}, lang="es")
    view = views.preview_modal(lang="es", filename="plan <1>.xlsx", sheet=sheet,
                               changes=changes, problems=sheet.problems + problems,
                               unmatched=[f"Person {i}" for i in range(7)], new_account="A&B",
                               private_metadata="{}")
    assert check_view(view) == []
    text = str(view["blocks"])
    assert "Item 0 &lt;b&gt;&amp;" in text and "plan &lt;1&gt;.xlsx" in text and "A&amp;B" in text
    assert "filas más" in text  # the rows not shown are counted
    assert "No encontrados en Slack" in text and "Person 6" in text
    assert "Fila 2001" in text and "Something else" in text  # not understood, with its row
    assert view["submit"]["text"] == "Importar"


def test_a_preview_with_nothing_to_do_offers_no_import():
    sheet = rules.read_sheet([{"title": "Plan", "rows": [
        ["Category", "Objective", "Target"], ["Financial", "Grow", "x"]]}])
    existing = Existing(categories=["Financial"], objectives={rules.key_of("Financial", "Grow"): {
        "id": 1, "statement": "Grow", "target": "x"}})
    changes, problems = rules.changes(sheet, existing, people={}, lang="en")
    view = views.preview_modal(lang="en", filename="f.xlsx", sheet=sheet, changes=changes,
                               problems=problems, unmatched=[], new_account=None,
                               private_metadata="{}")
    assert check_view(view) == [] and "submit" not in view
    assert "Nothing to import" in str(view["blocks"])
