"""TLS trust for the admin API: verification is always on.

Kapka trusts either a certificate file the operator names (on a security server
``/etc/xroad/ssl/proxy-ui-api.crt``) or a certificate it pinned on first use after the operator
compared its SHA-256 fingerprint. A self-signed leaf certificate is trusted as exactly that
certificate (no host-name check: the pin is stronger); a CA certificate is trusted as a CA, with the
host name checked.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from backend.api.errors import ConnectionFailed, TlsTrustError
from backend.api.fingerprints import (  # noqa: F401  (re-exported)
    DEFAULT_SERVER_CERTIFICATE,
    fingerprint_sha256,
    normalise_fingerprint,
)
from backend.i18n import _


def pem_from_der(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class ServerCertificate:
    """What a server presented, for the operator to compare before trusting it."""

    der: bytes
    fingerprint: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime

    @classmethod
    def from_der(cls, der: bytes) -> ServerCertificate:
        cert = x509.load_der_x509_certificate(der)
        return cls(
            der=der,
            fingerprint=fingerprint_sha256(der),
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )

    @property
    def pem(self) -> str:
        return pem_from_der(self.der)


@dataclass(frozen=True)
class TlsTrust:
    """The certificate file Kapka trusts for one server, and the pinned fingerprint if any."""

    certificate: Path
    fingerprint: str | None = None

    def load(self) -> list[x509.Certificate]:
        try:
            data = self.certificate.read_bytes()
        except OSError as exc:
            raise TlsTrustError(
                _("Cannot read the trusted certificate {path}: {error}. Check the path and "
                  "its permissions (on a security server, add your user to the xroad group "
                  "or copy the file).").format(path=self.certificate, error=exc.strerror),
                _("Trusted certificate unreadable"),
            ) from exc
        try:
            if b"-----BEGIN" in data:
                return x509.load_pem_x509_certificates(data)
            return [x509.load_der_x509_certificate(data)]
        except ValueError as exc:
            raise TlsTrustError(
                _("{path} is not a PEM or DER certificate.").format(path=self.certificate),
                _("Trusted certificate invalid"),
            ) from exc

    def ssl_context(self) -> ssl.SSLContext:
        certs = self.load()
        pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=pem)
        # A pinned leaf is trusted as itself; a CA file also gets the host name checked.
        ctx.check_hostname = any(_is_ca(c) for c in certs) and self.fingerprint is None
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        return ctx


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(_("The admin API URL must start with https://"))
    return parts.hostname, parts.port or 443


async def probe_server_certificate(url: str, timeout: float = 10.0) -> ServerCertificate:
    """Read the certificate a server presents, sending nothing: for the operator to compare."""
    host, port = host_and_port(url)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # only to read the certificate; no credentials are sent
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=ctx, server_hostname=host), timeout
        )
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        raise ConnectionFailed(
            _("Cannot open a TLS connection to {host}:{port}: {error}").format(
                host=host, port=port, error=exc or type(exc).__name__
            ),
            _("Server unreachable"),
        ) from exc
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        writer.close()
    if not der:
        raise TlsTrustError(_("The server presented no certificate."), _("No certificate"))
    return ServerCertificate.from_der(der)
