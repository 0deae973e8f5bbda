"""Certificate signing requests as X-Road's admin service and signer make them.

* The subject fields come from the CA's certificate profile (``CertificateProfileInfoProvider``):
  :func:`profile_fields` implements X-Road's ``BasicCertificateProfileInfoProvider``.
* :func:`process_dn_parameters` is X-Road's ``DnFieldHelper.processDnParameters``: read-only fields
  keep their default, required editable fields must be given, unknown parameters are refused.
* :func:`build_request` is the signer's ``AbstractGenerateCertReq``: the subject in profile order
  (``new X500Name("CN=…, serialNumber=…")`` keeps the written order), a key-usage extension request
  by the key's usage, a DNS subject alternative name when one is given, SHA256withRSA.
* :func:`csr_filename` is ``CsrFilenameCreator``.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.pki import AUTHENTICATION, NAME_OIDS, SIGNING

BASIC_PROFILE = "ee.ria.xroad.common.certificateprofile.impl.BasicCertificateProfileInfoProvider"
SUBJECT_ALT_NAME = "subjectAltName"
PEM = "PEM"
DER = "DER"
CSR_FORMATS = (PEM, DER)

_PRINTABLE = set(string.ascii_letters + string.digits + " '()+,-./:=?")


@dataclass(frozen=True)
class FieldDescription:
    """One subject field of a profile (X-Road's ``DnFieldDescription``)."""

    id: str
    label_key: str
    default_value: str | None
    read_only: bool
    required: bool = True

    def render(self) -> dict[str, Any]:
        """``CsrSubjectFieldDescription``: localized fields carry ``label_key``, never ``label``."""
        return {
            "id": self.id,
            "label_key": self.label_key,
            "default_value": self.default_value,
            "read_only": self.read_only,
            "required": self.required,
            "localized": True,
        }


@dataclass(frozen=True)
class ServerId:
    """The security server's id: ``INSTANCE:CLASS:CODE:SERVERCODE``."""

    instance: str
    member_class: str
    member_code: str
    server_code: str


@dataclass(frozen=True)
class MemberId:
    """A member's id: ``INSTANCE:CLASS:CODE``."""

    instance: str
    member_class: str
    member_code: str

    @classmethod
    def parse(cls, encoded: str) -> MemberId | None:
        parts = encoded.split(":")
        if len(parts) != 3 or not all(parts):
            return None
        return cls(*parts)

    def encoded(self) -> str:
        return f"{self.instance}:{self.member_class}:{self.member_code}"


class UnknownProfile(Exception):
    """The CA names a certificate profile the sandbox does not implement."""


def profile_fields(
    profile: str, usage: str, server: ServerId, member: MemberId | None, member_name: str | None
) -> list[FieldDescription]:
    """The subject fields of ``profile`` for a CSR of ``usage``.

    For authentication the member is the server's owner and ``member_name`` its name; for signing
    it is the member the certificate is for.
    """
    if profile != BASIC_PROFILE:
        raise UnknownProfile(profile)
    if usage == AUTHENTICATION:
        return [
            FieldDescription("CN", "SERVER_DNS_NAME", "", read_only=False),
            FieldDescription("serialNumber", "MEMBER_CODE_SN", server.member_code, read_only=True),
            FieldDescription("C", "COUNTRY_CODE", "", read_only=False),
            FieldDescription("O", "ORGANIZATION_NAME", member_name, read_only=True),
        ]
    if member is None:
        raise ValueError("a signing profile needs a member")
    return [
        FieldDescription("CN", "ORGANIZATION_NAME_CN", member_name, read_only=True),
        FieldDescription("O", "ORGANIZATION_NAME", member_name, read_only=True),
        FieldDescription("businessCategory", "MEMBER_CLASS_BC", member.member_class, read_only=True),
        FieldDescription("C", "COUNTRY_CODE", "", read_only=False),
        FieldDescription("serialNumber", "MEMBER_CODE_SN", member.member_code, read_only=True),
    ]


def _invalid_dn(detail: str) -> SandboxError:
    return SandboxError("invalid_dn_parameter",
                        _("The CSR subject is not valid: {detail}").format(detail=detail))


def process_dn_parameters(
    fields: list[FieldDescription], values: dict[str, str]
) -> list[tuple[str, str]]:
    """The subject field values for ``fields`` from the user's ``values`` (``invalid_dn_parameter``)."""
    unprocessed = set(values)
    result = []
    for field in fields:
        given = values.get(field.id)
        missing = given is None or not given.strip()
        if field.required and not field.read_only and missing:
            raise _invalid_dn(_("missing parameter: {field}").format(field=field.id))
        value = field.default_value if field.read_only or missing else given
        result.append((field.id, value or ""))
        unprocessed.discard(field.id)
    if unprocessed:
        raise _invalid_dn(_("extraneous parameters: {fields}").format(
            fields=", ".join(sorted(unprocessed))))
    for field, (_id, value) in zip(fields, result, strict=True):
        if field.required and not value.strip():
            raise _invalid_dn(_("field {field} is missing a value").format(field=field.id))
    return result


def subject_name(values: list[tuple[str, str]]) -> x509.Name:
    """The subject for the non-blank values, in the order given (X-Road's ``createSubjectName``)."""
    attributes = []
    for key, value in values:
        if not value.strip() or key == SUBJECT_ALT_NAME:
            continue
        oid = NAME_OIDS.get(key)
        if oid is None:
            raise _invalid_dn(_("unknown field {field}").format(field=key))
        printable = oid in (NameOID.COUNTRY_NAME, NameOID.SERIAL_NUMBER) and set(value) <= _PRINTABLE
        kind = x509.name._ASN1Type.PrintableString if printable else x509.name._ASN1Type.UTF8String
        attributes.append(x509.NameAttribute(oid, value, kind, _validate=False))
    return x509.Name(attributes)


def _request_key_usage(usage: str) -> x509.KeyUsage:
    flags = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    if usage == SIGNING:
        flags.update(content_commitment=True, key_cert_sign=True)
    else:
        flags.update(digital_signature=True, data_encipherment=True, key_encipherment=True)
    return x509.KeyUsage(**flags)


def build_request(
    private_key: rsa.RSAPrivateKey, subject: x509.Name, usage: str, alt_name: str | None = None
) -> x509.CertificateSigningRequest:
    """A PKCS #10 request signed by ``private_key``, as the signer builds it."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if alt_name:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(alt_name)]), critical=False)
    builder = builder.add_extension(_request_key_usage(usage), critical=False)
    return builder.sign(private_key, hashes.SHA256())


def encode(der: bytes, csr_format: str) -> bytes:
    """A stored request in the asked format (PEM as BouncyCastle's ``JcaPEMWriter`` writes it)."""
    if csr_format == DER:
        return der
    request = x509.load_der_x509_csr(der)
    return request.public_bytes(serialization.Encoding.PEM)


def load_request(data: bytes) -> x509.CertificateSigningRequest:
    """A request from PEM or DER bytes; ``ValueError`` if they hold none."""
    if data.lstrip().startswith(b"-----"):
        return x509.load_pem_x509_csr(data)
    return x509.load_der_x509_csr(data)


def requested_usage(request: x509.CertificateSigningRequest) -> str | None:
    """The usage a request asks for: from its key-usage extension request, else from its subject.

    X-Road's signer asks nonRepudiation for signing keys and digitalSignature/keyEncipherment for
    authentication keys; a subject with a businessCategory is a signing profile's.
    """
    try:
        key_usage = request.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        key_usage = None
    if key_usage is not None:
        if key_usage.content_commitment:
            return SIGNING
        if key_usage.digital_signature or key_usage.key_encipherment:
            return AUTHENTICATION
    if request.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY):
        return SIGNING
    return None


def requested_alt_names(request: x509.CertificateSigningRequest) -> x509.SubjectAlternativeName | None:
    try:
        return request.extensions.get_extension_for_oid(
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value  # type: ignore[return-value]
    except x509.ExtensionNotFound:
        return None


def csr_filename(
    usage: str, csr_format: str, member: MemberId | None, server: ServerId,
    today: dt.date | None = None,
) -> str:
    """``auth_csr_20250101_securityserver_I_C_M_S.der`` / ``sign_csr_20250101_member_I_C_M.pem``."""
    date = (today or dt.datetime.now().date()).strftime("%Y%m%d")
    if usage == AUTHENTICATION:
        identifier = (f"securityserver_{server.instance}_{server.member_class}_"
                      f"{server.member_code}_{server.server_code}")
        prefix = "auth"
    else:
        if member is None:
            raise ValueError("a signing CSR belongs to a member")
        identifier = f"member_{member.instance}_{member.member_class}_{member.member_code}"
        prefix = "sign"
    return f"{prefix}_csr_{date}_{identifier}.{csr_format.lower()}"
