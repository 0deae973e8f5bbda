"""``ErrorPanel``: an error's title and message, with what to do, and a Retry button."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Static

from backend.errors import KapkaError
from backend.i18n import _
from screens.widgets.choices import bracketed


class ErrorPanel(Vertical):
    """Hidden until ``show_error``; pressing Retry posts ``ErrorPanel.Retry``."""

    DEFAULT_CSS = """
    ErrorPanel {
        display: none;
        height: auto;
        border: heavy $error;
        padding: 0 1;
        margin-bottom: 1;
    }
    ErrorPanel.-visible { display: block; }
    ErrorPanel #error-title { text-style: bold; color: $text-error; }
    ErrorPanel #error-message { margin-bottom: 1; }
    ErrorPanel Horizontal { height: auto; }
    ErrorPanel Button { margin-right: 1; }
    """

    class Retry(Message):
        """The operator asked to try again."""

    def __init__(self, *, retry_label: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.retry_label = retry_label or _("Retry")
        self.error_title = ""
        self.error_message = ""

    def compose(self) -> ComposeResult:
        yield Label("", id="error-title")
        yield Static("", id="error-message", markup=False)
        with Horizontal():
            yield Button(bracketed(self.retry_label), id="error-retry", variant="primary",
                         compact=True)

    def show_error(self, error: KapkaError | None = None, *, title: str | None = None,
                   message: str | None = None, hint: str | None = None) -> None:
        self.error_title = title or (error.title if error else _("Error"))
        self.error_message = message or (error.message if error else "")
        if hint:
            self.error_message = f"{self.error_message}\n{hint}"
        self.query_one("#error-title", Label).update(self.error_title)
        self.query_one("#error-message", Static).update(self.error_message)
        self.add_class("-visible")
        self.border_title = _("Problem")

    def clear(self) -> None:
        self.error_title = self.error_message = ""
        self.remove_class("-visible")

    @property
    def visible(self) -> bool:
        return self.has_class("-visible")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "error-retry":
            event.stop()
            self.post_message(self.Retry())
