"""Who signs generated traffic: the members' signing keys and certificates, and their OCSP responses.

A request is signed by its client's member, a response by the service owner's member (X-Road's
signer ids). A member whose signing certificate is on this server's token (active, registered,
not revoked) signs with that token key from the certificate's start on; the token must be opened
with its PIN. Every other member (those of other security servers), and a local member for the time
before its token certificate starts, signs with a *traffic key*: an RSA 2048 key kept in
``<data>/messagelog/signers/`` and certified by the sandbox's test CA (with X-Road's basic
signing-certificate profile; the certificate is entered in the CAs' register, so the sandbox's OCSP
responder answers for it like for any other).

The OCSP response embedded in a signature is the one the signer had fetched by then: one per
certificate per ``ocspFetchInterval`` window, produced at the window's start.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from backend.sandbox import ocsp
from backend.sandbox.ca import DEFAULT_OCSP_URL, certify
from backend.sandbox.pki import SIGNING, Issuer, Pki, make_name, write_private
from backend.sandbox.seed import Seed
from backend.sandbox.softtoken import SoftToken
from backend.sandbox.traffic.messages import Party
from backend.sandbox.traffic.ocsphistory import response_at
from backend.sandbox.traffic.xades import SignerCertificate
from backend.sandbox.wire import parse_time

#: how long a traffic certificate is valid
TRAFFIC_CERT_DAYS = 730


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _utc(moment_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment_ms / 1000, dt.UTC)


def register_lookup(connection: sqlite3.Connection) -> ocsp.Lookup:
    """What the CAs' register (``ca_issued``) says about a serial number of an issuer."""

    def lookup(issuer: x509.Name, serial: int) -> ocsp.Registration | None:
        row = connection.execute(
            "SELECT der, revoked_at, revocation_reason FROM ca_issued WHERE serial = ?",
            (str(serial),)).fetchone()
        if row is None or x509.load_der_x509_certificate(bytes(row[0])).issuer != issuer:
            return None
        if row[1] is None:
            return ocsp.Registration()
        return ocsp.Registration(parse_time(row[1]), x509.ReasonFlags[row[2]] if row[2] else None)

    return lookup


@dataclass(frozen=True, eq=False)
class Signer:
    """One signing certificate of a member, with the CA that issued it."""

    member: Party
    certificate: SignerCertificate
    issuer: Issuer
    on_token: bool

    @property
    def not_before_ms(self) -> int:
        return _ms(self.certificate.cert.not_valid_before_utc)

    @property
    def not_after_ms(self) -> int:
        return _ms(self.certificate.cert.not_valid_after_utc)

    def valid_at(self, moment_ms: int) -> bool:
        return self.not_before_ms <= moment_ms <= self.not_after_ms


@dataclass(frozen=True)
class TokenCertificate:
    """A signing certificate on the token, before its key is opened."""

    member: Party
    cert: x509.Certificate
    key_id: str


def token_certificates(connection: sqlite3.Connection, instance: str,
                       lookup: ocsp.Lookup) -> list[TokenCertificate]:
    """The token's active, registered signing certificates that the CA has not revoked."""
    rows = connection.execute(
        "SELECT c.der, c.key_id, c.member_id FROM certificates c JOIN keys k ON k.id = c.key_id "
        "WHERE k.usage = 'SIGNING' AND c.active = 1 AND c.status = 'REGISTERED' "
        "AND c.member_id IS NOT NULL ORDER BY c.created_at, c.id").fetchall()
    found = []
    for der, key_id, member_id in rows:
        parts = str(member_id).split(":")
        if len(parts) != 3 or parts[0] != instance:
            continue
        cert = x509.load_der_x509_certificate(bytes(der))
        registration = lookup(cert.issuer, cert.serial_number)
        if registration is not None and registration.revoked_at is not None:
            continue
        found.append(TokenCertificate(Party(parts[1], parts[2]), cert, str(key_id)))
    return found


