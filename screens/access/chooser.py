"""Which client's access rights: a short list of this server's clients, subsystems first.

``open_access(app, view)`` is what the app's ``a`` key and the palette's "access: …" commands
call; it asks (unless there is one client) and pushes ``AccessRightsScreen``. From the access
rights of another client, the new one takes its place (after asking about staged changes).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from backend.api.service_models import Client
from backend.errors import KapkaError
from backend.i18n import _

#: client statuses shown next to the id when they are not REGISTERED
QUIET_STATUSES = {"REGISTERED", None}


def ordered_clients(clients: list[Client]) -> list[Client]:
    """Subsystems first (they publish services), then members; by id within each."""
    return sorted(clients, key=lambda client: (not client.is_subsystem, client.id))


def client_label(client: Client) -> str:
    name = client.display_name
    label = client.id + (f"  {name}" if name and name != client.id else "")
    if client.status not in QUIET_STATUSES:
        label += f"  [{client.status}]"
    return label


class ClientChooser(ModalScreen[str | None]):
    """Pick a client; dismisses with its id, or None."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="access.chooser.cancel")]

    DEFAULT_CSS = """
    ClientChooser { align: center middle; }
    ClientChooser > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ClientChooser #chooser-title { text-style: bold; margin-bottom: 1; }
    ClientChooser OptionList { height: auto; max-height: 20; }
    ClientChooser #chooser-hint { color: $text-muted; }
    """

    def __init__(self, clients: list[Client], title: str) -> None:
        super().__init__()
        self.clients = ordered_clients([client for client in clients if client.id])
        self.dialog_title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.dialog_title, id="chooser-title", markup=False)
            yield OptionList(*(Option(client_label(client), id=client.id)
                               for client in self.clients), id="chooser-list")
            yield Static(_("enter chooses, escape cancels"), id="chooser-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def choose_client(app: Any, title: str) -> str | None:
    """Ask which client (call from a worker); None when there is none or the operator cancels."""
    try:
        clients = [client for client in await app.server.clients.list() if client.id]
    except KapkaError as error:
        app.notify(error.message, title=error.title, severity="error", markup=False)
        return None
    if not clients:
        app.notify(_("This server has no clients yet; add a subsystem first."),
                   title=_("No clients"), severity="warning")
        return None
    if len(clients) == 1:
        return clients[0].id
    return await app.push_screen_wait(ClientChooser(clients, title))


def open_access(app: Any, view: str = "service") -> None:
    """Ask for a client, then show its access rights in ``view`` (service, subject, matrix)."""
    from screens.access.screen import AccessRightsScreen

    async def run() -> None:
        current = app.screen
        client = await choose_client(app, _("Access rights of which client?"))
        if client is None:
            return
        if not isinstance(current, AccessRightsScreen) or app.screen is not current:
            app.push_screen(AccessRightsScreen(client, view=view))
        elif client != current.client_id:  # another client in place of this one (the same
            # one is on screen already); its staged changes are asked about first
            current.unless_staged(_("Switching to {client}").format(client=client),
                                  lambda: app.switch_screen(AccessRightsScreen(client, view=view)))

    if app.server is None:
        app.notify(_("Connect to a security server first (c)."), title=_("Not connected"),
                   severity="warning")
        return
    app.run_worker(run(), group="access-open", exclusive=True, exit_on_error=False)
