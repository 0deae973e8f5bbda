"""The yardstick: the smallest Textual app that paints a line of text."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class Minimal(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("minimal-app-ready")


if __name__ == "__main__":
    Minimal().run()
