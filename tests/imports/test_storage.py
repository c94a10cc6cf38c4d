"""The import stored: an exported plan read back into a new channel exports the same; a
second import of the same file changes nothing (SQLite and PostgreSQL)."""

from datetime import date

from sqlmodel import select

from bot.exports import document
from bot.imports import rules, workbook
from storage import exports, imports, objectives, plans
from storage.models import Plan, PlanChange
from tests.exports.test_document import NAMES, NOW, build, header_of


def _plan_rows(data: bytes) -> list[tuple]:
    """The plan sheet from its headings down, as values."""
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(data)).worksheets[0]
    row, _header = header_of(ws)
    return [tuple(c for c in values) for values in ws.iter_rows(min_row=row, values_only=True)]


def existing(db, plan):
    if plan is None:
        return rules.Existing()
    return rules.Existing.of(
        categories={c.id: c.name for c in plans.categories(db, plan=plan)},
        objectives=objectives.objectives(db, plan=plan),
        initiatives=objectives.initiatives(db, plan=plan))


def import_into(db, data: bytes, *, plan: Plan | None, channel="C9", people=None):
    sheet = rules.read_sheet(workbook.cells(data))
    # As the listener matches them: names of the channel's members, a member's id itself.
    names = {name: user for user, name in NAMES.items()} | {"U4": "U4"} if people is None \
        else people
    changes, problems = rules.changes(sheet, existing(db, plan), people=names, lang="en")
    if plan is None:
        plan = plans.create_plan(
            db, plan=Plan(team_id="T1", channel_id=channel, created_by="U1", **rules.plan_settings(
                sheet.plan, today=date(2026, 12, 1), timezone="UTC", lang="en")),
            categories=[c.category for c in changes if c.kind == "category"],
            facilitators=[names[n] for n in sheet.plan.get("facilitators", []) if n in names])
    imports.apply(db, plan=plan, changes=changes, user_id="U1", now=NOW)
    db.commit()
    return plan, changes, problems


def test_an_exported_plan_imported_into_a_new_channel_exports_the_same(db):
    first = build(db)
    exported = document.to_xlsx(exports.collect(db, plan=first, names=NAMES))
    plan, changes, problems = import_into(db, exported, plan=None)
    assert problems == []
    assert {c.action for c in changes} == {"create"}
    again = document.to_xlsx(exports.collect(db, plan=plan, names=NAMES))
    assert _plan_rows(again) == _plan_rows(exported)
    assert plan.account_name == first.account_name
    assert (plan.period, plan.start_date, plan.end_date, plan.review_time) == (
        first.period, first.start_date, first.end_date, first.review_time)
    assert sorted(plans.facilitators_of(db, plan=plan)) == ["U1", "U2"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(db):
    first = build(db)
    exported = document.to_xlsx(exports.collect(db, plan=first, names=NAMES))
    plan, _changes, _problems = import_into(db, exported, plan=None)
    history = len(plans.history(db, plan=plan))
    _plan, changes, problems = import_into(db, exported, plan=plan)
    assert problems == []
    assert {c.action for c in changes if c.kind != "category"} == {"same"}
    assert [c for c in changes if c.kind == "category"] == []
    assert len(plans.history(db, plan=plan)) == history
    # Into the plan it came from: nothing either.
    _plan, changes, _problems = import_into(db, exported, plan=first)
    assert {c.action for c in changes} == {"same"}


def test_an_edited_sheet_updates_what_changed_and_adds_what_is_new(db):
    first = build(db)
    from io import BytesIO

    from openpyxl import load_workbook

    workbook_ = load_workbook(BytesIO(document.to_xlsx(exports.collect(
        db, plan=first, names=NAMES))))
    ws = workbook_.worksheets[0]
    row, header = header_of(ws)
    target = header.index("Target") + 1
    for cells in ws.iter_rows(min_row=row + 1):
        if cells[2].value == "Grow revenue":
            cells[target - 1].value = "Double it"
    ws.append(["Financial", "Initiative", "Call every client", "Done", "Yes/no"])
    out = BytesIO()
    workbook_.save(out)
    _plan, changes, problems = import_into(db, out.getvalue(), plan=first)
    assert problems == []
    done = [(c.kind, c.action, c.title, c.fields) for c in changes if c.action != "same"]
    assert done == [("objective", "update", "Grow revenue", ["target"]),
                    ("initiative", "create", "Call every client", [])]
    updated = {o.statement: o for o in objectives.objectives(db, plan=first)}
    assert updated["Grow revenue"].target == "Double it"
    call = next(i for i in objectives.initiatives(db, plan=first) if i.title == "Call every client")
    assert call.objective_id == updated["Grow revenue"].id
    target_changes = db.exec(select(PlanChange).where(PlanChange.plan_id == first.id,
                                                      PlanChange.field == "target")).all()
    assert len(target_changes) == 1


def test_people_not_found_in_slack_are_kept_as_text(db):
    first = build(db)
    exported = document.to_xlsx(exports.collect(db, plan=first, names=NAMES))
    plan, _changes, _problems = import_into(db, exported, plan=None, people={})
    revenue = next(o for o in objectives.objectives(db, plan=plan)
                   if o.statement == "Grow revenue")
    assert revenue.owner_id is None
    assert revenue.target.endswith("\nOwner: Ana Pérez")
