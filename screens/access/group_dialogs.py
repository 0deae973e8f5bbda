"""The local-groups screen's questions: a new group's code and description, a new description.

Each dialog dismisses with the answer, or None on cancel; nothing here talks to the server.
"""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from backend.i18n import _
from screens.widgets.choices import bracketed

#: what X-Road accepts in a local group's description (``LocalGroupAdd``, ``LocalGroupDescription``)
DESCRIPTION_PATTERN = re.compile(r"^[a-zA-Z0-9\-_,.;:!? ]*$")
MAX_LENGTH = 255


def code_problem(code: str) -> str | None:
    if not code:
        return _("Give the group a code, e.g. tax-officers.")
    if len(code) > MAX_LENGTH:
        return _("The code is longer than {n} characters.").format(n=MAX_LENGTH)
    if any(char in code for char in ":;/\\%") or code != code.strip():
        return _("The code may not contain : ; / \\ % or spaces around it; rights files name the "
                 "group by its code.")
    return None


def description_problem(description: str) -> str | None:
    if not description:
        return _("Describe the group: who is in it and why.")
    if len(description) > MAX_LENGTH:
        return _("The description is longer than {n} characters.").format(n=MAX_LENGTH)
    if not DESCRIPTION_PATTERN.match(description):
        return _("X-Road accepts only letters a–z, digits, spaces and - _ , . ; : ! ? in a "
                 "description.")
    return None


class GroupDialog(ModalScreen[tuple[str, str] | None]):
    """A new group (code and description), or a new description for ``code``."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="access.group_dialog.cancel")]

    DEFAULT_CSS = """
    GroupDialog { align: center middle; }
    GroupDialog > Vertical {
        width: 72; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    GroupDialog #group-title { text-style: bold; margin-bottom: 1; }
    GroupDialog #group-problem { color: $text-error; text-style: bold; height: auto; }
    GroupDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    GroupDialog Button { margin-left: 1; }
    """

    def __init__(self, client_id: str, *, code: str | None = None, description: str = "") -> None:
        super().__init__()
        self.client_id = client_id
        self.code = code
        self.description = description

    @property
    def editing(self) -> bool:
        return self.code is not None

    def compose(self) -> ComposeResult:
        with Vertical():
            title = (_("Description of local group {code}").format(code=self.code) if self.editing
                     else _("New local group of {client}").format(client=self.client_id))
            yield Label(title, id="group-title", markup=False)
            if not self.editing:
                yield Label(_("Code"))
                yield Input(id="group-code", placeholder="tax-officers", max_length=MAX_LENGTH)
            yield Label(_("Description"))
            yield Input(self.description, id="group-description", max_length=MAX_LENGTH)
            yield Static("", id="group-problem", markup=False)
            with Horizontal():
                yield Button(bracketed(_("Cancel")), id="group-cancel", compact=True)
                yield Button(bracketed(_("Save") if self.editing else _("Add group")),
                             id="group-ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#group-description" if self.editing else "#group-code", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#group-ok")
    def _submit(self) -> None:
        code = self.code if self.editing else self.query_one("#group-code", Input).value.strip()
        description = self.query_one("#group-description", Input).value.strip()
        problem = (None if self.editing else code_problem(code or "")) or \
            description_problem(description)
        if problem:
            self.query_one("#group-problem", Static).update(problem)
            return
        assert code is not None
        self.dismiss((code, description))

    @on(Button.Pressed, "#group-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
