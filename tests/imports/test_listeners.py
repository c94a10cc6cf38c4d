"""`/plan import` end to end: the file attached in the modal, the preview in the ack, the
confirmation stored at once; an export imported into a new channel exports the same, a
Spanish hand-made sheet imports, and bad files are refused on the field with nothing stored."""

from datetime import UTC, date, datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from sqlmodel import select

from storage import objectives, plans
from storage.models import Initiative, Objective, Plan
from tests.imports.test_rules import workbook_bytes
from tests.scenario import AM, CLIENT, TEAMMATE, create_plan, db, setup_channel, text_of

SOURCE, TARGET = "C0SOURCE", "C0TARGET"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def plan_of(slack, channel):
    with db(slack) as session:
        return session.exec(select(Plan).where(Plan.channel_id == channel,
                                               Plan.status == "active")).first()


def fill(slack, plan):
    """Two objectives and their initiatives, owned by the account manager and the teammate."""
    with db(slack) as session:
        session.add(plan)
        first, second = plans.categories(session, plan=plan)[:2]
        grow = objectives.add_objective(session, plan=plan, idea_id=None, user_id=AM, now=NOW,
                                        values={"category_id": first.id,
                                                "statement": "Grow revenue",
                                                "target": "+10 %", "measure": "Revenue",
                                                "unit": "EUR", "baseline": 100.0,
                                                "target_value": 110.0, "horizon": "long",
                                                "target_date": date(2027, 6, 30),
                                                "owner_id": AM})
        portal = objectives.add_objective(session, plan=plan, idea_id=None, user_id=AM,
                                          now=NOW, values={
                                              "category_id": second.id,
                                              "statement": "Self-service portal",
                                              "target": "Half the calls", "measure": "Calls",
                                              "horizon": "quick_win", "owner_id": TEAMMATE})
        for parent, title, owner in ((grow, "Upsell review", TEAMMATE),
                                     (portal, "Pilot with two clients", AM)):
            objectives.add_initiative(session, plan=plan, objective=parent, user_id=AM,
                                      now=NOW, values={"title": title, "target": "Done",
                                                       "measure": "Yes/no", "owner_id": owner,
                                                       "due_date": date(2027, 3, 1)})
        session.commit()


def export(slack, channel) -> bytes:
    before = len(slack.emulator.files)
    slack.driver.command(AM, channel, "export")
    slack.driver.submit(AM, {})
    return next(f["content"] for f in slack.emulator.files[before:]
                if f["name"].endswith(".xlsx"))


def plan_rows(data: bytes) -> list[tuple]:
    ws = load_workbook(BytesIO(data)).worksheets[0]
    header = int(ws.freeze_panes[1:]) - 1
    return list(ws.iter_rows(min_row=header, values_only=True))


def attach(slack, user, channel, name, content):
    """`/plan import` in the channel, the file attached, Preview: the response."""
    response = slack.driver.command(user, channel, "import")
    assert response.status == 200
    assert slack.emulator.top_view(user)["callback_id"] == "plan_import"
    found = slack.emulator.attach_file(user, name, content)
    return slack.driver.submit(user, {"file": [found]})


def test_an_export_imported_into_a_new_channel_exports_the_same_and_twice_changes_nothing(slack):
    setup_channel(slack, SOURCE)
    setup_channel(slack, TARGET)
    fill(slack, create_plan(slack, SOURCE, "Import Co", language="en"))
    exported = export(slack, SOURCE)

    answer = attach(slack, AM, TARGET, "plan.xlsx", exported)
    assert answer.json()["response_action"] == "update"
    preview = slack.emulator.top_view(AM)
    shown = text_of(preview)
    assert "Import Co" in shown and "Grow revenue" in shown and "Pilot with two clients" in shown
    # In the importer's language (Spanish): everything understood, everyone found.
    assert "No entendido" not in shown and "No encontrados en Slack" not in shown
    assert "4 por añadir, 0 por cambiar" in shown  # two objectives, two initiatives
    assert plan_of(slack, TARGET) is None  # a preview stores nothing
    assert slack.emulator.calls_to("file_download")

    assert slack.driver.submit(AM).json() is None  # Import: stored before the ack
    plan = plan_of(slack, TARGET)
    assert plan is not None and plan.account_name == "Import Co"
    assert plan_rows(export(slack, TARGET)) == plan_rows(exported)
    slack.emulator.wait_for("chat.postEphemeral", predicate=lambda c: "Importado en *Import Co*"
                            in str(c.params))  # in the importer's language

    # The same file again: the preview says there is nothing to import, and offers no Import.
    attach(slack, AM, TARGET, "plan.xlsx", exported)
    again = slack.emulator.top_view(AM)
    assert "Nada que importar" in text_of(again) and not again.get("submit")
    with db(slack) as session:
        assert len(session.exec(select(Objective).where(Objective.plan_id == plan.id)).all()) == 2
        assert len(session.exec(select(Initiative).where(
            Initiative.plan_id == plan.id)).all()) == 2


def test_a_double_confirm_stores_once(slack):
    setup_channel(slack, SOURCE)
    setup_channel(slack, TARGET)
    fill(slack, create_plan(slack, SOURCE, "Twice Co", language="en"))
    attach(slack, AM, TARGET, "plan.xlsx", export(slack, SOURCE))
    first = slack.driver.submit(AM)
    assert first.json() is None
    assert slack.driver.resend(first).status == 200  # the same submission a second time
    plan = plan_of(slack, TARGET)
    with db(slack) as session:
        assert len(session.exec(select(Objective).where(Objective.plan_id == plan.id)).all()) == 2


