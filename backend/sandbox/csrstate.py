"""Certificate signing requests on the software token, and the approved CAs' profiles.

X-Road's ``TokenCertificateService.generateCertRequest`` checks, in this order: the member of a
signing request is a client of this server (``client_not_found``), the key is not used for the
other purpose (``wrong_key_usage``), the key may have a request of that kind now (409
``action_not_possible``), the CA is approved (``certificate_authority_not_found``) and the subject
values fit its profile (``invalid_dn_parameter``). Downloading a request regenerates it and needs
the same possible action; the sandbox keeps the request's DER, which is what regenerating it with the
same key and subject gives.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.i18n import _
from backend.sandbox import csr as csrs
from backend.sandbox.castate import not_possible
from backend.sandbox.errors import SandboxError
from backend.sandbox.pki import AUTHENTICATION, SIGNING, Pki
from backend.sandbox.seed import CertificateAuthority, Seed
from backend.sandbox.softtoken import new_id
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


class CsrStateMixin:
    """CSR operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock
    seed: Seed
    pki: Pki

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def server_conf(self) -> sqlite3.Row: ...
        def key(self, key_id: str) -> sqlite3.Row: ...
        def require_token(self, token_id: str) -> sqlite3.Row: ...
        def key_actions_for(self, key: sqlite3.Row) -> list[str]: ...
        def local_member_ids(self) -> set[str]: ...
        def owner_member_id(self) -> str | None: ...
        def _private_key(self, key_id: str) -> rsa.RSAPrivateKey: ...
        def acme_order(self, ca_name: str, csr_id: str, usage: str) -> str | None: ...

    # -- reading ---------------------------------------------------------------------------------

    def csrs(self, key_id: str) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(
                "SELECT * FROM csrs WHERE key_id = ? ORDER BY created_at, id", (key_id,)
            ).fetchall()

    def csr(self, csr_id: str) -> sqlite3.Row:
        """A CSR by id, or 404 ``csr_not_found``."""
        with self.lock:
            row = self.db.execute("SELECT * FROM csrs WHERE id = ?", (csr_id,)).fetchone()
        if row is None:
            raise SandboxError("csr_not_found", _("There is no such certificate signing request."),
                               status=404, metadata=[csr_id])
        return row

    def csr_actions(self, csr_id: str) -> list[str]:
        """``PossibleActionsRuleEngine.getPossibleCsrActions``: a CSR counts as saved to the
        configuration, so it can always be deleted."""
        self.csr(csr_id)
        return ["DELETE"]

    # -- the approved CAs and their profiles -----------------------------------------------------

    def approved_ca(self, name: str) -> CertificateAuthority:
        """The approved CA with this name, or 400 ``certificate_authority_not_found``."""
        found = self.seed.ca_by_name(name)
        if found is None:
            raise SandboxError("certificate_authority_not_found",
                               _("The global configuration approves no such CA."),
                               metadata=[name])
        return found

    def server_identity(self) -> csrs.ServerId:
        conf = self.server_conf()
        if not conf["server_code"] or not conf["owner_member_code"]:
            raise not_possible("GENERATE_CSR")
        return csrs.ServerId(self.seed.instance, conf["owner_member_class"],
                             conf["owner_member_code"], conf["server_code"])

    def _check_member(self, member_id: str | None) -> csrs.MemberId:
        if not member_id:
            raise SandboxError("memberId_required_for_sign_csr",
                               _("A signing CSR needs the member it is for."))
        member = csrs.MemberId.parse(member_id)
        if member is None or member_id not in self.local_member_ids():
            raise SandboxError("client_not_found",
                               _("The member is not a client of this server."),
                               metadata=[member_id])
        return member

    def subject_fields(self, ca_name: str, usage: str, member_id: str | None = None,
                       is_new_member: bool = False) -> list[csrs.FieldDescription]:
        """The CA profile's subject fields, with defaults for this server or member."""
        seed_ca = self.approved_ca(ca_name)
        if seed_ca.authentication_only and usage == SIGNING:
            raise SandboxError("wrong_key_usage", _("This CA issues authentication certificates "
                                                    "only."))
        server = self.server_identity()
        member = None
        if usage == SIGNING:
            if is_new_member:
                member = csrs.MemberId.parse(member_id or "")
                if member is None:
                    raise SandboxError("client_not_found", _("There is no such member."),
                                       metadata=[member_id or ""])
            else:
                member = self._check_member(member_id)
            found = self.seed.member_by_id(member.encoded())
        else:
            found = self.seed.member_by_id(self.owner_member_id() or "")
        try:
            return csrs.profile_fields(seed_ca.certificate_profile_info, usage, server, member,
                                       found.name if found else None)
        except csrs.UnknownProfile as error:
            raise SandboxError("certificate_profile_instantiation_failure",
                               _("The CA's certificate profile is unknown."), status=500,
                               metadata=[str(error)]) from error

    # -- generating, downloading and deleting ----------------------------------------------------

    def check_csr_action(self, key: sqlite3.Row, usage: str | None = None) -> None:
        """The key may get (or regenerate) a request of ``usage`` (default: the key's)."""
        usage = usage or (SIGNING if key["usage"] == SIGNING else AUTHENTICATION)
        action = "GENERATE_SIGN_CSR" if usage == SIGNING else "GENERATE_AUTH_CSR"
        if action not in self.key_actions_for(key):
            raise not_possible(action)

    def generate_csr(
        self,
        key_id: str,
        usage: str,
        ca_name: str,
        subject_values: dict[str, str],
        member_id: str | None = None,
        *,
        acme_order: bool = False,
    ) -> str:
        """A certificate signing request for the key, as X-Road makes it; its id."""
        key = self.key(key_id)
        if usage not in (AUTHENTICATION, SIGNING):
            raise SandboxError("invalid_parameters", _("Key usage must be AUTHENTICATION or "
                                                       "SIGNING."), metadata=[usage])
        member_id = self._check_member(member_id).encoded() if usage == SIGNING else None
        if key["usage"] is not None and key["usage"] != usage:
            raise SandboxError("wrong_key_usage", _("The key is already used for another purpose."))
        self.check_csr_action(key, usage)
        seed_ca = self.approved_ca(ca_name)
        fields = self.subject_fields(ca_name, usage, member_id)
        values = csrs.process_dn_parameters(fields, subject_values)
        alt_name = subject_values.get(csrs.SUBJECT_ALT_NAME) or None
        subject = csrs.subject_name(values)
        request = csrs.build_request(self._private_key(key_id), subject, usage, alt_name)
        der = request.public_bytes(serialization.Encoding.DER)
        with self.transaction() as connection:
            existing = connection.execute(
                "SELECT id, der FROM csrs WHERE key_id = ? AND member_id IS ?",
                (key_id, member_id)).fetchall()
            same = next((row["id"] for row in existing if self._subject_of(row["der"]) == subject),
                        None)
            csr_id = same or new_id()
            if same:  # the signer hands out the existing request for the same member and subject
                connection.execute("UPDATE csrs SET der = ?, certificate_profile = ? WHERE id = ?",
                                   (der, seed_ca.certificate_profile_info, csr_id))
            else:
                connection.execute(
                    "INSERT INTO csrs (id, key_id, usage, member_id, certificate_profile, der, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (csr_id, key_id, usage, member_id, seed_ca.certificate_profile_info, der,
                     store_time(utcnow())),
                )
            connection.execute("UPDATE keys SET usage = ? WHERE id = ?", (usage, key_id))
        if acme_order:
            self.acme_order(ca_name, csr_id, usage)
        return csr_id

    @staticmethod
    def _subject_of(der: bytes) -> x509.Name:
        return x509.load_der_x509_csr(der).subject

    def create_csr(self, key_id: str, usage: str, member_id: str | None = None) -> str:
        """A CSR from the test CA's profile with the sandbox's defaults filled in (a shortcut for
        tests: CN is the server code for authentication, C the instance's country)."""
        values = {"C": self.seed.country}
        if usage == AUTHENTICATION:
            values["CN"] = self.server_identity().server_code
        return self.generate_csr(key_id, usage, self.seed.ca.name, values,
                                 member_id or self.owner_member_id())

    def csr_file(self, key_id: str, csr_id: str, csr_format: str) -> tuple[bytes, str]:
        """The request in ``csr_format`` and its file name (``CsrFilenameCreator``)."""
        key = self.key(key_id)
        self.check_csr_action(key)
        row = self.csr(csr_id)
        member = csrs.MemberId.parse(row["member_id"]) if row["member_id"] else None
        name = csrs.csr_filename(row["usage"], csr_format, member, self.server_identity())
        return csrs.encode(row["der"], csr_format), name

    def delete_csr(self, csr_id: str) -> None:
        row = self.csr(csr_id)
        if "DELETE" not in self.csr_actions(csr_id):
            raise not_possible("DELETE")
        with self.transaction() as connection:
            connection.execute("DELETE FROM csrs WHERE id = ?", (row["id"],))
