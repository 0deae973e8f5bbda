"""Where the sandbox keeps its data, and how a data directory is recognised and reset."""

from __future__ import annotations

import shutil
from pathlib import Path

from platformdirs import user_data_path

from backend.errors import KapkaError
from backend.i18n import _

#: a file every sandbox data directory has; ``--reset`` deletes nothing without it
MARKER_NAME = ".kapka-sandbox"
MARKER_TEXT = "Kapka sandbox security server data directory\n"
#: the environment variable with the sandbox administrator's password
PASSWORD_ENV = "KAPKA_SANDBOX_ADMIN_PASSWORD"


def default_data_dir() -> Path:
    """The sandbox data directory of this user: ``<user data dir>/kapka/sandbox``."""
    return user_data_path("kapka") / "sandbox"


def is_sandbox_data_dir(path: Path) -> bool:
    """Whether ``path`` is a directory the sandbox created (it holds the marker file)."""
    marker = path / MARKER_NAME
    try:
        return (path.is_dir() and not path.is_symlink() and marker.is_file()
                and marker.read_text(encoding="utf-8") == MARKER_TEXT)
    except OSError:
        return False


def reset_data_dir(path: Path) -> bool:
    """Delete a sandbox data directory; ``False`` if there was none.

    Refuses (``KapkaError``) anything that does not look like a sandbox data directory.
    """
    if not path.exists() and not path.is_symlink():
        return False
    if not is_sandbox_data_dir(path):
        raise KapkaError(
            _("{path} does not look like a Kapka sandbox data directory (it has no {marker} "
              "file), so it was not deleted.").format(path=path, marker=MARKER_NAME),
            _("Sandbox reset refused"),
        )
    shutil.rmtree(path)
    return True
