"""The services screen of one client: service descriptions → services → endpoints, as a tree.

``n`` adds a WSDL, OpenAPI 3 or REST description; ``R`` refreshes the selected description after
showing what it adds and removes and the access rights that would be lost; ``e`` enables or
disables it (with a notice for callers); ``p`` edits a service's URL, timeout and TLS check (each
optionally for the whole description); ``+``/``E``/``d`` add, edit and delete REST endpoints.
The actions are in ``screens/services_actions.py``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, Tree

from backend.api.service_models import ServiceDescription
from backend.errors import KapkaError
from backend.i18n import _, ngettext
from screens.base import KapkaScreen, describe_exception
from screens.clients import user_permissions
from screens.clients_render import action_lines
from screens.services_actions import ServiceActions
from screens.services_rules import (
    KIND_WORDS,
    WRITE_ACTIONS,
    Selected,
    endpoint_reason,
    selections,
)
from screens.widgets.error_panel import ErrorPanel
from screens.widgets.tree_state import TreeState, find_node, reveal

ORDER = ("add_description", "refresh", "enable_disable", "edit_service", "add_endpoint",
         "edit_endpoint", "delete")


def open_services(app: Any) -> None:
    """Ask which client (unless there is one), then show its services."""
    from screens.access.chooser import choose_client

    async def run() -> None:
        client = await choose_client(app, _("Services of which client?"))
        if client is not None:
            app.push_screen(ServicesScreen(client))

    if app.server is None:
        app.notify(_("Connect to a security server first (c)."), title=_("Not connected"),
                   severity="warning")
        return
    app.run_worker(run(), group="services-open", exclusive=True, exit_on_error=False)


def description_label(description: ServiceDescription) -> Text:
    state = _("DISABLED") if description.disabled else _("enabled")
    notice = f" ({description.disabled_notice})" if description.disabled and \
        description.disabled_notice else ""
    count = ngettext("{n} service", "{n} services", len(description.services)).format(
        n=len(description.services))
    return Text.assemble((_(KIND_WORDS.get(description.type, description.type)) + " ", "bold"),
                         description.url, f" · {state}{notice} · {count}")


def node_label(selected: Selected) -> Text:
    service, endpoint = selected.service, selected.endpoint
    if endpoint is not None:
        why = endpoint_reason(endpoint)
        tail = (" · " + _("base")) if endpoint.is_base else \
            (" · " + _("generated")) if endpoint.generated else ""
        return Text.assemble((f"{endpoint.method} ", "bold"), endpoint.path,
                             (tail, "italic" if why else ""))
    if service is not None:
        rights = "" if service.subjects_count is None else " · " + ngettext(
            "{n} subject", "{n} subjects", service.subjects_count).format(n=service.subjects_count)
        title = f" {service.title}" if service.title else ""
        return Text.assemble((service.code, "bold"), title,
                             f" · {service.timeout} s{rights}")
    return description_label(selected.description)


def facts(selected: Selected) -> list[Content]:
    def line(label: str, value: str) -> Content:
        return Content.assemble((f"{label:<14}", "$text-muted"), value)

    description = selected.description
    rows = [line(_("Description"), f"{description.type} {description.url}")]
    if description.disabled:
        rows.append(line(_("Disabled"), description.disabled_notice or _("(no notice)")))
    if description.refreshed_at:
        rows.append(line(_("Refreshed"), description.refreshed_at.astimezone()
                         .strftime("%Y-%m-%d %H:%M")))
    service = selected.service
    if service is not None:
        rows.append(line(_("Service"), f"{service.id}"))
        rows.append(line(_("URL"), f"{service.url} · {service.timeout} s · " +
                         (_("TLS verified") if service.ssl_auth else _("TLS not verified"))))
    endpoint = selected.endpoint
    if endpoint is not None:
        why = endpoint_reason(endpoint)
        rows.append(line(_("Endpoint"), f"{endpoint.method} {endpoint.path}" +
                         (f" · {why}" if why else "")))
    return rows


class ServicesScreen(ServiceActions, KapkaScreen):
    """Service descriptions, services and endpoints of ``client_id``."""

    SCREEN_TITLE = _("Services")
    DANGEROUS_ACTIONS = WRITE_ACTIONS

    BINDINGS = [
        Binding("n", "add_description", _("Add"), id="services.add",
                tooltip=_("A WSDL, OpenAPI 3 or REST description")),
        Binding("R", "refresh_description", _("Refresh"), id="services.refresh",
                tooltip=_("Download the description again; shows the changes first")),
        Binding("e", "enable_disable", _("Enable/disable"), id="services.enable",
                tooltip=_("Enable the description, or disable it with a notice")),
        Binding("p", "edit_service", _("Parameters"), id="services.params",
                tooltip=_("URL, timeout and TLS verification of the service")),
        Binding("d,delete", "delete", _("Delete"), id="services.delete",
                tooltip=_("Delete the description (with its services) or the endpoint")),
        Binding("plus", "add_endpoint", _("Add endpoint"), show=False, id="services.add_endpoint"),
        Binding("E", "edit_endpoint", _("Edit endpoint"), show=False, id="services.edit_endpoint"),
        Binding("a", "access", _("Access rights"), show=False, id="services.access"),
        Binding("r", "reload", _("Reload"), show=False, id="services.reload"),
        Binding("escape", "back", _("Back"), show=False, id="services.back"),
    ]

    DEFAULT_CSS = """
    ServicesScreen #services-body { height: 1fr; }
    ServicesScreen #services-tree { height: 1fr; min-height: 5; border: round $primary 50%; }
    ServicesScreen #services-tree:focus { border: round $accent; }
    ServicesScreen #services-detail { height: 9; border: round $primary 30%; padding: 0 1; }
    """

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.descriptions: list[ServiceDescription] = []
        self.selection: Selected | None = None
        self.permissions: frozenset[str] | None = None
        self.wanted: str | None = None
        self.loads = 0
        self.busy = False
        self.generation = 0
        self.loaded_generation = 0
        self._objects: dict[str, Selected] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="services-body"):
            yield ErrorPanel(id="services-error")
            tree: Tree[str] = Tree(_("Services"), id="services-tree")
            tree.show_root = False
            tree.border_title = _("Services of {client}").format(client=self.client_id)
            yield tree
            with VerticalScroll(id="services-detail") as detail:
                detail.border_title = _("Selected: keys and facts")
                yield Static(_("Loading…"), id="services-facts")
        yield from self.compose_footer()

    @property
    def tree(self) -> Tree[str]:
        return self.query_one("#services-tree", Tree)

    def on_mount(self) -> None:
        self.permissions = user_permissions(self.app)
        self.tree.focus()
        self.load()

    @work(exclusive=True, group="services-load", exit_on_error=False)
    async def load(self) -> None:
        server = self.app.server
        panel = self.query_one("#services-error", ErrorPanel)
        generation = self.generation
        self.tree.loading = not self.descriptions
        try:
            found = await server.services.descriptions(self.client_id)
            if self.permissions is None:
                try:
                    self.permissions = frozenset((await server.user()).permissions)
                except KapkaError:
                    self.permissions = None
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message, hint=_("Press r to try again."))
            return
        finally:
            self.tree.loading = False
        panel.clear()
        self.descriptions = sorted(found, key=lambda d: (d.type, d.url))
        self.loads += 1
        self._fill()
        self.loaded_generation = generation

    def _fill(self) -> None:
        """Rebuild the tree; what the operator opened or closed and the cursor's node stay."""
        tree = self.tree
        keep = self.wanted
        self.wanted = None
        state = TreeState.reset(tree)
        self._objects = {}
        nodes: dict[str, Any] = {}
        for selected in selections(self.descriptions):
            ident = selected.ident
            self._objects[ident] = selected
            label = node_label(selected)
            if selected.kind == "description":
                nodes[ident] = tree.root.add(label, data=ident, expand=state.is_expanded(ident))
            elif selected.kind == "service":
                parent = nodes[f"description:{selected.description.id}"]
                assert selected.service is not None
                nodes[ident] = parent.add(
                    label, data=ident, expand=state.is_expanded(ident),
                    allow_expand=selected.description.type != "WSDL"
                    and bool(selected.service.endpoints))
            else:
                assert selected.service is not None
                nodes[f"service:{selected.service.id}"].add_leaf(label, data=ident)
        state.restore(tree, keep)
        self._show()

    def select(self, ident: str) -> bool:
        """Move the cursor to ``description:ID``, ``service:ID`` or ``endpoint:ID`` (its parents
        opened)."""
        node = find_node(self.tree, ident)
        if node is None:
            return False
        reveal(self.tree, node)
        self._show()
        return True

    @on(Tree.NodeHighlighted, "#services-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node is self.tree.cursor_node:
            self._show()

    def _show(self) -> None:
        node = self.tree.cursor_node
        self.selection = self._objects.get(node.data or "") if node is not None else None
        text = self.query_one("#services-facts", Static)
        if self.selection is None:
            text.update(_("No service descriptions yet: add one (n).") if self.loads
                        else _("Loading…"))
        else:
            text.update(Content("\n").join([*facts(self.selection),
                                            *action_lines(self.describe_action, ORDER)]))
        self.refresh_bindings()

    def describe_action(self, action: str) -> tuple[str, str, str | None]:
        for active in self.active_bindings.values():
            if active.node is self and _action_name(active.binding.action) == action:
                return (self.app.get_key_display(active.binding), active.binding.description,
                        self.reason(action))
        return "", "", None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        name = _action_name(action)
        if name in WRITE_ACTIONS:
            return None if self.reason(name) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        name = _action_name(action)
        if name in WRITE_ACTIONS:
            return self.reason(name)
        return super().disabled_reason(action)

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_access(self) -> None:
        from screens.access import AccessRightsScreen

        self.app.push_screen(AccessRightsScreen(self.client_id))

    def action_back(self) -> None:
        self.app.pop_screen()


def _action_name(action: str) -> str:
    """The rules' name of a binding's action (``refresh_description`` is ``refresh``)."""
    return "refresh" if action == "refresh_description" else action

