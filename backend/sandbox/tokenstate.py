"""The software token: reading tokens and keys, login and PIN, key generation and deletion.

The operations check X-Road's ``PossibleActionsRuleEngine`` first (``action_not_possible``, 409),
as X-Road's ``TokenService`` and ``KeyService`` do; CSRs are in :mod:`backend.sandbox.csrstate` and
certificates in :mod:`backend.sandbox.certstate`.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.i18n import _
from backend.sandbox import centralserver
from backend.sandbox.certstate import CertificateStateMixin, not_possible
from backend.sandbox.csrstate import CsrStateMixin
from backend.sandbox.errors import SandboxError
from backend.sandbox.hashing import hash_secret, verify_secret
from backend.sandbox.pki import AUTHENTICATION, Pki
from backend.sandbox.seed import Seed
from backend.sandbox.softtoken import (
    SOFTWARE_TOKEN_ID,
    USER_PIN_LOCKED,
    SoftToken,
    new_id,
    pin_policy_violation,
    pin_status,
)
from backend.sandbox.views import IN_REGISTRATION, key_actions, token_actions
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

PIN_RETRY_LIMIT_SETTING = "pin_retry_limit"


class UnhandledWarnings(SandboxError):
    """X-Road's ``UnhandledWarningsException``: 400 ``warnings_detected`` with these warnings."""

    def __init__(self, message: str, warnings: list[dict[str, Any]]) -> None:
        super().__init__("warnings_detected", message)
        self.warnings = warnings


