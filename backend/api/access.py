"""Access rights (by service, by endpoint, by subject), subject candidates and local groups.

X-Road's batch endpoints take many items in one call: one service with many subjects
(``/services/{id}/service-clients``) or one subject with many services
(``/clients/{id}/service-clients/{sc_id}/access-rights``). Each call is all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backend.api.client_ids import path_id
from backend.api.service_models import AccessRight, LocalGroup, ServiceClient
from backend.api.transport import ApiTransport, decode
from backend.api.writes import WriteRequest
from backend.i18n import _, ngettext


@dataclass(frozen=True)
class CandidateSearch:
    """The filters of ``GET /clients/{id}/service-client-candidates``."""

    member_name_group_description: str | None = None
    service_client_type: str | None = None  # SUBSYSTEM, GLOBALGROUP, LOCALGROUP
    instance: str | None = None
    member_class: str | None = None
    member_group_code: str | None = None
    subsystem_code: str | None = None

    def params(self) -> dict[str, str]:
        return {name: value for name, value in self.__dict__.items() if value}


def _items(ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    return {"items": [{"id": subject} for subject in ids]}


class AccessCalls:
    """``client.access``: who may call which service of a client."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport

    # -- by service --------------------------------------------------------------------------

    async def service_clients(self, service_id: str) -> list[ServiceClient]:
        return await self.transport.get_model(
            f"/services/{path_id(service_id)}/service-clients", list[ServiceClient])

    async def grant_service(self, service_id: str, subject_ids: Sequence[str]) -> list[ServiceClient]:
        """Give many subjects access to one service, in one call."""
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/services/{path_id(service_id)}/service-clients",
            summary=ngettext("Grant {n} subject access to {service}",
                             "Grant {n} subjects access to {service}", len(subject_ids)).format(
                n=len(subject_ids), service=service_id),
            json=_items(subject_ids),
            audit_details={"service": service_id, "subjects": list(subject_ids)},
        ))
        return decode(response, list[ServiceClient])

    async def revoke_service(self, service_id: str, subject_ids: Sequence[str]) -> None:
        await self.transport.write(WriteRequest(
            method="POST", path=f"/services/{path_id(service_id)}/service-clients/delete",
            summary=ngettext("Revoke the access of {n} subject to {service}",
                             "Revoke the access of {n} subjects to {service}", len(subject_ids)).format(
                n=len(subject_ids), service=service_id),
            json=_items(subject_ids), dangerous=True,
            audit_details={"service": service_id, "subjects": list(subject_ids)},
        ))

    # -- by endpoint -------------------------------------------------------------------------

    async def endpoint_clients(self, endpoint_id: str) -> list[ServiceClient]:
        return await self.transport.get_model(
            f"/endpoints/{path_id(endpoint_id)}/service-clients", list[ServiceClient])

    async def grant_endpoint(self, endpoint_id: str, subject_ids: Sequence[str]) -> list[ServiceClient]:
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/endpoints/{path_id(endpoint_id)}/service-clients",
            summary=ngettext("Grant {n} subject access to endpoint {endpoint}",
                             "Grant {n} subjects access to endpoint {endpoint}",
                             len(subject_ids)).format(n=len(subject_ids), endpoint=endpoint_id),
            json=_items(subject_ids),
            audit_details={"endpoint": endpoint_id, "subjects": list(subject_ids)},
        ))
        return decode(response, list[ServiceClient])

    async def revoke_endpoint(self, endpoint_id: str, subject_ids: Sequence[str]) -> None:
        await self.transport.write(WriteRequest(
            method="POST", path=f"/endpoints/{path_id(endpoint_id)}/service-clients/delete",
            summary=ngettext("Revoke the access of {n} subject to endpoint {endpoint}",
                             "Revoke the access of {n} subjects to endpoint {endpoint}",
                             len(subject_ids)).format(n=len(subject_ids), endpoint=endpoint_id),
            json=_items(subject_ids), dangerous=True,
            audit_details={"endpoint": endpoint_id, "subjects": list(subject_ids)},
        ))

    # -- by subject --------------------------------------------------------------------------

    async def subjects(self, client_id: str) -> list[ServiceClient]:
        """Every subject that has a right to some service of ``client_id``."""
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/service-clients", list[ServiceClient])

    async def subject(self, client_id: str, subject_id: str) -> ServiceClient:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/service-clients/{path_id(subject_id)}", ServiceClient)

    async def rights_of(self, client_id: str, subject_id: str) -> list[AccessRight]:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/service-clients/{path_id(subject_id)}/access-rights",
            list[AccessRight])

    async def grant_subject(self, client_id: str, subject_id: str,
                            service_codes: Sequence[str]) -> list[AccessRight]:
        """Give one subject access to many services of ``client_id``, in one call."""
        response = await self.transport.write(WriteRequest(
            method="POST",
            path=f"/clients/{path_id(client_id)}/service-clients/{path_id(subject_id)}/access-rights",
            summary=ngettext("Grant {subject} access to {n} service of {client}",
                             "Grant {subject} access to {n} services of {client}",
                             len(service_codes)).format(
                subject=subject_id, n=len(service_codes), client=client_id),
            json={"items": [{"service_code": code} for code in service_codes]},
            audit_details={"client": client_id, "subject": subject_id,
                           "services": list(service_codes)},
        ))
        return decode(response, list[AccessRight])

    async def revoke_subject(self, client_id: str, subject_id: str,
                             service_codes: Sequence[str]) -> None:
        await self.transport.write(WriteRequest(
            method="POST",
            path=(f"/clients/{path_id(client_id)}/service-clients/{path_id(subject_id)}"
                  "/access-rights/delete"),
            summary=ngettext("Revoke the access of {subject} to {n} service of {client}",
                             "Revoke the access of {subject} to {n} services of {client}",
                             len(service_codes)).format(
                subject=subject_id, n=len(service_codes), client=client_id),
            json={"items": [{"service_code": code} for code in service_codes]}, dangerous=True,
            audit_details={"client": client_id, "subject": subject_id,
                           "services": list(service_codes)},
        ))

    async def candidates(self, client_id: str,
                         search: CandidateSearch | None = None) -> list[ServiceClient]:
        """Subsystems, global groups and local groups that may be given rights."""
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/service-client-candidates", list[ServiceClient],
            params=(search or CandidateSearch()).params())

    # -- local groups ------------------------------------------------------------------------

    async def local_groups(self, client_id: str) -> list[LocalGroup]:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/local-groups", list[LocalGroup])

    async def local_group(self, group_id: str) -> LocalGroup:
        return await self.transport.get_model(f"/local-groups/{path_id(group_id)}", LocalGroup)

    async def add_local_group(self, client_id: str, code: str, description: str) -> LocalGroup:
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/clients/{path_id(client_id)}/local-groups",
            summary=_("Add local group {code} to {client}").format(code=code, client=client_id),
            json={"code": code, "description": description},
            audit_details={"client": client_id, "code": code},
        ))
        return decode(response, LocalGroup)

    async def describe_local_group(self, group_id: str, description: str) -> LocalGroup:
        response = await self.transport.write(WriteRequest(
            method="PATCH", path=f"/local-groups/{path_id(group_id)}",
            summary=_("Change the description of local group {id}").format(id=group_id),
            json={"description": description},
            audit_details={"group": group_id, "description": description},
        ))
        return decode(response, LocalGroup)

    async def delete_local_group(self, group_id: str, code: str = "") -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/local-groups/{path_id(group_id)}",
            summary=_("Delete local group {code} and its access rights").format(code=code or group_id),
            dangerous=True, audit_details={"group": group_id, "code": code},
        ))

    async def add_group_members(self, group_id: str, member_ids: Sequence[str]) -> list[str]:
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/local-groups/{path_id(group_id)}/members",
            summary=ngettext("Add {n} member to local group {id}",
                             "Add {n} members to local group {id}", len(member_ids)).format(
                n=len(member_ids), id=group_id),
            json={"items": list(member_ids)},
            audit_details={"group": group_id, "members": list(member_ids)},
        ))
        body = response.json() if response.content else {}
        return list(body.get("items", [])) if isinstance(body, dict) else []

    async def remove_group_members(self, group_id: str, member_ids: Sequence[str]) -> None:
        await self.transport.write(WriteRequest(
            method="POST", path=f"/local-groups/{path_id(group_id)}/members/delete",
            summary=ngettext("Remove {n} member from local group {id}",
                             "Remove {n} members from local group {id}", len(member_ids)).format(
                n=len(member_ids), id=group_id),
            json={"items": list(member_ids)}, dangerous=True,
            audit_details={"group": group_id, "members": list(member_ids)},
        ))