class Signers:
    """The signing certificates of every member that appears in the traffic."""

    def __init__(
        self,
        seed: Seed,
        pki: Pki,
        connection: sqlite3.Connection,
        directory: Path,
        token: list[tuple[TokenCertificate, rsa.RSAPrivateKey]],
        validity_seconds: int,
        fetch_interval_seconds: int,
    ) -> None:
        self.seed = seed
        self.pki = pki
        self.connection = connection
        self.directory = directory
        self.lookup = register_lookup(connection)
        self.validity_seconds = validity_seconds
        self.fetch_interval_ms = fetch_interval_seconds * 1000
        self.by_member: dict[Party, list[Signer]] = {}
        self.issued: list[Signer] = []
        self._ocsp: dict[tuple[int, int], bytes] = {}
        for token_cert, key in token:
            issuer = pki.issuer_of(token_cert.cert)
            if issuer is not None:
                self._add(Signer(token_cert.member, SignerCertificate(key, token_cert.cert), issuer,
                                 True))
        self._load_traffic_keys()

    def _add(self, signer: Signer) -> None:
        self.by_member.setdefault(signer.member, []).append(signer)

    def _load_traffic_keys(self) -> None:
        if not self.directory.is_dir():
            return
        for cert_path in sorted(self.directory.glob("*.crt")):
            key_path = cert_path.with_suffix(".key")
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            issuer = self.pki.issuer_of(cert)
            member_class = cert.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY)
            member_code = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
            if (issuer is None or not isinstance(key, rsa.RSAPrivateKey) or not member_class
                    or not member_code):
                continue
            member = Party(str(member_class[0].value), str(member_code[0].value))
            self._add(Signer(member, SignerCertificate(key, cert), issuer, False))

    def prepare(self, members: set[Party], start_ms: int, end_ms: int) -> None:
        """Make sure every member can sign at every moment of ``[start_ms, end_ms]``."""
        for member in sorted(members, key=Party.sort_key):
            own = self.by_member.get(member, [])
            token_start = min((s.not_before_ms for s in own if s.on_token and s.valid_at(end_ms)),
                              default=end_ms + 1)
            needed_until = min(end_ms, token_start - 1)
            if needed_until < start_ms:
                continue
            if any(not s.on_token and s.valid_at(start_ms) and s.valid_at(needed_until)
                   for s in own):
                continue
            self._issue(member, start_ms, needed_until)

    def _issue(self, member: Party, start_ms: int, until_ms: int) -> None:
        """Certify a traffic key of ``member`` for ``[start_ms, until_ms]`` (and at least
        ``TRAFFIC_CERT_DAYS``, within the CA's validity): it starts a minute before the first
        record, however far back that is, so it is valid at every record's time."""
        issuer = self.pki.issuers[0]
        ca_cert = issuer.ca.cert
        not_before = max(_utc(start_ms) - dt.timedelta(minutes=1),
                         ca_cert.not_valid_before_utc).replace(microsecond=0)
        not_after = min(max(not_before + dt.timedelta(days=TRAFFIC_CERT_DAYS),
                            _utc(until_ms) + dt.timedelta(days=1)),
                        ca_cert.not_valid_after_utc).replace(microsecond=0)
        known = self.seed.member(member.member_class, member.member_code)
        name = known.name if known else member.member_code
        subject = make_name((("C", self.seed.country), ("O", name),
                             ("businessCategory", member.member_class),
                             ("serialNumber", member.member_code), ("CN", name)))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            cert = certify(self.connection, issuer, key.public_key(), subject, SIGNING,
                           not_before=not_before, not_after=not_after, ocsp_url=DEFAULT_OCSP_URL)
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")
        stem = f"{member.member_class}_{member.member_code}-{cert.serial_number:x}"
        write_private(self.directory / f"{stem}.key", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        (self.directory / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        signer = Signer(member, SignerCertificate(key, cert), issuer, False)
        self._add(signer)
        self.issued.append(signer)

    def signer_for(self, member: Party, moment_ms: int) -> Signer:
        """The certificate ``member`` signs with at ``moment_ms``: its token's, else a traffic key's."""
        candidates = [s for s in self.by_member.get(member, []) if s.valid_at(moment_ms)]
        if not candidates:
            raise LookupError(f"no signing certificate for {member} at {moment_ms}")
        return max(candidates, key=lambda s: (s.on_token, s.not_before_ms))

    def ocsp_for(self, signer: Signer, moment_ms: int) -> bytes:
        """The OCSP response the signer holds at ``moment_ms`` (fetched at the window's start)."""
        window = moment_ms // self.fetch_interval_ms
        key = (signer.certificate.cert.serial_number, window)
        cached = self._ocsp.get(key)
        if cached is None:
            produced = max(window * self.fetch_interval_ms, signer.not_before_ms,
                           _ms(signer.issuer.responder.cert.not_valid_before_utc))
            cached = response_at(signer.issuer, signer.certificate.cert, self.lookup,
                                 _utc(produced),
                                 self.validity_seconds)
            self._ocsp = {k: v for k, v in self._ocsp.items() if k[1] >= window - 1}
            self._ocsp[key] = cached
        return cached


def open_token_keys(
    certificates: list[TokenCertificate],
    softtoken_dir: Path,
    pin: str,
) -> list[tuple[TokenCertificate, rsa.RSAPrivateKey]]:
    """The token keys of ``certificates``, decrypted with the PIN (checked by the caller)."""
    token = SoftToken(softtoken_dir)
    return [(certificate, token.load(certificate.key_id, pin)) for certificate in certificates]
