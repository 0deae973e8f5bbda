"""The checks before a certificate is imported: the mistakes X-Road would refuse, said in words.

``check_certificate_for_import(client, data)`` only reads from the server: the tokens, the CSRs of
keys (the API shows no public keys, so the CSR is what carries a key's public key) and the
approved certification authorities. It returns what the certificate belongs to, or raises
``CertificateRejected`` with the reason; nothing is sent to the server either way.

The rules follow X-Road's signer (``ImportCertReqHandler``) and ``CertUtils``: a certificate
with the key usage nonRepudiation is a signing certificate; one with the extended key usage
clientAuth, or the key usages digitalSignature, keyEncipherment or dataEncipherment, is an
authentication certificate; it may not be both, nor neither, nor lack the key-usage extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from backend.api.errors import ApiError
from backend.i18n import _, ngettext
from backend.pki.certfile import CertificateFile, read_certificate, read_csr
from backend.pki.decode import CertificateFileError
from backend.pki.errors import CertificateRejected
from backend.pki.names import name_attributes, same_name

if TYPE_CHECKING:
    from backend.api.client import SecurityServerClient
    from backend.api.models import CertificateAuthority, CertificateDetails, Key, Token

__all__ = ["REASONS", "CertificateRejected", "CheckedCertificate", "check_certificate_for_import"]

AUTHENTICATION, SIGNING = "AUTHENTICATION", "SIGNING"

#: ``CertificateRejected.reason`` of each check, in the order they run (after the file's own
#: reasons, ``backend.pki.decode.REASONS``)
REASONS = ("already_imported", "ca_certificate", "no_key_usage", "both_usages", "no_usage",
           "expired", "not_yet_valid", "broken_chain", "cannot_compare", "no_matching_key",
           "wrong_usage", "self_signed", "unknown_ca", "ca_authentication_only")


@dataclass(frozen=True)
class CheckedCertificate:
    """A certificate that passed the checks, and the key on the server that waits for it.

    ``csr_id`` is the CSR whose key the certificate certifies (None when the key was matched
    through a certificate it already has); ``member_id`` the member a signing CSR was made for.
    """

    certificate: CertificateFile
    token_id: str
    token_name: str
    key_id: str
    key_label: str
    key_name: str
    usage: str
    csr_id: str | None
    member_id: str | None
    ca_name: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate.to_dict(),
            "token_id": self.token_id, "token_name": self.token_name,
            "key_id": self.key_id, "key_label": self.key_label, "key_name": self.key_name,
            "usage": self.usage, "csr_id": self.csr_id, "member_id": self.member_id,
            "ca_name": self.ca_name,
        }


def _date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _usages(cert: CertificateFile) -> str:
    named = [u.lower() for u in cert.key_usages or ()]
    return ", ".join(named) or _("none")


def _check_usages(cert: CertificateFile) -> str:
    """The certificate's usage by X-Road's rules (AUTHENTICATION or SIGNING), or refused."""
    profile = _("Ask the certification authority to issue it with the X-Road profile: an "
                "authentication certificate has the key usages digitalSignature and "
                "keyEncipherment, a signing certificate nonRepudiation.")
    if cert.key_usages is None:
        raise CertificateRejected(
            _("The certificate has no key-usage extension, so X-Road cannot tell whether it is "
              "for authentication or for signing, and refuses it. {profile}").format(
                profile=profile), "no_key_usage", _("No key usage"))
    if cert.signing and cert.authentication:
        raise CertificateRejected(
            _("The certificate's key usages ({usages}) make it both a signing certificate "
              "(nonRepudiation) and an authentication certificate (digitalSignature, "
              "keyEncipherment, dataEncipherment or clientAuth); X-Road accepts only one of "
              "the two. {profile}").format(usages=_usages(cert), profile=profile),
            "both_usages", _("Wrong key usage"))
    if not cert.signing and not cert.authentication:
        raise CertificateRejected(
            _("The certificate's key usages ({usages}) make it neither an authentication nor a "
              "signing certificate; X-Road refuses it. {profile}").format(
                usages=_usages(cert), profile=profile), "no_usage", _("Wrong key usage"))
    return SIGNING if cert.signing else AUTHENTICATION


def _check_validity(cert: CertificateFile, now: datetime) -> None:
    if cert.not_after < now:
        days = (now - cert.not_after).days
        raise CertificateRejected(
            ngettext("The certificate expired on {date}, {days} day ago. Ask the certification "
                     "authority for a new certificate.",
                     "The certificate expired on {date}, {days} days ago. Ask the certification "
                     "authority for a new certificate.", days).format(
                date=_date(cert.not_after), days=days), "expired", _("Certificate expired"))
    if cert.not_before > now:
        raise CertificateRejected(
            _("The certificate is valid only from {start}; it is now {now}. Import it from then "
              "on, or, if that time has passed, correct this computer's clock.").format(
                start=_date(cert.not_before), now=_date(now)),
            "not_yet_valid", _("Certificate not yet valid"))


def _already_imported(cert: CertificateFile, tokens: list[Token]) -> None:
    for token in tokens:
        for key in token.keys:
            for existing in key.certificates:
                if existing.certificate_details.hash.upper() == cert.hash:
                    raise CertificateRejected(
                        _("This certificate is already imported: key “{label}” ({key}) on token "
                          "{token}, status {status}, {active}. There is nothing to import.").format(
                            label=key.label, key=key.id, token=token.name,
                            status=existing.status,
                            active=_("active") if existing.active else _("not active")),
                        "already_imported", _("Already imported"))


def _same_public_key(cert: CertificateFile, details: CertificateDetails) -> bool:
    key = cert.public_key
    if isinstance(key, rsa.RSAPublicKey) and details.rsa_public_key_modulus:
        numbers = key.public_numbers()
        try:
            return (int(details.rsa_public_key_modulus, 16) == numbers.n
                    and details.rsa_public_key_exponent == numbers.e)
        except ValueError:
            return False
    if isinstance(key, ec.EllipticCurvePublicKey) and details.ec_public_key_point:
        point = key.public_bytes(serialization.Encoding.X962,
                                 serialization.PublicFormat.UncompressedPoint).hex()
        return details.ec_public_key_point.lower().removeprefix("0x") == point
    return False


@dataclass
class _Match:
    token: Token
    key: Key
    csr_id: str | None
    member_id: str | None


async def _csr_subject_matches(client: SecurityServerClient, key: Key,
                               cert: CertificateFile) -> tuple[str, str | None] | None:
    """Among the key's CSRs (same public key), the one whose subject is the certificate's."""
    wanted = name_attributes(cert.certificate.subject)
    for csr in key.certificate_signing_requests:
        try:
            download = await client.keys.download_csr(key.id, csr.id)
            if name_attributes(read_csr(download.content).request.subject) == wanted:
                return csr.id, csr.owner_id
        except (ApiError, CertificateFileError):
            continue
    return None


async def _find_key(client: SecurityServerClient, cert: CertificateFile,
                    tokens: list[Token]) -> _Match:
    wanted = cert.public_key_der
    csr_count, unavailable = 0, []
    for token in tokens:
        for key in token.keys:
            same = [c for c in key.certificates if _same_public_key(cert, c.certificate_details)]
            if same:
                return _Match(token, key, None, same[0].owner_id)
            if not key.certificate_signing_requests:
                continue
            csr_count += len(key.certificate_signing_requests)
            first = key.certificate_signing_requests[0]
            try:
                download = await client.keys.download_csr(key.id, first.id)
                csr = read_csr(download.content)
            except (ApiError, CertificateFileError) as error:
                unavailable.append((key, error))
                continue
            if csr.public_key_der != wanted:
                continue
            chosen = (await _csr_subject_matches(client, key, cert)
                      if len(key.certificate_signing_requests) > 1 else None)
            csr_id, member = chosen or (first.id, first.owner_id)
            return _Match(token, key, csr_id, member)
    if unavailable:
        key, error = unavailable[0]
        raise CertificateRejected(
            _("Kapka could not compare the certificate with the CSR of key “{label}” ({key}): "
              "{error} X-Road hands out a key's CSR only while its token is logged in: log in "
              "to the token and check again.").format(
                label=key.label, key=key.id, error=getattr(error, "message", error)),
            "cannot_compare", _("CSR not available"))
    if csr_count == 0:
        raise CertificateRejected(
            _("No key on this server waits for a certificate: there is no CSR on any token. "
              "Generate a key and its CSR, send the CSR to the certification authority, and "
              "import the certificate it issues for it."), "no_matching_key",
            _("No key waits for this certificate"))
    raise CertificateRejected(
        ngettext("No key on this server waits for this certificate: its public key is not the "
                 "key of the {n} CSR on the server. It was issued for another key (a CSR from "
                 "another server, or one deleted since). Find the certificate the CA issued for "
                 "the CSR you sent, or generate a new CSR.",
                 "No key on this server waits for this certificate: its public key is not the "
                 "key of any of the {n} CSRs on the server. It was issued for another key (a CSR "
                 "from another server, or one deleted since). Find the certificate the CA issued "
                 "for the CSR you sent, or generate a new CSR.", csr_count).format(n=csr_count),
        "no_matching_key", _("No key waits for this certificate"))


def _check_key_usage(cert_usage: str, key: Key) -> None:
    if key.usage is None or key.usage == cert_usage:
        return
    if cert_usage == AUTHENTICATION:
        message = _("This is an authentication certificate, but key “{label}” ({key}) is a "
                    "signing key: X-Road refuses it. Ask the certification authority for a "
                    "signing certificate (key usage nonRepudiation) for the CSR.")
    else:
        message = _("This is a signing certificate, but key “{label}” ({key}) is an "
                    "authentication key: X-Road refuses it. Ask the certification authority for "
                    "an authentication certificate (key usages digitalSignature and "
                    "keyEncipherment) for the CSR.")
    raise CertificateRejected(message.format(label=key.label, key=key.id), "wrong_usage",
                              _("Wrong certificate for this key"))


async def _approved_ca(client: SecurityServerClient, cert: CertificateFile,
                       usage: str) -> CertificateAuthority:
    if cert.self_signed:
        raise CertificateRejected(
            _("The certificate is self-signed ({subject}): no approved certification authority "
              "issued it, so X-Road cannot use it. Send the CSR to your X-Road certification "
              "authority.").format(subject=cert.subject), "self_signed",
            _("Self-signed certificate"))
    from backend.api.models import CertificateAuthority

    authorities = await client.keys.certificate_authorities()
    found = next((ca for ca in authorities
                  if same_name(cert.certificate.issuer, ca.subject_distinguished_name)), None)
    if found is None:  # an intermediate CA is listed only on request
        intermediate = await client.transport.get_model(
            "/certificate-authorities", list[CertificateAuthority],
            params={"include_intermediate_cas": "true"})
        found = next((ca for ca in intermediate
                      if same_name(cert.certificate.issuer, ca.subject_distinguished_name)), None)
        authorities = authorities or intermediate
    if found is None:
        names = ", ".join(ca.name for ca in authorities) or _("none")
        raise CertificateRejected(
            _("The certificate was issued by {issuer}, which is not an approved certification "
              "authority of this X-Road instance (approved: {names}). X-Road would refuse it: "
              "check that the certificate came from your X-Road certification "
              "authority.").format(issuer=cert.issuer, names=names), "unknown_ca",
            _("Not an approved CA"))
    if usage == SIGNING and found.authentication_only:
        raise CertificateRejected(
            _("{ca} is approved for authentication certificates only, and this is a signing "
              "certificate. Send the signing CSR to a certification authority approved for "
              "signing.").format(ca=found.name), "ca_authentication_only",
            _("CA not approved for signing"))
    return found


def _check_chain(cert: CertificateFile) -> None:
    if not cert.chain:
        return
    try:
        cert.certificate.verify_directly_issued_by(cert.chain[0])
    except (ValueError, TypeError, InvalidSignature) as error:
        raise CertificateRejected(
            _("The file holds the certificate of {issuer} too, but that authority's signature on "
              "the certificate does not verify ({error}). The certificate was altered or the "
              "file mixes up certificates: get it again from the certification "
              "authority.").format(issuer=cert.issuer, error=str(error) or _("invalid signature")),
            "broken_chain", _("Signature does not verify")) from error


async def check_certificate_for_import(client: SecurityServerClient, data: bytes, *,
                                       now: datetime | None = None,
                                       source: str | Path | None = None) -> CheckedCertificate:
    """Check ``data`` (a certificate file's bytes) before ``client.certificates.import_file``.

    Reads the tokens, CSRs and approved CAs; sends nothing. ``source`` names the file in
    messages. Raises ``CertificateRejected`` (``CertificateFileError`` for an unreadable file).
    """
    now = now or datetime.now(UTC)
    cert = read_certificate(data, source=source)
    tokens = await client.keys.tokens()
    _already_imported(cert, tokens)
    if cert.is_ca:
        cn = cert.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        raise CertificateRejected(
            _("This is the certificate of a certification authority ({subject}), not one issued "
              "for a key on this server. Import the certificate the authority issued for your "
              "CSR.").format(subject=cn[0].value if cn else cert.subject), "ca_certificate",
            _("A CA certificate"))
    usage = _check_usages(cert)
    _check_validity(cert, now)
    _check_chain(cert)
    match = await _find_key(client, cert, tokens)
    _check_key_usage(usage, match.key)
    authority = await _approved_ca(client, cert, usage)
    return CheckedCertificate(
        certificate=cert, token_id=match.token.id, token_name=match.token.name,
        key_id=match.key.id, key_label=match.key.label, key_name=match.key.name,
        usage=match.key.usage or usage, csr_id=match.csr_id,
        member_id=match.member_id if usage == SIGNING else None, ca_name=authority.name,
    )
