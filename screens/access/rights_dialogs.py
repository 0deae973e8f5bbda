"""The access-rights screen's questions: a rights file to plan, where to export, whom to copy.

Each dialog dismisses with the answer, or None on cancel; nothing here talks to the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Label, Select

from backend.i18n import _
from screens.access.matrix_model import MatrixModel, kind_word
from screens.keys_dialogs import DirectoryDialog, ExistingFileDialog, KeysDialog

RIGHTS_SUFFIXES = (".toml", ".csv")


class RightsFileDialog(ExistingFileDialog):
    """A rights file (TOML or CSV, as ``kapka acl export`` writes) to compare with the server."""

    OK_LABEL = _("Plan")
    SUFFIXES = RIGHTS_SUFFIXES
    PICKER_ID = "rights-file"
    MISSING = _("Choose the rights file (it must exist).")

    def __init__(self, *, start: Path | None = None) -> None:
        super().__init__(_("Choose a rights file (TOML or CSV). Kapka compares it with the server "
                           "and shows the changes; nothing is sent until you apply them."),
                         _("Plan a rights file"), start=start)


class ExportDialog(DirectoryDialog):
    """The format (TOML or CSV) and the directory for the client's rights: ``(format, directory)``."""

    OK_LABEL = _("Export")
    FORMATS = (("toml", _("TOML (reviewable, with names as comments)")),
               ("csv", _("CSV (one right a line, for spreadsheets)")))
    FORMAT_ID = "export-format"
    PICKER_ID = "export-directory"

    def __init__(self, client_id: str, *, directory: Path | None = None) -> None:
        super().__init__(_("Every service of {client} with the subjects that may call it, and "
                           "the REST endpoints with rights of their own. An existing file is "
                           "never overwritten.").format(client=client_id))
        self.TITLE_TEXT = _("Export the access rights")
        self.directory = directory


class CopyDialog(KeysDialog):
    """Whose rights to copy, and to whom (subjects of the screen; + adds another one first)."""

    OK_LABEL = _("Plan the copy")

    def __init__(self, model: MatrixModel) -> None:
        super().__init__(_("The second subject gets every right of the first one that it lacks, "
                           "on this client's services and REST endpoints. Nothing is revoked. "
                           "To copy to a subject not listed, add it first (+)."))
        self.TITLE_TEXT = _("Copy access rights")
        self.model = model

    def _options(self, *, holders_only: bool) -> list[tuple[str, str]]:
        holders = {subject for _service, subject in self.model.rights}
        return [(f"{col.label} ({kind_word(col.kind)})", col.id) for col in self.model.subjects
                if not holders_only or col.id in holders]

    def compose_fields(self) -> ComposeResult:
        yield Label(_("Copy the rights of"))
        yield Select[str](self._options(holders_only=True), id="copy-from",
                          prompt=_("a subject with rights"))
        yield Label(_("to"))
        yield Select[str](self._options(holders_only=False), id="copy-to",
                          prompt=_("the subject that gets them"))

    def on_mount(self) -> None:
        self.query_one("#copy-from", Select).focus()

    def answer(self) -> tuple[str, str] | None:
        source: Any = self.query_one("#copy-from", Select).value
        dest: Any = self.query_one("#copy-to", Select).value
        if not isinstance(source, str) or not isinstance(dest, str):
            self.problem(_("Choose both subjects."))
            return None
        if source == dest:
            self.problem(_("Choose two different subjects."))
            return None
        return source, dest
