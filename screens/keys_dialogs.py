"""The small questions of the keys screen: a PIN, a new PIN, an address, a file, a directory.

Each dialog dismisses with the answer, or None when the operator cancels (escape or Cancel).
Nothing here talks to the server.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from backend.i18n import _
from backend.secret import Secret
from screens.widgets.choices import Choice, bracketed
from screens.widgets.file_picker import FilePicker
from screens.widgets.pin_input import PinInput

CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")


class KeysDialog(ModalScreen[Any]):
    """A bordered question with a title, a text, its fields, a problem line and two buttons."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="keys_dialog.cancel")]

    DEFAULT_CSS = """
    KeysDialog { align: center middle; }
    KeysDialog > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    KeysDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    KeysDialog .dialog-problem { color: $text-error; text-style: bold; height: auto; }
    KeysDialog .dialog-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    KeysDialog .dialog-buttons Button { margin-left: 1; }
    """

    TITLE_TEXT = ""
    OK_LABEL = ""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(self.TITLE_TEXT, classes="dialog-title", markup=False)
            if self.text:
                yield Static(self.text, markup=False)
            yield from self.compose_fields()
            yield Static("", classes="dialog-problem", id="dialog-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(bracketed(_("Cancel")), id="dialog-cancel", compact=True)
                yield Button(bracketed(self.OK_LABEL or _("OK")), id="dialog-ok",
                             variant="primary", compact=True)

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def problem(self, text: str) -> None:
        self.query_one("#dialog-problem", Static).update(text)

    def answer(self) -> Any:
        """The dialog's answer, or None after saying what is missing with ``problem``."""
        raise NotImplementedError

    @on(Button.Pressed, "#dialog-ok")
    def submit(self) -> None:
        result = self.answer()
        if result is not None:
            self.dismiss(result)

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submitted(event.input)

    def submitted(self, field: Input) -> None:
        """Enter in one of the dialog's inputs (fields inside a FilePicker are its own)."""
        self.submit()

    @on(Button.Pressed, "#dialog-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class LoginDialog(KeysDialog):
    """The token PIN, not shown as it is typed."""

    OK_LABEL = _("Log in")

    def __init__(self, token_name: str, status: str = "OK") -> None:
        text = _("Type the PIN of token {token}. After too many wrong PINs the token "
                 "locks.").format(token=token_name)
        if status in ("USER_PIN_FINAL_TRY", "USER_PIN_COUNT_LOW"):
            text += "\n" + (_("Careful: one more wrong PIN locks the token.")
                            if status == "USER_PIN_FINAL_TRY"
                            else _("Careful: few tries are left before the token locks."))
        super().__init__(text)
        self.TITLE_TEXT = _("Log in to {token}").format(token=token_name)

    def compose_fields(self) -> ComposeResult:
        yield Input(password=True, id="login-pin", placeholder=_("PIN (not shown)"))

    def on_mount(self) -> None:
        self.query_one("#login-pin", Input).focus()

    def answer(self) -> Secret | None:
        value = self.query_one("#login-pin", Input).value
        if not value:
            self.problem(_("Type the PIN."))
            return None
        return Secret(value)


class ChangePinDialog(KeysDialog):
    """The current PIN, then the new PIN twice (with X-Road's PIN policy meter)."""

    OK_LABEL = _("Change PIN")

    def __init__(self, token_name: str, *, enforced: bool) -> None:
        super().__init__(_("The new PIN is needed at every login and cannot be recovered; "
                           "autologin files (/etc/xroad/autologin) must be updated too."))
        self.TITLE_TEXT = _("Change the PIN of {token}").format(token=token_name)
        self.enforced = enforced

    def compose_fields(self) -> ComposeResult:
        yield Label(_("Current PIN"))
        yield Input(password=True, id="old-pin", placeholder=_("not shown as you type"))
        yield PinInput(enforced=self.enforced, id="new-pin")

    def on_mount(self) -> None:
        self.query_one("#old-pin", Input).focus()

    def submitted(self, field: Input) -> None:
        if field.id == "old-pin":
            self.query_one("#pin-first", Input).focus()
        else:
            self.submit()

    def answer(self) -> tuple[Secret, Secret] | None:
        old = self.query_one("#old-pin", Input).value
        pin_input = self.query_one(PinInput)
        if not old:
            self.problem(_("Type the current PIN."))
            return None
        new = pin_input.pin
        if new is None:
            self.problem(pin_input.assessment.problem)
            return None
        return Secret(old), new


HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                  r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
IPV6 = re.compile(r"^[0-9A-Fa-f:.]+$")


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a host name or IP address the central server can use."""
    if not address:
        return _("Type this security server's public DNS name or IP address.")
    if "://" in address or "/" in address:
        return _("Type only the host name or IP address, without https:// or a path.")
    if not (HOST.match(address) or (":" in address and IPV6.match(address))):
        return _("{address} is not a host name or an IP address.").format(address=address)
    try:
        loopback = ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        loopback = address.lower() in ("localhost", "localhost.localdomain")
    if loopback:
        return _("{address} is this host's loopback address: the central server and the other "
                 "security servers cannot reach this server there.").format(address=address)
    return None


class AddressDialog(KeysDialog):
    """The address the central server and other security servers reach this server at."""

    OK_LABEL = _("Register")

    def __init__(self, subject: str, *, address: str = "") -> None:
        super().__init__(_("Kapka sends the registration request for {subject} to the central "
                           "server. Type this security server's public DNS name or IP address, "
                           "as other security servers reach it (port 5500). The central server's "
                           "administrators must approve the request.").format(subject=subject))
        self.TITLE_TEXT = _("Register the authentication certificate")
        self.address = address

    def compose_fields(self) -> ComposeResult:
        yield Input(self.address, id="register-address", placeholder=_("ss1.example.kg"))

    def on_mount(self) -> None:
        self.query_one("#register-address", Input).focus()

    def answer(self) -> str | None:
        address = self.query_one("#register-address", Input).value.strip()
        problem = address_problem(address)
        if problem:
            self.problem(problem)
            return None
        return address


class DirectoryDialog(KeysDialog):
    """Where to save something: an existing directory, picked in the file picker or typed, and,
    when ``FORMATS`` lists any, the format to save it in. ``answer`` gives the directory, or
    ``(format, directory)`` with formats."""

    #: (name, label) of each format, the first the default; none: the directory alone
    FORMATS: tuple[tuple[str, str], ...] = ()
    FORMAT_ID = "format"
    PICKER_ID = "directory"
    MISSING = _("Choose an existing directory to save the file in.")

    directory: Path | None = None
    default_format: str | None = None

    def compose_fields(self) -> ComposeResult:
        if self.FORMATS:
            default = self.default_format or self.FORMATS[0][0]
            with RadioSet(id=self.FORMAT_ID, compact=True):
                for name, label in self.FORMATS:
                    yield Choice(label, name == default, name=name, compact=True)
        yield FilePicker(start=self.directory, directories=True, id=self.PICKER_ID)

    def on_mount(self) -> None:
        self.query_one("#picker-path", Input).focus()

    @on(FilePicker.Picked)
    def _picked(self, event: FilePicker.Picked) -> None:
        event.stop()
        self.submit()

    def answer(self) -> Any:
        directory = self.query_one(FilePicker).typed_path
        if directory is None or not directory.is_dir():
            self.problem(self.MISSING)
            return None
        if not self.FORMATS:
            return directory
        pressed = self.query_one(f"#{self.FORMAT_ID}", RadioSet).pressed_button
        names = [name for name, _label in self.FORMATS]
        chosen = pressed.name if pressed is not None and pressed.name in names else names[0]
        return chosen, directory


class DownloadDialog(DirectoryDialog):
    """The CSR's format and the directory to save it in: ``(format, directory)``."""

    OK_LABEL = _("Save")
    FORMATS = (("PEM", _("PEM (text)")), ("DER", _("DER (binary)")))
    FORMAT_ID = "csr-format"
    PICKER_ID = "csr-directory"
    MISSING = _("Choose an existing directory to save the CSR in.")

    def __init__(self, what: str, *, default_format: str = "PEM", directory: Path | None = None
                 ) -> None:
        super().__init__(what)
        self.TITLE_TEXT = _("Save the CSR")
        self.default_format = default_format if default_format in ("PEM", "DER") else "PEM"
        self.directory = directory


class ExistingFileDialog(KeysDialog):
    """Answers with one existing file, picked in the file picker or typed."""

    SUFFIXES: tuple[str, ...] = ()
    PICKER_ID = "file"
    MISSING = _("Choose a file (it must exist).")

    def __init__(self, text: str, title: str, *, start: Path | None = None) -> None:
        super().__init__(text)
        self.TITLE_TEXT = title
        self.start = start

    def compose_fields(self) -> ComposeResult:
        yield FilePicker(start=self.start, suffixes=self.SUFFIXES, id=self.PICKER_ID)

    def on_mount(self) -> None:
        self.query_one("#picker-path", Input).focus()

    @on(FilePicker.Picked)
    def _picked(self, event: FilePicker.Picked) -> None:
        event.stop()
        self.dismiss(event.path)

    def answer(self) -> Path | None:
        path = self.query_one(FilePicker).typed_path
        if path is None or not path.is_file():
            self.problem(self.MISSING)
            return None
        return path


class ImportDialog(ExistingFileDialog):
    """The certificate file the CA sent."""

    OK_LABEL = _("Check and import")
    SUFFIXES = CERTIFICATE_SUFFIXES
    PICKER_ID = "import-file"
    MISSING = _("Choose the certificate file (it must exist).")

    def __init__(self, text: str = "", *, start: Path | None = None) -> None:
        super().__init__(text or _("Choose the certificate file the certification authority "
                                   "issued (PEM or DER). Kapka checks it against the server's "
                                   "keys and CSRs before it imports it."),
                         _("Import a certificate"), start=start)
