"""Clients of the security server: members and subsystems, their registration and IS certificates."""

from __future__ import annotations

from dataclasses import dataclass

from backend.api.client_ids import path_id
from backend.api.errors import NotFound
from backend.api.models import CertificateDetails, SecurityServer, TokenCertificate
from backend.api.service_models import Client, OrphanInformation
from backend.api.transport import ApiTransport, decode
from backend.api.writes import WriteRequest
from backend.i18n import _


@dataclass(frozen=True)
class ClientSearch:
    """The filters of ``GET /clients``; ``None`` leaves a filter to the server's default."""

    name: str | None = None
    instance: str | None = None
    member_class: str | None = None
    member_code: str | None = None
    subsystem_code: str | None = None
    show_members: bool | None = None
    internal_search: bool | None = None  # False: search the global configuration
    local_valid_sign_cert: bool | None = None
    exclude_local: bool | None = None

    def params(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, value in self.__dict__.items():
            if isinstance(value, bool):
                found[name] = "true" if value else "false"
            elif value:
                found[name] = value
        return found


def client_id_of(instance: str, member_class: str, member_code: str,
                 subsystem_code: str | None = None) -> str:
    """X-Road's encoded client id: ``INSTANCE:CLASS:CODE[:SUBSYSTEM]``."""
    parts = [instance, member_class, member_code]
    if subsystem_code:
        parts.append(subsystem_code)
    return ":".join(parts)


class ClientCalls:
    """``client.clients``: the clients list, adding, registering and removing clients."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport

    async def list(self, search: ClientSearch | None = None) -> list[Client]:
        """Clients of this server (default), or members and subsystems of the global configuration."""
        params = (search or ClientSearch()).params()
        return await self.transport.get_model("/clients", list[Client], params=params)

    async def global_candidates(self, *, show_members: bool = True) -> list[Client]:
        """Members and subsystems of the instance that are not clients of this server yet."""
        return await self.list(ClientSearch(internal_search=False, exclude_local=True,
                                            show_members=show_members))

    async def get(self, client_id: str) -> Client:
        return await self.transport.get_model(f"/clients/{path_id(client_id)}", Client)

    async def add(self, member_class: str, member_code: str, subsystem_code: str | None = None,
                  *, connection_type: str | None = None) -> Client:
        """Add a member or subsystem; X-Road warns (``unregistered_member``) about unknown members."""
        body: dict[str, object] = {"member_class": member_class, "member_code": member_code}
        if subsystem_code:
            body["subsystem_code"] = subsystem_code
        if connection_type:
            body["connection_type"] = connection_type
        label = f"{member_class}:{member_code}" + (f":{subsystem_code}" if subsystem_code else "")
        response = await self.transport.write(WriteRequest(
            method="POST", path="/clients",
            summary=_("Add client {client}").format(client=label),
            json={"client": body, "ignore_warnings": False}, ignore_warnings_in="body",
            audit_details={"client": label},
        ))
        return decode(response, Client)

    async def set_connection_type(self, client_id: str, connection_type: str) -> Client:
        response = await self.transport.write(WriteRequest(
            method="PATCH", path=f"/clients/{path_id(client_id)}",
            summary=_("Set the connection type of {client} to {type}").format(
                client=client_id, type=connection_type),
            json={"connection_type": connection_type},
            audit_details={"client": client_id, "connection_type": connection_type},
        ))
        return decode(response, Client)

    async def register(self, client_id: str) -> None:
        await self._put(client_id, "register", _("Send a registration request for {client}"))

    async def unregister(self, client_id: str) -> None:
        await self._put(client_id, "unregister", _("Send a deletion request for {client}"),
                        dangerous=True)

    async def disable(self, client_id: str) -> None:
        await self._put(client_id, "disable", _("Disable client {client}"), dangerous=True)

    async def enable(self, client_id: str) -> None:
        await self._put(client_id, "enable", _("Enable client {client}"))

    async def make_owner(self, client_id: str) -> None:
        await self._put(client_id, "make-owner",
                        _("Make {client} the owner of this security server"), dangerous=True)

    async def rename(self, client_id: str, name: str) -> None:
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/clients/{path_id(client_id)}/rename",
            summary=_("Rename subsystem {client} to \"{name}\"").format(client=client_id, name=name),
            json={"client_name": name}, audit_details={"client": client_id, "name": name},
        ))

    async def delete(self, client_id: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/clients/{path_id(client_id)}",
            summary=_("Delete client {client} from this security server").format(client=client_id),
            dangerous=True, audit_details={"client": client_id},
        ))

    async def has_orphans(self, client_id: str) -> bool:
        """Whether deleting the client left sign keys, certificates or CSRs behind."""
        try:
            found = await self.transport.get_model(f"/clients/{path_id(client_id)}/orphans",
                                                   OrphanInformation)
        except NotFound:  # 404 orphans_not_found: nothing left behind
            return False
        return found.orphans_exist

    async def delete_orphans(self, client_id: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/clients/{path_id(client_id)}/orphans",
            summary=_("Delete the keys, certificates and CSRs left by {client}").format(
                client=client_id),
            dangerous=True, audit_details={"client": client_id},
        ))

    async def sign_certificates(self, client_id: str) -> list[TokenCertificate]:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/sign-certificates", list[TokenCertificate])

    async def security_servers(self, client_id: str) -> list[SecurityServer]:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/security-servers", list[SecurityServer])

    # -- information-system TLS certificates ---------------------------------------------------

    async def tls_certificates(self, client_id: str) -> list[CertificateDetails]:
        return await self.transport.get_model(
            f"/clients/{path_id(client_id)}/tls-certificates", list[CertificateDetails])

    async def add_tls_certificate(self, client_id: str, content: bytes, *,
                                  description: str = "") -> CertificateDetails:
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/clients/{path_id(client_id)}/tls-certificates",
            summary=_("Add information-system TLS certificate {what} to {client}").format(
                what=description or _("({n} bytes)").format(n=len(content)), client=client_id),
            content=content, content_type="application/octet-stream",
            audit_details={"client": client_id, "file": description},
        ))
        return decode(response, CertificateDetails)

    async def delete_tls_certificate(self, client_id: str, cert_hash: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE",
            path=f"/clients/{path_id(client_id)}/tls-certificates/{path_id(cert_hash)}",
            summary=_("Delete information-system TLS certificate {hash} of {client}").format(
                hash=cert_hash, client=client_id),
            dangerous=True, audit_details={"client": client_id, "hash": cert_hash},
        ))

    async def _put(self, client_id: str, action: str, summary: str, *,
                   dangerous: bool = False) -> None:
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/clients/{path_id(client_id)}/{action}",
            summary=summary.format(client=client_id), dangerous=dangerous,
            audit_details={"client": client_id},
        ))
