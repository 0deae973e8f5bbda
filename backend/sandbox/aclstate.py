"""Access rights: who may call which service or REST endpoint of a client.

As in X-Road (``AccessRightService``, ``ServiceClientService``) a right is a row of
``access_rights`` on an endpoint: a service-level right sits on the service code's base endpoint
(method ``*``, path ``**``), an endpoint-level right on that endpoint. Subjects are subsystems and
global groups of the global configuration and the client's own local groups (stored under their
numeric id). Every change is checked whole before anything is written: one unknown subject, one
unknown service code or one duplicate refuses the request and nothing changes.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.globalmembers import GlobalView
from backend.sandbox.identifiers import (
    GLOBALGROUP,
    LOCALGROUP,
    SUBSYSTEM,
    Subject,
    parse_subject,
    split_service_id,
)
from backend.sandbox.wire import store_time, utcnow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

BASE_METHOD, BASE_PATH = "*", "**"
_FULL_CODE = "s.service_code || COALESCE('.' || NULLIF(s.service_version, ''), '')"


@dataclass(frozen=True)
class ServiceRef:
    """A service of a client and the base endpoint its service-level rights sit on."""

    client_id: str
    service_code: str
    full_code: str
    title: str | None
    base_endpoint_id: int


def service_client_not_found(status: int = 400) -> SandboxError:
    return SandboxError("service_client_not_found",
                        _("No such subsystem, global group or local group of this client."),
                        status=status)


def _marks(values: list | set) -> str:
    return ",".join("?" * len(values))


class AclStateMixin:
    """Access-right operations of :class:`~backend.sandbox.state.SandboxState`."""

    db: sqlite3.Connection
    lock: threading.RLock

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def require_client(self, encoded: str) -> sqlite3.Row: ...
        def local_group(self, group_id: int) -> sqlite3.Row | None: ...

    # -- services and endpoints ------------------------------------------------------------------

    def service_ref(self, service_id: str) -> ServiceRef:
        """The service ``<client id>:<full service code>``: 404 ``client_not_found``,
        ``service_not_found`` or ``base_endpoint_not_found``."""
        client, full_code = split_service_id(service_id)
        row = self.require_client(client.encoded)
        with self.lock:
            service = self.db.execute(
                "SELECT s.service_code, s.title FROM services s JOIN service_descriptions d "
                f"ON d.id = s.service_description_id WHERE d.client_id = ? AND {_FULL_CODE} = ? "
                "ORDER BY s.id LIMIT 1", (row["id"], full_code)).fetchone()
            if service is None:
                raise SandboxError("service_not_found", _("The client has no such service."),
                                   status=404, metadata=[full_code])
            base = self.db.execute(
                "SELECT id FROM endpoints WHERE client_id = ? AND service_code = ? AND method = ? "
                "AND path = ?", (row["id"], service["service_code"], BASE_METHOD, BASE_PATH)
            ).fetchone()
        if base is None:
            raise SandboxError("base_endpoint_not_found",
                               _("The service has no base endpoint."), status=404,
                               metadata=[full_code])
        return ServiceRef(row["id"], service["service_code"], full_code, service["title"],
                          int(base["id"]))

    def acl_endpoint(self, endpoint_id: int) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM endpoints WHERE id = ?",
                                   (endpoint_id,)).fetchone()

    def service_titles(self, client_id: str) -> dict[str, str | None]:
        """Service code → title of the client's services (the first service with the code)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT s.service_code, s.title FROM services s JOIN service_descriptions d "
                "ON d.id = s.service_description_id WHERE d.client_id = ? ORDER BY s.id DESC",
                (client_id,)).fetchall()
        return {row["service_code"]: row["title"] for row in rows}

    def base_endpoints(self, client_id: str) -> dict[str, int]:
        """Service code → base endpoint id of every service code of the client."""
        with self.lock:
            rows = self.db.execute(
                "SELECT service_code, id FROM endpoints WHERE client_id = ? AND method = ? "
                "AND path = ?", (client_id, BASE_METHOD, BASE_PATH)).fetchall()
        return {row["service_code"]: int(row["id"]) for row in rows}

    def service_subject_counts(self, client_id: str) -> dict[str, int]:
        """Service code → how many subjects have a service-level right to it."""
        with self.lock:
            rows = self.db.execute(
                "SELECT e.service_code, COUNT(*) AS n FROM access_rights a JOIN endpoints e "
                "ON e.id = a.endpoint_id WHERE e.client_id = ? AND e.method = ? AND e.path = ? "
                "GROUP BY e.service_code", (client_id, BASE_METHOD, BASE_PATH)).fetchall()
        return {row["service_code"]: int(row["n"]) for row in rows}

    # -- subjects --------------------------------------------------------------------------------

    def resolve_subjects(self, encoded: list[str], status: int = 400) -> list[Subject]:
        """Service client ids as X-Road's ``ServiceClientHelper`` reads them: 400
        ``invalid_service_client_id`` for a malformed one, ``service_client_not_found`` for a
        local group id that does not exist. Duplicates count once."""
        subjects = list(dict.fromkeys(parse_subject(value) for value in encoded))
        for subject in subjects:
            if subject.kind == LOCALGROUP and self.local_group(int(subject.key)) is None:
                raise service_client_not_found(status)
        return subjects

    def check_subjects_exist(self, client_id: str, subjects: list[Subject], view: GlobalView,
                             status: int = 400) -> None:
        """``verifyServiceClientObjectsExist``: subsystems and global groups in the global
        configuration, local groups of this client."""
        for subject in subjects:
            if subject.kind == SUBSYSTEM:
                known = subject.key in view.subsystems
            elif subject.kind == GLOBALGROUP:
                known = subject.key in view.groups
            else:
                group = self.local_group(int(subject.key))
                known = group is not None and group["client_id"] == client_id
            if not known:
                raise service_client_not_found(status)

    # -- rights on one endpoint ------------------------------------------------------------------

    def endpoint_rights(self, endpoint_id: int) -> list[sqlite3.Row]:
        """``(subject_id, rights_given_at)`` of the rights on an endpoint."""
        with self.lock:
            return self.db.execute(
                "SELECT subject_id, rights_given_at FROM access_rights WHERE endpoint_id = ?",
                (endpoint_id,)).fetchall()

    def grant_endpoint(self, client_id: str, endpoint_id: int, subjects: list[Subject],
                       view: GlobalView, *, missing_status: int = 400) -> None:
        """Give the subjects a right on the endpoint; one existing right refuses them all (409
        ``duplicate_accessright``)."""
        self.check_subjects_exist(client_id, subjects, view, missing_status)
        keys = [subject.key for subject in subjects]
        now = store_time(utcnow())
        with self.transaction() as connection:
            duplicate = connection.execute(
                f"SELECT subject_id FROM access_rights WHERE endpoint_id = ? "
                f"AND subject_id IN ({_marks(keys)}) LIMIT 1", [endpoint_id, *keys]).fetchone()
            if duplicate is not None:
                raise SandboxError("duplicate_accessright",
                                   _("{subject} already has this access right.").format(
                                       subject=duplicate["subject_id"]),
                                   status=409, metadata=[duplicate["subject_id"]])
            connection.executemany(
                "INSERT INTO access_rights (client_id, subject_id, endpoint_id, rights_given_at) "
                "VALUES (?, ?, ?, ?)", [(client_id, key, endpoint_id, now) for key in keys])

    def revoke_endpoint(self, endpoint_id: int, subjects: list[Subject], *,
                        missing_status: int = 400) -> None:
        """Take the subjects' rights on the endpoint away; each must have one
        (``accessright_not_found``)."""
        keys = [subject.key for subject in subjects]
        with self.transaction() as connection:
            cursor = connection.execute(
                f"DELETE FROM access_rights WHERE endpoint_id = ? "
                f"AND subject_id IN ({_marks(keys)})", [endpoint_id, *keys])
            if cursor.rowcount != len(keys):
                raise SandboxError("accessright_not_found",
                                   _("Not every one of them has this access right."),
                                   status=missing_status)

    # -- rights of one subject -------------------------------------------------------------------

    def client_subjects(self, client_id: str) -> list[sqlite3.Row]:
        """Every subject with a service-level right to some service of the client, with the time
        of its first right (``subject_id``, ``rights_given_at``)."""
        with self.lock:
            return self.db.execute(
                "SELECT a.subject_id, MIN(a.rights_given_at) AS rights_given_at "
                "FROM access_rights a JOIN endpoints e ON e.id = a.endpoint_id "
                "WHERE a.client_id = ? AND e.method = ? AND e.path = ? GROUP BY a.subject_id",
                (client_id, BASE_METHOD, BASE_PATH)).fetchall()

    def client_subject(self, client_id: str, key: str) -> sqlite3.Row | None:
        """The subject's row among :meth:`client_subjects`, if it has a service-level right."""
        with self.lock:
            row = self.db.execute(
                "SELECT a.subject_id, MIN(a.rights_given_at) AS rights_given_at "
                "FROM access_rights a JOIN endpoints e ON e.id = a.endpoint_id "
                "WHERE a.client_id = ? AND a.subject_id = ? AND e.method = ? AND e.path = ?",
                (client_id, key, BASE_METHOD, BASE_PATH)).fetchone()
        return row if row is not None and row["subject_id"] is not None else None

    def subject_rights(self, client_id: str, subject: Subject) -> list[sqlite3.Row]:
        """The subject's service-level rights (``service_code``, ``rights_given_at``)."""
        with self.lock:
            return self.db.execute(
                "SELECT e.service_code, a.rights_given_at FROM access_rights a "
                "JOIN endpoints e ON e.id = a.endpoint_id WHERE a.client_id = ? "
                "AND a.subject_id = ? AND e.method = ? AND e.path = ? ORDER BY e.service_code",
                (client_id, subject.key, BASE_METHOD, BASE_PATH)).fetchall()

    def _base_endpoints_for(self, client_id: str, codes: list[str]) -> dict[str, int]:
        bases = self.base_endpoints(client_id)
        if any(code not in bases for code in codes):
            raise SandboxError("service_not_found", _("The client has no such service."),
                               metadata=[code for code in codes if code not in bases])
        return {code: bases[code] for code in codes}

    def grant_subject(self, client_id: str, subject: Subject, service_codes: list[str],
                      view: GlobalView) -> tuple[list[str], str]:
        """Give one subject service-level rights to many services (codes without version): 404
        ``service_client_not_found``, 400 ``service_not_found``, 409 ``duplicate_accessright``.
        The codes granted and the time."""
        self.check_subjects_exist(client_id, [subject], view, status=404)
        codes = list(dict.fromkeys(service_codes))
        bases = self._base_endpoints_for(client_id, codes)
        now = store_time(utcnow())
        with self.transaction() as connection:
            ids = list(bases.values())
            duplicate = connection.execute(
                f"SELECT endpoint_id FROM access_rights WHERE subject_id = ? "
                f"AND endpoint_id IN ({_marks(ids)}) LIMIT 1", [subject.key, *ids]).fetchone()
            if duplicate is not None:
                raise SandboxError("duplicate_accessright",
                                   _("{subject} already has one of these access rights.").format(
                                       subject=subject.key), status=409, metadata=[subject.key])
            connection.executemany(
                "INSERT INTO access_rights (client_id, subject_id, endpoint_id, rights_given_at) "
                "VALUES (?, ?, ?, ?)",
                [(client_id, subject.key, endpoint, now) for endpoint in ids])
        return codes, now

    def revoke_subject(self, client_id: str, subject: Subject, service_codes: list[str]) -> None:
        """Take one subject's rights to services away: each service-level right must exist (409
        ``accessright_not_found``); its endpoint-level rights on those services go too."""
        codes = list(dict.fromkeys(service_codes))
        bases = self._base_endpoints_for(client_id, codes)
        ids = list(bases.values())
        with self.transaction() as connection:
            cursor = connection.execute(
                f"DELETE FROM access_rights WHERE subject_id = ? "
                f"AND endpoint_id IN ({_marks(ids)})", [subject.key, *ids])
            if cursor.rowcount != len(ids):
                raise SandboxError("accessright_not_found",
                                   _("The subject does not have every one of these rights."),
                                   status=409)
            connection.execute(
                f"DELETE FROM access_rights WHERE client_id = ? AND subject_id = ? "
                f"AND endpoint_id IN (SELECT id FROM endpoints WHERE client_id = ? "
                f"AND service_code IN ({_marks(codes)}))",
                [client_id, subject.key, client_id, *codes])
