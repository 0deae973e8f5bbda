"""What the clients screens' keys do, for the selected client (the list and the detail view).

Every action runs in a worker (dialogs are awaited there); writes go through the client, so the
transport's rules hold (read-only, confirmation of dangerous changes, the audit journal). The
dangerous ones ask first with a dialog that says exactly what goes (Cancel has the focus); deleting
a client needs its code typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.content import Content

from backend.api.client_ids import path_id
from backend.api.service_models import Client
from backend.errors import KapkaError
from backend.i18n import N_, _
from screens.action_runner import ActionRunner
from screens.clients_calls import (
    Declined,
    confirming_warnings,
    delete_effect,
    operator_confirmed,
    orphan_lines,
    orphans_effect,
    removal_impact,
    unregister_effect,
)
from screens.clients_dialogs import AddClientDialog, ConnectionTypeDialog, NewClient, RenameDialog
from screens.clients_preflight import PreflightDialog
from screens.clients_rules import (
    DELETABLE,
    DISABLED,
    SAVED,
    UNREGISTERABLE,
    action_reason,
    member_id_of,
    short_code,
)
from screens.widgets.confirm import ConfirmDialog


class ClientActions(ActionRunner):
    """The clients screens' actions (mixed into ``ClientsScreen`` and ``ClientDetailScreen``)."""

    CANCELS = ((Declined, N_("The warnings were not confirmed; nothing was changed.")),)
    KEYS_FOR_WIDGETS = frozenset({"enter"})  # enter opens and closes a member's line first

    app: Any
    permissions: frozenset[str] | None
    busy: bool = False
    generation: int = 0
    wanted: str | None = None
    reload_on_resume: bool = False

    def current_client(self) -> Client | None:
        raise NotImplementedError

    def local_clients(self) -> list[Client]:
        """The server's clients as last loaded (the add dialog marks them)."""
        client = self.current_client()
        return [client] if client is not None else []

    @property
    def server(self) -> Any:
        return self.app.server

    @property
    def version(self) -> tuple[int, ...]:
        identity = getattr(self.app, "identity", None)
        return identity.version.version_tuple if identity is not None else ()

    def reason(self, action: str, client: Client | None = None) -> str | None:
        """Why ``action`` is disabled now for ``client`` (default: the selected one)."""
        return action_reason(action, client or self.current_client(),
                             permissions=self.permissions,
                             read_only=bool(getattr(self.app, "read_only", False)),
                             version=self.version)

    def _client(self) -> Client:
        client = self.current_client()
        assert client is not None
        return client

    # -- adding and registering -------------------------------------------------------------------

    def action_add_client(self) -> None:
        self.start("add_client", self._add)

    async def _add(self) -> str | None:
        async def send(wanted: NewClient) -> Client | None:
            return await confirming_warnings(self.app, lambda: self.server.clients.add(
                wanted.member_class, wanted.member_code, wanted.subsystem_code), Client)

        added: Client | None = await self.app.push_screen_wait(
            AddClientDialog(self.server, self.local_clients(), send))
        if added is None:
            return None
        self.wanted = added.id
        message = _("Added {client} ({status}).").format(client=added.id, status=added.status)
        if added.status == SAVED and not self.reason("register", added):
            registered = await self.register_client(added)
            return f"{message} {registered}" if registered else \
                message + " " + _("Register it when it is ready (R).")
        return message

    def action_register(self) -> None:
        self.start("register", self._register)

    async def _register(self) -> str | None:
        return await self.register_client(self._client())

    async def register_client(self, client: Client) -> str | None:
        """The preflight checklist, then ``PUT /clients/{id}/register``."""
        if not await self.app.push_screen_wait(PreflightDialog(self.server, client)):
            return None
        await self.server.clients.register(client.id)
        return _("The registration request for {client} is sent; it stays \"registration in "
                 "progress\" until the central server approves it.").format(client=client.id)

    # -- unregistering and deleting ---------------------------------------------------------------

    def action_remove(self) -> None:
        self.start("remove", self._remove)

    async def _remove(self) -> str | None:
        client = self._client()
        impact = await removal_impact(self.server, client)
        unregistered = False
        if client.status in UNREGISTERABLE:
            if not await self.app.push_screen_wait(ConfirmDialog(
                    _("Unregister {client}").format(client=client.id),
                    unregister_effect(client, impact), confirm_label=_("Send deletion request"))):
                return None
            with operator_confirmed(self.app, "PUT", f"/clients/{path_id(client.id)}/unregister"):
                await self.server.clients.unregister(client.id)
            unregistered = True
            client = await self.server.clients.get(client.id)
        if client.status not in DELETABLE:
            return _("The deletion request is sent; {client} is {status}. Delete it later "
                     "(d).").format(client=client.id, status=client.status)
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Delete {client}").format(client=client.id),
                delete_effect(client, impact, unregistered), confirm_label=_("Delete client"),
                acknowledgement=short_code(client))):
            return (_("The deletion request is sent; {client} stays on this server until you "
                      "delete it (d).").format(client=client.id) if unregistered else None)
        with operator_confirmed(self.app, "DELETE", f"/clients/{path_id(client.id)}"):
            await self.server.clients.delete(client.id)
        message = _("{client} is deleted from this server.").format(client=client.id)
        return message + await self._offer_orphans(client)

    async def _offer_orphans(self, client: Client) -> str:
        try:
            if not await self.server.clients.has_orphans(client.id):
                return ""
        except KapkaError as error:
            return " " + _("Whether keys were left behind could not be read: {error}").format(
                error=error.message)
        lines = await orphan_lines(self.server, client)
        member = member_id_of(client)
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Keys left by {member}").format(member=member), orphans_effect(client, lines),
                confirm_label=_("Delete keys and certificates"),
                acknowledgement=client.member_code)):
            return " " + _("The keys and certificates of {member} stay on the token.").format(
                member=member)
        with operator_confirmed(self.app, "DELETE", f"/clients/{path_id(client.id)}/orphans"):
            await self.server.clients.delete_orphans(client.id)
        return " " + _("The keys, certificates and CSRs of {member} are deleted too.").format(
            member=member)

    # -- settings ---------------------------------------------------------------------------------

    def action_connection_type(self) -> None:
        self.start("connection_type", self._connection_type)

    async def _connection_type(self) -> str | None:
        client = self._client()
        kind = await self.app.push_screen_wait(ConnectionTypeDialog(client))
        if kind is None or kind == client.connection_type:
            return None
        await self.server.clients.set_connection_type(client.id, kind)
        return _("{client} now connects with {type}.").format(client=client.id, type=kind)

    def action_disable_enable(self) -> None:
        self.start("disable_enable", self._disable_enable)

    async def _disable_enable(self) -> str | None:
        client = self._client()
        if client.status == DISABLED:
            await self.server.clients.enable(client.id)
            return _("The enable request for {client} is sent; its services are available again "
                     "once the global configuration says so.").format(client=client.id)
        effect = Content("\n").join([
            Content.assemble(_("Kapka sends a disable request for "), (client.id, "bold"),
                             _(" to the central server.")),
            Content(_("Once the global configuration lists it as disabled, calls to its services "
                      "fail with an error saying so, until it is enabled again (e).")),
        ])
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Disable {client}").format(client=client.id), effect,
                confirm_label=_("Disable"))):
            return None
        with operator_confirmed(self.app, "PUT", f"/clients/{path_id(client.id)}/disable"):
            await self.server.clients.disable(client.id)
        return _("The disable request for {client} is sent.").format(client=client.id)

    def action_rename(self) -> None:
        self.start("rename", self._rename)

    async def _rename(self) -> str | None:
        client = self._client()
        name = await self.app.push_screen_wait(RenameDialog(client))
        if name is None:
            return None
        await self.server.clients.rename(client.id, name)
        if client.status == "REGISTERED":
            return _("The rename request is sent; {client} keeps its name until the central "
                     "server approves.").format(client=client.id)
        return _("{client} is named \"{name}\"; the name goes with its registration.").format(
            client=client.id, name=name)

    # -- other screens ----------------------------------------------------------------------------

    def _open(self, action: str, make: Callable[[str], Any]) -> None:
        if not self.refuse(action):
            self.reload_on_resume = True
            self.app.push_screen(make(self._client().id))

    def action_services(self) -> None:
        from screens.services import ServicesScreen

        self._open("services", ServicesScreen)

    def action_access(self) -> None:
        from screens.access import AccessRightsScreen

        self._open("access", AccessRightsScreen)

    def action_local_groups(self) -> None:
        from screens.access import LocalGroupsScreen

        self._open("local_groups", LocalGroupsScreen)

    def action_tls(self) -> None:
        from screens.clients_tls import TlsCertificatesScreen

        self._open("tls", TlsCertificatesScreen)
