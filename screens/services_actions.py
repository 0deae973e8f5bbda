"""What the services screen's keys do, for the selected description, service or endpoint.

Each action runs in a worker; changes go through the client (read-only mode, confirmation, the
audit journal). A refresh shows the diff and the access rights that would be lost before it is
applied; deleting a description shows its services and rights and needs a typed word.
"""

from __future__ import annotations

from typing import Any

from backend.api.client_ids import path_id
from backend.api.errors import WarningsDetected
from backend.api.service_models import Endpoint, Service, ServiceDescription
from backend.errors import KapkaError
from backend.i18n import N_, _, ngettext
from screens.action_runner import ActionRunner
from screens.clients_calls import Declined, confirming_warnings, operator_confirmed
from screens.services_dialogs import (
    AddDescriptionDialog,
    DisableDialog,
    EndpointDialog,
    ServiceParamsDialog,
)
from screens.services_refresh import (
    RefreshDiff,
    delete_effect,
    description_rights,
    diff_effect,
    refresh_diff,
)
from screens.services_rules import Selected, action_reason, explain
from screens.widgets.confirm import ConfirmDialog


class ServiceActions(ActionRunner):
    """The services screen's actions (mixed into ``ServicesScreen``)."""

    CANCELS = ((Declined, N_("Nothing was changed.")),)

    app: Any
    client_id: str
    selection: Selected | None
    permissions: frozenset[str] | None
    wanted: str | None
    last_diff: RefreshDiff | None = None

    def shown_error(self, error: KapkaError) -> KapkaError:
        return explain(error)

    @property
    def server(self) -> Any:
        return self.app.server

    def reason(self, action: str) -> str | None:
        return action_reason(action, self.selection, permissions=self.permissions,
                             read_only=bool(getattr(self.app, "read_only", False)))

    def _selected(self) -> Selected:
        assert self.selection is not None
        return self.selection

    # -- descriptions -----------------------------------------------------------------------------

    def action_add_description(self) -> None:
        self.start("add_description", self._add_description)

    async def _add_description(self) -> str | None:
        async def send(answer: tuple[str, str, str | None]) -> ServiceDescription | None:
            kind, url, code = answer
            return await confirming_warnings(self.app, lambda: self.server.services.add_description(
                self.client_id, url, kind, rest_service_code=code), ServiceDescription)

        added = await self.app.push_screen_wait(AddDescriptionDialog(self.client_id, send))
        if added is None:
            return None
        self.wanted = f"description:{added.id}"
        return ngettext("Added {url} with {n} service, disabled: set its access rights, then "
                        "enable it (e).", "Added {url} with {n} services, disabled: set their "
                        "access rights, then enable it (e).", len(added.services)).format(
            url=added.url, n=len(added.services))

    def action_refresh_description(self) -> None:
        self.start("refresh", self._refresh)

    async def _refresh(self) -> str | None:
        description = self._selected().description
        self.last_diff = None

        async def ask(error: WarningsDetected) -> bool:
            self.last_diff = diff = await refresh_diff(self.server, description, error.warnings)
            return bool(await self.app.push_screen_wait(ConfirmDialog(
                _("Refresh {kind} description").format(kind=description.type), diff_effect(diff),
                confirm_label=_("Apply refresh"))))

        refreshed = await confirming_warnings(
            self.app, lambda: self.server.services.refresh(description.id), ServiceDescription,
            ask=ask)
        assert refreshed is not None
        diff = self.last_diff
        if diff is None:
            return _("{url} is refreshed; no service or endpoint was added or removed.").format(
                url=description.url)
        return _("{url} is refreshed: {added} added, {removed} removed, {lost} access rights "
                 "removed.").format(url=description.url,
                                    added=len(diff.added_services) + len(diff.added_endpoints),
                                    removed=len(diff.removed_services) + len(diff.removed_endpoints),
                                    lost=diff.rights_lost)

    def action_enable_disable(self) -> None:
        self.start("enable_disable", self._enable_disable)

    async def _enable_disable(self) -> str | None:
        description = self._selected().description
        if description.disabled:
            await self.server.services.enable(description.id)
            return _("{url} is enabled: its services answer again.").format(url=description.url)
        notice = await self.app.push_screen_wait(DisableDialog(
            description.url, len(description.services), description.disabled_notice or ""))
        if notice is None:
            return None
        path = f"/service-descriptions/{path_id(description.id)}/disable"
        with operator_confirmed(self.app, "PUT", path):
            await self.server.services.disable(description.id, notice)
        return _("{url} is disabled.").format(url=description.url)

    def action_delete(self) -> None:
        self.start("delete", self._delete)

    async def _delete(self) -> str | None:
        selected = self._selected()
        if selected.endpoint is not None:
            return await self._delete_endpoint(selected.endpoint)
        description = selected.description
        lost = await description_rights(self.server, description)
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Delete service description"), delete_effect(description, lost),
                confirm_label=_("Delete"), acknowledgement=_("delete"))):
            return None
        with operator_confirmed(self.app, "DELETE",
                                f"/service-descriptions/{path_id(description.id)}"):
            await self.server.services.delete_description(description.id)
        return _("{url} is deleted with its services.").format(url=description.url)

    # -- services and endpoints -------------------------------------------------------------------

    def action_edit_service(self) -> None:
        self.start("edit_service", self._edit_service)

    async def _edit_service(self) -> str | None:
        selected = self._selected()
        service = selected.service
        assert service is not None

        async def send(values: dict[str, Any]) -> Service | None:
            return await confirming_warnings(self.app, lambda: self.server.services.update_service(
                service.id, **values), Service)

        updated = await self.app.push_screen_wait(ServiceParamsDialog(
            service, len(selected.description.services), send))
        if updated is None:
            return None
        return _("The parameters of {code} are saved.").format(code=service.code)

    def action_add_endpoint(self) -> None:
        self.start("add_endpoint", self._add_endpoint)

    async def _add_endpoint(self) -> str | None:
        service = self._selected().service
        assert service is not None

        async def send(answer: tuple[str, str]) -> Endpoint:
            return await self.server.services.add_endpoint(service.id, *answer)

        added = await self.app.push_screen_wait(EndpointDialog(service, send))
        if added is None:
            return None
        self.wanted = f"endpoint:{added.id}"
        return _("Endpoint {method} {path} is added to {code}.").format(
            method=added.method, path=added.path, code=service.code)

    def action_edit_endpoint(self) -> None:
        self.start("edit_endpoint", self._edit_endpoint)

    async def _edit_endpoint(self) -> str | None:
        selected = self._selected()
        endpoint, service = selected.endpoint, selected.service
        assert endpoint is not None and endpoint.id is not None and service is not None
        endpoint_id = endpoint.id

        async def send(answer: tuple[str, str]) -> Endpoint:
            return await self.server.services.update_endpoint(endpoint_id, *answer)

        changed = await self.app.push_screen_wait(EndpointDialog(service, send, endpoint))
        if changed is None:
            return None
        return _("The endpoint is now {method} {path}.").format(method=changed.method,
                                                                 path=changed.path)

    async def _delete_endpoint(self, endpoint: Endpoint) -> str | None:
        assert endpoint.id is not None
        try:
            subjects = [s.label for s in await self.server.access.endpoint_clients(endpoint.id)]
        except KapkaError as error:
            subjects = [_("(could not be read: {error})").format(error=error.message)]
        lost = ", ".join(subjects) if subjects else _("none")
        if not await self.app.push_screen_wait(ConfirmDialog(
                _("Delete endpoint"), _("Delete the endpoint {method} {path}? Its access rights go "
                                        "with it: {subjects}").format(
                    method=endpoint.method, path=endpoint.path, subjects=lost),
                confirm_label=_("Delete"))):
            return None
        with operator_confirmed(self.app, "DELETE", f"/endpoints/{path_id(endpoint.id)}"):
            await self.server.services.delete_endpoint(endpoint.id)
        return _("The endpoint {method} {path} is deleted.").format(method=endpoint.method,
                                                                     path=endpoint.path)
