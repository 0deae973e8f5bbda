"""``FilePicker``: choose a file (or a directory) on this host, by typing its path or browsing.

The tree starts in the operator's home directory and lists directories and files with the given
suffixes; hidden entries are left out. A typed path may be anything: ``~`` is the home directory,
and a typed directory moves the tree there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DirectoryTree, Input, Static

from backend.i18n import _


class FilteredTree(DirectoryTree):
    """A directory tree with directories and files of some suffixes, hidden entries left out."""

    def __init__(self, path: str | Path, *, suffixes: Sequence[str], directories_only: bool,
                 id: str | None = None) -> None:
        self.suffixes = tuple(suffix.lower() for suffix in suffixes)
        self.directories_only = directories_only
        super().__init__(path, id=id)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        for path in paths:
            if path.name.startswith("."):
                continue
            wanted_file = not self.directories_only and (
                not self.suffixes or path.name.lower().endswith(self.suffixes))
            if wanted_file or self._safe_is_dir(path):
                yield path


class PathInput(Input):
    """The picker's path field. A path is one line: a paste of several lines (a PEM
    certificate, say) is not cut to its first line here but left to the picker's container."""

    def _on_paste(self, event: events.Paste) -> None:
        if len(event.text.splitlines()) > 1:
            event.prevent_default()  # Input would insert the first line; the event bubbles on
            return


def home() -> Path:
    try:
        return Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        return Path("/")


class FilePicker(Vertical):
    """A path input over a directory tree; posts ``Picked`` when the operator chooses."""

    DEFAULT_CSS = """
    FilePicker { height: auto; }
    FilePicker FilteredTree { height: 8; border: round $primary 40%; }
    FilePicker FilteredTree:focus { border: round $accent; }
    FilePicker #picker-note { color: $text-muted; height: auto; }
    FilePicker #picker-note.-problem { color: $text-error; }
    """

    class Picked(Message):
        """A file (or, for a directory picker, a directory) was chosen."""

        def __init__(self, picker: FilePicker, path: Path) -> None:
            super().__init__()
            self.picker = picker
            self.path = path

        @property
        def control(self) -> FilePicker:
            return self.picker

    def __init__(self, *, start: Path | None = None, suffixes: Sequence[str] = (),
                 directories: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.start = start or home()
        self.suffixes = tuple(suffixes)
        self.directories = directories

    def compose(self) -> ComposeResult:
        start = str(self.start)
        yield PathInput(start if self.directories else start.rstrip("/") + "/",
                        id="picker-path", placeholder=_("a path; ~ is your home directory"))
        yield FilteredTree(self.start, suffixes=self.suffixes, directories_only=self.directories,
                           id="picker-tree")
        yield Static(self._default_note(), id="picker-note", markup=False)

    def _default_note(self) -> str:
        if self.directories:
            return _("Type a directory, or pick one in the tree (enter opens it).")
        shown = ", ".join(self.suffixes) if self.suffixes else _("all files")
        return _("Type a path and press enter, or pick a file in the tree ({shown}; a typed "
                 "path may have any name).").format(shown=shown)

    @property
    def path_input(self) -> Input:
        return self.query_one("#picker-path", Input)

    @property
    def tree(self) -> FilteredTree:
        return self.query_one("#picker-tree", FilteredTree)

    @property
    def typed_path(self) -> Path | None:
        value = self.path_input.value.strip()
        return Path(value).expanduser() if value else None

    def note(self, text: str, *, problem: bool = False) -> None:
        note = self.query_one("#picker-note", Static)
        note.update(text or self._default_note())
        note.set_class(problem, "-problem")

    def on_paste(self, event: events.Paste) -> None:
        """Several lines pasted (the path field leaves them alone): say why nothing changed. The
        event bubbles on: the picker's container may take them (a certificate step a PEM)."""
        lines = len(event.text.splitlines())
        if lines > 1:
            self.note(_("The pasted text has {n} lines; a path has one.").format(n=lines),
                      problem=True)

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.path_input.value = str(event.path)
        self.note("")
        self.post_message(self.Picked(self, event.path))

    @on(DirectoryTree.DirectorySelected)
    def _directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.path_input.value = str(event.path) if self.directories else str(event.path) + "/"

    @on(Input.Submitted, "#picker-path")
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        path = self.typed_path
        if path is None:
            self.note(_("Type a path first."), problem=True)
            return
        if path.is_dir():
            if self.directories:
                self.note("")
                self.post_message(self.Picked(self, path))
            else:
                self.tree.path = path
                self.note(_("Showing {path}.").format(path=path))
            return
        if self.directories:
            self.note(_("{path} is not a directory.").format(path=path), problem=True)
            return
        if not path.exists():
            self.note(_("There is no file {path}.").format(path=path), problem=True)
            return
        self.note("")
        self.post_message(self.Picked(self, path))
