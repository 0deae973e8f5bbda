"""The sandbox's certification authority as a tool: sign CSRs and revoke certificates.

This is the air-gapped flow a Tunduk operator follows with the certification centre: the security
server makes a CSR, the operator carries it to the CA, the CA signs it and the operator imports the
certificate. ``kapka sandbox ca sign`` plays the CA on a sandbox data directory, whether or not the
sandbox is running (both sides use SQLite's locking on ``sandbox.db``); ``kapka sandbox ca revoke``
revokes, and the sandbox's OCSP responder answers ``revoked`` from then on.

The certificate keeps the CSR's subject and subject alternative names; its key usage follows the
usage the CSR asks for (see :func:`~backend.sandbox.csr.requested_usage`) unless ``--usage`` says
otherwise, which also makes the wrong certificates X-Road refuses (``both``, ``neither``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from backend.atomicfile import write_whole
from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox import csr as csrs
from backend.sandbox.certinfo import java_dn
from backend.sandbox.paths import default_data_dir, is_sandbox_data_dir
from backend.sandbox.pki import (
    AUTHENTICATION,
    BOTH,
    NEITHER,
    SIGNING,
    Issuer,
    Pki,
    ensure_pki,
    issue_certificate,
)
from backend.sandbox.seed import Seed, load_seed
from backend.sandbox.wire import store_time, utcnow

DATABASE_NAME = "sandbox.db"
DEFAULT_OCSP_URL = "https://127.0.0.1:4000/sandbox/ocsp"
REVOCATION_REASONS = tuple(x509.ReasonFlags.__members__)
_USAGES = {"auth": AUTHENTICATION, "sign": SIGNING, "both": BOTH, "neither": NEITHER}


def certify(
    connection: sqlite3.Connection,
    issuer: Issuer,
    public_key: CertificatePublicKeyTypes,
    subject: x509.Name,
    usage: str,
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    ocsp_url: str,
    alt_names: x509.SubjectAlternativeName | None = None,
) -> x509.Certificate:
    """Issue a certificate and enter it in the CAs' register (which answers the OCSP responder)."""
    cert = issue_certificate(issuer.ca, public_key, subject, usage, not_before=not_before,
                             not_after=not_after, ocsp_url=ocsp_url, alt_names=alt_names)
    connection.execute(
        "INSERT INTO ca_issued (serial, subject, der, issued_at) VALUES (?, ?, ?, ?)",
        (str(cert.serial_number), cert.subject.rfc4514_string(),
         cert.public_bytes(serialization.Encoding.DER), store_time(utcnow())),
    )
    return cert


def revoke(connection: sqlite3.Connection, cert: x509.Certificate, reason: str) -> bool:
    """Mark ``cert`` revoked in the register; ``False`` if the sandbox CAs never issued it."""
    der = cert.public_bytes(serialization.Encoding.DER)
    row = connection.execute("SELECT der FROM ca_issued WHERE serial = ?",
                             (str(cert.serial_number),)).fetchone()
    if row is None or bytes(row[0]) != der:
        return False
    connection.execute(
        "UPDATE ca_issued SET revoked_at = ?, revocation_reason = ? "
        "WHERE serial = ? AND revoked_at IS NULL",
        (store_time(utcnow()), reason, str(cert.serial_number)),
    )
    return True


