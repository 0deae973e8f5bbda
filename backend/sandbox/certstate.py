"""Certificates on the software token: import, activation, registration, deletion, OCSP, ACME.

The import follows X-Road's ``TokenCertificateService.importCertificate`` and the signer's
``ImportCertReqHandler``: the key is found by the certificate's public key, authentication
certificates arrive ``SAVED`` and disabled, signing certificates ``REGISTERED`` and are activated
only when their OCSP status verifies. Activation checks OCSP again (``ActivateCertReqHandler``).
Registration and unregistration send management requests to the simulated central server
(:mod:`backend.sandbox.centralserver`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.i18n import _
from backend.sandbox import centralserver
from backend.sandbox.ca import certify
from backend.sandbox.ca import load_certificate as parse_certificate
from backend.sandbox.castate import CaStateMixin, not_possible
from backend.sandbox.certinfo import cert_hash
from backend.sandbox.errors import SandboxError
from backend.sandbox.pki import AUTHENTICATION, SIGNING, Pki
from backend.sandbox.seed import CertificateAuthority, Seed
from backend.sandbox.softtoken import new_id
from backend.sandbox.views import CERTIFICATE_STATUSES, certificate_actions
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

__all__ = ["CertificateStateMixin", "is_auth_cert", "not_possible", "parse_certificate"]


def invalid_cert(data: bytes) -> x509.Certificate:
    """The certificate in PEM or DER bytes, or 400 ``invalid_cert``."""
    try:
        return parse_certificate(data)
    except ValueError as error:
        raise SandboxError("invalid_cert", _("The file holds no valid certificate.")) from error


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def is_auth_cert(cert: x509.Certificate) -> bool:
    """X-Road's ``CertUtils.isAuthCert``: TLS client EKU, or digitalSignature/keyEncipherment/
    dataEncipherment; a certificate without key usage is an error (500, as in X-Road)."""
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CLIENT_AUTH in eku:
            return True
    except x509.ExtensionNotFound:
        pass
    usage = _key_usage(cert)
    if usage is None:
        raise SandboxError("internal_error", _("The certificate has no key usage extension."),
                           status=500)
    return usage.digital_signature or usage.key_encipherment or usage.data_encipherment


def is_sign_cert(cert: x509.Certificate) -> bool:
    """X-Road's ``CertUtils.isSigningCert``: nonRepudiation."""
    usage = _key_usage(cert)
    return bool(usage and usage.content_commitment)


def _wrong_usage(detail: str) -> SandboxError:
    return SandboxError("cert_wrong_usage", detail)


