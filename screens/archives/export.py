"""Exports from the archives screens: the directory to write into, the write itself on a worker thread,
and an audit line for each export (who took which evidence out, and where to)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from backend.i18n import _
from screens.keys_dialogs import KeysDialog
from screens.widgets.file_picker import FilePicker, home


class DirectoryDialog(KeysDialog):
    """Where to save an export: an existing directory (an existing file is never overwritten)."""

    OK_LABEL = _("Save")

    def __init__(self, title: str, text: str, *, directory: Path | None = None) -> None:
        super().__init__(text + " " + _("An existing file is never overwritten; the file is readable by you "
                                        "only."))
        self.TITLE_TEXT = title
        self.directory = directory if directory is not None and directory.is_dir() else home()

    def compose_fields(self) -> ComposeResult:
        yield FilePicker(start=self.directory, directories=True, id="export-directory")

    def on_mount(self) -> None:
        self.query_one("#picker-path", Input).focus()

    @on(FilePicker.Picked)
    def _picked(self, event: FilePicker.Picked) -> None:
        event.stop()
        self.submit()

    def answer(self) -> Path | None:
        directory = self.query_one(FilePicker).typed_path
        if directory is None or not directory.is_dir():
            self.problem(_("Choose an existing directory to save the file in."))
            return None
        return directory


def audit(app: Any, action: str, summary: str, **details: Any) -> None:
    """One line in the operator's audit journal (when the app keeps one)."""
    journal = getattr(app, "journal", None)
    record = getattr(journal, "record_local", None)
    if callable(record):
        try:
            record(action, summary, **details)
        except Exception as error:  # an export that happened must not be reported as failed
            app.notify(str(error), title=_("Audit journal"), severity="warning", markup=False)
