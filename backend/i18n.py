"""The one translation function for every user-facing string.

English is the source language and the only catalogue so far; Kyrgyz (``ky``) and Russian (``ru``)
catalogues will be compiled into ``backend/locale/<lang>/LC_MESSAGES/kapka.mo``. Strings are marked
with ``_()`` at the point of use, gettext style, so that ``xgettext``/``pybabel extract`` finds them.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "kapka"
LOCALE_DIR = Path(__file__).parent / "locale"

_translation: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str | None = None) -> str:
    """Choose the catalogue; ``None`` follows KAPKA_LANG, then the usual LANGUAGE/LC_ALL/LANG.

    Returns the language code in use ("en" when no catalogue matched).
    """
    global _translation
    wanted = language or os.environ.get("KAPKA_LANG")
    languages = [wanted] if wanted else None
    _translation = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=languages, fallback=True
    )
    info = _translation.info()
    return info.get("language", "en") if info else "en"


def _(message: str) -> str:
    """Translate ``message`` into the operator's language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a message whose form depends on ``count``."""
    return _translation.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it yet (for module-level tables)."""
    return message
