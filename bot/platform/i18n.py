"""Translations: gettext catalogs (bot/locale), English source strings, Spanish catalog.

Builders ask for `gettext_for(lang)` and wrap every user-facing string in `_()`;
module-level constants are marked with `N_()` and translated where they are shown.
"""

import gettext
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:  # noqa: N802  (the conventional gettext marker name)
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


@cache
def translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])


def gettext_for(lang: str):
    return translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).gettext


def ngettext_for(lang: str):
    return translations(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).ngettext


def language_from_locale(locale: str | None) -> str:
    """Slack locales look like 'es-ES' or 'es-LA'; anything Spanish gets Spanish."""
    if locale and locale.lower().startswith("es"):
        return "es"
    return DEFAULT_LANGUAGE
