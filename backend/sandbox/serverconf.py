"""The security server's own configuration: its anchor, initialisation and timestamping services.

These methods of :class:`~backend.sandbox.state.SandboxState` follow X-Road's ``SystemService`` and
``InitializationService``: the order of their checks, their error codes and their warnings.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from backend.i18n import _
from backend.sandbox import centralserver
from backend.sandbox.anchor import (
    ANCHOR_FILE_NAME,
    CentralServer,
    ConfigurationAnchor,
    parse_anchor,
)
from backend.sandbox.errors import SandboxError
from backend.sandbox.hashing import hash_secret
from backend.sandbox.seed import Seed
from backend.sandbox.softtoken import SOFTWARE_TOKEN_ID, pin_policy_violation
from backend.sandbox.tokenstate import UnhandledWarnings
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

#: X-Road's strict identifier rule (``strict-identifier-checks``, the default since 7.3)
IDENTIFIER = re.compile(r"^[a-zA-Z0-9'()+,\-.=?]+$")
#: ``invalid_init_params`` metadata: (value missing, value given although already set)
_INIT_PARAMS = (
    ("server_code_not_provided", "server_code_exists"),
    ("member_class_not_provided", "member_class_exists"),
    ("member_code_not_provided", "member_code_exists"),
    ("pin_code_not_provided", "pin_code_exists"),
)

__all__ = ["IDENTIFIER", "ServerConfMixin", "UnhandledWarnings", "short_id"]


def _warning(code: str, *metadata: str) -> dict[str, object]:
    return {"code": code, "metadata": list(metadata) or None}


def short_id(*parts: str) -> str:
    """An identifier as X-Road's ``XRoadId.toShortString`` writes it: ``INSTANCE/CLASS/CODE``."""
    return "/".join(parts)


