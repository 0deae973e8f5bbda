"""Certificate and CSR files an operator brings: read, recognised, described as X-Road describes them.

``read_certificate(data)`` accepts what X-Road's import accepts (PEM or DER) and what operators
receive in practice (a PEM bundle with the CA's certificate, PKCS #7, base64 without PEM lines,
Windows' UTF-16 exports), and refuses everything else with the reason: a CSR, a private key, a
web page, a file cut short… ``read_certificate_file(path)`` adds X-Road's 10 MB upload limit,
checked before the file is read. ``read_csr(data)`` does the same for CSR files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PublicKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID

from backend.i18n import _
from backend.pki.decode import (
    MAX_FILE_BYTES,
    Blob,
    CertificateFileError,
    Decoded,
    decode,
    read_limited,
)
from backend.pki.names import common_name, java_dn

__all__ = [
    "MAX_FILE_BYTES",
    "CertificateFile",
    "CertificateFileError",
    "CsrFile",
    "cert_hash",
    "public_key_der",
    "read_certificate",
    "read_certificate_file",
    "read_csr",
    "read_csr_file",
]

#: X-Road's ``KeyUsage`` names, in the order of the key-usage bits
KEY_USAGES = (
    ("digital_signature", "DIGITAL_SIGNATURE"),
    ("content_commitment", "NON_REPUDIATION"),
    ("key_encipherment", "KEY_ENCIPHERMENT"),
    ("data_encipherment", "DATA_ENCIPHERMENT"),
    ("key_agreement", "KEY_AGREEMENT"),
    ("key_cert_sign", "KEY_CERT_SIGN"),
    ("crl_sign", "CRL_SIGN"),
    ("encipher_only", "ENCIPHER_ONLY"),
    ("decipher_only", "DECIPHER_ONLY"),
)


def cert_hash(der: bytes) -> str:
    """X-Road's certificate hash: SHA-256 of the DER, upper-case hex without separators."""
    return hashlib.sha256(der).hexdigest().upper()


def public_key_der(key: PublicKeyTypes) -> bytes:
    """A public key as DER SubjectPublicKeyInfo: equal bytes, equal keys."""
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def key_usage_names(cert: x509.Certificate) -> tuple[str, ...] | None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    found = []
    for attribute, name in KEY_USAGES:
        try:
            if getattr(usage, attribute):
                found.append(name)
        except ValueError:  # encipher_only/decipher_only are undefined without key_agreement
            continue
    return tuple(found)


