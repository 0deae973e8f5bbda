"""``SandboxState``: the domain layer of the sandbox security server.

The state lives in ``<data dir>/sandbox.db`` (SQLite) beside the test PKI and the software token's
keystores. A fresh sandbox is not initialised: no configuration anchor, no owner, no server code and
the software token ``NOT_INITIALIZED``. The methods below change the state with real effects and
raise :class:`~backend.sandbox.errors.SandboxError` with X-Road's error codes when X-Road would
refuse.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backend.i18n import _
from backend.sandbox import db
from backend.sandbox.aclstate import AclStateMixin
from backend.sandbox.anchor import CENTRAL_DIR_NAME, CentralServer, ensure_central_server
from backend.sandbox.clientstate import ClientStateMixin
from backend.sandbox.errors import SandboxError
from backend.sandbox.groupstate import LocalGroupStateMixin
from backend.sandbox.hashing import api_key_digest, hash_secret, verify_secret
from backend.sandbox.paths import MARKER_NAME, MARKER_TEXT
from backend.sandbox.paths import reset_data_dir as reset_data_dir  # re-exported
from backend.sandbox.permissions import ALL_ROLES, SECURITY_SERVER_ROLES, ordered_roles
from backend.sandbox.pki import Pki, ensure_pki, write_private
from backend.sandbox.seed import Seed, load_seed
from backend.sandbox.serverconf import ServerConfMixin
from backend.sandbox.servicestate import ServiceStateMixin
from backend.sandbox.softtoken import (
    SOFTWARE_TOKEN_ID,
    SOFTWARE_TOKEN_NAME,
    SoftToken,
)
from backend.sandbox.tokenstate import TokenStateMixin
from backend.sandbox.wire import store_time, utcnow

DATABASE_NAME = "sandbox.db"
PASSWORD_FILE_NAME = "admin-password"
ADMIN_USERNAME = "admin"
DEFAULT_PUBLIC_BASE_URL = "https://127.0.0.1:4000"


@dataclass(frozen=True)
class ApiKeyRecord:
    """An API key as the sandbox keeps it: the id, its roles and who created it."""

    id: int
    roles: list[str]
    creator: str


class SandboxState(ServerConfMixin, TokenStateMixin, ServiceStateMixin, ClientStateMixin,
                   LocalGroupStateMixin, AclStateMixin):
    """The whole state of one sandbox security server, kept in a data directory."""

    def __init__(
        self,
        data_dir: Path,
        connection: sqlite3.Connection,
        seed: Seed,
        pki: Pki,
        generated_admin_password: str | None,
        central: CentralServer,
    ) -> None:
        self.data_dir = data_dir
        self.db = connection
        self.seed = seed
        self.pki = pki
        #: the instance's simulated central server (its own configuration anchor)
        self.central = central
        self.generated_admin_password = generated_admin_password
        #: where clients reach this server; the OCSP and TSA URLs are derived from it
        self.public_base_url = DEFAULT_PUBLIC_BASE_URL
        self.lock = threading.RLock()
        self.softtoken = SoftToken(data_dir / "softtoken")
        self._pin: str | None = None
        self._private_keys: dict = {}

    # -- lifecycle -------------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: Path, admin_password: str | None = None) -> SandboxState:
        """Open the sandbox kept in ``data_dir``, creating it (and its PKI) on the first start.

        On the first start without ``admin_password`` a password is generated, stored in
        ``data_dir/admin-password`` (mode 0600) and exposed as ``generated_admin_password``. A given
        ``admin_password`` replaces the admin's password on every start.
        """
        data_dir = Path(data_dir)
        first_start = not (data_dir / DATABASE_NAME).exists()
        if first_start:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            data_dir.chmod(0o700)
            (data_dir / MARKER_NAME).write_text(MARKER_TEXT, encoding="utf-8")
        seed = load_seed()
        pki = ensure_pki(data_dir / "pki", seed)
        central = ensure_central_server(data_dir / CENTRAL_DIR_NAME, seed.instance)
        connection = db.connect(data_dir / DATABASE_NAME)
        generated = None
        password_file = data_dir / PASSWORD_FILE_NAME
        if first_start:
            password = admin_password
            if password is None:
                password = generated = secrets.token_urlsafe(15)
                write_private(password_file, (password + "\n").encode())
            cls._create(connection, password, seed)
        elif admin_password is not None:
            connection.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?",
                (hash_secret(admin_password), ADMIN_USERNAME),
            )
            password_file.unlink(missing_ok=True)  # it no longer holds the password
        # like a restarted signer, the software token starts logged out
        connection.execute("UPDATE tokens SET logged_in = 0")
        state = cls(data_dir, connection, seed, pki, generated, central)
        anchor_file = state.anchor_path()
        if state.server_conf()["anchor_imported"] and not anchor_file.exists():
            anchor_file.write_bytes(central.anchor)  # imported by a release that kept no file
        return state

    @staticmethod
    def _create(connection: sqlite3.Connection, admin_password: str, seed: Seed) -> None:
        now = store_time(utcnow())
        connection.execute(
            "INSERT INTO server_conf (id, created_at, enforce_token_pin_policy) VALUES (1, ?, ?)",
            (now, int(seed.enforce_token_pin_policy)))
        connection.execute(
            "INSERT INTO users (username, password_hash, roles, created_at) VALUES (?, ?, ?, ?)",
            (ADMIN_USERNAME, hash_secret(admin_password), json.dumps(SECURITY_SERVER_ROLES), now),
        )
        connection.execute(
            "INSERT INTO tokens (id, friendly_name, type) VALUES (?, ?, 'SOFTWARE')",
            (SOFTWARE_TOKEN_ID, SOFTWARE_TOKEN_NAME),
        )

    def close(self) -> None:
        """Forget the token's keys and close the database."""
        with self.lock:
            self._pin = None
            self._private_keys.clear()
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change of the database, serialised with every other use of the state."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- users and API keys ----------------------------------------------------------------------

    def user_roles(self, username: str, password: str) -> list[str] | None:
        """The roles of a user whose password matches, else ``None``."""
        with self.lock:
            row = self.db.execute(
                "SELECT password_hash, roles FROM users WHERE username = ?", (username,)
            ).fetchone()
        if row is None or not verify_secret(password, row["password_hash"]):
            return None
        return json.loads(row["roles"])

    def create_api_key(self, roles: list[str], username: str = ADMIN_USERNAME) -> tuple[int, str]:
        """A new API key with these roles: ``(id, plaintext key)``; only its SHA-256 is kept."""
        unknown = [role for role in roles if role not in ALL_ROLES]
        if not roles or unknown:
            raise SandboxError("invalid_role", _("An API key needs one or more valid roles."))
        key = str(uuid.uuid4())
        with self.transaction() as connection:
            cursor = connection.execute(
                "INSERT INTO api_keys (key_sha256, roles, creator, created_at) VALUES (?, ?, ?, ?)",
                (api_key_digest(key), json.dumps(ordered_roles(roles)), username,
                 store_time(utcnow())),
            )
        return int(cursor.lastrowid or 0), key

    @staticmethod
    def _api_key(row: sqlite3.Row) -> ApiKeyRecord:
        return ApiKeyRecord(int(row["id"]), json.loads(row["roles"]), row["creator"])

    def api_key_for(self, key: str) -> ApiKeyRecord | None:
        """The API key record for a plaintext key, if it exists."""
        with self.lock:
            row = self.db.execute(
                "SELECT * FROM api_keys WHERE key_sha256 = ?", (api_key_digest(key),)
            ).fetchone()
        return self._api_key(row) if row else None

    def api_keys(self) -> list[ApiKeyRecord]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM api_keys ORDER BY id").fetchall()
        return [self._api_key(row) for row in rows]

    def api_key(self, key_id: int) -> ApiKeyRecord | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return self._api_key(row) if row else None

    def update_api_key(self, key_id: int, roles: list[str]) -> ApiKeyRecord:
        """Replace the roles of an API key."""
        with self.transaction() as connection:
            connection.execute(
                "UPDATE api_keys SET roles = ? WHERE id = ?",
                (json.dumps(ordered_roles(roles)), key_id),
            )
        record = self.api_key(key_id)
        if record is None:
            raise SandboxError("api_key_not_found", _("There is no such API key."), status=404,
                               metadata=[str(key_id)])
        return record

    def delete_api_key(self, key_id: int) -> bool:
        """Revoke an API key; ``False`` if there was none with this id."""
        with self.transaction() as connection:
            cursor = connection.execute("DELETE FROM api_keys WHERE id = ?", (key_id,))
        return cursor.rowcount > 0

    # -- server configuration --------------------------------------------------------------------

    def server_conf(self) -> sqlite3.Row:
        with self.lock:
            return self.db.execute("SELECT * FROM server_conf WHERE id = 1").fetchone()

    def global_conf_valid(self) -> bool:
        """Whether the server holds a valid global configuration (anchor imported, downloads ok)."""
        conf = self.server_conf()
        return bool(conf["anchor_imported"]) and conf["global_conf_error"] is None

    def require_anchor(self) -> None:
        """X-Road's global configuration exists once an anchor is imported (even when later
        downloads fail); before that its readers fail with 500."""
        if not self.server_conf()["anchor_imported"]:
            raise SandboxError(
                "global_conf_outdated",
                _("There is no global configuration: import the configuration anchor first."),
                status=500,
            )

    def require_global_conf(self) -> None:
        if not self.global_conf_valid():
            raise SandboxError(
                "global_conf_outdated",
                _("The global configuration is not valid: import the configuration anchor first."),
                status=500,
            )

    def set_global_conf_error(self, code: str | None) -> None:
        """Make global configuration downloads fail with ``code`` (``None``: they succeed again)."""
        with self.transaction() as connection:
            connection.execute(
                "UPDATE server_conf SET global_conf_error = ?, global_conf_error_at = ? "
                "WHERE id = 1",
                (code, store_time(utcnow()) if code else None),
            )

    def url(self, path: str) -> str:
        """An absolute URL on this server."""
        return self.public_base_url.rstrip("/") + path
