"""First-time setup calls: anchor, owner and server code, software token PIN, timestamping."""

from __future__ import annotations

from backend.api.credentials import Secret
from backend.api.models import (
    Anchor,
    InitializationStatus,
    MemberName,
    TimestampingService,
    XRoadInstance,
)
from backend.api.transport import ApiTransport, Download, decode
from backend.api.writes import WriteRequest
from backend.i18n import _


class InitializationCalls:
    """``client.setup``: what the setup wizard reads and changes."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport

    async def status(self) -> InitializationStatus:
        return await self.transport.get_model("/initialization/status", InitializationStatus)

    # -- anchor ------------------------------------------------------------------------------

    async def preview_anchor(self, content: bytes, *, validate_instance: bool) -> Anchor:
        """The anchor's hash and date as the server computes them; nothing is stored."""
        response = await self.transport.post_readonly(
            "/system/anchor/previews", content=content,
            params={"validate_instance": "true" if validate_instance else "false"})
        return decode(response, Anchor)

    async def upload_anchor(self, content: bytes, *, initial: bool) -> None:
        """Store the anchor: POST while the server has none, PUT to replace it afterwards."""
        await self.transport.write(WriteRequest(
            method="POST" if initial else "PUT",
            path="/system/anchor",
            summary=_("Upload the configuration anchor") if initial else
            _("Replace the configuration anchor"),
            content=content,
            content_type="application/octet-stream",
            dangerous=not initial,
            audit_details={"bytes": len(content)},
        ))

    async def anchor(self) -> Anchor:
        return await self.transport.get_model("/system/anchor", Anchor)

    async def download_anchor(self) -> Download:
        return await self.transport.get_bytes("/system/anchor/download")

    # -- owner, server code, PIN -------------------------------------------------------------

    async def instances(self) -> list[XRoadInstance]:
        return await self.transport.get_model("/xroad-instances", list[XRoadInstance])

    async def member_classes(self, *, current_instance: bool = True) -> list[str]:
        return await self.transport.get_model(
            "/member-classes", list[str],
            params={"current_instance": "true" if current_instance else "false"})

    async def member_name(self, member_class: str, member_code: str) -> str | None:
        """The member's registered name, or None when the global configuration has no such member."""
        from backend.api.errors import NotFound

        try:
            found = await self.transport.get_model(
                "/member-names", MemberName,
                params={"member_class": member_class, "member_code": member_code})
        except NotFound:
            return None
        return found.member_name

    def initialize_request(self, *, owner_member_class: str | None = None,
                           owner_member_code: str | None = None,
                           security_server_code: str | None = None,
                           software_token_pin: Secret | None = None) -> WriteRequest:
        """``POST /initialization`` with only the fields still missing (X-Road refuses the rest).

        The request is returned, not sent, so that the caller can resend it after warnings.
        """
        body: dict[str, object] = {}
        if owner_member_class is not None:
            body["owner_member_class"] = owner_member_class
        if owner_member_code is not None:
            body["owner_member_code"] = owner_member_code
        if security_server_code is not None:
            body["security_server_code"] = security_server_code
        if software_token_pin is not None:
            body["software_token_pin"] = software_token_pin  # revealed only when sent
        body["ignore_warnings"] = False
        return WriteRequest(
            method="POST",
            path="/initialization",
            summary=_("Initialise the security server ({fields})").format(
                fields=", ".join(k for k in body if k not in ("ignore_warnings",
                                                              "software_token_pin"))
                + (", PIN" if software_token_pin is not None else "")),
            json=body,
            ignore_warnings_in="body",
            audit_details={k: v for k, v in body.items()
                           if k not in ("software_token_pin", "ignore_warnings")},
        )

    async def send(self, request: WriteRequest) -> None:
        """Send a request built here (first time, or ``ignoring_warnings()`` after confirming)."""
        await self.transport.write(request)

    # -- timestamping ------------------------------------------------------------------------

    async def approved_timestamping_services(self) -> list[TimestampingService]:
        return await self.transport.get_model("/timestamping-services", list[TimestampingService])

    async def timestamping_services(self) -> list[TimestampingService]:
        return await self.transport.get_model("/system/timestamping-services",
                                              list[TimestampingService])

    async def add_timestamping_service(self, service: TimestampingService) -> None:
        await self.transport.write(WriteRequest(
            method="POST", path="/system/timestamping-services",
            summary=_("Use timestamping service {name}").format(name=service.name),
            json={"name": service.name, "url": service.url,
                  **({"cost_type": service.cost_type} if service.cost_type else {})},
            audit_details={"name": service.name, "url": service.url},
        ))

    async def remove_timestamping_service(self, service: TimestampingService) -> None:
        await self.transport.write(WriteRequest(
            method="POST", path="/system/timestamping-services/delete",
            summary=_("Stop using timestamping service {name}").format(name=service.name),
            json={"name": service.name, "url": service.url,
                  **({"cost_type": service.cost_type} if service.cost_type else {})},
            dangerous=True,
            audit_details={"name": service.name, "url": service.url},
        ))
