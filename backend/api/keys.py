"""Tokens, keys, certification authorities and CSRs."""

from __future__ import annotations

from backend.api.client_ids import path_id
from backend.api.credentials import Secret
from backend.api.models import (
    AcmeEabCredentialsStatus,
    CertificateAuthority,
    CsrGenerate,
    CsrSubjectFieldDescription,
    Key,
    KeyWithCertificateSigningRequestId,
    Token,
)
from backend.api.transport import ApiTransport, Download, decode
from backend.api.writes import WriteRequest
from backend.i18n import _

SOFTWARE_TOKEN_ID = "0"


def _csr_body(request: CsrGenerate) -> dict[str, object]:
    body: dict[str, object] = {
        "key_usage_type": request.key_usage_type,
        "ca_name": request.ca_name,
        "csr_format": request.csr_format,
        "subject_field_values": dict(request.subject_field_values),
    }
    if request.member_id:
        body["member_id"] = request.member_id
    if request.acme_order is not None:
        body["acme_order"] = request.acme_order
    return body


class KeyCalls:
    """``client.keys``: token login and PIN, keys, CAs and their CSR profiles, CSRs."""

    def __init__(self, transport: ApiTransport) -> None:
        self.transport = transport

    # -- tokens ------------------------------------------------------------------------------

    async def tokens(self) -> list[Token]:
        return await self.transport.get_model("/tokens", list[Token])

    async def token(self, token_id: str = SOFTWARE_TOKEN_ID) -> Token:
        return await self.transport.get_model(f"/tokens/{path_id(token_id)}", Token)

    async def login(self, pin: Secret, token_id: str = SOFTWARE_TOKEN_ID) -> Token:
        response = await self.transport.write(WriteRequest(
            method="PUT", path=f"/tokens/{path_id(token_id)}/login",
            summary=_("Log in to token {id}").format(id=token_id),
            json={"password": pin}, audit_details={"token_id": token_id},
        ))
        return decode(response, Token)

    async def logout(self, token_id: str = SOFTWARE_TOKEN_ID) -> Token:
        response = await self.transport.write(WriteRequest(
            method="PUT", path=f"/tokens/{path_id(token_id)}/logout",
            summary=_("Log out of token {id}").format(id=token_id),
            dangerous=True, audit_details={"token_id": token_id},
        ))
        return decode(response, Token)

    async def change_pin(self, old_pin: Secret, new_pin: Secret,
                         token_id: str = SOFTWARE_TOKEN_ID) -> None:
        await self.transport.write(WriteRequest(
            method="PUT", path=f"/tokens/{path_id(token_id)}/pin",
            summary=_("Change the PIN of token {id}").format(id=token_id),
            json={"old_pin": old_pin, "new_pin": new_pin}, dangerous=True,
            audit_details={"token_id": token_id},
        ))

    # -- certification authorities -----------------------------------------------------------

    async def certificate_authorities(self, key_usage_type: str | None = None
                                      ) -> list[CertificateAuthority]:
        params = {"key_usage_type": key_usage_type} if key_usage_type else None
        return await self.transport.get_model("/certificate-authorities",
                                              list[CertificateAuthority], params=params)

    async def csr_subject_fields(self, ca_name: str, key_usage_type: str, *,
                                 key_id: str | None = None, member_id: str | None = None,
                                 is_new_member: bool | None = None,
                                 ) -> list[CsrSubjectFieldDescription]:
        params = {"key_usage_type": key_usage_type}
        if key_id:
            params["key_id"] = key_id
        if member_id:
            params["member_id"] = member_id
        if is_new_member is not None:
            params["is_new_member"] = "true" if is_new_member else "false"
        return await self.transport.get_model(
            f"/certificate-authorities/{path_id(ca_name)}/csr-subject-fields",
            list[CsrSubjectFieldDescription], params=params)

    async def has_acme_eab_credentials(self, ca_name: str, key_usage_type: str,
                                       member_id: str | None = None) -> AcmeEabCredentialsStatus:
        params = {"key_usage_type": key_usage_type}
        if member_id:
            params["member_id"] = member_id
        return await self.transport.get_model(
            f"/certificate-authorities/{path_id(ca_name)}/has-acme-eab-credentials",
            AcmeEabCredentialsStatus, params=params)

    async def acme_order(self, ca_name: str, csr_id: str, key_usage_type: str) -> None:
        await self.transport.write(WriteRequest(
            method="POST", path=f"/certificate-authorities/{path_id(ca_name)}/acme-order",
            summary=_("Order a certificate from {ca} with ACME").format(ca=ca_name),
            json={"csr_id": csr_id, "key_usage_type": key_usage_type},
            audit_details={"ca": ca_name, "csr_id": csr_id, "usage": key_usage_type},
        ))

    # -- keys and CSRs -----------------------------------------------------------------------

    async def key(self, key_id: str) -> Key:
        return await self.transport.get_model(f"/keys/{path_id(key_id)}", Key)

    async def add_key_with_csr(self, label: str, csr: CsrGenerate,
                               token_id: str = SOFTWARE_TOKEN_ID,
                               ) -> KeyWithCertificateSigningRequestId:
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/tokens/{path_id(token_id)}/keys-with-csrs",
            summary=_("Generate {usage} key \"{label}\" and its CSR for {ca}").format(
                usage=csr.key_usage_type.lower(), label=label, ca=csr.ca_name),
            json={"key_label": label, "csr_generate_request": _csr_body(csr)},
            audit_details={"label": label, "usage": csr.key_usage_type, "ca": csr.ca_name,
                           "member_id": csr.member_id,
                           "subject": dict(csr.subject_field_values)},
        ))
        return decode(response, KeyWithCertificateSigningRequestId)

    async def add_csr(self, key_id: str, csr: CsrGenerate) -> Download:
        """A new CSR for an existing key (renewal with the same key); returns the file."""
        response = await self.transport.write(WriteRequest(
            method="POST", path=f"/keys/{path_id(key_id)}/csrs",
            summary=_("Generate a {usage} CSR for key {id}").format(
                usage=csr.key_usage_type.lower(), id=key_id),
            json=_csr_body(csr),
            audit_details={"key_id": key_id, "usage": csr.key_usage_type, "ca": csr.ca_name},
        ))
        return Download(response.content, response.headers.get("Content-Type", ""), None)

    async def download_csr(self, key_id: str, csr_id: str, csr_format: str = "PEM") -> Download:
        return await self.transport.get_bytes(
            f"/keys/{path_id(key_id)}/csrs/{path_id(csr_id)}", params={"csr_format": csr_format})

    async def delete_csr(self, key_id: str, csr_id: str) -> None:
        await self.transport.write(WriteRequest(
            method="DELETE", path=f"/keys/{path_id(key_id)}/csrs/{path_id(csr_id)}",
            summary=_("Delete CSR {csr} of key {key}").format(csr=csr_id, key=key_id),
            dangerous=True, audit_details={"key_id": key_id, "csr_id": csr_id},
        ))

    def delete_key_request(self, key_id: str, label: str = "") -> WriteRequest:
        """Deleting a key deletes its certificates; X-Road warns for a registered auth cert."""
        return WriteRequest(
            method="DELETE", path=f"/keys/{path_id(key_id)}",
            summary=_("Delete key {label} ({id}) and every certificate and CSR of it").format(
                label=label or key_id, id=key_id),
            dangerous=True, ignore_warnings_in="query",
            audit_details={"key_id": key_id, "label": label},
        )

    async def rename_key(self, key_id: str, name: str) -> Key:
        response = await self.transport.write(WriteRequest(
            method="PATCH", path=f"/keys/{path_id(key_id)}",
            summary=_("Rename key {id} to {name}").format(id=key_id, name=name),
            json={"name": name}, audit_details={"key_id": key_id, "name": name},
        ))
        return decode(response, Key)

    async def send(self, request: WriteRequest) -> None:
        await self.transport.write(request)