def _extended_key_usages(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(oid.dotted_string for oid in usage)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


@dataclass(frozen=True)
class CertificateFile:
    """A certificate read from a file, with what X-Road shows about it.

    ``key_usages`` is None when the certificate has no key-usage extension at all (X-Road
    refuses such a certificate), else X-Road's names of the bits that are set.
    ``chain`` holds the other certificates of a bundle (the CA's), ``notes`` what Kapka noticed
    about the file without refusing it (a .der file holding PEM…).
    """

    certificate: x509.Certificate
    der: bytes
    hash: str
    subject: str
    issuer: str
    subject_common_name: str | None
    issuer_common_name: str | None
    serial: str
    not_before: datetime
    not_after: datetime
    key_usages: tuple[str, ...] | None
    extended_key_usages: tuple[str, ...]
    is_ca: bool
    self_signed: bool
    encoding: str
    chain: tuple[x509.Certificate, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def public_key(self) -> CertificatePublicKeyTypes:
        return self.certificate.public_key()

    @property
    def public_key_der(self) -> bytes:
        return public_key_der(self.certificate.public_key())

    @property
    def signing(self) -> bool:
        """A signing certificate by X-Road's rule: the key usage nonRepudiation."""
        return "NON_REPUDIATION" in (self.key_usages or ())

    @property
    def authentication(self) -> bool:
        """An authentication certificate by X-Road's rule: the extended key usage clientAuth,
        or one of the key usages digitalSignature, keyEncipherment, dataEncipherment."""
        if ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string in self.extended_key_usages:
            return True
        return bool({"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT", "DATA_ENCIPHERMENT"}
                    & set(self.key_usages or ()))

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until ``not_after`` (negative once expired)."""
        return (self.not_after - (now or datetime.now(UTC))).days

    def to_dict(self) -> dict[str, Any]:
        """The description as JSON-ready values (names as in X-Road's ``CertificateDetails``)."""
        return {
            "hash": self.hash,
            "subject_distinguished_name": self.subject,
            "subject_common_name": self.subject_common_name,
            "issuer_distinguished_name": self.issuer,
            "issuer_common_name": self.issuer_common_name,
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "key_usages": list(self.key_usages) if self.key_usages is not None else None,
            "extended_key_usages": list(self.extended_key_usages),
            "is_ca": self.is_ca,
            "self_signed": self.self_signed,
            "encoding": self.encoding,
            "chain": [java_dn(cert.subject) for cert in self.chain],
            "notes": list(self.notes),
        }


def describe(cert: x509.Certificate, *, encoding: str = "DER",
             chain: tuple[x509.Certificate, ...] = (), notes: tuple[str, ...] = ()
             ) -> CertificateFile:
    der = cert.public_bytes(serialization.Encoding.DER)
    return CertificateFile(
        certificate=cert, der=der, hash=cert_hash(der),
        subject=java_dn(cert.subject), issuer=java_dn(cert.issuer),
        subject_common_name=common_name(cert.subject),
        issuer_common_name=common_name(cert.issuer),
        serial=str(cert.serial_number),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        key_usages=key_usage_names(cert), extended_key_usages=_extended_key_usages(cert),
        is_ca=_is_ca(cert), self_signed=cert.subject == cert.issuer,
        encoding=encoding, chain=chain, notes=notes,
    )


def _wrong_kind(where: str, kinds: set[str]) -> CertificateFileError:
    if "private_key" in kinds:
        return CertificateFileError(
            _("{file} holds a private key. Kapka does not upload or keep it, and X-Road never "
              "needs one: its keys stay on the token. Import the certificate the certification "
              "authority issued. If this key file was sent by e-mail or kept on a shared disk, "
              "treat the key as exposed.").format(file=where), "private_key",
            _("A private key, not a certificate"))
    if "csr" in kinds:
        return CertificateFileError(
            _("{file} is a certificate signing request (CSR), not a certificate. Send it to the "
              "certification authority, then import the certificate it sends back.").format(
                file=where), "csr", _("A CSR, not a certificate"))
    if "public_key" in kinds:
        return CertificateFileError(
            _("{file} holds a bare public key, not a certificate. Import the certificate the "
              "certification authority issued for your CSR.").format(file=where), "public_key",
            _("A public key, not a certificate"))
    if "crl" in kinds:
        return CertificateFileError(
            _("{file} is a certificate revocation list (CRL), not a certificate. Import the "
              "certificate the certification authority issued for your CSR.").format(file=where),
            "crl", _("A CRL, not a certificate"))
    return CertificateFileError(
        _("{file} holds no certificate: its content is ASN.1 of a kind Kapka does not recognise "
          "as a certificate, CSR or key. Check that you chose the certificate file.").format(
            file=where), "not_certificate", _("Not a certificate"))


def _certificates(blobs: list[Blob], where: str) -> list[x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for blob in blobs:
        try:
            if blob.kind == "certificate":
                certificates.append(x509.load_der_x509_certificate(blob.der))
            elif blob.kind == "pkcs7":
                certificates.extend(pkcs7.load_der_pkcs7_certificates(blob.der))
        except ValueError as error:
            raise CertificateFileError(
                _("{file} has a certificate that cannot be read ({error}). The file is damaged or "
                  "not an X.509 certificate: get the original from the certification "
                  "authority.").format(file=where, error=error), "damaged",
                _("Damaged certificate")) from error
    return certificates


def _leaf(certificates: list[x509.Certificate], where: str
          ) -> tuple[x509.Certificate, tuple[x509.Certificate, ...]]:
    """The certificate a bundle is for: the one that issued none of the others; the rest must
    be its issuers, directly or through each other."""
    unique = list({cert.public_bytes(serialization.Encoding.DER): cert
                   for cert in certificates}.values())
    if len(unique) == 1:
        return unique[0], ()
    issuers = {cert.issuer for cert in unique if cert.issuer != cert.subject}
    leaves = [cert for cert in unique if cert.subject not in issuers]
    if len(leaves) == 1:
        leaf, chain = leaves[0], []
        rest = [cert for cert in unique if cert is not leaf]
        current = leaf
        while current.issuer != current.subject:
            parent = next((c for c in rest if c.subject == current.issuer and c not in chain),
                          None)
            if parent is None:
                break
            chain.append(parent)
            current = parent
        if len(chain) == len(rest):
            return leaf, tuple(chain)
    names = "; ".join(java_dn(cert.subject) for cert in unique)
    raise CertificateFileError(
        _("{file} holds {n} certificates that are not one chain ({names}). Keep only the "
          "certificate issued for your key in the file, or choose the right file.").format(
            file=where, n=len(unique), names=names), "unrelated_bundle",
        _("Several unrelated certificates"))


def _name(source: str | Path | None) -> tuple[str, str]:
    if source is None:
        return _("the file"), ""
    return str(source), Path(source).suffix


def read_certificate(data: bytes, *, source: str | Path | None = None) -> CertificateFile:
    """The certificate in ``data`` (named ``source`` in messages), or ``CertificateFileError``."""
    where, suffix = _name(source)
    decoded: Decoded = decode(data, where, suffix=suffix)
    certificates = _certificates(decoded.blobs, where)
    kinds = {blob.kind for blob in decoded.blobs}
    if "private_key" in kinds or not certificates:
        raise _wrong_kind(where, kinds)
    leaf, chain = _leaf(certificates, where)
    notes = list(decoded.notes)
    if chain:
        notes.append(_("{file} also holds the certificate of {issuer}; Kapka uses only the "
                       "certificate of {subject}.").format(
            file=where, issuer=", ".join(java_dn(c.subject) for c in chain),
            subject=java_dn(leaf.subject)))
    return describe(leaf, encoding=decoded.encoding, chain=chain, notes=tuple(notes))


def read_certificate_file(path: Path, *, limit: int = MAX_FILE_BYTES) -> CertificateFile:
    """The certificate in the file at ``path``; a file over ``limit`` is refused unread."""
    return read_certificate(read_limited(path, limit), source=path)


@dataclass(frozen=True)
class CsrFile:
    """A certificate signing request read from a file (or downloaded from the server)."""

    request: x509.CertificateSigningRequest
    der: bytes
    subject: str
    encoding: str
    signature_valid: bool

    @property
    def public_key(self) -> PublicKeyTypes:
        return self.request.public_key()

    @property
    def public_key_der(self) -> bytes:
        return public_key_der(self.request.public_key())

    def pem(self) -> bytes:
        return self.request.public_bytes(serialization.Encoding.PEM)


def read_csr(data: bytes, *, source: str | Path | None = None) -> CsrFile:
    """The CSR in ``data`` (PEM or DER), or ``CertificateFileError`` saying what it is instead."""
    where, suffix = _name(source)
    decoded = decode(data, where, suffix=suffix)
    kinds = {blob.kind for blob in decoded.blobs}
    csrs = [blob for blob in decoded.blobs if blob.kind == "csr"]
    if not csrs:
        if kinds & {"certificate", "pkcs7"}:
            raise CertificateFileError(
                _("{file} is a certificate, not a certificate signing request (CSR). Import it "
                  "with “kapka cert import”.").format(file=where), "certificate",
                _("A certificate, not a CSR"))
        error = _wrong_kind(where, kinds - {"csr"})
        if error.reason == "not_certificate":
            error = CertificateFileError(
                _("{file} holds no certificate signing request (CSR).").format(file=where),
                "not_csr", _("Not a CSR"))
        raise error
    if len(csrs) > 1:
        raise CertificateFileError(
            _("{file} holds {n} CSRs; keep one per file.").format(file=where, n=len(csrs)),
            "not_csr", _("Several CSRs"))
    try:
        request = x509.load_der_x509_csr(csrs[0].der)
    except ValueError as error:
        raise CertificateFileError(
            _("{file} has a CSR that cannot be read ({error}).").format(file=where, error=error),
            "damaged", _("Damaged CSR")) from error
    return CsrFile(request=request, der=csrs[0].der, subject=java_dn(request.subject),
                   encoding=decoded.encoding, signature_valid=request.is_signature_valid)


def read_csr_file(path: Path) -> CsrFile:
    return read_csr(read_limited(path), source=path)
