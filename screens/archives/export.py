"""Exports from the archives screens: the directory to write into, the write itself on a worker thread,
and an audit line for each export (who took which evidence out, and where to)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backend.i18n import _
from screens.keys_dialogs import DirectoryDialog
from screens.widgets.file_picker import home


class ExportDirectoryDialog(DirectoryDialog):
    """Where to save an export: an existing directory (an existing file is never overwritten)."""

    OK_LABEL = _("Save")
    PICKER_ID = "export-directory"

    def __init__(self, title: str, text: str, *, directory: Path | None = None) -> None:
        super().__init__(text + " " + _("An existing file is never overwritten; the file is readable by you "
                                        "only."))
        self.TITLE_TEXT = title
        self.directory = directory if directory is not None and directory.is_dir() else home()


def audit(app: Any, action: str, summary: str, **details: Any) -> None:
    """One line in the operator's audit journal (when the app keeps one)."""
    journal = getattr(app, "journal", None)
    record = getattr(journal, "record_local", None)
    if callable(record):
        try:
            record(action, summary, **details)
        except Exception as error:  # an export that happened must not be reported as failed
            app.notify(str(error), title=_("Audit journal"), severity="warning", markup=False)
