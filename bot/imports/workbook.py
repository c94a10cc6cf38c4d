"""An uploaded workbook read safely: its cells as plain data, or why it was refused.

An XLSX is a zip of XML. `cells()` checks the zip itself first (size, entries, what it
would unpack to, macros), then reads it with openpyxl (read-only, formulas shown as
formulas) in a short-lived child process with memory and CPU limits and a timeout, so a
hostile file can neither fill `serve`'s memory nor hold its thread. The child imports
openpyxl and nothing of Rumbo's (`python -m bot.imports.workbook`: bytes in, JSON out).
"""

import json
import subprocess
import sys
import zipfile
from datetime import date, datetime, time
from io import BytesIO

MAX_BYTES = 5 * 1024 * 1024  # the file as uploaded
MAX_UNPACKED = 50 * 1024 * 1024  # what its zip would unpack to
MAX_ENTRIES = 500
MAX_ROWS = 2000  # rows of one sheet
MAX_COLUMNS = 40  # columns read per row; further ones are ignored
READ_TIMEOUT = 2.0  # seconds for the child, start-up included
CHILD_MEMORY = 512 * 1024 * 1024
CHILD_CPU_SECONDS = 5

# Why a file was refused (codes; bot/imports/rules.py words them).
TOO_BIG, NOT_XLSX, ZIP_BOMB, MACROS, TOO_MANY_ROWS, FORMULAS, UNREADABLE = (
    "too_big", "not_xlsx", "zip_bomb", "macros", "too_many_rows", "formulas", "unreadable")


class Refused(Exception):
    """The workbook is not read: `code` says why, `detail` what (cells with formulas)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.code, self.detail = code, detail


def check_zip(data: bytes) -> None:
    """Refuse what is not a workbook without macros that unpacks to a sane size."""
    if len(data) > MAX_BYTES:
        raise Refused(TOO_BIG)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Refused(NOT_XLSX) from None
    names = {entry.filename.lower() for entry in entries}
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise Refused(NOT_XLSX)
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise Refused(ZIP_BOMB)
    if "xl/workbook.bin" in names or any(name.endswith("vbaproject.bin") for name in names):
        raise Refused(MACROS)
    try:
        content_types = archive.read("[Content_Types].xml")
    except KeyError:
        raise Refused(NOT_XLSX) from None
    if b"macroenabled" in content_types.lower():
        raise Refused(MACROS)


def cells(data: bytes) -> list[dict]:
    """The workbook's sheets: [{"title", "rows": [[value, …], …]}], values as JSON
    (text, numbers, booleans, None; dates {"date": iso}, moments {"datetime": iso},
    times {"time": iso}). Raises Refused."""
    check_zip(data)
    try:
        done = subprocess.run([sys.executable, "-m", "bot.imports.workbook"], input=data,
                              capture_output=True, timeout=READ_TIMEOUT, check=False,
                              preexec_fn=_limits)  # noqa: PLW1509 (no threads run in it)
    except subprocess.TimeoutExpired:
        raise Refused(UNREADABLE) from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise Refused(UNREADABLE) from None
    if done.returncode != 0 or "refused" in answer:
        raise Refused(answer.get("refused", UNREADABLE), answer.get("detail", ""))
    return answer["sheets"]


def _limits() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))


def _plain(value):
    if isinstance(value, datetime):
        return {"date": value.date().isoformat()} if value.time() == time() else {
            "datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, time):
        return {"time": value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def read(data: bytes) -> dict:
    """In the child: every sheet's cells, or why not."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=False,
                                 keep_links=False)
    except Exception:  # openpyxl raises many kinds on a broken file
        return {"refused": NOT_XLSX}
    sheets: list[dict] = []
    formulas: list[str] = []
    for ws in workbook.worksheets:
        rows: list[list] = []
        for row in ws.iter_rows(max_col=MAX_COLUMNS):
            if len(rows) >= MAX_ROWS:
                return {"refused": TOO_MANY_ROWS, "detail": ws.title}
            values = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(f"{ws.title}!{cell.coordinate}")
                values.append(_plain(getattr(cell, "value", None)))
            while values and values[-1] is None:  # openpyxl pads rows to max_col
                values.pop()
            rows.append(values)
        sheets.append({"title": ws.title, "rows": rows})
    if formulas:
        more = len(formulas) - 5
        return {"refused": FORMULAS,
                "detail": ", ".join(formulas[:5]) + (f" (+{more})" if more > 0 else "")}
    return {"sheets": sheets}


def main() -> None:
    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    json.dump(read(data), sys.stdout)


if __name__ == "__main__":
    main()
