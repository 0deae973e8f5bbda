"""Services and endpoints of the sandbox's clients (X-Road's ``ServiceService`` and
``EndpointService``), a mixin of :class:`~backend.sandbox.state.SandboxState`.

The contract every other part of the sandbox relies on: each service code of a client has a *base
endpoint* (method ``*``, path ``**``, ``generated`` 1) in ``endpoints``; service-level access rights
hang on it, endpoint-level rights on the other endpoints, and deleting an endpoint deletes its
rights (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.servicedesc import tlsprobe
from backend.sandbox.servicedesc.render import (
    index_endpoints,
    render_endpoint,
    render_service,
)
from backend.sandbox.servicedesc.urls import is_https, is_valid_url
from backend.sandbox.tokenstate import UnhandledWarnings

ANY_METHOD, ANY_PATH = "*", "**"
METHODS = ("*", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
#: ``probe_tls`` not given: the check runs here, synchronously
PROBE = object()
_FULL_CODE = ("s.service_code || CASE WHEN s.service_version IS NULL THEN '' "
              "ELSE '.' || s.service_version END")


def not_found(code: str, message: str, metadata: list[str] | None = None) -> SandboxError:
    return SandboxError(code, message, status=404, metadata=metadata)


class ServiceOpsMixin:
    """Services (url, timeout, TLS authentication) and REST endpoints."""

    db: sqlite3.Connection
    lock: threading.RLock

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    # -- lookups ---------------------------------------------------------------------------------

    def description_owner(self, client_id: str, *, with_metadata: bool = True) -> sqlite3.Row:
        """A client of this server; 404 ``client_not_found`` (with the id as metadata when the
        controller reports it, as ``getClientFromDb`` does)."""
        row = self.db.execute("SELECT * FROM clients WHERE id = ?", (client_id,)).fetchone()
        if row is None:
            raise not_found("client_not_found", _("There is no client {id} on this server.")
                            .format(id=client_id), [client_id] if with_metadata else None)
        return row

    def client_endpoints(self, client_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM endpoints WHERE client_id = ? ORDER BY id",
                               (client_id,)).fetchall()

    def service_row(self, client_id: str, full_service_code: str) -> sqlite3.Row:
        """A service by its client and full code, with its description's ``type`` and
        ``description_url``; 404 ``client_not_found`` or ``service_not_found``."""
        self.description_owner(client_id, with_metadata=False)
        row = self.db.execute(
            "SELECT s.*, d.client_id, d.type, d.url AS description_url FROM services s "
            "JOIN service_descriptions d ON d.id = s.service_description_id "
            f"WHERE d.client_id = ? AND {_FULL_CODE} = ? ORDER BY s.id",
            (client_id, full_service_code)).fetchone()
        if row is None:
            raise not_found("service_not_found", _("Client {client} has no service {code}.")
                            .format(client=client_id, code=full_service_code))
        return row

    def service_view(self, client_id: str, full_service_code: str) -> dict[str, Any]:
        with self.lock:
            service = self.service_row(client_id, full_service_code)
            endpoints = self.db.execute(
                "SELECT * FROM endpoints WHERE client_id = ? AND service_code = ? ORDER BY id",
                (client_id, service["service_code"])).fetchall()
            return render_service(client_id, service, index_endpoints(endpoints))

    def endpoint_row(self, endpoint_id: int) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM endpoints WHERE id = ?", (endpoint_id,)).fetchone()
        if row is None:
            raise not_found("endpoint_not_found", _("There is no endpoint {id}.")
                            .format(id=endpoint_id), [str(endpoint_id)])
        return row

    def endpoint_view(self, endpoint_id: int) -> dict[str, Any]:
        with self.lock:
            return render_endpoint(self.endpoint_row(endpoint_id))

    # -- base endpoints --------------------------------------------------------------------------

    def _ensure_base_endpoints(self, client_id: str, codes: Iterable[str]) -> None:
        """Give every service code without one a base endpoint (``resolveNewEndpoints``)."""
        existing = {row[0] for row in self.db.execute(
            "SELECT service_code FROM endpoints WHERE client_id = ? AND method = ? AND path = ?",
            (client_id, ANY_METHOD, ANY_PATH))}
        missing = list(dict.fromkeys(code for code in codes if code not in existing))
        self.db.executemany(
            "INSERT INTO endpoints (client_id, service_code, method, path, generated) "
            "VALUES (?, ?, ?, ?, 1)", [(client_id, code, ANY_METHOD, ANY_PATH) for code in missing])

    def _drop_service_codes(self, client_id: str, codes: Iterable[str]) -> None:
        """Delete the endpoints of service codes that no service of the client has any more;
        their access rights go with them."""
        self.db.executemany("DELETE FROM endpoints WHERE client_id = ? AND service_code = ?",
                            [(client_id, code) for code in set(codes)])

    # -- services --------------------------------------------------------------------------------

    def trusted_tls_certificates(self, client_id: str) -> list[bytes]:
        """The client's information-system TLS certificates (DER)."""
        return [row[0] for row in self.db.execute(
            "SELECT der FROM client_tls_certificates WHERE client_id = ?", (client_id,))]

    def check_service_update(self, client_id: str, full_service_code: str, url: str,
                             ssl_auth: bool) -> sqlite3.Row:
        """The checks of ``updateService`` before the TLS test: ``malformed_url``,
        ``invalid_https_url``, then the service's existence."""
        if not is_valid_url(url):
            raise SandboxError("malformed_url", _("The URL {url} is not valid: use an http:// or "
                                                  "https:// URL with a host.").format(url=url))
        if ssl_auth and not is_https(url):
            raise SandboxError("invalid_https_url", _("TLS authentication needs an https:// "
                                                      "service URL."), metadata=[url])
        return self.service_row(client_id, full_service_code)

    def update_service(self, client_id: str, full_service_code: str, *, url: str, timeout: int,
                       ssl_auth: bool, url_all: bool = False, timeout_all: bool = False,
                       ssl_auth_all: bool = False, ignore_warnings: bool = False,
                       probe_tls: Any = PROBE) -> None:
        """Change a service, and with the ``*_all`` flags every service of its description.

        With ``ssl_auth`` the service URL's TLS server must present one of the client's
        information-system certificates, else X-Road's warning (ignorable); ``probe_tls`` is the
        result of that check when the caller ran it already (``None``: no problem).
        """
        with self.lock:
            service = self.check_service_update(client_id, full_service_code, url, ssl_auth)
            trusted = self.trusted_tls_certificates(client_id)
        if ssl_auth and not ignore_warnings:
            problem = tlsprobe.probe(url, trusted) if probe_tls is PROBE else probe_tls
            if problem:
                raise UnhandledWarnings(_("The TLS connection to {url} failed.").format(url=url),
                                        [{"code": problem, "metadata": [url]}])
        with self.transaction() as db:
            service = self.service_row(client_id, full_service_code)
            description_id = service["service_description_id"]
            if service["type"] == "REST":
                self._check_url_unique(client_id, description_id, url)
                db.execute("UPDATE service_descriptions SET url = ? WHERE id = ?",
                           (url, description_id))
            for other in db.execute("SELECT * FROM services WHERE service_description_id = ?",
                                    (description_id,)).fetchall():
                target = other["id"] == service["id"]
                new_url = url if url_all or target else other["url"]
                new_timeout = timeout if timeout_all or target else other["timeout"]
                new_ssl = other["ssl_auth"]
                if ssl_auth_all or target:  # X-Road stores no value (shown as true) without https
                    new_ssl = int(ssl_auth) if is_https(new_url) else 1
                db.execute("UPDATE services SET url = ?, timeout = ?, ssl_auth = ? WHERE id = ?",
                           (new_url, new_timeout, new_ssl, other["id"]))

    def _check_url_unique(self, client_id: str, description_id: int | None, url: str) -> None:
        """``checkDuplicateUrl``: no other description of the client has this URL (409)."""
        taken = self.db.execute(
            "SELECT 1 FROM service_descriptions WHERE client_id = ? AND url = ? AND id IS NOT ?",
            (client_id, url, description_id)).fetchone()
        if taken:
            raise SandboxError("url_already_exists", _("The client already has a service "
                                                       "description with the URL {url}.")
                               .format(url=url), status=409, metadata=[url])

    # -- endpoints -------------------------------------------------------------------------------

    def _equivalent(self, client_id: str, code: str, method: str, path: str,
                    skip: int | None = None) -> bool:
        return self.db.execute(
            "SELECT 1 FROM endpoints WHERE client_id = ? AND service_code = ? AND method = ? "
            "AND path = ? AND id IS NOT ?", (client_id, code, method, path, skip)).fetchone() \
            is not None

    def _endpoint_exists_error(self) -> SandboxError:
        return SandboxError("endpoint_already_exists", _("The client already has an endpoint "
                                                         "with this service code, method and "
                                                         "path."), status=409)

    def add_endpoint(self, client_id: str, full_service_code: str, method: str,
                     path: str) -> int:
        """An operator-defined endpoint of a REST or OpenAPI service (``generated`` 0)."""
        with self.transaction() as db:
            service = self.service_row(client_id, full_service_code)
            if service["type"] == "WSDL":
                raise SandboxError("wrong_servicedescription_type",
                                   _("Endpoints can be added to REST and OpenAPI services only."))
            code = service["service_code"]
            if self._equivalent(client_id, code, method, path):
                raise self._endpoint_exists_error()
            cursor = db.execute(
                "INSERT INTO endpoints (client_id, service_code, method, path, generated) "
                "VALUES (?, ?, ?, ?, 0)", (client_id, code, method, path))
            return int(cursor.lastrowid or 0)

    def update_endpoint(self, endpoint_id: int, method: str | None, path: str | None) -> None:
        """Change an operator-defined endpoint; generated ones are refused."""
        with self.transaction() as db:
            endpoint = self.endpoint_row(endpoint_id)
            if endpoint["generated"]:
                raise SandboxError("illegal_generated_endpoint_update",
                                   _("Endpoints read from the service description cannot be "
                                     "changed."), metadata=[str(endpoint_id)])
            method = method or endpoint["method"]
            path = endpoint["path"] if path is None else path
            if self._equivalent(endpoint["client_id"], endpoint["service_code"], method, path,
                                skip=endpoint_id):
                raise self._endpoint_exists_error()
            db.execute("UPDATE endpoints SET method = ?, path = ? WHERE id = ?",
                       (method, path, endpoint_id))

    def delete_endpoint(self, endpoint_id: int) -> None:
        """Delete an operator-defined endpoint and its access rights."""
        with self.transaction() as db:
            endpoint = self.endpoint_row(endpoint_id)
            if endpoint["generated"]:
                raise SandboxError("illegal_generated_endpoint_remove",
                                   _("Endpoints read from the service description cannot be "
                                     "deleted."), metadata=[str(endpoint_id)])
            db.execute("DELETE FROM endpoints WHERE id = ?", (endpoint_id,))