class CertificateStateMixin(CaStateMixin):
    """Certificate operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock
    seed: Seed
    pki: Pki

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def global_conf_valid(self) -> bool: ...
        def require_global_conf(self) -> None: ...
        def url(self, path: str) -> str: ...
        def key(self, key_id: str) -> sqlite3.Row: ...
        def require_token(self, token_id: str) -> sqlite3.Row: ...
        def local_member_ids(self) -> set[str]: ...
        def server_conf(self) -> sqlite3.Row: ...
        def csr(self, csr_id: str) -> sqlite3.Row: ...
        def approved_ca(self, name: str) -> CertificateAuthority: ...
        def check_csr_action(self, key: sqlite3.Row) -> None: ...

    # -- reading ---------------------------------------------------------------------------------

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

    def ocsp_error(self, certificate_id: str) -> str | None:
        """Why the signer did not activate the certificate (its OCSP check failed), if it did not."""
        with self.lock:
            row = self.db.execute(
                "SELECT message FROM certificate_ocsp_errors WHERE certificate_id = ?",
                (certificate_id,)).fetchone()
        return row["message"] if row else None

    def certificate_actions_for(self, cert: sqlite3.Row) -> list[str]:
        key = self.key(cert["key_id"])
        return certificate_actions(self.require_token(key["token_id"]), key, cert)

    def catch_up(self) -> None:
        """Apply what the configuration client and the signer would have done by now."""
        centralserver.apply_global_conf(self)
        self.refresh_ocsp()

    # -- import ----------------------------------------------------------------------------------

    def _member_of_sign_cert(self, cert: x509.Certificate) -> str:
        """The member a signing certificate is for, read as its CA's profile reads it (the basic
        profile: businessCategory and serialNumber), or 400 ``invalid_cert``."""
        issuer = self.pki.issuer_of(cert)
        member_class = cert.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY)
        member_code = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        if issuer is None or not member_class or not member_code:
            raise SandboxError("invalid_cert",
                               _("Cannot read the member identifier from the signing certificate."))
        return f"{self.seed.instance}:{member_class[0].value}:{member_code[0].value}"

    def _key_for(self, cert: x509.Certificate, der: bytes) -> sqlite3.Row:
        public = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        with self.lock:
            row = self.db.execute(
                "SELECT k.* FROM keys k WHERE k.public_key = ? OR EXISTS "
                "(SELECT 1 FROM certificates c WHERE c.key_id = k.id AND c.der = ?) "
                "ORDER BY k.created_at LIMIT 1", (public, der)).fetchone()
        if row is None:
            raise SandboxError("key_not_found",
                               _("No key on the token matches the certificate's public key."))
        return row

    def import_certificate(self, data: bytes) -> str:
        """Import a certificate (PEM or DER) for the key it certifies; its hash."""
        if not self.global_conf_valid():
            raise SandboxError("global_conf_outdated", _("The global configuration is outdated."),
                               status=409)
        cert = invalid_cert(data)
        auth = is_auth_cert(cert)
        member_id = None
        if not auth:
            member_id = self._member_of_sign_cert(cert)
            if member_id not in self.local_member_ids():
                raise SandboxError("client_not_found",
                                   _("The certificate's member is not a client of this server."),
                                   metadata=[member_id])
        der = cert.public_bytes(serialization.Encoding.DER)
        digest = cert_hash(der)
        key = self._key_for(cert, der)
        with self.lock:
            existing = self.db.execute("SELECT id FROM certificates WHERE hash = ?",
                                       (digest,)).fetchone()
        if existing is not None:
            raise SandboxError("certificate_already_exists",
                               _("The certificate has already been imported."), status=409)
        sign = is_sign_cert(cert)
        usage = key["usage"] or (SIGNING if sign else AUTHENTICATION)
        if sign and auth:
            raise _wrong_usage(_("The certificate is for both signing and authentication."))
        if not sign and not auth:
            raise _wrong_usage(_("The certificate is for neither signing nor authentication."))
        if (auth and usage != AUTHENTICATION) or (sign and usage != SIGNING):
            raise _wrong_usage(_("The certificate's usage does not match its key's."))
        now = utcnow()
        if (self.pki.issuer_of(cert) is None or now < cert.not_valid_before_utc
                or now > cert.not_valid_after_utc):
            raise SandboxError("core.signer.cert_import_failed", _("The certificate is not valid."),
                               status=500, metadata=["Certificate is not valid"])
        cert_id = new_id()
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO certificates (id, key_id, hash, der, status, active, member_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                (cert_id, key["id"], digest, der, "SAVED" if auth else "REGISTERED", member_id,
                 store_time(now)),
            )
            connection.execute("UPDATE keys SET usage = ? WHERE id = ?", (usage, key["id"]))
            self._plan_renewal(connection, cert_id, cert)
            self._delete_answered_csr(connection, key["id"], member_id)
        error = self.verify_ocsp(cert_id)
        if error is None and sign:
            with self.transaction() as connection:
                connection.execute("UPDATE certificates SET active = 1 WHERE id = ?", (cert_id,))
        return digest

    def _plan_renewal(self, connection: sqlite3.Connection, cert_id: str,
                      cert: x509.Certificate) -> None:
        """Certificates from an ACME CA get a planned automatic renewal, 14 days before expiry."""
        issuer = self.pki.issuer_of(cert)
        seed_ca = self.seed.ca_by_name(issuer.name) if issuer else None
        if seed_ca is not None and seed_ca.acme_capable:
            when = cert.not_valid_after_utc - dt.timedelta(days=14)
            connection.execute("UPDATE certificates SET next_renewal_time = ? WHERE id = ?",
                               (store_time(when), cert_id))

    @staticmethod
    def _delete_answered_csr(connection: sqlite3.Connection, key_id: str,
                             member_id: str | None) -> None:
        """The signer deletes the key's (first) request for the same member."""
        row = connection.execute(
            "SELECT id FROM csrs WHERE key_id = ? AND member_id IS ? ORDER BY created_at, id "
            "LIMIT 1", (key_id, member_id)).fetchone()
        if row is not None:
            connection.execute("DELETE FROM csrs WHERE id = ?", (row["id"],))

    def import_certificate_from_token(self, cert_hash_: str) -> str:
        """X-Road's import of a certificate found on an HSM; never possible on the software token,
        where every certificate is already saved to the configuration."""
        cert = self.certificate(cert_hash_)
        if "IMPORT_FROM_TOKEN" not in self.certificate_actions_for(cert):
            raise not_possible("IMPORT_FROM_TOKEN")
        return str(cert["hash"])  # pragma: no cover (only hardware tokens get here)

    # -- actions on certificates -----------------------------------------------------------------

    def _require(self, cert: sqlite3.Row, action: str) -> None:
        if action not in self.certificate_actions_for(cert):
            raise not_possible(action)

    def activate_certificate(self, cert_hash_: str) -> None:
        cert = self.certificate(cert_hash_)
        self._require(cert, "ACTIVATE")
        error = self.verify_ocsp(cert["id"])
        if error is not None:
            raise SandboxError("core.signer.cert_validation",
                               _("The certificate's OCSP status does not allow activation."),
                               status=500, metadata=[error])
        with self.transaction() as connection:
            connection.execute("UPDATE certificates SET active = 1 WHERE id = ?", (cert["id"],))

    def disable_certificate(self, cert_hash_: str) -> None:
        cert = self.certificate(cert_hash_)
        self._require(cert, "DISABLE")
        with self.transaction() as connection:
            connection.execute("UPDATE certificates SET active = 0 WHERE id = ?", (cert["id"],))

    def _auth_cert(self, cert_hash_: str) -> sqlite3.Row:
        cert = self.certificate(cert_hash_)
        if not is_auth_cert(x509.load_der_x509_certificate(cert["der"])):
            raise SandboxError("sign_cert_not_supported",
                               _("Only authentication certificates are registered."))
        return cert

    def _set_status(self, cert: sqlite3.Row, status: str) -> None:
        with self.transaction() as connection:
            connection.execute("UPDATE certificates SET status = ? WHERE id = ?",
                               (status, cert["id"]))

    def register_certificate(self, cert_hash_: str, address: str) -> int:
        """Send the registration request to the central server; the request's id."""
        cert = self._auth_cert(cert_hash_)
        self._require(cert, "REGISTER")
        request_id = centralserver.submit(self, centralserver.AUTH_CERT_REGISTRATION,
                                          cert["hash"], address)
        self._set_status(cert, "REGISTRATION_IN_PROGRESS")
        return request_id

    def unregister_certificate(self, cert_hash_: str, *, send: bool = True) -> None:
        """Send the deletion request (unless ``send`` is false: mark for deletion only)."""
        cert = self._auth_cert(cert_hash_)
        self._require(cert, "UNREGISTER")
        if send:
            centralserver.submit(self, centralserver.AUTH_CERT_DELETION, cert["hash"])
        self._set_status(cert, "DELETION_IN_PROGRESS")

    def delete_certificate(self, cert_hash_: str) -> None:
        cert = self.certificate(cert_hash_)
        self._require(cert, "DELETE")
        with self.transaction() as connection:
            connection.execute("DELETE FROM certificates WHERE id = ?", (cert["id"],))

    # -- ACME ------------------------------------------------------------------------------------

    def acme_order(self, ca_name: str, csr_id: str, usage: str) -> str | None:
        """Order a certificate for a CSR from the CA's ACME server and import it; its hash.

        A CA without an ACME server orders nothing (as in X-Road); the sandbox's ACME CA issues at
        once, for the CSR's subject (its CN as the DNS name of an authentication certificate).
        """
        seed_ca = self.approved_ca(ca_name)
        request_row = self.csr(csr_id)
        key = self.key(request_row["key_id"])
        self.check_csr_action(key)
        if not seed_ca.acme_capable:
            return None
        if seed_ca.authentication_only and usage == SIGNING:
            raise SandboxError("wrong_key_usage",
                               _("This CA issues authentication certificates only."))
        if seed_ca.acme_eab_required:  # the sandbox has no acme.yml with EAB credentials
            raise SandboxError("acme.eab_credentials_missing",
                               _("The CA's ACME server requires external account binding, and "
                                 "no credentials are configured."), status=500,
                               metadata=[ca_name])
        issuer = self.pki.issuer_named(ca_name)
        assert issuer is not None
        request = x509.load_der_x509_csr(request_row["der"])
        alt_names = self._acme_alt_names(request, usage)
        start = utcnow().replace(microsecond=0)
        days = seed_ca.acme_certificate_days
        with self.transaction() as connection:
            cert = certify(connection, issuer, request.public_key(), request.subject, usage,
                           not_before=start, not_after=start + dt.timedelta(days=days),
                           ocsp_url=self.url(seed_ca.ocsp.path), alt_names=alt_names)
        try:
            return self.import_certificate(cert.public_bytes(serialization.Encoding.DER))
        except SandboxError as error:
            if error.code in ("cert_wrong_usage", "invalid_cert"):
                error.status = 500  # X-Road: InternalServerErrorException for these after ACME
            raise

    @staticmethod
    def _acme_alt_names(request: x509.CertificateSigningRequest,
                        usage: str) -> x509.SubjectAlternativeName | None:
        try:
            return request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            pass
        names = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if usage == AUTHENTICATION and names and isinstance(names[0].value, str):
            return x509.SubjectAlternativeName([x509.DNSName(names[0].value)])
        return None

    def set_certificate_status(
        self, cert_hash_: str, status: str, active: bool | None = None
    ) -> None:
        """Set a certificate's registration status (and, if given, whether it is active).

        A registered authentication certificate is also entered in the simulated central server's
        register, so the global configuration lists it.
        """
        if status not in CERTIFICATE_STATUSES:
            raise SandboxError("invalid_parameters", _("Unknown certificate status."),
                               metadata=[status])
        row = self.certificate(cert_hash_)
        if status == "REGISTERED" and self.key(row["key_id"])["usage"] == AUTHENTICATION:
            centralserver.record_registered(self, row["hash"])
        with self.transaction() as connection:
            connection.execute("UPDATE certificates SET status = ? WHERE id = ?",
                               (status, row["id"]))
            if active is not None:
                connection.execute("UPDATE certificates SET active = ? WHERE id = ?",
                                   (int(active), row["id"]))