class TokenStateMixin(CertificateStateMixin, CsrStateMixin):
    """Token, key, CSR and certificate operations of :class:`~backend.sandbox.state.SandboxState`."""

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
        def global_conf_valid(self) -> bool: ...
        def url(self, path: str) -> str: ...

    # -- reading ---------------------------------------------------------------------------------

    def tokens(self) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM tokens ORDER BY id").fetchall()

    def token(self, token_id: str) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM tokens WHERE id = ?", (token_id,)).fetchone()

    def require_token(self, token_id: str) -> sqlite3.Row:
        """The token, or 404 ``token_not_found``."""
        token = self.token(token_id)
        if token is None:
            raise SandboxError("token_not_found", _("There is no such token."), status=404,
                               metadata=[token_id])
        return token

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

    def setting(self, key: str) -> str | None:
        """A setting of the simulation, or ``None`` when it keeps its default."""
        with self.lock:
            row = self.db.execute("SELECT value FROM sandbox_settings WHERE key = ?",
                                  (key,)).fetchone()
        return row["value"] if row else None

    def set_setting(self, key: str, value: str | None) -> None:
        with self.transaction() as connection:
            if value is None:
                connection.execute("DELETE FROM sandbox_settings WHERE key = ?", (key,))
            else:
                connection.execute(
                    "INSERT INTO sandbox_settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # -- the PIN ---------------------------------------------------------------------------------

    def pin_retry_limit(self) -> int | None:
        """Wrong PINs the token takes before it locks; ``None`` (the default): it never locks."""
        value = self.setting(PIN_RETRY_LIMIT_SETTING)
        return int(value) if value is not None else None

    def set_pin_retry_limit(self, limit: int | None) -> None:
        """Make the software token count wrong PINs as a PKCS #11 token does (``None``: it does not,
        as X-Road's software token)."""
        if limit is not None and limit < 1:
            raise SandboxError("invalid_parameters", _("The retry limit must be at least 1."))
        self.set_setting(PIN_RETRY_LIMIT_SETTING, None if limit is None else str(limit))

    def failed_logins(self, token_id: str = SOFTWARE_TOKEN_ID) -> int:
        with self.lock:
            row = self.db.execute("SELECT failed FROM token_pin_counters WHERE token_id = ?",
                                  (token_id,)).fetchone()
        return int(row["failed"]) if row else 0

    def token_status(self, token: sqlite3.Row) -> str:
        """``TokenStatus``: not initialised, OK, or what the last wrong PINs left."""
        if not token["initialized"]:
            return "NOT_INITIALIZED"
        return pin_status(self.failed_logins(token["id"]), self.pin_retry_limit())

    def _set_failed(self, connection: sqlite3.Connection, token_id: str, failed: int) -> None:
        connection.execute(
            "INSERT INTO token_pin_counters (token_id, failed) VALUES (?, ?) "
            "ON CONFLICT(token_id) DO UPDATE SET failed = excluded.failed", (token_id, failed))

    def _wrong_pin(self, token_id: str) -> SandboxError:
        failed = self.failed_logins(token_id) + 1
        locked = pin_status(failed, self.pin_retry_limit()) == USER_PIN_LOCKED
        with self.transaction() as connection:
            self._set_failed(connection, token_id, failed)
            if locked:  # a locked PIN ends the session, too
                connection.execute("UPDATE tokens SET logged_in = 0 WHERE id = ?", (token_id,))
                self._pin = None
                self._private_keys = {}
        return SandboxError("pin_incorrect", _("The PIN is incorrect."))

    def _refuse_if_locked(self, token_id: str) -> None:
        limit = self.pin_retry_limit()
        if limit is not None and self.failed_logins(token_id) >= limit:
            # a PKCS #11 token answers CKR_PIN_LOCKED; X-Road passes the signer's error through
            raise SandboxError("core.signer.login_failed",
                               _("The token's PIN is locked after too many wrong PINs."),
                               status=500, metadata=["CKR_PIN_LOCKED"])

    def login_token(self, pin: str, token_id: str = SOFTWARE_TOKEN_ID) -> None:
        """Log in to the software token: check the PIN and decrypt its keys into memory."""
        token = self.require_token(token_id)
        if "LOGIN" not in token_actions(token):
            raise not_possible("TOKEN_ACTIVATE")
        self._refuse_if_locked(token_id)
        if not verify_secret(pin, self.server_conf()["token_pin_hash"] or ""):
            raise self._wrong_pin(token_id)
        keys = {row["id"]: self.softtoken.load(row["id"], pin) for row in self.keys(token_id)}
        with self.transaction() as connection:
            connection.execute("UPDATE tokens SET logged_in = 1 WHERE id = ?", (token_id,))
            self._set_failed(connection, token_id, 0)
            self._pin = pin
            self._private_keys = keys

    def logout_token(self, token_id: str = SOFTWARE_TOKEN_ID) -> None:
        """Log out of the software token; its keys leave memory."""
        token = self.require_token(token_id)
        if "LOGOUT" not in token_actions(token):
            raise not_possible("TOKEN_DEACTIVATE")
        with self.transaction() as connection:
            connection.execute("UPDATE tokens SET logged_in = 0 WHERE id = ?", (token_id,))
            self._pin = None
            self._private_keys = {}

    def change_token_pin(self, old_pin: str, new_pin: str,
                         token_id: str = SOFTWARE_TOKEN_ID) -> None:
        """Change the software token's PIN: every keystore is re-encrypted under the new PIN.

        As in X-Road the token must be logged in, the new PIN must meet the policy when it is
        enforced, and afterwards the token is logged out.
        """
        token = self.require_token(token_id)
        if "TOKEN_CHANGE_PIN" not in token_actions(token):
            raise not_possible("TOKEN_CHANGE_PIN")
        if self.server_conf()["enforce_token_pin_policy"] and (
                violation := pin_policy_violation(new_pin)):
            raise SandboxError(violation[0], _("The PIN does not meet the token PIN policy."),
                               metadata=violation[1])
        self._refuse_if_locked(token_id)
        if not verify_secret(old_pin, self.server_conf()["token_pin_hash"] or ""):
            raise self._wrong_pin(token_id)
        with self.lock:
            self.softtoken.rekey([row["id"] for row in self.keys(token_id)], old_pin, new_pin)
            with self.transaction() as connection:
                connection.execute("UPDATE server_conf SET token_pin_hash = ? WHERE id = 1",
                                   (hash_secret(new_pin),))
                connection.execute("UPDATE tokens SET logged_in = 0 WHERE id = ?", (token_id,))
                self._set_failed(connection, token_id, 0)
                self._pin = None
                self._private_keys = {}

    def unlock_token(self, token_id: str = SOFTWARE_TOKEN_ID) -> None:
        """Reset the PIN retry counter (what a PKCS #11 security officer's C_InitPIN does)."""
        with self.transaction() as connection:
            self._set_failed(connection, token_id, 0)

    def rename_token(self, token_id: str, name: str) -> sqlite3.Row:
        token = self.require_token(token_id)
        if "EDIT_FRIENDLY_NAME" not in token_actions(token):
            raise not_possible("EDIT_FRIENDLY_NAME")
        with self.transaction() as connection:
            connection.execute("UPDATE tokens SET friendly_name = ? WHERE id = ?",
                               (name, token_id))
        return self.require_token(token_id)

    def _require_logged_in(self, action: str) -> str:
        token = self.token(SOFTWARE_TOKEN_ID)
        if token is None or not token["logged_in"] or self._pin is None:
            raise not_possible(action)
        return self._pin

    def _private_key(self, key_id: str) -> rsa.RSAPrivateKey:
        pin = self._require_logged_in("GENERATE_CSR")
        if key_id not in self._private_keys:
            self._private_keys[key_id] = self.softtoken.load(key_id, pin)
        return self._private_keys[key_id]

    # -- keys ------------------------------------------------------------------------------------

    def key_actions_for(self, key: sqlite3.Row) -> list[str]:
        return key_actions(self.require_token(key["token_id"]), key,
                           bool(self.certificates(key["id"])))

    def generate_key(self, label: str, token_id: str = SOFTWARE_TOKEN_ID) -> str:
        """A new RSA 2048 key on the software token (which must be logged in); its id."""
        token = self.require_token(token_id)
        if "GENERATE_KEY" not in token_actions(token):
            raise not_possible("GENERATE_KEY")
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
                (key_id, token_id, label, label or key_id, public_der, store_time(utcnow())),
            )
            self._private_keys[key_id] = private_key
        return key_id

    def rename_key(self, key_id: str, name: str) -> sqlite3.Row:
        key = self.key(key_id)
        if "EDIT_FRIENDLY_NAME" not in self.key_actions_for(key):
            raise not_possible("EDIT_FRIENDLY_NAME")
        with self.transaction() as connection:
            connection.execute("UPDATE keys SET friendly_name = ? WHERE id = ?", (name, key_id))
        return self.key(key_id)

    def registered_auth_certs_of(self, key_id: str) -> list[sqlite3.Row]:
        """The key's authentication certificates that must be unregistered before it goes."""
        key = self.key(key_id)
        if key["usage"] != AUTHENTICATION:
            return []
        return [cert for cert in self.certificates(key_id) if cert["status"] in IN_REGISTRATION]

    def delete_key(self, key_id: str, ignore_warnings: bool = False) -> None:
        """Delete a key with its certificates and CSRs, as X-Road's ``KeyService.deleteKey``.

        A key with a registered (or registering) authentication certificate needs
        ``ignore_warnings``: then the certificates are unregistered first.
        """
        key = self.key(key_id)
        if "DELETE" not in self.key_actions_for(key):
            raise not_possible("DELETE")
        unregister = self.registered_auth_certs_of(key_id)
        if unregister and not ignore_warnings:
            raise UnhandledWarnings(
                _("The key has a registered authentication certificate."),
                [{"code": "auth_key_with_registered_cert_warning", "metadata": [key_id]}],
            )
        for cert in unregister:
            centralserver.submit(self, centralserver.AUTH_CERT_DELETION, cert["hash"])
            with self.transaction() as connection:
                connection.execute("UPDATE certificates SET status = 'DELETION_IN_PROGRESS' "
                                   "WHERE id = ?", (cert["id"],))
        with self.transaction() as connection:
            connection.execute("DELETE FROM keys WHERE id = ?", (key_id,))
            self._private_keys.pop(key_id, None)
        self.softtoken.delete(key_id)

    # -- identities ------------------------------------------------------------------------------

    def owner_member_id(self) -> str | None:
        conf = self.server_conf()
        if not conf["owner_member_code"]:
            return None
        return f"{self.seed.instance}:{conf['owner_member_class']}:{conf['owner_member_code']}"

    def server_id_encoded(self) -> str | None:
        """This server's id ``INSTANCE:CLASS:CODE:SERVERCODE`` once it is initialised."""
        owner = self.owner_member_id()
        code = self.server_conf()["server_code"]
        return f"{owner}:{code}" if owner and code else None

    def local_member_ids(self) -> set[str]:
        """The owner and the members with clients on this server (X-Road's local client members)."""
        members = {owner} if (owner := self.owner_member_id()) else set()
        with self.lock:
            rows = self.db.execute(
                "SELECT DISTINCT instance_identifier, member_class, member_code FROM clients"
            ).fetchall()
        members.update(f"{r['instance_identifier']}:{r['member_class']}:{r['member_code']}"
                       for r in rows)
        return members
