"""The sandbox CAs' side of the token's certificates: the register, OCSP, issuing and revoking.

The CAs' register (``ca_issued``) answers the OCSP responder; the simulated signer fetches OCSP
responses for the certificates on its token when they are older than the fetch interval (X-Road's
``ocspFetchInterval``), and before it activates a certificate. :meth:`CaStateMixin.issue_certificate`
and :meth:`CaStateMixin.revoke_certificate` are shortcuts for tests and demonstrations; operators go
through ``kapka sandbox ca`` (:mod:`backend.sandbox.ca`) and the API.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from backend.i18n import _
from backend.sandbox import ocsp
from backend.sandbox.ca import certify, revoke
from backend.sandbox.certinfo import cert_hash
from backend.sandbox.errors import SandboxError
from backend.sandbox.pki import AUTHENTICATION, SIGNING, Issuer, Pki, make_name
from backend.sandbox.seed import Member, Seed, Subject
from backend.sandbox.softtoken import new_id
from backend.sandbox.wire import parse_time, store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


def not_possible(action: str) -> SandboxError:
    """X-Road's ``ActionNotPossibleException``: 409 ``action_not_possible``."""
    return SandboxError("action_not_possible",
                        _("{action} is not possible now.").format(action=action), status=409)


class CaStateMixin:
    """The CA-side operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock
    seed: Seed
    pki: Pki

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def require_global_conf(self) -> None: ...
        def url(self, path: str) -> str: ...
        def key(self, key_id: str) -> sqlite3.Row: ...
        def server_conf(self) -> sqlite3.Row: ...
        def certificate(self, cert_hash_: str) -> sqlite3.Row: ...

        @staticmethod
        def _delete_answered_csr(connection: sqlite3.Connection, key_id: str,
                                 member_id: str | None) -> None: ...

    # -- the CAs' register and OCSP --------------------------------------------------------------

    def ca_registration(self, issuer: x509.Name, serial: int) -> ocsp.Registration | None:
        """What the CAs' register says about a serial number of ``issuer``."""
        with self.lock:
            row = self.db.execute(
                "SELECT der, revoked_at, revocation_reason FROM ca_issued WHERE serial = ?",
                (str(serial),),
            ).fetchone()
        if row is None or x509.load_der_x509_certificate(row["der"]).issuer != issuer:
            return None
        if row["revoked_at"] is None:
            return ocsp.Registration()
        return ocsp.Registration(parse_time(row["revoked_at"]),
                                 x509.ReasonFlags[row["revocation_reason"]])

    def ocsp_respond(self, request_der: bytes) -> bytes:
        """The OCSP responder of the sandbox's CAs."""
        return ocsp.respond(self.pki.issuers, self.ca_registration, request_der,
                            self.seed.ca.ocsp.response_validity_seconds)

    def _validity(self, issuer: Issuer) -> tuple[int, int]:
        seed_ca = self.seed.ca_by_name(issuer.name) or self.seed.ca
        return seed_ca.ocsp.fetch_interval_seconds, seed_ca.ocsp.response_validity_seconds

    def refresh_ocsp(self, *, force: bool = False, only_hash: str | None = None) -> None:
        """Fetch OCSP responses that are older than the fetch interval, as the signer does."""
        now = utcnow()
        with self.lock:
            rows = self.db.execute(
                "SELECT id, hash, der, ocsp_fetched_at FROM certificates").fetchall()
        for row in rows:
            if only_hash is not None and row["hash"] != only_hash.upper():
                continue
            cert = x509.load_der_x509_certificate(row["der"])
            issuer = self.pki.issuer_of(cert)
            if issuer is None:
                continue
            interval, validity = self._validity(issuer)
            fetched = row["ocsp_fetched_at"]
            fresh = fetched and now - parse_time(fetched) < dt.timedelta(seconds=interval)
            if fresh and not force and only_hash is None:
                continue
            response, _status = ocsp.fetch_status(issuer, cert, self.ca_registration, validity)
            with self.transaction() as connection:
                connection.execute(
                    "UPDATE certificates SET ocsp_response = ?, ocsp_fetched_at = ? WHERE id = ?",
                    (response, store_time(now), row["id"]),
                )

    # -- OCSP before activation ------------------------------------------------------------------

    def verify_ocsp(self, cert_id: str) -> str | None:
        """Fetch and verify the certificate's OCSP status; the error is remembered (and returned)."""
        with self.lock:
            row = self.db.execute("SELECT * FROM certificates WHERE id = ?", (cert_id,)).fetchone()
        self.refresh_ocsp(only_hash=row["hash"])
        with self.lock:
            row = self.db.execute("SELECT * FROM certificates WHERE id = ?", (cert_id,)).fetchone()
        cert = x509.load_der_x509_certificate(row["der"])
        error = None
        if utcnow() > cert.not_valid_after_utc:
            error = "Certificate has expired"
        elif not row["ocsp_response"]:
            error = "OCSP response not found for certificate"
        elif (status := ocsp.response_status(row["ocsp_response"])) != ocsp.GOOD:
            error = f"OCSP response indicates certificate status is {status}"
        with self.transaction() as connection:
            connection.execute("DELETE FROM certificate_ocsp_errors WHERE certificate_id = ?",
                               (cert_id,))
            if error is not None:
                connection.execute(
                    "INSERT INTO certificate_ocsp_errors (certificate_id, message) VALUES (?, ?)",
                    (cert_id, error))
        return error

    # -- shortcuts for tests and demonstrations --------------------------------------------------

    def _member(self, member_id: str) -> Member:
        member = self.seed.member_by_id(member_id)
        if member is None:
            raise SandboxError("client_not_found",
                               _("The global configuration lists no such member."),
                               status=404, metadata=[member_id])
        return member

    def _fixture_subject(self, usage: str, member: Member) -> Subject:
        country = self.seed.country
        if usage == AUTHENTICATION:
            server_code = self.server_conf()["server_code"]
            if not server_code:
                raise not_possible("GENERATE_AUTH_CSR")
            return (("C", country), ("O", member.name), ("serialNumber", member.code),
                    ("CN", server_code))
        return (("C", country), ("O", member.name), ("businessCategory", member.member_class),
                ("serialNumber", member.code), ("CN", member.name))

    def issue_certificate(
        self,
        key_id: str,
        usage: str,
        member_id: str,
        days: int,
        not_before: dt.datetime | None = None,
    ) -> str:
        """Have the test CA certify the key and put the certificate on the token; its hash.

        A shortcut for tests and demonstrations, past the import checks: signing certificates
        are ``REGISTERED`` and authentication certificates ``SAVED``, both active (as after an
        operator's activation), and the signer fetches their OCSP status.
        """
        self.require_global_conf()
        key = self.key(key_id)
        if usage not in (AUTHENTICATION, SIGNING):
            raise SandboxError("invalid_parameters",
                               _("Key usage must be AUTHENTICATION or SIGNING."), metadata=[usage])
        if key["usage"] is not None and key["usage"] != usage:
            raise SandboxError("cert_wrong_usage", _("The key is already used for another purpose."))
        if days < 1:
            raise SandboxError("invalid_parameters", _("A certificate is valid for at least a day."))
        subject = make_name(self._fixture_subject(usage, self._member(member_id)))
        start = (not_before or utcnow()).replace(microsecond=0)
        public_key = serialization.load_der_public_key(key["public_key"])
        issuer = self.pki.issuers[0]
        now = store_time(utcnow())
        with self.transaction() as connection:
            cert = certify(connection, issuer, public_key, subject, usage,
                           not_before=start, not_after=start + dt.timedelta(days=days),
                           ocsp_url=self.url(self.seed.ca.ocsp.path))
            der = cert.public_bytes(serialization.Encoding.DER)
            connection.execute(
                "INSERT INTO certificates (id, key_id, hash, der, status, active, member_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (new_id(), key_id, cert_hash(der), der,
                 "REGISTERED" if usage == SIGNING else "SAVED",
                 member_id if usage == SIGNING else None, now),
            )
            connection.execute("UPDATE keys SET usage = ? WHERE id = ?", (usage, key_id))
            self._delete_answered_csr(connection, key_id, member_id if usage == SIGNING else None)
        self.refresh_ocsp(only_hash=cert_hash(der))
        return cert_hash(der)

    def revoke_certificate(self, cert_hash_: str, reason: str = "key_compromise") -> None:
        """Have the CA revoke a certificate; the signer fetches its OCSP status (now REVOKED)."""
        row = self.certificate(cert_hash_)
        if reason not in x509.ReasonFlags.__members__:
            raise SandboxError("invalid_parameters", _("Unknown revocation reason."),
                               metadata=[reason])
        with self.transaction() as connection:
            revoke(connection, x509.load_der_x509_certificate(row["der"]), reason)
        self.refresh_ocsp(only_hash=row["hash"])
