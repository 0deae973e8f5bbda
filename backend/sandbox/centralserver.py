"""The simulated central server's side of management requests, and what the security server sees.

A real security server sends ``authCertReg`` straight to the central server and ``authCertDeletion``
and the client requests (registration, deletion, disabling, enabling, rename, owner change) through
the management services; the central server approves them (or not) and publishes the result in the
global configuration, which the security server downloads (for clients see
:mod:`backend.sandbox.globalmembers`). The sandbox records each request
in ``management_requests`` with the time it will be approved: ``submitted_at`` plus the configured
delay (``seed.toml`` ``[central_server] management_request_delay_seconds``, or
:func:`set_request_delay`), or never (``completes_at`` NULL), as a silent rejection looks from the
security server. Nothing runs in the background: whenever the sandbox shows its certificates it
applies what X-Road's ``GlobalConfChecker`` would have applied by then (:func:`apply_global_conf`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.pki import AUTHENTICATION
from backend.sandbox.wire import parse_time, store_time, utcnow

if TYPE_CHECKING:
    from backend.sandbox.state import SandboxState

AUTH_CERT_REGISTRATION = "AUTH_CERT_REGISTRATION_REQUEST"
AUTH_CERT_DELETION = "AUTH_CERT_DELETION_REQUEST"
CLIENT_REGISTRATION = "CLIENT_REGISTRATION_REQUEST"
CLIENT_DELETION = "CLIENT_DELETION_REQUEST"
CLIENT_DISABLE = "CLIENT_DISABLE_REQUEST"
CLIENT_ENABLE = "CLIENT_ENABLE_REQUEST"
CLIENT_RENAME = "CLIENT_RENAME_REQUEST"
OWNER_CHANGE = "OWNER_CHANGE_REQUEST"
WAITING = "WAITING"
APPROVED = "APPROVED"
DELAY_SETTING = "management_request_delay_seconds"
NEVER = "never"


def request_delay(state: SandboxState) -> int | None:
    """Seconds until the central server approves a new request; ``None``: it never answers."""
    value = state.setting(DELAY_SETTING)
    if value is None:
        return state.seed.management_request_delay_seconds
    return None if value == NEVER else int(value)


def set_request_delay(state: SandboxState, seconds: int | None) -> None:
    """Let the central server approve requests submitted from now on after ``seconds`` (or never)."""
    if seconds is not None and seconds < 0:
        raise SandboxError("invalid_parameters", _("A delay cannot be negative."))
    state.set_setting(DELAY_SETTING, NEVER if seconds is None else str(seconds))


@contextmanager
def _new_request(state: SandboxState, kind: str) -> Iterator[tuple[sqlite3.Connection, int]]:
    """A management request being sent: its connection (one transaction) and id, for the caller
    to record what the request is about.

    Like X-Road's ``ManagementRequestSenderService`` it needs a valid global configuration
    (``global_conf_outdated``, 409).
    """
    if not state.global_conf_valid():
        raise SandboxError("global_conf_outdated",
                           _("The global configuration is outdated; the request was not sent."),
                           status=409)
    now = utcnow()
    delay = request_delay(state)
    completes = None if delay is None else store_time(now + dt.timedelta(seconds=delay))
    with state.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO management_requests (type, subject, status, submitted_at, completes_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, state.server_id_encoded() or "", WAITING, store_time(now), completes),
        )
        yield connection, int(cursor.lastrowid or 0)


def submit(state: SandboxState, kind: str, cert_hash: str, address: str | None = None) -> int:
    """Send a management request about an authentication certificate; the request's id."""
    with _new_request(state, kind) as (connection, request_id):
        connection.execute(
            "INSERT INTO management_request_certificates (request_id, cert_hash, address) "
            "VALUES (?, ?, ?)",
            (request_id, cert_hash.upper(), address),
        )
    return request_id


def submit_client(state: SandboxState, kind: str, client_id: str,
                  detail: str | None = None) -> int:
    """Send a management request about a client (``CLIENT_*``, ``OWNER_CHANGE``); its id.

    ``detail`` is the subsystem name of a registration or rename, the former owner of an owner
    change. Like :func:`submit` it needs a valid global configuration; what else the security
    server needs to send it (a registered server, signing certificates) the caller checks.
    """
    with _new_request(state, kind) as (connection, request_id):
        connection.execute(
            "INSERT INTO management_request_clients (request_id, client_id, detail) "
            "VALUES (?, ?, ?)", (request_id, client_id, detail))
    return request_id


