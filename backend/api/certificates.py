"""Token certificates: import, registration with the central server, activation, deletion."""

from __future__ import annotations

from backend.api.client_ids import path_id
from backend.api.models import TokenCertificate
from backend.api.transport import ApiTransport, decode
from backend.api.writes import WriteRequest
from backend.i18n import _


class CertificateCalls:
    """``client.certificates``: everything addressed by a certificate's SHA-256 ``hash``."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport

    async def get(self, cert_hash: str) -> TokenCertificate:
        return await self.transport.get_model(f"/token-certificates/{path_id(cert_hash)}",
                                              TokenCertificate)

    async def possible_actions(self, cert_hash: str) -> list[str]:
        return await self.transport.get_model(
            f"/token-certificates/{path_id(cert_hash)}/possible-actions", list[str])

    async def import_file(self, content: bytes, *, description: str = "") -> TokenCertificate:
        """Import a certificate (PEM or DER) for a key on a token; X-Road finds the key."""
        response = await self.transport.write(WriteRequest(
            method="POST", path="/token-certificates",
            summary=_("Import certificate {what}").format(what=description or
                                                           _("({n} bytes)").format(n=len(content))),
            content=content, content_type="application/octet-stream",
            audit_details={"file": description, "bytes": len(content)},
        ))
        return decode(response, TokenCertificate)

    async def register(self, cert_hash: str, address: str) -> None:
        """Send the authentication certificate's registration request to the central server."""
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/token-certificates/{path_id(cert_hash)}/register",
            summary=_("Register authentication certificate {hash} for address {address}").format(
                hash=cert_hash, address=address),
            json={"address": address},
            audit_details={"hash": cert_hash, "address": address},
        ))

    async def activate(self, cert_hash: str) -> None:
        await self._put(cert_hash, "activate", _("Activate certificate {hash}"), dangerous=False)

    async def disable(self, cert_hash: str) -> None:
        await self._put(cert_hash, "disable", _("Disable certificate {hash}"), dangerous=True)

    async def unregister(self, cert_hash: str) -> None:
        await self._put(cert_hash, "unregister",
                        _("Unregister authentication certificate {hash} at the central server"),
                        dangerous=True)

    async def mark_for_deletion(self, cert_hash: str) -> None:
        await self._put(cert_hash, "mark-for-deletion",
                        _("Mark certificate {hash} for deletion"), dangerous=True)

    async def delete(self, cert_hash: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/token-certificates/{path_id(cert_hash)}",
            summary=_("Delete certificate {hash} from the token").format(hash=cert_hash),
            dangerous=True, audit_details={"hash": cert_hash},
        ))

    async def _put(self, cert_hash: str, action: str, summary: str, *, dangerous: bool) -> None:
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/token-certificates/{path_id(cert_hash)}/{action}",
            summary=summary.format(hash=cert_hash), dangerous=dangerous,
            audit_details={"hash": cert_hash},
        ))
