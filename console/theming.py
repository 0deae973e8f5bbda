"""Kapka's themes: defined in ``themes/kapka_themes.toml``, shipped in the wheel as ``console/themes``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from textual.theme import Theme

import console
from backend.errors import KapkaError
from backend.i18n import _

THEMES_FILE = "kapka_themes.toml"
DARK_THEME, LIGHT_THEME = "kapka-dark", "kapka-light"


def themes_dir() -> Path:
    """``themes/``: shipped inside the wheel as ``console/themes``, beside ``console/`` in a checkout."""
    here = Path(console.__file__).parent
    shipped = here / "themes"
    return shipped if shipped.is_dir() else here.parent / "themes"


def load_themes(path: Path | None = None) -> list[Theme]:
    """The themes defined in ``kapka_themes.toml`` (one table per theme, Theme's fields as keys)."""
    path = path or themes_dir() / THEMES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise KapkaError(_("Kapka could not read its themes from {path}: {error}. Reinstall "
                           "Kapka.").format(path=path, error=error), _("Themes")) from error
    themes = []
    for name, fields in data.items():
        try:
            themes.append(Theme(name=name, **fields))
        except (TypeError, ValueError) as error:
            raise KapkaError(_("Theme {name} in {path} is not valid: {error}").format(
                name=name, path=path, error=error), _("Themes")) from error
    return themes


