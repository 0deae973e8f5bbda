"""One client in detail: its status (and how long it has waited), connection, signing and TLS
certificates, services; from here ``s`` opens its services, ``a`` its access rights, ``g`` its
local groups and ``t`` its information systems' TLS certificates.

While the client waits for the central server it is read again every ``POLL_SECONDS`` and the
"pending since" timer moves every second.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from backend.api.errors import NotFound
from backend.api.service_models import Client
from backend.errors import KapkaError
from backend.i18n import _, ngettext
from screens.base import KapkaScreen, describe_exception
from screens.clients import user_permissions
from screens.clients_actions import ClientActions
from screens.clients_pending import POLL_SECONDS, PendingClock, recovery_text
from screens.clients_render import client_facts
from screens.clients_rules import CLIENT_ACTIONS, IN_PROGRESS, WRITE_ACTIONS
from screens.dashboard_render import days_left
from screens.widgets.error_panel import ErrorPanel

DETAIL_ORDER = ("services", "access", "local_groups", "tls", "register", "remove",
                "connection_type", "disable_enable", "rename")


class ClientDetailScreen(ClientActions, KapkaScreen):
    """The client ``client_id`` of the connected server."""

    SCREEN_TITLE = _("Client")
    DANGEROUS_ACTIONS = WRITE_ACTIONS

    BINDINGS = [
        Binding("s", "services", _("Services"), id="client.services",
                tooltip=_("Service descriptions, services and endpoints")),
        Binding("a", "access", _("Access rights"), id="client.access",
                tooltip=_("Who may call which of its services")),
        Binding("g", "local_groups", _("Local groups"), id="client.local_groups"),
        Binding("t", "tls", _("TLS certs"), id="client.tls",
                tooltip=_("The information systems' TLS certificates")),
        Binding("R", "register", _("Register"), id="client.register"),
        Binding("d,delete", "remove", _("Remove"), show=False, id="client.remove",
                tooltip=_("Unregister and delete the client, and its keys if none is left")),
        Binding("c", "connection_type", _("Connection"), show=False, id="client.connection"),
        Binding("e", "disable_enable", _("Disable/enable"), show=False, id="client.disable"),
        Binding("f2", "rename", _("Rename"), show=False, id="client.rename"),
        Binding("r", "refresh", _("Refresh"), show=False, id="client.refresh"),
        Binding("escape", "back", _("Back"), id="client.back"),
    ]

    DEFAULT_CSS = """
    ClientDetailScreen #client-body { height: 1fr; border: round $primary 50%; padding: 0 1; }
    ClientDetailScreen #client-recovery { color: $text-muted; margin-top: 1; height: auto; }
    ClientDetailScreen #client-recovery.-overdue { color: $text; text-style: bold; }
    """

    def __init__(self, client_id: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.client: Client | None = None
        self.extra: list[Content] = []
        self.permissions: frozenset[str] | None = None
        self.loads = 0
        self.busy = False
        self.generation = 0
        self.loaded_generation = 0
        self.gone = False
        self.clock: PendingClock | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield ErrorPanel(id="client-error")
        with VerticalScroll(id="client-body") as body:
            body.border_title = self.client_id
            yield Static(_("Loading…"), id="client-facts")
            yield Static("", id="client-recovery", markup=False)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.clock = PendingClock(getattr(self.app, "journal", None))
        self.permissions = user_permissions(self.app)
        self.set_interval(1.0, self._show)
        self.load()

    def current_client(self) -> Client | None:
        return self.client

    # -- loading ----------------------------------------------------------------------------------

    @work(exclusive=True, group="client-load", exit_on_error=False)
    async def load(self) -> None:
        server = self.app.server
        panel = self.query_one("#client-error", ErrorPanel)
        generation = self.generation
        try:
            client = await server.clients.get(self.client_id)
            if self.permissions is None:
                try:
                    self.permissions = frozenset((await server.user()).permissions)
                except KapkaError:
                    self.permissions = None
        except NotFound:
            self.gone = True
            self.client = None
            self.loaded_generation = generation
            self.loads += 1
            if self.app.screen is self:
                self.app.pop_screen()  # deleted: back to the list
            return
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message, hint=_("Press r to try again."))
            return
        panel.clear()
        self.client = client
        self.extra = await self._extra(server, client)
        assert self.clock is not None
        self.clock.note(client.id, client.status)
        self._show()
        self.loads += 1
        self.loaded_generation = generation
        if client.status in IN_PROGRESS:
            self.poll_later()

    async def _extra(self, server: Any, client: Client) -> list[Content]:
        """Counts of what the client has, each line only when this key may read it."""
        lines: list[Content] = []
        held = self.permissions

        def may(permission: str) -> bool:
            return held is None or permission in held

        if may("VIEW_CLIENT_SERVICES"):
            try:
                descriptions = await server.services.descriptions(client.id)
            except KapkaError as error:
                lines.append(_row(_("Services"), _("not read: {error}").format(error=error.message)))
            else:
                services = sum(len(d.services) for d in descriptions)
                disabled = sum(1 for d in descriptions if d.disabled)
                text = ngettext("{n} description", "{n} descriptions", len(descriptions)).format(
                    n=len(descriptions)) + ", " + ngettext("{n} service", "{n} services",
                                                           services).format(n=services)
                if disabled:
                    text += ", " + _("{n} disabled").format(n=disabled)
                lines.append(_row(_("Services"), text))
        if may("VIEW_CLIENT_INTERNAL_CERTS"):
            try:
                tls = await server.clients.tls_certificates(client.id)
            except KapkaError as error:
                lines.append(_row(_("IS TLS certs"), _("not read: {error}").format(
                    error=error.message)))
            else:
                soonest = min((days_left(c.not_after) for c in tls), default=None)
                text = ngettext("{n} certificate", "{n} certificates", len(tls)).format(n=len(tls))
                if soonest is not None:
                    text += ", " + _("the first expires in {d} days").format(d=soonest)
                if not tls and client.connection_type == "HTTPS":
                    text += " " + _("(HTTPS: add the information systems' certificates, t)")
                lines.append(_row(_("IS TLS certs"), text))
        return lines

    @work(exclusive=True, group="client-poll", exit_on_error=False)
    async def poll_later(self) -> None:
        await asyncio.sleep(POLL_SECONDS)
        if not self.is_current:
            self.reload_on_resume = True  # read again when the operator comes back
        elif not self.busy:
            self.load()

    def _show(self) -> None:
        client = self.client
        if client is None or self.clock is None:
            return
        pending = self.clock.text(client.id, client.status)
        facts = client_facts(client, pending, self.describe_action, DETAIL_ORDER)
        split = 5 + (client.rename_status == "NAME_SUBMITTED")
        self.query_one("#client-facts", Static).update(
            Content("\n").join([*facts[:split], *self.extra, *facts[split:]]))
        recovery = self.query_one("#client-recovery", Static)
        recovery.update(recovery_text(client.id, client.status) if pending else "")
        recovery.set_class(self.clock.overdue(client.id, client.status), "-overdue")
        self.refresh_bindings()

    def describe_action(self, action: str) -> tuple[str, str, str | None]:
        for active in self.active_bindings.values():
            if active.node is self and active.binding.action == action:
                return (self.app.get_key_display(active.binding), active.binding.description,
                        self.reason(action))
        return "", "", None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CLIENT_ACTIONS:
            return None if self.reason(action) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action in CLIENT_ACTIONS:
            return self.reason(action)
        return super().disabled_reason(action)

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_screen_resume(self) -> None:
        if self.reload_on_resume:
            self.reload_on_resume = False
            self.load()


def _row(label: str, value: str) -> Content:
    return Content.assemble((f"{label:<16}", "$text-muted"), value)