def spanish_sheet() -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(["Plan de cuenta hecho a mano"])
    ws.append([])
    ws.append(["Responsable", "Objetivo", "Categoría", "Iniciativa", "Meta", "Medición", "Fecha"])
    ws.append(["ana@example.com", "Reducir costes", "Financiera", None, "-10 %", "Coste mensual",
               "30/06/2027"])
    ws.append(["tom", None, "Financiera", "Renegociar proveedores", "Hecho", "Sí/no",
               date(2027, 3, 1)])
    ws.append(["Pedro Desconocido", "Clientes felices", "Clientes", None, "NPS 50", "NPS", None])
    ws.append([None, None, None, None, "sin objetivo", None, None])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_hand_made_sheet_with_spanish_headings_imports(slack):
    setup_channel(slack, TARGET)
    slack.emulator.add_user(AM, "ana", real_name="Ana Martín", locale="es-ES",
                            tz="Europe/Madrid", email="ana@example.com")
    answer = attach(slack, AM, TARGET, "a mano.xlsx", spanish_sheet())
    assert answer.json()["response_action"] == "update"
    shown = text_of(slack.emulator.top_view(AM))
    assert "Pedro Desconocido" in shown  # not in Slack: listed, kept as text
    assert "Fila 7" in shown  # the row with no objective nor initiative, not understood
    assert slack.emulator.calls_to("users.lookupByEmail")
    slack.driver.submit(AM)
    plan = plan_of(slack, TARGET)
    assert plan.language == "es" and plan.created_by == AM
    with db(slack) as session:
        found = {o.statement: o for o in objectives.objectives(session, plan=plan)}
        (initiative,) = objectives.initiatives(session, plan=plan)
        names = [c.name for c in plans.categories(session, plan=plan)]
    assert names == ["Financiera", "Clientes"]
    assert found["Reducir costes"].owner_id == AM
    assert found["Reducir costes"].target_date == date(2027, 6, 30)
    assert found["Clientes felices"].owner_id is None
    assert found["Clientes felices"].target == "NPS 50\nResponsable: Pedro Desconocido"
    assert (initiative.title, initiative.owner_id, initiative.due_date) == (
        "Renegociar proveedores", TEAMMATE, date(2027, 3, 1))


def xlsx_with(files: dict[str, bytes] | None = None) -> bytes:
    """A workbook with a formula, and `files` added to its zip."""
    return workbook_bytes(["Category", "Objective", "Target"], ["Financial", "Grow", "=1+1"],
                          extra=files)


def test_broken_huge_formula_and_macro_files_are_refused_with_their_reason(slack):
    setup_channel(slack, TARGET)
    cases = [
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "not an Excel workbook"),
        ("huge.xlsx", b"x" * (5 * 1024 * 1024 + 1), "over 5 MB"),
        ("sums.xlsx", xlsx_with(), "formulas (Sheet!C2)"),
        ("macro.xlsm", xlsx_with({"xl/vbaProject.bin": b"\x00" * 64}), "macros"),
        ("bomb.xlsx", xlsx_with({"xl/media/zeros.bin": b"\x00" * (60 * 1024 * 1024)}),
         "unpack to far more"),
        ("people.xlsx", workbook_bytes(["Name", "Address"]), "couldn't find the plan"),
    ]
    for name, content, reason in cases:
        slack.emulator.reset_calls()
        answer = attach(slack, TEAMMATE, TARGET, name, content)
        assert answer.json()["response_action"] == "errors", name
        assert reason in answer.json()["errors"]["file"], (name, answer.json())
        slack.driver.close(TEAMMATE)
        if name == "huge.xlsx":  # its size is known before: never downloaded
            assert not slack.emulator.calls_to("file_download")
    assert plan_of(slack, TARGET) is None


def test_only_facilitators_import_into_a_plan(slack):
    setup_channel(slack, TARGET)
    create_plan(slack, TARGET, "Guarded", language="en")
    response = slack.driver.command(CLIENT, TARGET, "import")
    assert "Only the plan's facilitators" in str(response.json() or slack.emulator.calls_to(
        "response_url")[-1].params)
    assert slack.emulator.top_view(CLIENT) is None


def test_the_bot_token_goes_to_slacks_own_file_host_only():
    from bot.imports.listeners import _slack_host

    slack, gov, emulator = ("https://slack.com/api/", "https://slack-gov.com/api/",
                            "http://127.0.0.1:4567/api/")
    assert _slack_host("https://files.slack.com/files-pri/T1-F1/plan.xlsx", slack)
    assert _slack_host("https://files.slack-gov.com/files-pri/T1-F1/plan.xlsx", gov)
    assert _slack_host("http://127.0.0.1:4567/files-pri/T1-F1/plan.xlsx", emulator)
    for elsewhere, api in (("http://files.slack.com/x", slack),  # not over https
                           ("https://files.slack.com.evil.example/x", slack),
                           ("https://evil.example/files.slack.com", slack),
                           ("http://127.0.0.1:9999/files-pri/x", emulator),
                           ("file:///etc/passwd", slack), ("", slack)):
        assert not _slack_host(elsewhere, api), elsewhere