def load_certificate(data: bytes) -> x509.Certificate:
    """A certificate from PEM or DER bytes; ``ValueError`` if they hold none."""
    if data.lstrip().startswith(b"-----"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


class SandboxCA:
    """The CAs of one sandbox data directory, opened without starting (or changing) the server."""

    def __init__(self, data_dir: Path, seed: Seed, pki: Pki, connection: sqlite3.Connection) -> None:
        self.data_dir = data_dir
        self.seed = seed
        self.pki = pki
        self.connection = connection

    @classmethod
    def open(cls, data_dir: Path) -> SandboxCA:
        if not is_sandbox_data_dir(data_dir) or not (data_dir / DATABASE_NAME).exists():
            raise KapkaError(
                _("{path} is not a sandbox data directory; start the sandbox once with --data "
                  "{path} to create it.").format(path=data_dir),
                _("Sandbox CA"),
            )
        seed = load_seed()
        pki = ensure_pki(data_dir / "pki", seed, create=False)
        connection = sqlite3.connect(data_dir / DATABASE_NAME, timeout=30, isolation_level=None)
        return cls(data_dir, seed, pki, connection)

    def close(self) -> None:
        self.connection.close()

    def issuer(self, name: str | None) -> Issuer:
        found = self.pki.issuer_named(name or self.seed.ca.name)
        if found is None:
            raise KapkaError(_("The sandbox has no CA named {name!r}; it has {names}.").format(
                name=name, names=", ".join(repr(i.name) for i in self.pki.issuers)),
                _("Sandbox CA"))
        return found

    def sign(
        self,
        request_data: bytes,
        *,
        days: int = 365,
        not_before: dt.datetime | None = None,
        usage: str | None = None,
        ca_name: str | None = None,
        ocsp_url: str = DEFAULT_OCSP_URL,
    ) -> x509.Certificate:
        """Certify the key of a CSR (PEM or DER) for ``days`` from ``not_before`` (default now)."""
        try:
            request = csrs.load_request(request_data)
        except ValueError as error:
            raise KapkaError(_("The file holds no certificate signing request."),
                             _("Sandbox CA")) from error
        if not request.is_signature_valid:
            raise KapkaError(_("The CSR's signature does not verify."), _("Sandbox CA"))
        usage = usage or csrs.requested_usage(request)
        if usage is None:
            raise KapkaError(_("The CSR does not say whether it is for authentication or signing; "
                               "give --usage auth or --usage sign."), _("Sandbox CA"))
        if days < 1:
            raise KapkaError(_("A certificate is valid for at least a day."), _("Sandbox CA"))
        start = (not_before or utcnow()).replace(microsecond=0)
        issuer = self.issuer(ca_name)
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            cert = certify(self.connection, issuer, request.public_key(), request.subject, usage,
                           not_before=start, not_after=start + dt.timedelta(days=days),
                           ocsp_url=ocsp_url, alt_names=csrs.requested_alt_names(request))
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        return cert

    def revoke(self, cert_data: bytes, reason: str = "key_compromise") -> x509.Certificate:
        try:
            cert = load_certificate(cert_data)
        except ValueError as error:
            raise KapkaError(_("The file holds no certificate."), _("Sandbox CA")) from error
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            found = revoke(self.connection, cert, reason)
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        if not found:
            raise KapkaError(_("The sandbox CAs did not issue this certificate."), _("Sandbox CA"))
        return cert


def _time(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("not a date or time: {text!r} (use e.g. 2025-01-31 or 2025-01-31T12:00)").format(
                text=text)) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kapka sandbox ca",
        description=_("The sandbox's certification authority: sign CSRs, revoke certificates."))
    commands = parser.add_subparsers(dest="command", required=True)
    data_help = _("sandbox data directory (default {path})").format(path=default_data_dir())
    sign = commands.add_parser("sign", help=_("sign a CSR (PEM or DER) and write the certificate"))
    sign.add_argument("request", type=Path, metavar="REQUEST.csr")
    sign.add_argument("-o", "--output", type=Path, required=True, metavar="CERT.pem")
    sign.add_argument("--der", action="store_true", help=_("write the certificate as DER"))
    sign.add_argument("--days", type=int, default=365, help=_("validity in days (default 365)"))
    sign.add_argument("--not-before", type=_time, metavar="TIME",
                      help=_("start of validity (default now); a past date makes an expired "
                             "certificate, a future one a not yet valid one"))
    sign.add_argument("--usage", choices=tuple(_USAGES),
                      help=_("key usage to certify instead of the one the CSR asks for; 'both' "
                             "and 'neither' make certificates X-Road refuses"))
    sign.add_argument("--ca", metavar="NAME", help=_("which sandbox CA signs (default the test CA)"))
    sign.add_argument("--ocsp-url", default=DEFAULT_OCSP_URL, metavar="URL",
                      help=_("OCSP responder URL written into the certificate (default {url})")
                      .format(url=DEFAULT_OCSP_URL))
    sign.add_argument("--data", type=Path, metavar="DIR", help=data_help)
    revoke_cmd = commands.add_parser("revoke", help=_("revoke a certificate (PEM or DER)"))
    revoke_cmd.add_argument("certificate", type=Path, metavar="CERT.pem")
    revoke_cmd.add_argument("--reason", choices=REVOCATION_REASONS, default="key_compromise")
    revoke_cmd.add_argument("--data", type=Path, metavar="DIR", help=data_help)
    return parser


def main(argv: list[str]) -> int:
    """Entry point of ``kapka sandbox ca``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        authority = SandboxCA.open(args.data or default_data_dir())
        try:
            if args.command == "sign":
                cert = authority.sign(
                    args.request.read_bytes(), days=args.days, not_before=args.not_before,
                    usage=_USAGES[args.usage] if args.usage else None, ca_name=args.ca,
                    ocsp_url=args.ocsp_url)
                encoding = serialization.Encoding.DER if args.der else serialization.Encoding.PEM
                write_whole(args.output, cert.public_bytes(encoding))
                print(_("Signed {subject}, serial {serial}, valid until {until}: {path}").format(
                    subject=java_dn(cert.subject), serial=cert.serial_number,
                    until=cert.not_valid_after_utc.isoformat(), path=args.output))
            else:
                cert = authority.revoke(args.certificate.read_bytes(), args.reason)
                print(_("Revoked serial {serial} ({reason}). The sandbox's OCSP responder answers "
                        "'revoked' now; a running sandbox shows it at its next OCSP fetch.").format(
                    serial=cert.serial_number, reason=args.reason))
        finally:
            authority.close()
    except KapkaError as error:
        print(f"{error.title}: {error.message}", file=sys.stderr)
        return 1
    except OSError as error:
        print(_("Sandbox CA: {error}").format(error=error), file=sys.stderr)
        return 1
    return 0
