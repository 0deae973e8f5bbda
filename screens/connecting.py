"""Shown while Kapka connects with a saved profile at start-up."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Label, LoadingIndicator

from backend.i18n import _
from screens.base import KapkaScreen


class ConnectingScreen(KapkaScreen):
    """"Connecting to … ", with escape to give up and open the connect screen."""

    SCREEN_TITLE = _("Connecting")

    BINDINGS = [Binding("escape", "give_up", _("Connect screen"), id="connecting.cancel")]

    DEFAULT_CSS = """
    ConnectingScreen #connecting { height: 1fr; align: center middle; }
    ConnectingScreen LoadingIndicator { height: 3; }
    """

    def __init__(self, profile_name: str, url: str) -> None:
        super().__init__()
        self.profile_name = profile_name
        self.url = url

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="connecting"):
            with Center():
                yield Label(_("Connecting with profile {name} to {url}…").format(
                    name=self.profile_name, url=self.url), id="connecting-label", markup=False)
            yield LoadingIndicator()
        yield from self.compose_footer()

    def action_give_up(self) -> None:
        self.app.give_up_connecting()
