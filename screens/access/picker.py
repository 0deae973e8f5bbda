"""``CandidatePicker``: search the server for subjects (or group members) and tick several.

The search runs on the server (``/service-client-candidates`` for subjects, ``/clients`` of the
global configuration for local-group members), a moment after the operator stops typing. Only
what the server found can be chosen: an id it does not know is never offered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from backend.i18n import _, ngettext
from screens.base import describe_exception
from screens.widgets.choices import bracketed


@dataclass(frozen=True)
class Candidate:
    """One search result: what to show, and what it stands for."""

    label: str
    value: Any
    key: str  # its id (to leave out what is already there)


Search = Callable[[str], Awaitable[list[Candidate]]]
SEARCH_DELAY = 0.3  # seconds after the last keystroke


class CandidatePicker(ModalScreen[list[Any] | None]):
    """Tick candidates; dismisses with their values, or None on cancel."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="access.picker.cancel")]

    DEFAULT_CSS = """
    CandidatePicker { align: center middle; }
    CandidatePicker > Vertical {
        width: 90; max-width: 100%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    CandidatePicker #picker-title { text-style: bold; margin-bottom: 1; }
    CandidatePicker SelectionList { height: 1fr; border: round $primary 40%; }
    CandidatePicker SelectionList:focus { border: round $accent; }
    CandidatePicker #picker-status { color: $text-muted; height: auto; }
    CandidatePicker #picker-status.-problem { color: $text-error; text-style: bold; }
    CandidatePicker Horizontal { height: auto; align-horizontal: right; }
    CandidatePicker Button { margin-left: 1; }
    """

    def __init__(self, title: str, search: Search, *, exclude: Collection[str] = (),
                 ok_label: str | None = None, hint: str = "") -> None:
        super().__init__()
        self.dialog_title = title
        self.search = search
        self.exclude = set(exclude)
        self.ok_label = ok_label or _("Add")
        self.hint = hint
        self.found: dict[str, Candidate] = {}
        self.chosen: dict[str, Candidate] = {}  # kept across searches
        self.searches = 0  # finished searches (for tests)
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.dialog_title, id="picker-title", markup=False)
            yield Input(placeholder=self.hint or _("Search by id, code or name"),
                        id="picker-search")
            yield SelectionList[str](id="picker-list")
            yield Static("", id="picker-status", markup=False)
            with Horizontal():
                yield Button(bracketed(_("Cancel")), id="picker-cancel", compact=True)
                yield Button(bracketed(self.ok_label), id="picker-ok", variant="primary",
                             compact=True, disabled=True)

    def on_mount(self) -> None:
        self.query_one("#picker-search", Input).focus()
        self.run_search("")

    @on(Input.Changed, "#picker-search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(SEARCH_DELAY, lambda: self.run_search(event.value))

    @on(Input.Submitted, "#picker-search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.run_search(event.value)
        self.query_one("#picker-list", SelectionList).focus()

    def _status(self, text: str, *, problem: bool = False) -> None:
        status = self.query_one("#picker-status", Static)
        status.update(text)
        status.set_class(problem, "-problem")

    @work(exclusive=True, group="picker-search", exit_on_error=False)
    async def run_search(self, text: str) -> None:
        self._status(_("Searching…"))
        try:
            found = await self.search(text.strip())
        except Exception as error:  # said in the dialog; the operator may search again
            title, message = describe_exception(error)
            self._status(f"{title}: {message}", problem=True)
            self.searches += 1
            return
        self.found = {candidate.key: candidate for candidate in found
                      if candidate.key not in self.exclude}
        selection = self.query_one("#picker-list", SelectionList)
        selection.clear_options()
        options = {**self.chosen, **self.found}
        selection.add_options([Selection(candidate.label, key, key in self.chosen)
                               for key, candidate in options.items()])
        if options:  # the cursor on the first line found, so that space ticks it at once
            keys = list(options)
            selection.highlighted = next((keys.index(key) for key in self.found), 0)
        self.searches += 1
        if not self.found:
            self._status(_("Nothing matches {text}; the server knows no such subject. Check the "
                           "spelling, or search by another part of the id or name.").format(
                text=repr(text.strip())) if text.strip() else _("The server offers no candidates."),
                problem=bool(text.strip()))
        else:
            self._status(self._summary())

    def _summary(self) -> str:
        return ngettext("{found} found, {chosen} chosen", "{found} found, {chosen} chosen",
                        len(self.found)).format(found=len(self.found), chosen=len(self.chosen))

    @on(SelectionList.SelectedChanged, "#picker-list")
    def _changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        selected = set(event.selection_list.selected)
        options = {**self.chosen, **self.found}
        self.chosen = {key: options[key] for key in options if key in selected}
        self.query_one("#picker-ok", Button).disabled = not self.chosen
        if self.found:
            self._status(self._summary())

    def choose(self, *keys: str) -> None:
        """Tick these candidates (for tests and scripted use)."""
        selection = self.query_one("#picker-list", SelectionList)
        for key in keys:
            selection.select(key)

    @on(Button.Pressed, "#picker-ok")
    def _ok(self) -> None:
        if self.chosen:
            self.dismiss([candidate.value for candidate in self.chosen.values()])

    @on(Button.Pressed, "#picker-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