class ServerConfMixin:
    """Anchor, initialisation and timestamping services of the sandbox security server."""

    data_dir: Path
    db: sqlite3.Connection
    lock: threading.RLock
    seed: Seed
    central: CentralServer
    _pin: str | None
    _private_keys: dict

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def server_conf(self) -> sqlite3.Row: ...
        def url(self, path: str) -> str: ...
        def require_anchor(self) -> None: ...

    # -- configuration anchor --------------------------------------------------------------------

    def anchor_path(self) -> Path:
        """The imported anchor (on a real server ``/etc/xroad/configuration-anchor.xml``)."""
        return self.data_dir / ANCHOR_FILE_NAME

    def server_conf_initialized(self) -> bool:
        """Whether X-Road's serverconf exists: owner or server code set by the initialisation."""
        conf = self.server_conf()
        return bool(conf["owner_member_code"] or conf["server_code"])

    def require_server_conf(self) -> sqlite3.Row:
        """The server configuration; before the initialisation X-Road fails with 500."""
        if not self.server_conf_initialized():
            raise SandboxError("malformed_server_conf",
                               _("The security server has not been initialised."), status=500)
        return self.server_conf()

    def _check_instance(self, anchor: ConfigurationAnchor) -> None:
        """``verifyAnchorInstance``: the anchor must be of the owner's instance."""
        owner_instance = self.require_server_conf()["instance_identifier"]
        if anchor.instance_identifier != owner_instance:
            raise SandboxError(
                "internal_anchor_upload_invalid_instance_id",
                _("The anchor is of instance {anchor}, this server of instance {server}.").format(
                    anchor=anchor.instance_identifier, server=owner_instance))

    def preview_anchor(self, data: bytes, validate_instance: bool = True) -> ConfigurationAnchor:
        """Read an anchor without storing it (``POST /system/anchor/previews``)."""
        anchor = parse_anchor(data)
        if validate_instance:
            self._check_instance(anchor)
        return anchor

    def upload_initial_anchor(self, data: bytes) -> ConfigurationAnchor:
        """Import the first anchor: refused once one exists; its source must verify."""
        if self.server_conf()["anchor_imported"]:
            raise SandboxError("anchor_already_exists",
                               _("A configuration anchor has already been imported."), status=409)
        anchor = parse_anchor(data)
        self.central.verify(anchor)
        self._store_anchor(data, anchor)
        return anchor

    def import_own_anchor(self) -> None:
        """Import the configuration anchor of the sandbox's own instance."""
        self.upload_initial_anchor(self.central.anchor)

    def replace_anchor(self, data: bytes) -> ConfigurationAnchor:
        """Replace the anchor (``PUT /system/anchor``): same instance, verified source."""
        anchor = parse_anchor(data)
        self._check_instance(anchor)
        self.central.verify(anchor)
        self._store_anchor(data, anchor)
        return anchor

    def _store_anchor(self, data: bytes, anchor: ConfigurationAnchor) -> None:
        with self.transaction() as connection:
            self.anchor_path().write_bytes(data)
            # the configuration client downloads the configuration at once
            connection.execute(
                "UPDATE server_conf SET anchor_imported = 1, anchor_imported_at = ?, "
                "instance_identifier = ? WHERE id = 1",
                (store_time(utcnow()), anchor.instance_identifier),
            )

    def anchor_file(self) -> bytes:
        """The imported anchor file; ``anchor_file_not_found`` (500) before there is one."""
        try:
            if self.server_conf()["anchor_imported"]:
                return self.anchor_path().read_bytes()
        except OSError:
            pass
        raise SandboxError("anchor_file_not_found", _("No configuration anchor has been imported."),
                           status=500)

    # -- initialisation --------------------------------------------------------------------------

    def software_token_initialized(self) -> bool:
        with self.lock:
            row = self.db.execute("SELECT initialized FROM tokens WHERE id = ?",
                                  (SOFTWARE_TOKEN_ID,)).fetchone()
        return bool(row and row["initialized"])

    def _check_pin(self, pin: str) -> None:
        if self.server_conf()["enforce_token_pin_policy"] and (
                violation := pin_policy_violation(pin)):
            raise SandboxError(violation[0], _("The PIN does not meet the token PIN policy."),
                               metadata=violation[1])

    def _init_token(self, connection: sqlite3.Connection, pin: str) -> None:
        connection.execute("UPDATE server_conf SET token_pin_hash = ? WHERE id = 1",
                           (hash_secret(pin),))
        connection.execute(
            "UPDATE tokens SET initialized = 1, available = 1, logged_in = 1 WHERE id = ?",
            (SOFTWARE_TOKEN_ID,))
        self._pin = pin
        self._private_keys.clear()

    def init_software_token(self, pin: str) -> None:
        """Initialise the software token alone, as the signer does (``signer-console``)."""
        if self.software_token_initialized():
            raise SandboxError("action_not_possible",
                               _("The software token is already initialised."), status=409)
        self._check_pin(pin)
        with self.transaction() as connection:
            self._init_token(connection, pin)

    def set_token_pin_policy(self, enforced: bool) -> None:
        """Turn the signer's ``enforce-token-pin-policy`` on or off."""
        with self.transaction() as connection:
            connection.execute("UPDATE server_conf SET enforce_token_pin_policy = ? WHERE id = 1",
                               (int(enforced),))

    def registered_security_servers(self) -> list[tuple[str, str, str, str, str | None]]:
        """``(instance, class, code, server code, address)`` of every server in the global
        configuration: the seed's, and this one once its authentication certificate is registered.
        """
        servers: list[tuple[str, str, str, str, str | None]] = [
            (self.seed.instance, s.owner_class, s.owner_code, s.code, s.address)
            for s in self.seed.security_servers]
        conf = self.server_conf()
        if conf["owner_member_code"] and conf["server_code"]:
            with self.lock:
                registered = self.db.execute(
                    "SELECT 1 FROM certificates c JOIN keys k ON k.id = c.key_id "
                    "WHERE k.usage = 'AUTHENTICATION' AND c.status = 'REGISTERED'").fetchone()
            if registered:  # the central server publishes the address of its registration
                servers.append((conf["instance_identifier"], conf["owner_member_class"],
                                conf["owner_member_code"], conf["server_code"],
                                centralserver.server_address(self)))  # type: ignore[arg-type]
        return servers

    def initialization_warnings(
        self, owner: tuple[str, str], server_code: str | None
    ) -> list[dict[str, object]]:
        """``InitializationService.checkForWarnings`` for this owner and server code."""
        conf = self.server_conf()
        instance = conf["instance_identifier"]
        code_set, owner_set = bool(conf["server_code"]), bool(conf["owner_member_code"])
        warnings = []
        if code_set:
            warnings.append(_warning("init_servercode_exists"))
        if owner_set:
            warnings.append(_warning("init_server_owner_exists"))
        if self.software_token_initialized():
            warnings.append(_warning("init_software_token_initialized"))
        if not owner_set and (instance != self.seed.instance or self.seed.member(*owner) is None):
            warnings.append(_warning("init_unregistered_member", short_id(instance, *owner)))
        if not code_set and server_code and (instance, *owner, server_code) in [
                server[:4] for server in self.registered_security_servers()]:
            warnings.append(_warning("init_server_id_exists",
                                     short_id(instance, *owner, server_code)))
        return warnings

    def initialize(
        self,
        owner_member_class: str | None = None,
        owner_member_code: str | None = None,
        server_code: str | None = None,
        pin: str | None = None,
        *,
        ignore_warnings: bool = True,
        check_member_class: bool = True,
    ) -> None:
        """Initialise the server (``POST /initialization``): owner, server code, software token.

        Only what is not yet set may be given, and all of that must be (``invalid_init_params``).
        Warnings raise :class:`UnhandledWarnings` unless ``ignore_warnings``; nothing changes
        then, nor when the PIN breaks an enforced PIN policy. ``check_member_class`` refuses a
        member class the instance does not define (``invalid_member_class``) for programmatic
        callers; X-Road's API only warns about an unregistered owner, so the API turns it off.
        """
        conf = self.server_conf()
        if not conf["anchor_imported"]:
            raise SandboxError("anchor_not_found",
                               _("Import the configuration anchor before initialising."),
                               status=409)
        done = (bool(conf["server_code"]), bool(conf["owner_member_code"]),
                bool(conf["owner_member_code"]), self.software_token_initialized())
        if all(done):
            raise SandboxError("server_already_fully_initialized",
                               _("The security server is already initialised."), status=409)
        given = (server_code, owner_member_class, owner_member_code, pin)
        problems = [exists if is_set else missing
                    for (missing, exists), value, is_set in zip(_INIT_PARAMS, given, done, strict=True)
                    if bool(value) == is_set]
        if problems:
            raise SandboxError("invalid_init_params",
                               _("Give exactly the initialisation values not yet set."),
                               metadata=problems)
        owner = ((conf["owner_member_class"], conf["owner_member_code"]) if done[1]
                 else (str(owner_member_class), str(owner_member_code)))
        if check_member_class and not done[1] and owner[0] not in self.seed.member_class_codes:
            raise SandboxError("invalid_member_class", _("There is no such member class."),
                               metadata=[owner[0]])
        for value in (owner_member_class, owner_member_code, server_code):
            if value and not IDENTIFIER.match(value):
                raise SandboxError("validation_failure",
                                   _("Identifiers may only contain letters, digits and '()+,-.=?"),
                                   metadata=[value])
        if not ignore_warnings and (warnings := self.initialization_warnings(owner, server_code)):
            raise UnhandledWarnings(_("The initialisation has warnings; nothing was changed."),
                                    warnings)
        if pin:
            self._check_pin(pin)
        with self.transaction() as connection:
            if server_code:
                connection.execute("UPDATE server_conf SET server_code = ? WHERE id = 1",
                                   (server_code,))
            if not done[1]:
                self._add_owner(connection, conf["instance_identifier"], owner)
            if pin:
                self._init_token(connection, pin)

    def _add_owner(self, connection: sqlite3.Connection, instance: str,
                   owner: tuple[str, str]) -> None:
        """The owner becomes the server's first client (``SAVED``, HTTPS), as X-Road adds it."""
        connection.execute(
            "UPDATE server_conf SET owner_member_class = ?, owner_member_code = ? WHERE id = 1",
            owner)
        connection.execute(
            "INSERT OR IGNORE INTO clients (id, instance_identifier, member_class, member_code, "
            "status, connection_type, owner, created_at) VALUES (?, ?, ?, ?, 'SAVED', 'HTTPS', 1, ?)",
            (":".join((instance, *owner)), instance, *owner, store_time(utcnow())))

    # -- timestamping services -------------------------------------------------------------------

    def approved_timestamping_services(self) -> list[tuple[str, str, str]]:
        """``(name, url, cost type)`` of the timestamping services the global conf approves."""
        return [(t.name, self.url(t.path), t.cost_type) for t in self.seed.timestamping_services]

    def add_timestamping_service(
        self, name: str, url: str | None = None, cost_type: str | None = None
    ) -> None:
        """Configure an approved timestamping service (by name, or by name and URL as X-Road).

        Unknown: ``timestamping_service_not_found`` (400); configured already: 409
        ``timestamping_service_already_configured``.
        """
        self.require_anchor()
        approved = next((tsa for tsa in self.approved_timestamping_services()
                         if tsa[0] == name and url in (None, tsa[1])), None)
        if approved is None:
            raise SandboxError("timestamping_service_not_found",
                               _("The global configuration approves no such timestamping service."),
                               metadata=[name])
        try:
            with self.transaction() as connection:
                connection.execute(
                    "INSERT INTO timestamping_services (name, url, cost_type, added_at) "
                    "VALUES (?, ?, ?, ?)",
                    (name, approved[1], cost_type or approved[2], store_time(utcnow())))
        except sqlite3.IntegrityError as error:
            raise SandboxError("timestamping_service_already_configured",
                               _("This timestamping service is already configured."),
                               status=409, metadata=[name]) from error

    def delete_timestamping_service(self, name: str, url: str) -> None:
        """Stop using a configured timestamping service; ``timestamping_service_not_found``
        (400) when none has this name and URL."""
        with self.transaction() as connection:
            cursor = connection.execute(
                "DELETE FROM timestamping_services WHERE name = ? AND url = ?", (name, url))
        if cursor.rowcount == 0:
            raise SandboxError("timestamping_service_not_found",
                               _("No such timestamping service is configured."), metadata=[name])

    def timestamping_services(self) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(
                "SELECT * FROM timestamping_services ORDER BY added_at, name"
            ).fetchall()
