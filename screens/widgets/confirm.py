"""``ConfirmDialog``: asks before a change; Cancel has the focus, and the exact effect is stated."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from backend.i18n import _


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question about one change; dismisses with True only when the operator confirms.

    ``effect`` says exactly what will happen ("Kapka sends POST /api-keys: …"). With
    ``acknowledgement`` the confirm button stays disabled until the operator has typed that text
    (for irreversible changes).
    """

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel"), id="confirm.cancel"),
        Binding("n", "cancel", _("No"), show=False, id="confirm.no"),
    ]

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmDialog #confirm-title { text-style: bold; margin-bottom: 1; }
    ConfirmDialog #confirm-effect { margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 1; }
    """

    def __init__(self, title: str, effect: str | Content, *, confirm_label: str | None = None,
                 acknowledgement: str | None = None) -> None:
        super().__init__()
        self.dialog_title = title
        self.effect = effect
        self.confirm_label = confirm_label or _("Confirm")
        self.acknowledgement = acknowledgement

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.dialog_title, id="confirm-title")
            yield Static(self.effect, id="confirm-effect")
            if self.acknowledgement:
                yield Label(_("This cannot be undone. Type {text} to confirm:").format(
                    text=self.acknowledgement))
                yield Input(id="confirm-ack", placeholder=self.acknowledgement)
            with Horizontal():
                yield Button(_("Cancel"), id="cancel", variant="primary")
                yield Button(self.confirm_label, id="confirm", variant="warning",
                             disabled=bool(self.acknowledgement))

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Input.Changed, "#confirm-ack")
    def _check_acknowledgement(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value.strip() != self.acknowledgement

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
