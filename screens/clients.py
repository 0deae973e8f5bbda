"""The clients screen: this server's members with their subsystems, their status, and what to do.

Enter opens a client's detail view (services, access rights, local groups, TLS certificates).
Every action follows the client's status, the caller's permissions (``GET /user``) and the server's
version; a disabled action is dimmed and says why. A client waiting for the central server shows
since when, and the list is read again every ``POLL_SECONDS`` until it no longer waits. The actions
themselves are in ``screens/clients_actions.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tree

from backend.api.service_models import Client
from backend.errors import KapkaError
from backend.i18n import _
from screens.base import KapkaScreen, describe_exception
from screens.clients_actions import ClientActions
from screens.clients_pending import POLL_SECONDS, PendingClock
from screens.clients_render import ACTION_ORDER, client_facts, client_label, member_label
from screens.clients_rules import CLIENT_ACTIONS, IN_PROGRESS, WRITE_ACTIONS, MemberGroup, grouped
from screens.widgets.error_panel import ErrorPanel
from screens.widgets.tree_state import TreeState, find_node, reveal


def user_permissions(app: Any) -> frozenset[str] | None:
    identity = getattr(app, "identity", None)
    return frozenset(identity.user.permissions) if identity is not None else None


class ClientsScreen(ClientActions, KapkaScreen):
    """Members and subsystems of the connected security server."""

    SCREEN_TITLE = _("Clients")
    DANGEROUS_ACTIONS = WRITE_ACTIONS

    BINDINGS = [
        Binding("enter", "open_detail", _("Open"), id="clients.open",
                tooltip=_("The client's details: services, access rights, local groups, TLS")),
        Binding("n", "add_client", _("Add"), id="clients.add",
                tooltip=_("Add a member or subsystem from the global configuration")),
        Binding("R", "register", _("Register"), id="clients.register",
                tooltip=_("Check what X-Road needs, then send the registration request")),
        Binding("d,delete", "remove", _("Remove"), id="clients.remove",
                tooltip=_("Unregister and delete the client, and its keys if none is left")),
        Binding("r", "refresh", _("Refresh"), id="clients.refresh"),
        Binding("c", "connection_type", _("Connection"), show=False, id="clients.connection",
                tooltip=_("HTTP, HTTPS or HTTPS without the information system's certificate")),
        Binding("t", "tls", _("TLS certs"), show=False, id="clients.tls",
                tooltip=_("The information systems' TLS certificates")),
        Binding("e", "disable_enable", _("Disable/enable"), show=False, id="clients.disable",
                tooltip=_("Disable a registered subsystem, or enable a disabled one")),
        Binding("f2", "rename", _("Rename"), show=False, id="clients.rename",
                tooltip=_("A subsystem's name (X-Road 7.7 or later)")),
        Binding("s", "services", _("Services"), show=False, id="clients.services"),
        Binding("a", "access", _("Access rights"), show=False, id="clients.access"),
        Binding("g", "local_groups", _("Local groups"), show=False, id="clients.local_groups"),
        Binding("escape", "back", _("Back"), show=False, id="clients.back"),
    ]

    DEFAULT_CSS = """
    ClientsScreen #clients-body { height: 1fr; }
    ClientsScreen #clients-tree { height: 1fr; min-height: 5; border: round $primary 50%; }
    ClientsScreen #clients-tree:focus { border: round $accent; }
    ClientsScreen #clients-detail { height: 9; border: round $primary 30%; padding: 0 1; }
    """

    def __init__(self, *, select: str | None = None) -> None:
        super().__init__()
        self.clients: list[Client] = []
        self.groups: list[MemberGroup] = []
        self.permissions: frozenset[str] | None = None
        self.selected: str | None = select
        self.wanted = select
        self.loads = 0
        self.busy = False
        self.generation = 0
        self.loaded_generation = 0
        self.clock: PendingClock | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="clients-body"):
            yield ErrorPanel(id="clients-error")
            tree: Tree[str] = Tree(_("Clients"), id="clients-tree")
            tree.show_root = False
            tree.border_title = _("Members and their subsystems")
            yield tree
            with VerticalScroll(id="clients-detail") as detail:
                detail.border_title = _("Selected: keys and facts")
                yield Static(_("Loading…"), id="clients-facts")
        yield from self.compose_footer()

    @property
    def tree(self) -> Tree[str]:
        return self.query_one("#clients-tree", Tree)

    def on_mount(self) -> None:
        self.clock = PendingClock(getattr(self.app, "journal", None))
        self.permissions = user_permissions(self.app)
        self.tree.focus()
        self.set_interval(1.0, self._tick)
        self.load()

    # -- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="clients-load", exit_on_error=False)
    async def load(self) -> None:
        server = getattr(self.app, "server", None)
        panel = self.query_one("#clients-error", ErrorPanel)
        if server is None:
            panel.show_error(title=_("Not connected"), message=_(
                "Kapka is not connected to a security server. Press c to connect."))
            return
        generation = self.generation
        self.tree.loading = not self.clients
        try:
            clients = await server.clients.list()
            if self.permissions is None:
                self.permissions = await self._read_permissions(server)
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message,
                             hint=_("Press r (or Retry) to try again."))
            return
        finally:
            self.tree.loading = False
        panel.clear()
        self.clients = [client for client in clients if client.id]
        assert self.clock is not None
        for client in self.clients:
            self.clock.note(client.id, client.status)
        self.loads += 1
        self._fill()
        self.loaded_generation = generation
        if self.clock.waiting:
            self.poll_later()

    @work(exclusive=True, group="clients-poll", exit_on_error=False)
    async def poll_later(self) -> None:
        await asyncio.sleep(POLL_SECONDS)
        if not self.is_current:
            self.reload_on_resume = True  # read again when the operator comes back
        elif not self.busy:
            self.load()

    async def _read_permissions(self, server: Any) -> frozenset[str] | None:
        try:
            return frozenset((await server.user()).permissions)
        except KapkaError:
            return None  # not known: the server decides, and says so

    def _fill(self) -> None:
        """Rebuild the tree; what the operator opened or closed and the cursor's node stay."""
        tree = self.tree
        keep = self.wanted or self.selected
        self.wanted = None
        state = TreeState.reset(tree)
        self.groups = grouped(self.clients)
        for group in self.groups:
            ident = group.member.id if group.member else f"member:{group.member_id}"
            node = tree.root.add(member_label(group, self._pending(group.member)), data=ident,
                                 expand=state.is_expanded(ident),
                                 allow_expand=bool(group.subsystems))
            for client in group.subsystems:
                node.add_leaf(client_label(client, self._pending(client)), data=client.id)
        state.restore(tree, keep)
        self._show()

    def _pending(self, client: Client | None) -> str:
        if client is None or self.clock is None:
            return ""
        return self.clock.text(client.id, client.status)

    def _tick(self) -> None:
        """The pending timers move every second (labels only; nothing is read)."""
        if self.clock is None or not self.clock.waiting:
            return
        for line in range(self.tree.last_line + 1):
            node = self.tree.get_node_at_line(line)
            client = self.client_by_id(node.data) if node is not None else None
            if node is not None and client is not None and client.status in IN_PROGRESS:
                group = next((g for g in self.groups if g.member is client), None)
                node.set_label(member_label(group, self._pending(client)) if group
                               else client_label(client, self._pending(client)))
        self._show()

    def select(self, client_id: str) -> bool:
        """Move the cursor to ``client_id`` (its member opened)."""
        node = find_node(self.tree, client_id)
        if node is None:
            return False
        reveal(self.tree, node)
        self._show()
        return True

    # -- the selection ----------------------------------------------------------------------------

    def client_by_id(self, client_id: str | None) -> Client | None:
        return next((client for client in self.clients if client.id == client_id), None)

    def current_client(self) -> Client | None:
        node = self.tree.cursor_node if self.is_mounted else None
        return self.client_by_id(node.data) if node is not None else None

    def local_clients(self) -> list[Client]:
        return list(self.clients)

    @on(Tree.NodeHighlighted, "#clients-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node is self.tree.cursor_node:
            self._show()

    @on(Tree.NodeSelected, "#clients-tree")
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if self.current_client() is not None:
            self.action_open_detail()

    def _show(self) -> None:
        client = self.current_client()
        node = self.tree.cursor_node
        self.selected = node.data if node is not None else None
        facts = self.query_one("#clients-facts", Static)
        if client is None:
            if not self.loads and not self.clients:
                facts.update(_("Loading…"))
            elif node is not None and node.data:
                facts.update(_("{member} is not a client of this server itself; its subsystems "
                               "are.").format(member=str(node.data).removeprefix("member:")))
            else:
                facts.update(_("No clients yet: add one (n)."))
        else:
            facts.update(Content("\n").join(client_facts(
                client, self._pending(client), self.describe_action, ACTION_ORDER)))
        self.refresh_bindings()

    def describe_action(self, action: str) -> tuple[str, str, str | None]:
        """(key, description, reason) of an action, with the keymap applied."""
        for active in self.active_bindings.values():
            if active.node is self and active.binding.action == action:
                return (self.app.get_key_display(active.binding), active.binding.description,
                        self.reason(action))
        return "", "", None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CLIENT_ACTIONS or action == "add_client":
            return None if self.reason(action) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action in CLIENT_ACTIONS or action == "add_client":
            return self.reason(action)
        return super().disabled_reason(action)

    # -- navigation -------------------------------------------------------------------------------

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_open_detail(self) -> None:
        from screens.client_detail import ClientDetailScreen

        client = self.current_client()
        if client is None:
            self.notify(_("Select a client first."), severity="warning")
            return
        self.reload_on_resume = True
        self.app.push_screen(ClientDetailScreen(client.id))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            show = getattr(self.app, "show_dashboard", None)
            if callable(show):
                show()

    def on_screen_resume(self) -> None:
        if self.reload_on_resume:  # back from a client's detail view, services, TLS…
            self.reload_on_resume = False
            self.load()

