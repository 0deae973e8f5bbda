"""``SecurityServerClient``: typed calls to one security server's admin API."""

from __future__ import annotations

from dataclasses import dataclass

from backend.api.access import AccessCalls
from backend.api.certificates import CertificateCalls
from backend.api.client_ids import path_id
from backend.api.clients import ClientCalls
from backend.api.initialization import InitializationCalls
from backend.api.keys import SOFTWARE_TOKEN_ID, KeyCalls
from backend.api.models import (
    AlertData,
    CaOcspDiagnostics,
    GlobalConfDiagnostics,
    InitializationStatus,
    NodeTypeResponse,
    SecurityServer,
    TimestampingServiceDiagnostics,
    Token,
    User,
    VersionInfo,
)
from backend.api.services import ServiceCalls
from backend.api.transport import ApiTransport

__all__ = ["SOFTWARE_TOKEN_ID", "SecurityServerClient", "ServerIdentity", "path_id"]


@dataclass(frozen=True)
class ServerIdentity:
    """What the header shows: who and what the console is talking to."""

    version: VersionInfo
    node_type: str
    user: User


class SecurityServerClient:
    """Reads and writes of one security server, over an ``ApiTransport``."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport
        self.setup = InitializationCalls(transport)
        self.keys = KeyCalls(transport)
        self.certificates = CertificateCalls(transport)
        self.clients = ClientCalls(transport)
        self.services = ServiceCalls(transport)
        self.access = AccessCalls(transport)

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    async def aclose(self) -> None:
        await self.transport.aclose()

    # -- system ------------------------------------------------------------------------------

    async def version(self) -> VersionInfo:
        return await self.transport.get_model("/system/version", VersionInfo)

    async def node_type(self) -> str:
        return (await self.transport.get_model("/system/node-type", NodeTypeResponse)).node_type

    async def user(self) -> User:
        return await self.transport.get_model("/user", User)

    async def identity(self) -> ServerIdentity:
        return ServerIdentity(
            version=await self.version(),
            node_type=await self.node_type(),
            user=await self.user(),
        )

    async def security_servers(self, *, current_server: bool = False) -> list[SecurityServer]:
        params = {"current_server": "true"} if current_server else None
        return await self.transport.get_model("/security-servers", list[SecurityServer],
                                              params=params)

    async def initialization_status(self) -> InitializationStatus:
        return await self.transport.get_model("/initialization/status", InitializationStatus)

    async def alerts(self) -> AlertData:
        return await self.transport.get_model("/notifications/alerts", AlertData)

    # -- tokens ------------------------------------------------------------------------------

    async def tokens(self) -> list[Token]:
        return await self.transport.get_model("/tokens", list[Token])

    async def token(self, token_id: str = SOFTWARE_TOKEN_ID) -> Token:
        return await self.transport.get_model(f"/tokens/{path_id(token_id)}", Token)

    # -- diagnostics -------------------------------------------------------------------------

    async def globalconf_diagnostics(self) -> GlobalConfDiagnostics:
        return await self.transport.get_model("/diagnostics/globalconf", GlobalConfDiagnostics)

    async def timestamping_diagnostics(self) -> list[TimestampingServiceDiagnostics]:
        return await self.transport.get_model(
            "/diagnostics/timestamping-services", list[TimestampingServiceDiagnostics]
        )

    async def ocsp_diagnostics(self) -> list[CaOcspDiagnostics]:
        return await self.transport.get_model(
            "/diagnostics/ocsp-responders", list[CaOcspDiagnostics]
        )