def approved_client_requests(
    state: SandboxState, now: dt.datetime | None = None
) -> list[tuple[str, str, str | None]]:
    """``(type, client id, detail)`` of the client requests approved by ``now``, in the order the
    central server approved them."""
    moment = now or utcnow()
    with state.lock:
        rows = state.db.execute(
            "SELECT r.id, r.type, r.status, r.completes_at, c.client_id, c.detail "
            "FROM management_requests r JOIN management_request_clients c ON c.request_id = r.id "
            "WHERE r.completes_at IS NOT NULL ORDER BY r.completes_at, r.id").fetchall()
    approved = [row for row in rows if parse_time(row["completes_at"]) <= moment]
    waiting = [row["id"] for row in approved if row["status"] != APPROVED]
    if waiting:
        with state.transaction() as connection:
            connection.executemany("UPDATE management_requests SET status = ? WHERE id = ?",
                                   [(APPROVED, request_id) for request_id in waiting])
    return [(row["type"], row["client_id"], row["detail"]) for row in approved]


def approve_pending(state: SandboxState) -> int:
    """Have the central server approve every unanswered request now; how many there were."""
    now = store_time(utcnow())
    with state.transaction() as connection:
        cursor = connection.execute(
            "UPDATE management_requests SET completes_at = ? "
            "WHERE completes_at IS NULL OR completes_at > ?", (now, now))
    return cursor.rowcount


def record_registered(state: SandboxState, cert_hash: str) -> None:
    """Record an already approved registration (for fixtures that start out registered)."""
    now = store_time(utcnow())
    with state.transaction() as connection:
        cursor = connection.execute(
            "INSERT INTO management_requests (type, subject, status, submitted_at, completes_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (AUTH_CERT_REGISTRATION, state.server_id_encoded() or "", APPROVED, now, now),
        )
        connection.execute(
            "INSERT INTO management_request_certificates (request_id, cert_hash) VALUES (?, ?)",
            (int(cursor.lastrowid or 0), cert_hash.upper()),
        )


def _approved(state: SandboxState, now: dt.datetime) -> list[tuple[str, str, str | None]]:
    """``(type, cert hash, address)`` of the requests approved by ``now``, oldest first."""
    with state.lock:
        rows = state.db.execute(
            "SELECT r.id, r.type, r.status, r.completes_at, c.cert_hash, c.address "
            "FROM management_requests r JOIN management_request_certificates c "
            "ON c.request_id = r.id WHERE r.completes_at IS NOT NULL "
            "ORDER BY r.completes_at, r.id"
        ).fetchall()
    approved = [row for row in rows if parse_time(row["completes_at"]) <= now]
    waiting = [row["id"] for row in approved if row["status"] != APPROVED]
    if waiting:
        with state.transaction() as connection:
            connection.executemany("UPDATE management_requests SET status = ? WHERE id = ?",
                                   [(APPROVED, request_id) for request_id in waiting])
    return [(row["type"], row["cert_hash"], row["address"]) for row in approved]


def registered_auth_certs(state: SandboxState, now: dt.datetime | None = None) -> set[str]:
    """Hashes of the authentication certificates the global configuration lists for this server."""
    registered: set[str] = set()
    for kind, cert_hash, _address in _approved(state, now or utcnow()):
        if kind == AUTH_CERT_REGISTRATION:
            registered.add(cert_hash)
        elif kind == AUTH_CERT_DELETION:
            registered.discard(cert_hash)
    return registered


def server_address(state: SandboxState) -> str | None:
    """The address the global configuration lists for this server (from its last registration)."""
    address = None
    for kind, _hash, given in _approved(state, utcnow()):
        if kind == AUTH_CERT_REGISTRATION and given:
            address = given
    return address


def apply_global_conf(state: SandboxState) -> None:
    """Update authentication certificate statuses from the global configuration, as X-Road's
    ``GlobalConfChecker`` does after a download: a listed certificate becomes ``REGISTERED`` (from
    registration in progress, saved or global error), an unlisted registered one ``GLOBAL_ERROR``.
    A security server whose configuration downloads fail sees nothing new.
    """
    if not state.global_conf_valid():
        return
    registered = registered_auth_certs(state)
    with state.lock:
        rows = state.db.execute(
            "SELECT c.id, c.hash, c.status FROM certificates c JOIN keys k ON k.id = c.key_id "
            "WHERE k.usage = ?", (AUTHENTICATION,)
        ).fetchall()
    changes = []
    for row in rows:
        listed = row["hash"] in registered
        if listed and row["status"] in ("REGISTRATION_IN_PROGRESS", "SAVED", "GLOBAL_ERROR"):
            changes.append(("REGISTERED", row["id"]))
        elif not listed and row["status"] == "REGISTERED":
            changes.append(("GLOBAL_ERROR", row["id"]))
    if changes:
        with state.transaction() as connection:
            connection.executemany("UPDATE certificates SET status = ? WHERE id = ?", changes)
