"""Every user-facing string is in the catalogs, translated to Spanish, and compiled."""

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.platform.i18n import language_from_locale

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "bot" / "locale"
PO = LOCALE / "es" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|`[^`]+`")


def extracted_ids(tmp_path) -> set:
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", str(ROOT / "babel.cfg"), "-k", "N_", "-k", "n_:1,2", "-o", str(pot),
                    str(ROOT / "bot")], check=True, capture_output=True)
    return {m.id for m in read_po(pot.open("rb")) if m.id}


def test_every_string_in_the_code_is_translated(tmp_path):
    catalog = read_po(PO.open("rb"))
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy
                  and (isinstance(m.string, str) or all(m.string))}
    missing = {str(i) for i in extracted_ids(tmp_path)} - {str(i) for i in translated}
    assert not missing, f"untranslated (run scripts/i18n and translate): {sorted(missing)}"


def test_translations_keep_placeholders_and_commands():
    for message in read_po(PO.open("rb")):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == expected, message.id


def test_the_compiled_catalog_matches_the_po_file():
    def entries(catalog):
        return {_tuple(m.id): _tuple(m.string) for m in catalog if m.id}

    po = entries(read_po(PO.open("rb")))
    mo = entries(read_mo(PO.with_suffix(".mo").open("rb")))
    assert po == mo, "run scripts/i18n to compile the catalog"


def _tuple(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_spanish_follows_the_seed():
    spanish = gettext.translation("messages", LOCALE, languages=["es"])
    assert spanish.gettext("Where are we?") == "¿Dónde estamos?"
    assert spanish.gettext("What changes must be made?") == "¿Qué cambios deben hacerse?"
    assert spanish.gettext("Customer experience") == "Experiencia del cliente"
    assert spanish.ngettext("{count} idea so far", "{count} ideas so far", 1) != \
        spanish.ngettext("{count} idea so far", "{count} ideas so far", 2)


def test_no_translated_string_hides_inside_an_f_string():
    """pybabel cannot extract `_('…')` written inside an f-string: it would stay English."""
    hidden = []
    for path in (ROOT / "bot").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\{_\(['\"]", line):
                hidden.append(f"{path.relative_to(ROOT)}:{number}")
    assert not hidden, hidden


def test_no_translated_string_hides_behind_a_call_babel_cannot_see():
    """pybabel extracts `_('…')`, not `gettext_for(lang)('…')` nor `act.gettext()('…')`."""
    hidden = []
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"gettext(?:_for)?\([^()]*\)\(\s*['\"]", text):
            hidden.append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}")
    assert not hidden, hidden


@pytest.mark.parametrize(("locale", "lang"), [("es-ES", "es"), ("es-LA", "es"), ("en-US", "en"),
                                              ("pt-BR", "en"), (None, "en")])
def test_language_from_locale(locale, lang):
    assert language_from_locale(locale) == lang
