"""Clients of the security server: adding, connection type, registration and its relatives.

The methods of :class:`~backend.sandbox.state.SandboxState` below follow X-Road's ``ClientService``:
the order of its checks, its error codes and its statuses. Registration, deletion, disabling,
enabling, renaming and owner changes are management requests to the simulated central server
(:mod:`backend.sandbox.centralserver`); what it approves reaches the client statuses the way X-Road's
``GlobalConfChecker`` applies a downloaded global configuration (:meth:`refresh_clients`).
Information-system TLS certificates and orphans are in :mod:`backend.sandbox.clientextras`.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING

from backend.i18n import _
from backend.sandbox import centralserver, ocsp
from backend.sandbox.castate import not_possible
from backend.sandbox.clientextras import ClientExtrasMixin
from backend.sandbox.errors import SandboxError
from backend.sandbox.globalmembers import GlobalView, global_view, server_registered
from backend.sandbox.identifiers import ClientId, parse_client_id
from backend.sandbox.pki import SIGNING
from backend.sandbox.seed import Seed
from backend.sandbox.softtoken import SOFTWARE_TOKEN_ID
from backend.sandbox.tokenstate import UnhandledWarnings
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

SAVED, REGISTERED, GLOBAL_ERROR = "SAVED", "REGISTERED", "GLOBAL_ERROR"
REGISTRATION_IN_PROGRESS, DELETION_IN_PROGRESS = "REGISTRATION_IN_PROGRESS", "DELETION_IN_PROGRESS"
DISABLED, DISABLING, ENABLING = "DISABLED", "DISABLING_IN_PROGRESS", "ENABLING_IN_PROGRESS"
CONNECTION_TYPES = ("HTTP", "HTTPS", "HTTPS_NO_AUTH")
NAME_SET, NAME_SUBMITTED = "NAME_SET", "NAME_SUBMITTED"


def _client_not_found(encoded: str) -> SandboxError:
    return SandboxError("client_not_found", _("There is no such client on this server."),
                        status=404, metadata=[encoded])


def _sending_failed(detail: str) -> SandboxError:
    return SandboxError("management_request_sending_failed", detail, status=500,
                        metadata=[detail])


class ClientStateMixin(ClientExtrasMixin):
    """Client operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock
    seed: Seed

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def server_conf(self) -> sqlite3.Row: ...
        def require_server_conf(self) -> sqlite3.Row: ...
        def global_conf_valid(self) -> bool: ...
        def owner_member_id(self) -> str | None: ...
        def token(self, token_id: str) -> sqlite3.Row | None: ...
        def catch_up(self) -> None: ...

    # -- reading ---------------------------------------------------------------------------------

    def client_row(self, encoded: str) -> sqlite3.Row | None:
        """The local client with this encoded id, if there is one."""
        with self.lock:
            return self.db.execute("SELECT * FROM clients WHERE id = ?", (encoded,)).fetchone()

    def require_client(self, encoded: str) -> sqlite3.Row:
        """The local client, or 404 ``client_not_found`` (X-Road's ``ClientNotFoundException``)."""
        row = self.client_row(parse_client_id(encoded).encoded)
        if row is None:
            raise _client_not_found(encoded)
        return row

    def local_clients(self) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM clients ORDER BY id").fetchall()

    def global_view(self) -> GlobalView:
        return global_view(self)  # type: ignore[arg-type]

    def valid_sign_members(self) -> set[str]:
        """Members with a registered signing certificate whose OCSP status is good
        (``ClientUtils.hasValidLocalSignCert``)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT c.member_id, c.ocsp_response FROM certificates c "
                "JOIN keys k ON k.id = c.key_id WHERE k.usage = ? AND c.status = 'REGISTERED' "
                "AND c.member_id IS NOT NULL AND c.ocsp_response IS NOT NULL", (SIGNING,)
            ).fetchall()
        return {row["member_id"] for row in rows
                if ocsp.response_status(row["ocsp_response"]) == ocsp.GOOD}

    def refresh_clients(self) -> GlobalView:
        """Apply what the configuration client would have downloaded by now: the owner, client
        statuses and subsystem names as X-Road's ``GlobalConfChecker`` updates them."""
        self.catch_up()
        view = self.global_view()
        if not self.global_conf_valid():
            return view
        owner = self.owner_member_id()
        changes: list[tuple[str, str]] = []
        renamed: list[str] = []
        rows = self.local_clients()
        local_members = {row["id"] for row in rows if row["subsystem_code"] is None}
        new_owner = view.owner if view.owner != owner and view.owner in local_members else None
        for row in rows:
            registered = view.is_server_client(row["id"])
            status = row["status"]
            if registered and status in (SAVED, REGISTRATION_IN_PROGRESS, GLOBAL_ERROR, ENABLING):
                changes.append((REGISTERED, row["id"]))
            elif not registered and status == REGISTERED:
                changes.append((GLOBAL_ERROR, row["id"]))
            elif not registered and status == DISABLING:
                changes.append((DISABLED, row["id"]))
            if (row["rename_status"] == NAME_SUBMITTED
                    and view.subsystem_name(row["id"]) == row["subsystem_name"]):
                renamed.append(row["id"])
        if not (changes or renamed or new_owner):
            return view
        with self.transaction() as connection:
            connection.executemany("UPDATE clients SET status = ? WHERE id = ?", changes)
            connection.executemany(
                "UPDATE clients SET rename_status = NULL, subsystem_name = NULL WHERE id = ?",
                [(encoded,) for encoded in renamed])
            if new_owner:
                parsed = parse_client_id(new_owner)
                connection.execute(
                    "UPDATE server_conf SET owner_member_class = ?, owner_member_code = ? "
                    "WHERE id = 1", (parsed.member_class, parsed.member_code))
                connection.execute("UPDATE clients SET owner = (id = ?)", (new_owner,))
        return view

    # -- adding and changing ---------------------------------------------------------------------

    def add_client(self, member_class: str, member_code: str, subsystem_code: str | None = None,
                   connection_type: str = "HTTPS", *, ignore_warnings: bool = False,
                   subsystem_name: str | None = None) -> str:
        """Add a member or subsystem of this instance (``ClientService.addLocalClient``); its id.

        Refusals in X-Road's order: an unknown member class (400 ``invalid_member_class``), a
        client already added (409 ``client_already_exists``), a second member besides the owner
        (409 ``additional_member_already_exists``), a member the global configuration does not
        list without ``ignore_warnings`` (``unregistered_member``, nothing added).
        """
        conf = self.require_server_conf()
        if connection_type not in CONNECTION_TYPES:
            raise SandboxError("invalid_connection_type", _("Unknown connection type."))
        if member_class not in self.seed.member_class_codes:
            raise SandboxError("invalid_member_class",
                               _("The instance has no member class {code}.").format(
                                   code=member_class), metadata=[member_class])
        new = ClientId(self.seed.instance, member_class, member_code, subsystem_code)
        if self.client_row(new.encoded) is not None:
            raise SandboxError("client_already_exists", _("The client has already been added."),
                               status=409, metadata=[new.encoded])
        owner = self.owner_member_id()
        if not new.is_subsystem:
            extra = [row["id"] for row in self.local_clients()
                     if row["subsystem_code"] is None and row["id"] != owner]
            if extra:
                raise SandboxError(
                    "additional_member_already_exists",
                    _("A server has its owner and at most one other member as clients."),
                    status=409, metadata=extra)
        view = self.global_view()
        if new.member_id not in view.members and not ignore_warnings:
            raise UnhandledWarnings(
                _("The global configuration does not list the member {member}.").format(
                    member=new.member_id),
                [{"code": "unregistered_member", "metadata": [ClientId(
                    new.instance, member_class, member_code).short()]}])
        status = REGISTERED if view.is_server_client(new.encoded) else SAVED
        pending = (subsystem_name if new.is_subsystem and subsystem_name
                   and subsystem_name != view.subsystem_name(new.encoded) else None)
        with self.transaction() as connection:
            connection.execute(
                "INSERT INTO clients (id, instance_identifier, member_class, member_code, "
                "subsystem_code, subsystem_name, status, connection_type, owner, rename_status, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (new.encoded, conf["instance_identifier"] or new.instance, member_class,
                 member_code, subsystem_code, pending, status, connection_type,
                 NAME_SET if pending else None, store_time(utcnow())))
        return new.encoded

    def set_connection_type(self, encoded: str, connection_type: str) -> sqlite3.Row:
        row = self.require_client(encoded)
        if connection_type not in CONNECTION_TYPES:
            raise SandboxError("invalid_connection_type", _("Unknown connection type."))
        with self.transaction() as connection:
            connection.execute("UPDATE clients SET connection_type = ? WHERE id = ?",
                               (connection_type, row["id"]))
        return self.require_client(row["id"])

    def _set_client_status(self, encoded: str, status: str) -> None:
        with self.transaction() as connection:
            connection.execute("UPDATE clients SET status = ? WHERE id = ?", (status, encoded))

    # -- management requests --------------------------------------------------------------------

    def _send(self, kind: str, client: ClientId, detail: str | None = None, *,
              member_signs: bool = False) -> int:
        """Send a client management request as the security server's proxy would: signed with the
        server's registered authentication key and the owner's signing key (and the client
        member's, for requests the member signs), on a logged-in token."""
        if not self.global_conf_valid():
            raise SandboxError("global_conf_outdated",
                               _("The global configuration is outdated; the request was not sent."),
                               status=409)
        token = self.token(SOFTWARE_TOKEN_ID)
        valid = self.valid_sign_members()
        owner = self.owner_member_id()
        if not server_registered(self):  # type: ignore[arg-type]
            raise _sending_failed(_("This security server is not registered: register its "
                                    "authentication certificate first."))
        if token is None or not token["logged_in"]:
            raise _sending_failed(_("The software token is not logged in, so the request "
                                    "cannot be signed. Log in to the token first."))
        for member in (owner, client.member_id if member_signs else None):
            if member is not None and member not in valid:
                raise _sending_failed(_(
                    "Member {member} has no registered signing certificate with a good OCSP "
                    "status on this server.").format(member=member))
        if member_signs and client.member_id not in self.global_view().members:
            raise _sending_failed(_("The central server does not know member {member}.").format(
                member=client.member_id))
        return centralserver.submit_client(self, kind, client.encoded, detail)  # type: ignore[arg-type]

    def register_client(self, encoded: str) -> int:
        """``PUT /clients/{id}/register``: only a saved client other than the owner."""
        row = self.require_client(encoded)
        client = parse_client_id(row["id"])
        if client.instance != self.seed.instance:
            raise SandboxError("invalid_instance_identifier",
                               _("The client is of another instance."), metadata=[client.instance])
        if client.member_class not in self.seed.member_class_codes:
            raise SandboxError("invalid_member_class", _("The instance has no such member class."),
                               metadata=[client.member_class])
        if row["id"] == self.owner_member_id():
            raise SandboxError("cannot_register_owner", _("The owner is registered with the "
                                                          "server itself."))
        if row["status"] != SAVED:
            raise not_possible("REGISTER")
        name = row["subsystem_name"] if row["rename_status"] == NAME_SET else None
        request_id = self._send(centralserver.CLIENT_REGISTRATION, client, name, member_signs=True)
        with self.transaction() as connection:
            connection.execute(
                "UPDATE clients SET status = ?, rename_status = CASE WHEN rename_status IS NULL "
                "THEN NULL ELSE ? END WHERE id = ?",
                (REGISTRATION_IN_PROGRESS, NAME_SUBMITTED, row["id"]))
        return request_id

    def unregister_client(self, encoded: str) -> int:
        """``PUT /clients/{id}/unregister``: a registered, registering or disabled client."""
        row = self.require_client(encoded)
        if row["status"] not in (REGISTERED, REGISTRATION_IN_PROGRESS, DISABLED):
            raise not_possible("UNREGISTER")
        if row["id"] == self.owner_member_id():
            raise SandboxError("cannot_unregister_owner", _("The owner cannot be unregistered."),
                               status=409)
        request_id = self._send(centralserver.CLIENT_DELETION, parse_client_id(row["id"]))
        self._set_client_status(row["id"], DELETION_IN_PROGRESS)
        return request_id

    def disable_client(self, encoded: str) -> int:
        row = self.require_client(encoded)
        if row["status"] != REGISTERED:
            raise not_possible("DISABLE")
        request_id = self._send(centralserver.CLIENT_DISABLE, parse_client_id(row["id"]))
        self._set_client_status(row["id"], DISABLING)
        return request_id

    def enable_client(self, encoded: str) -> int:
        row = self.require_client(encoded)
        if row["status"] != DISABLED:
            raise not_possible("ENABLE")
        request_id = self._send(centralserver.CLIENT_ENABLE, parse_client_id(row["id"]))
        self._set_client_status(row["id"], ENABLING)
        return request_id

    def change_owner(self, encoded: str) -> int:
        """``PUT /clients/{id}/make-owner``: a registered member becomes the server's owner once
        the central server approves."""
        client = parse_client_id(encoded)
        if client.is_subsystem:
            raise not_possible("MAKE_OWNER")
        member = ClientId(self.seed.instance, client.member_class, client.member_code)
        row = self.require_client(member.encoded)
        if row["id"] == self.owner_member_id():
            raise SandboxError("member_already_owner", _("The member already owns this server."))
        if row["status"] != REGISTERED:
            raise not_possible("MAKE_OWNER")
        return self._send(centralserver.OWNER_CHANGE, member, self.owner_member_id(),
                          member_signs=True)

    def rename_client(self, encoded: str, name: str) -> int | None:
        """``PUT /clients/{id}/rename`` (7.7+): a saved subsystem keeps the name for its
        registration (``NAME_SET``), a registered one sends a rename request (``NAME_SUBMITTED``)."""
        row = self.require_client(encoded)
        if row["subsystem_code"] is None:
            raise not_possible("RENAME")
        current = self.global_view().subsystem_name(row["id"])
        if name == current:
            raise SandboxError("invalid_client_name", _("The subsystem already has this name."),
                               status=409)
        if row["status"] == SAVED:
            with self.transaction() as connection:
                connection.execute(
                    "UPDATE clients SET subsystem_name = ?, rename_status = ? WHERE id = ?",
                    (name, NAME_SET, row["id"]))
            return None
        if row["status"] != REGISTERED:
            raise not_possible("RENAME")
        if row["rename_status"] == NAME_SUBMITTED:
            raise SandboxError("client_rename_already_submitted",
                               _("A rename of this subsystem is already waiting for approval."),
                               status=409)
        request_id = self._send(centralserver.CLIENT_RENAME, parse_client_id(row["id"]), name,
                                member_signs=True)
        with self.transaction() as connection:
            connection.execute(
                "UPDATE clients SET subsystem_name = ?, rename_status = ? WHERE id = ?",
                (name, NAME_SUBMITTED, row["id"]))
        return request_id

    def delete_client(self, encoded: str) -> None:
        """``DELETE /clients/{id}``: not the owner; only saved, deleted or erroneous clients.
        Its services, local groups and rights go with it, and so do the rights and local group
        memberships it held at other clients."""
        row = self.require_client(encoded)
        if row["id"] == self.owner_member_id():
            raise SandboxError("cannot_delete_owner", _("The owner cannot be deleted."),
                               status=409)
        if row["status"] not in (SAVED, DELETION_IN_PROGRESS, GLOBAL_ERROR):
            raise not_possible("DELETE")
        with self.transaction() as connection:
            connection.execute("DELETE FROM local_group_members WHERE member_id = ?", (row["id"],))
            connection.execute("DELETE FROM access_rights WHERE subject_id = ?", (row["id"],))
            connection.execute("DELETE FROM clients WHERE id = ?", (row["id"],))
