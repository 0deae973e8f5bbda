"""The passphrase prompt of Kapka's encrypted secrets file (nothing typed is ever shown)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from backend.i18n import _


class PassphraseScreen(ModalScreen[str | None]):
    """Asks for the passphrase; with ``create`` it asks twice, for a new file.

    Dismisses with the passphrase, or None when the operator cancels.
    """

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="passphrase.cancel")]

    DEFAULT_CSS = """
    PassphraseScreen { align: center middle; }
    PassphraseScreen > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    PassphraseScreen #passphrase-title { text-style: bold; margin-bottom: 1; }
    PassphraseScreen #passphrase-error { color: $text-error; text-style: bold; }
    PassphraseScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    PassphraseScreen Button { margin-left: 1; }
    """

    def __init__(self, *, where: str, create: bool, error: str | None = None) -> None:
        super().__init__()
        self.where = where
        self.create = create
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.create:
                title = _("Choose a passphrase for Kapka's secrets file")
                text = _("This host has no system keyring, so Kapka keeps API keys in {where}, "
                         "encrypted under a passphrase. Kapka asks for it once per session; it "
                         "cannot be recovered.").format(where=self.where)
            else:
                title = _("Unlock Kapka's secrets")
                text = _("The API keys are in {where}. Type its passphrase.").format(
                    where=self.where)
            yield Label(title, id="passphrase-title", markup=False)
            yield Static(text, markup=False)
            yield Input(password=True, id="passphrase", placeholder=_("passphrase"))
            if self.create:
                yield Input(password=True, id="passphrase-again",
                            placeholder=_("the same passphrase again"))
            yield Label(self.error or "", id="passphrase-error", markup=False)
            with Horizontal():
                yield Button(_("Cancel"), id="passphrase-cancel")
                yield Button(_("Unlock") if not self.create else _("Create"),
                             id="passphrase-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def _problem(self, text: str) -> None:
        self.query_one("#passphrase-error", Label).update(text)

    @on(Input.Submitted, "#passphrase")
    def _first_submitted(self) -> None:
        if self.create:
            self.query_one("#passphrase-again", Input).focus()
        else:
            self._submit()

    @on(Input.Submitted, "#passphrase-again")
    @on(Button.Pressed, "#passphrase-ok")
    def _submit(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        if not passphrase:
            self._problem(_("Type the passphrase (it cannot be empty)."))
            return
        if self.create and passphrase != self.query_one("#passphrase-again", Input).value:
            self._problem(_("The two passphrases differ. Type the same passphrase twice."))
            return
        self.dismiss(passphrase)

    @on(Button.Pressed, "#passphrase-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
