"""The software token, its keys, certificates and CSRs, and the simulated signer's OCSP fetches."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.i18n import _
from backend.sandbox import ocsp
from backend.sandbox.certinfo import cert_hash
from backend.sandbox.errors import SandboxError
from backend.sandbox.hashing import verify_secret
from backend.sandbox.pki import AUTHENTICATION, SIGNING, Pki, issue_certificate, make_name
from backend.sandbox.seed import Member, Seed, Subject
from backend.sandbox.softtoken import SOFTWARE_TOKEN_ID, SoftToken, new_id
from backend.sandbox.wire import parse_time, store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

CERTIFICATE_STATUSES = (
    "SAVED", "REGISTRATION_IN_PROGRESS", "REGISTERED", "DELETION_IN_PROGRESS", "GLOBAL_ERROR",
)


def _not_possible(action: str) -> SandboxError:
    return SandboxError("action_not_possible",
                        _("{action} is not possible now.").format(action=action), status=409)


class TokenStateMixin:
    """Token operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock
    seed: Seed
    pki: Pki
    softtoken: SoftToken
    _pin: str | None
    _private_keys: dict

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def server_conf(self) -> sqlite3.Row: ...
        def require_global_conf(self) -> None: ...
        def url(self, path: str) -> str: ...

    # -- reading ---------------------------------------------------------------------------------

    def tokens(self) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM tokens ORDER BY id").fetchall()

    def token(self, token_id: str) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM tokens WHERE id = ?", (token_id,)).fetchone()

    def keys(self, token_id: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(
                "SELECT * FROM keys WHERE token_id = ? ORDER BY created_at, id", (token_id,)
            ).fetchall()

    def key(self, key_id: str) -> sqlite3.Row:
        with self.lock:
            row = self.db.execute("SELECT * FROM keys WHERE id = ?", (key_id,)).fetchone()
        if row is None:
            raise SandboxError("key_not_found", _("There is no such key."), status=404,
                               metadata=[key_id])
        return row

    def certificates(self, key_id: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(
                "SELECT * FROM certificates WHERE key_id = ? ORDER BY created_at, id", (key_id,)
            ).fetchall()

    def certificate(self, cert_hash_: str) -> sqlite3.Row:
        with self.lock:
            row = self.db.execute(
                "SELECT * FROM certificates WHERE hash = ?", (cert_hash_.upper(),)
            ).fetchone()
        if row is None:
            raise SandboxError("certificate_not_found", _("There is no such certificate."),
                               status=404, metadata=[cert_hash_])
        return row

    def csrs(self, key_id: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(
                "SELECT * FROM csrs WHERE key_id = ? ORDER BY created_at, id", (key_id,)
            ).fetchall()

    # -- login -----------------------------------------------------------------------------------

    def login_token(self, pin: str) -> None:
        """Log in to the software token: check the PIN and decrypt its keys into memory."""
        token = self.token(SOFTWARE_TOKEN_ID)
        if token is None or not token["initialized"]:
            raise _not_possible("TOKEN_ACTIVATE")
        if not verify_secret(pin, self.server_conf()["token_pin_hash"]):
            raise SandboxError("pin_incorrect", _("The PIN is incorrect."))
        keys = {row["id"]: self.softtoken.load(row["id"], pin)
                for row in self.keys(SOFTWARE_TOKEN_ID)}
        with self.transaction() as connection:
            connection.execute("UPDATE tokens SET logged_in = 1 WHERE id = ?", (SOFTWARE_TOKEN_ID,))
            self._pin = pin
            self._private_keys = keys

    def logout_token(self) -> None:
        """Log out of the software token; its keys leave memory."""
        with self.transaction() as connection:
            connection.execute("UPDATE tokens SET logged_in = 0 WHERE id = ?", (SOFTWARE_TOKEN_ID,))
            self._pin = None
            self._private_keys = {}

    def _require_logged_in(self, action: str) -> str:
        token = self.token(SOFTWARE_TOKEN_ID)
        if token is None or not token["logged_in"] or self._pin is None:
            raise _not_possible(action)
        return self._pin

    def _private_key(self, key_id: str) -> rsa.RSAPrivateKey:
        pin = self._require_logged_in("GENERATE_CSR")
        if key_id not in self._private_keys:
            self._private_keys[key_id] = self.softtoken.load(key_id, pin)
        return self._private_keys[key_id]

    # -- keys, CSRs and certificates -------------------------------------------------------------

    def generate_key(self, label: str) -> str:
        """A new RSA 2048 key on the software token (which must be logged in); its id."""
        pin = self._require_logged_in("GENERATE_KEY")
        if len(label) > 255:
            raise SandboxError("validation_failure", _("A key label has at most 255 characters."))
        key_id = new_id()
        private_key = self.softtoken.generate(key_id, pin)
        public_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO keys (id, token_id, label, friendly_name, algorithm, public_key, "
                "created_at) VALUES (?, ?, ?, ?, 'RSA', ?, ?)",
                (key_id, SOFTWARE_TOKEN_ID, label, label or key_id, public_der,
                 store_time(utcnow())),
            )
            self._private_keys[key_id] = private_key
        return key_id

    def _member(self, member_id: str) -> Member:
        member = self.seed.member_by_id(member_id)
        if member is None:
            raise SandboxError("client_not_found",
                               _("The global configuration lists no such member."),
                               status=404, metadata=[member_id])
        return member

    def _subject(self, usage: str, member: Member) -> Subject:
        country = self.seed.country
        if usage == AUTHENTICATION:
            server_code = self.server_conf()["server_code"]
            if not server_code:
                raise _not_possible("GENERATE_AUTH_CSR")
            return (("C", country), ("O", member.name), ("serialNumber", member.code),
                    ("CN", server_code))
        return (("C", country), ("O", member.name), ("businessCategory", member.member_class),
                ("serialNumber", member.code), ("CN", member.name))

    def _check_usage(self, key: sqlite3.Row, usage: str) -> None:
        if usage not in (AUTHENTICATION, SIGNING):
            raise SandboxError("invalid_parameters", _("Key usage must be AUTHENTICATION or SIGNING."),
                               metadata=[usage])
        if key["usage"] is not None and key["usage"] != usage:
            raise SandboxError("cert_wrong_usage",
                               _("The key is already used for another purpose."),
                               metadata=[key["usage"]])

    def create_csr(self, key_id: str, usage: str, member_id: str | None = None) -> str:
        """A certificate signing request for the key (the token must be logged in); its id."""
        key = self.key(key_id)
        self._check_usage(key, usage)
        owner = member_id or self.owner_member_id()
        if owner is None:
            raise _not_possible("GENERATE_CSR")
        subject = self._subject(usage, self._member(owner))
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(make_name(subject))
            .sign(self._private_key(key_id), hashes.SHA256())
        )
        csr_id = new_id()
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO csrs (id, key_id, usage, member_id, certificate_profile, der, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (csr_id, key_id, usage, owner if usage == SIGNING else None,
                 self.seed.ca.certificate_profile_info,
                 request.public_bytes(serialization.Encoding.DER), store_time(utcnow())),
            )
            connection.execute("UPDATE keys SET usage = ? WHERE id = ?", (usage, key_id))
        return csr_id

    def owner_member_id(self) -> str | None:
        conf = self.server_conf()
        if not conf["owner_member_code"]:
            return None
        return f"{self.seed.instance}:{conf['owner_member_class']}:{conf['owner_member_code']}"

    def issue_certificate(
        self,
        key_id: str,
        usage: str,
        member_id: str,
        days: int,
        not_before: dt.datetime | None = None,
    ) -> str:
        """Have the test CA certify the key and import the certificate on the token; its hash.

        Signing certificates are imported ``REGISTERED`` and authentication certificates
        ``SAVED``, both active, as X-Road imports them; the signer then fetches their OCSP status.
        """
        self.require_global_conf()
        key = self.key(key_id)
        self._check_usage(key, usage)
        if days < 1:
            raise SandboxError("invalid_parameters", _("A certificate is valid for at least a day."))
        subject = self._subject(usage, self._member(member_id))
        start = (not_before or utcnow()).replace(microsecond=0)
        public_key = serialization.load_der_public_key(key["public_key"])
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SandboxError("invalid_parameters", _("The key is not an RSA key."))
        cert = issue_certificate(
            self.pki.ca, public_key, subject, usage,
            not_before=start, not_after=start + dt.timedelta(days=days),
            ocsp_url=self.url(self.seed.ca.ocsp.path),
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        digest = cert_hash(der)
        now = store_time(utcnow())
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO ca_issued (serial, subject, der, issued_at) VALUES (?, ?, ?, ?)",
                (str(cert.serial_number), cert.subject.rfc4514_string(), der, now),
            )
            connection.execute(
                "INSERT INTO certificates (id, key_id, hash, der, status, active, member_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (new_id(), key_id, digest, der,
                 "REGISTERED" if usage == SIGNING else "SAVED",
                 member_id if usage == SIGNING else None, now),
            )
            connection.execute("UPDATE keys SET usage = ? WHERE id = ?", (usage, key_id))
            if usage == SIGNING:  # the signer deletes the request the certificate answers
                connection.execute("DELETE FROM csrs WHERE key_id = ? AND member_id = ?",
                                   (key_id, member_id))
            else:
                connection.execute("DELETE FROM csrs WHERE key_id = ? AND usage = ?",
                                   (key_id, usage))
        self.refresh_ocsp(only_hash=digest)
        return digest

    def set_certificate_status(
        self, cert_hash_: str, status: str, active: bool | None = None
    ) -> None:
        """Set a certificate's registration status (and, if given, whether it is active)."""
        if status not in CERTIFICATE_STATUSES:
            raise SandboxError("invalid_parameters", _("Unknown certificate status."),
                               metadata=[status])
        row = self.certificate(cert_hash_)
        with self.transaction() as connection:
            connection.execute("UPDATE certificates SET status = ? WHERE id = ?",
                               (status, row["id"]))
            if active is not None:
                connection.execute("UPDATE certificates SET active = ? WHERE id = ?",
                                   (int(active), row["id"]))

    def revoke_certificate(self, cert_hash_: str, reason: str = "key_compromise") -> None:
        """Have the test CA revoke a certificate; its OCSP status becomes REVOKED."""
        row = self.certificate(cert_hash_)
        serial = str(x509.load_der_x509_certificate(row["der"]).serial_number)
        if reason not in x509.ReasonFlags.__members__:
            raise SandboxError("invalid_parameters", _("Unknown revocation reason."),
                               metadata=[reason])
        with self.transaction() as connection:
            connection.execute(
                "UPDATE ca_issued SET revoked_at = ?, revocation_reason = ? WHERE serial = ?",
                (store_time(utcnow()), reason, serial),
            )
        self.refresh_ocsp(only_hash=row["hash"])

    # -- OCSP ------------------------------------------------------------------------------------

    def ca_registration(self, serial: int) -> ocsp.Registration | None:
        """What the test CA's register says about a serial number."""
        with self.lock:
            row = self.db.execute(
                "SELECT revoked_at, revocation_reason FROM ca_issued WHERE serial = ?",
                (str(serial),),
            ).fetchone()
        if row is None:
            return None
        if row["revoked_at"] is None:
            return ocsp.Registration()
        return ocsp.Registration(parse_time(row["revoked_at"]),
                                 x509.ReasonFlags[row["revocation_reason"]])

    def ocsp_respond(self, request_der: bytes) -> bytes:
        """The test CA's OCSP responder."""
        return ocsp.respond(self.pki, self.ca_registration, request_der,
                            self.seed.ca.ocsp.response_validity_seconds)

    def refresh_ocsp(self, *, force: bool = False, only_hash: str | None = None) -> None:
        """Fetch OCSP responses that are older than the fetch interval, as the signer does."""
        interval = dt.timedelta(seconds=self.seed.ca.ocsp.fetch_interval_seconds)
        now = utcnow()
        with self.lock:
            rows = self.db.execute("SELECT id, hash, der, ocsp_fetched_at FROM certificates")
            rows = rows.fetchall()
        for row in rows:
            fresh = row["ocsp_fetched_at"] and now - parse_time(row["ocsp_fetched_at"]) < interval
            if only_hash is not None and row["hash"] != only_hash:
                continue
            if fresh and not force and only_hash is None:
                continue
            cert = x509.load_der_x509_certificate(row["der"])
            if cert.issuer != self.pki.ca.cert.subject:
                continue
            response, _status = ocsp.fetch_status(
                self.pki, cert, self.ca_registration, self.seed.ca.ocsp.response_validity_seconds
            )
            with self.transaction() as connection:
                connection.execute(
                    "UPDATE certificates SET ocsp_response = ?, ocsp_fetched_at = ? WHERE id = ?",
                    (response, store_time(now), row["id"]),
                )
