"""What hangs off a client: information-system TLS certificates, signing certificates, the security
servers it is registered on, and the orphans a deleted client leaves on the token.

Orphans follow X-Road's ``OrphanRemovalService``: once no client of a member is left on the server,
its signing certificates and CSRs are orphans, and so are keys holding only those.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization

from backend.i18n import _
from backend.sandbox.certinfo import cert_hash
from backend.sandbox.certstate import invalid_cert
from backend.sandbox.errors import SandboxError
from backend.sandbox.globalmembers import GlobalView
from backend.sandbox.identifiers import parse_client_id

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


@dataclass
class Orphans:
    """Keys (ids), certificates (hashes) and CSRs (ids) left behind by a deleted member."""

    keys: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)
    csrs: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.keys or self.certificates or self.csrs)


def _orphans_not_found() -> SandboxError:
    return SandboxError("orphans_not_found",
                        _("The client left no keys, certificates or CSRs behind."), status=404)


class ClientExtrasMixin:
    """TLS certificates, signing certificates, security servers and orphans of clients."""

    db: sqlite3.Connection
    lock: threading.RLock

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def require_client(self, encoded: str) -> sqlite3.Row: ...
        def client_row(self, encoded: str) -> sqlite3.Row | None: ...
        def global_conf_valid(self) -> bool: ...
        def delete_key(self, key_id: str, ignore_warnings: bool = False) -> None: ...
        def delete_certificate(self, cert_hash_: str) -> None: ...
        def delete_csr(self, csr_id: str) -> None: ...
        def registered_security_servers(self) -> list[tuple[str, str, str, str, str | None]]: ...
        def server_id_encoded(self) -> str | None: ...

    # -- information-system TLS certificates ----------------------------------------------------

    def tls_certificates(self, encoded: str) -> list[bytes]:
        """The client's IS TLS certificates (DER), oldest first."""
        row = self.require_client(encoded)
        with self.lock:
            rows = self.db.execute(
                "SELECT der FROM client_tls_certificates WHERE client_id = ? ORDER BY rowid",
                (row["id"],)).fetchall()
        return [bytes(found["der"]) for found in rows]

    def tls_certificate(self, encoded: str, digest: str) -> bytes | None:
        """One IS TLS certificate by its SHA-256 hash (any case), if the client has it."""
        row = self.require_client(encoded)
        with self.lock:
            found = self.db.execute(
                "SELECT der FROM client_tls_certificates WHERE client_id = ? AND hash = ?",
                (row["id"], digest.upper())).fetchone()
        return bytes(found["der"]) if found else None

    def add_tls_certificate(self, encoded: str, data: bytes) -> str:
        """Add a certificate (PEM or DER) the client's information system authenticates with;
        its hash. Not a certificate: 400 ``invalid_cert``; already there: 409
        ``certificate_already_exists``."""
        der = invalid_cert(data).public_bytes(serialization.Encoding.DER)
        digest = cert_hash(der)
        row = self.require_client(encoded)
        try:
            with self.transaction() as connection:
                connection.execute(
                    "INSERT INTO client_tls_certificates (client_id, hash, der) VALUES (?, ?, ?)",
                    (row["id"], digest, der))
        except sqlite3.IntegrityError as error:
            raise SandboxError("certificate_already_exists",
                               _("The client already has this certificate."), status=409,
                               metadata=[digest]) from error
        return digest

    def delete_tls_certificate(self, encoded: str, digest: str) -> None:
        row = self.require_client(encoded)
        with self.transaction() as connection:
            cursor = connection.execute(
                "DELETE FROM client_tls_certificates WHERE client_id = ? AND hash = ?",
                (row["id"], digest.upper()))
        if cursor.rowcount == 0:
            raise SandboxError("certificate_not_found", _("The client has no such certificate."),
                               status=404, metadata=[digest])

    # -- signing certificates and security servers -----------------------------------------------

    def sign_certificates_of(self, encoded: str) -> list[sqlite3.Row]:
        """The signing certificates of the client's member on the token."""
        member_id = parse_client_id(self.require_client(encoded)["id"]).member_id
        with self.lock:
            return self.db.execute(
                "SELECT * FROM certificates WHERE member_id = ? ORDER BY created_at, id",
                (member_id,)).fetchall()

    def client_security_servers(
        self, encoded: str, view: GlobalView
    ) -> list[tuple[str, str, str, str, str | None]]:
        """The servers of the global configuration this client is registered on (the owner is
        a client of its own servers)."""
        own = self.server_id_encoded()
        found = []
        for server in self.registered_security_servers():
            server_id = ":".join(server[:4])
            owner = ":".join(server[:3])
            if (view.is_server_client(encoded) if server_id == own else encoded == owner):
                found.append(server)
        return sorted(found)

    # -- orphans ---------------------------------------------------------------------------------

    def orphans(self, encoded: str) -> Orphans:
        """What a deleted client's member left on the token; nothing while a client of the
        member is still on the server."""
        member_id = parse_client_id(encoded).member_id
        with self.lock:
            alive = self.db.execute(
                "SELECT 1 FROM clients WHERE instance_identifier || ':' || member_class || ':' "
                "|| member_code = ? LIMIT 1", (member_id,)).fetchone()
            if alive is not None:
                return Orphans()
            certificates = self.db.execute(
                "SELECT key_id, hash, member_id FROM certificates").fetchall()
            csrs = self.db.execute("SELECT key_id, id, member_id FROM csrs").fetchall()
        orphans = Orphans()
        per_key: dict[str, list[bool]] = {}
        for row in [*certificates, *csrs]:
            per_key.setdefault(row["key_id"], []).append(row["member_id"] == member_id)
        orphan_keys = {key for key, mine in per_key.items() if all(mine)}
        orphans.keys = sorted(orphan_keys)
        orphans.certificates = [row["hash"] for row in certificates
                                if row["member_id"] == member_id and row["key_id"] not in orphan_keys]
        orphans.csrs = [row["id"] for row in csrs
                        if row["member_id"] == member_id and row["key_id"] not in orphan_keys]
        return orphans

    def delete_orphans(self, encoded: str) -> None:
        """Delete the orphans: 404 ``orphans_not_found`` when there are none; the token must allow
        the deletions (409 ``action_not_possible``) and the global configuration be valid."""
        found = self.orphans(encoded)
        if not found:
            raise _orphans_not_found()
        if not self.global_conf_valid():
            raise SandboxError("global_conf_outdated", _("The global configuration is outdated."),
                               status=409)
        for key_id in found.keys:
            self.delete_key(key_id, ignore_warnings=True)
        for digest in found.certificates:
            self.delete_certificate(digest)
        for csr_id in found.csrs:
            self.delete_csr(csr_id)
