"""The import's two modals: the file to bring in, then the preview of what it would create
or change, row by row, with what was not understood and who was not found in Slack."""

from bot.exports.rules import PLAN_COLUMNS, ROW_TYPES
from bot.imports.rules import Change, Sheet
from bot.platform.blocks import context, escape, input_block, modal, plain, section
from bot.platform.i18n import gettext_for, ngettext_for
from bot.platform.state import read_state

CALLBACK, CONFIRM_CALLBACK = "plan_import", "plan_import_confirm"
IMPORT_BUTTON = "plan_import_open"
FILE = "file"
PREVIEW_SECTIONS = 30  # of rows; the modal holds 100 blocks
SECTION_CHARS = 2900


def import_button(lang: str) -> dict:
    """Where a channel has no plan yet: start from the spreadsheet the team has."""
    _ = gettext_for(lang)
    return {"type": "actions", "elements": [{
        "type": "button", "action_id": IMPORT_BUTTON, "value": "import",
        "text": plain(_("Import a plan from a spreadsheet"), 75)}]}


def import_modal(*, lang: str, has_plan: bool, private_metadata: str) -> dict:
    _ = gettext_for(lang)
    hint = (_("Its objectives and initiatives are added to this channel's plan, or update "
              "those with the same category and title.") if has_plan else
            _("This channel has no plan yet: the import creates it (its name, period and "
              "review day from the sheet when it has them), with you as facilitator."))
    blocks = [
        section(_("Bring in a plan from an Excel workbook (.xlsx): one Rumbo exported, or a "
                  "sheet of your own with headings such as *Category*, *Objective*, "
                  "*Initiative*, *Target*, *Measure*, *Owner* and *Date* (or *Categoría*, "
                  "*Objetivo*, *Iniciativa*, *Meta*, *Medición*, *Responsable*, *Fecha*), "
                  "in any order.")),
        input_block(FILE, _("Workbook"), {"type": "file_input", "filetypes": ["xlsx"],
                                          "max_files": 1}, hint=hint),
        context(_("Up to 5 MB and 2,000 rows, without formulas or macros. You see what it "
                  "would change before anything is saved.")),
    ]
    return modal(CALLBACK, lang=lang, title=_("Import a plan"), submit=_("Preview"),
                 blocks=blocks, private_metadata=private_metadata)


def uploaded(values: dict) -> list[dict]:
    """The file objects the submission carries."""
    return list(read_state(values).get(FILE) or [])


def _line(_, change: Change) -> str:
    kind = _(dict(PLAN_COLUMNS)["category"] if change.kind == "category"
             else ROW_TYPES[change.kind])
    title = escape(change.title or change.category)
    if change.action == "create":
        what = _("new")
    elif change.action == "update":
        what = _("changes: {fields}").format(fields=", ".join(
            _(FIELD_NAMES.get(f, f)) for f in change.fields))
    else:
        what = _("no change")
    return _("Row {row} · {kind} · *{title}* — {what}").format(
        row=change.row, kind=kind, title=title, what=what)


# How the preview names the fields an update changes: as the sheet's headings do.
FIELD_NAMES = dict(PLAN_COLUMNS) | {"owner_id": dict(PLAN_COLUMNS)["owner"]}


def _sections(lines: list[str], room: int) -> list[dict]:
    """Lines packed into at most `room` sections of mrkdwn."""
    blocks: list[dict] = []
    chunk = ""
    for line in lines:
        if chunk and len(chunk) + len(line) + 1 > SECTION_CHARS:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line[:SECTION_CHARS]
    if chunk:
        blocks.append(section(chunk))
    return blocks[:room]


def preview_modal(*, lang: str, filename: str, sheet: Sheet, changes: list[Change],
                  problems: list[tuple[int, str, dict]], unmatched: list[str],
                  new_account: str | None, private_metadata: str) -> dict:
    """What the import would do. Without anything to create or change, nothing to confirm."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    counted = [c for c in changes if c.kind != "category"]
    creating = sum(c.action == "create" for c in counted)
    updating = sum(c.action == "update" for c in counted)
    same = sum(c.action == "same" for c in counted)
    summary = _("*{file}*: {create} to add, {update} to change, {same} already as in the "
                "sheet.").format(file=escape(filename), create=creating, update=updating,
                                 same=same)
    blocks = [section(summary)]
    if new_account is not None:
        blocks.append(section(_("This channel has no plan yet: importing creates *{account}*, "
                                "with you as facilitator.").format(account=escape(new_account))))
    lines = [_line(_, c) for c in changes]
    shown = _sections(lines, PREVIEW_SECTIONS)
    blocks += shown
    hidden = len(lines) - sum(b["text"]["text"].count("\n") + 1 for b in shown)
    if hidden > 0:
        blocks.append(context(n_("…and {count} more row.", "…and {count} more rows.",
                                 hidden).format(count=hidden)))
    if unmatched:
        blocks.append(section(_("*Not found in Slack* (kept as text after the target): "
                                "{people}").format(people=escape(", ".join(unmatched)))))
    if problems:
        said = [_("Row {row}: {problem}").format(
            row=row, problem=escape(_(msgid).format(**parts))) for row, msgid, parts in problems]
        blocks.append(section(n_("*Not understood*, left out ({count} row):",
                                 "*Not understood*, left out ({count} rows):",
                                 len(said)).format(count=len(said))))
        blocks += _sections(said, 5)
    if not creating and not updating:
        blocks.append(context(_("Nothing to import: the plan already holds all of it.")))
        return {"type": "modal", "callback_id": CONFIRM_CALLBACK, "title": plain(
            _("Import a plan"), 24), "close": plain(_("Close"), 24), "blocks": blocks[:100],
            "private_metadata": private_metadata}
    return modal(CONFIRM_CALLBACK, lang=lang, title=_("Import a plan"), submit=_("Import"),
                 blocks=blocks[:100], private_metadata=private_metadata)


def imported_note(*, lang: str, changes: list[Change], account: str) -> str:
    _ = gettext_for(lang)
    counted = [c for c in changes if c.kind != "category"]
    return _("Imported into *{account}*: {create} added, {update} changed. Every change is in "
             "`/plan history`.").format(
        account=escape(account), create=sum(c.action == "create" for c in counted),
        update=sum(c.action == "update" for c in counted))
