"""Service descriptions of the sandbox's clients (X-Road's ``ServiceDescriptionService``), a mixin
of :class:`~backend.sandbox.state.SandboxState`.

A description of type WSDL or OPENAPI3 is downloaded from its URL and read (see
:mod:`backend.sandbox.servicedesc`); REST has one service with the operator's service code. New
descriptions are disabled with the notice ``Out of order``, as X-Road adds them. Every change is one
SQLite transaction: a refusal or an unconfirmed warning leaves nothing changed. The checks run in
X-Road's order, so the first problem reported is the one X-Road reports.

Callers inside an event loop download the document first (``await fetch(url)``) and pass it as
``fetched``; without it the methods download it themselves, blocking.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.servicedesc.checks import (
    OPENAPI3,
    REST,
    WSDL,
    DescriptionChecksMixin,
    malformed,
    warning,
)
from backend.sandbox.servicedesc.fetch import Fetched
from backend.sandbox.servicedesc.render import full_code, index_endpoints, render_description
from backend.sandbox.servicedesc.serviceops import ANY_METHOD, ANY_PATH, not_found
from backend.sandbox.servicedesc.urls import is_valid_url
from backend.sandbox.servicedesc.wsdl import ServiceInfo
from backend.sandbox.tokenstate import UnhandledWarnings
from backend.sandbox.wire import store_time, utcnow

DESCRIPTION_TYPES = (WSDL, REST, OPENAPI3)
DEFAULT_SERVICE_TIMEOUT = 60
DEFAULT_DISABLED_NOTICE = "Out of order"


class ServiceStateMixin(DescriptionChecksMixin):
    """Adding, changing, refreshing, enabling, disabling and deleting service descriptions."""

    # -- reading ---------------------------------------------------------------------------------

    def service_description(self, description_id: int) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM service_descriptions WHERE id = ?",
                              (description_id,)).fetchone()
        if row is None:
            raise not_found("service_description_not_found",
                            _("There is no service description {id}.").format(id=description_id))
        return row

    def _services_of(self, description_ids: list[int]) -> dict[int, list[sqlite3.Row]]:
        found: dict[int, list[sqlite3.Row]] = {i: [] for i in description_ids}
        marks = ",".join("?" * len(description_ids))
        for row in self.db.execute(
                f"SELECT * FROM services WHERE service_description_id IN ({marks}) "
                "ORDER BY service_code, service_version, id", description_ids):
            found[row["service_description_id"]].append(row)
        return found

    def _render(self, descriptions: list[sqlite3.Row], client_id: str) -> list[dict[str, Any]]:
        services = self._services_of([d["id"] for d in descriptions]) if descriptions else {}
        endpoints = index_endpoints(self.client_endpoints(client_id))
        return [render_description(d, services[d["id"]], endpoints) for d in descriptions]

    def client_descriptions_view(self, client_id: str) -> list[dict[str, Any]]:
        """``GET /clients/{id}/service-descriptions``."""
        with self.lock:
            self.description_owner(client_id)
            rows = self.db.execute("SELECT * FROM service_descriptions WHERE client_id = ? "
                                   "ORDER BY id", (client_id,)).fetchall()
            return self._render(rows, client_id)

    def description_view(self, description_id: int) -> dict[str, Any]:
        with self.lock:
            description = self.service_description(description_id)
            return self._render([description], description["client_id"])[0]

    def description_services_view(self, description_id: int) -> list[dict[str, Any]]:
        return self.description_view(description_id)["services"]

    # -- adding ----------------------------------------------------------------------------------

    def add_service_description(self, client_id: str, kind: str, url: str, *,
                                rest_service_code: str | None = None,
                                ignore_warnings: bool = False,
                                fetched: Fetched | None = None) -> int:
        """Add a WSDL, OPENAPI3 or REST description to a client; its id."""
        if kind not in DESCRIPTION_TYPES:
            raise SandboxError("unknown_service_description_type",
                               _("Unknown service description type {kind}.").format(kind=kind))
        if kind != WSDL:
            self._check_rest_code(rest_service_code)
        document = self._download(kind, url, fetched)
        with self.transaction():
            if kind == WSDL:
                return self._add_wsdl(client_id, url, ignore_warnings, document)
            assert rest_service_code is not None
            if kind == OPENAPI3:
                return self._add_openapi(client_id, url, rest_service_code, ignore_warnings,
                                         document)
            return self._add_rest(client_id, url, rest_service_code)

    def _insert_description(self, client_id: str, url: str, kind: str) -> int:
        cursor = self.db.execute(
            "INSERT INTO service_descriptions (client_id, url, type, disabled, disabled_notice, "
            "refreshed_at) VALUES (?, ?, ?, 1, ?, ?)",
            (client_id, url, kind, DEFAULT_DISABLED_NOTICE, store_time(utcnow())))
        return int(cursor.lastrowid or 0)

    def _insert_services(self, description_id: int, services: list[ServiceInfo]) -> None:
        self.db.executemany(
            "INSERT INTO services (service_description_id, service_code, service_version, title, "
            "url, timeout, ssl_auth) VALUES (?, ?, ?, ?, ?, ?, 1)",
            [(description_id, s.name, s.version, s.title, s.url, DEFAULT_SERVICE_TIMEOUT)
             for s in services])

    def _add_wsdl(self, client_id: str, url: str, ignore_warnings: bool,
                  fetched: Fetched | None) -> int:
        self.description_owner(client_id, with_metadata=False)
        result = self._check_wsdl(client_id, url, None, fetched)
        invalid_urls = [s.url for s in result.services
                        if s.url is not None and not s.url.startswith(("http://", "https://"))]
        if invalid_urls:
            raise SandboxError("invalid_service_url", _(
                "The WSDL gives service URLs that are not http:// or https://: {urls}")
                .format(urls=", ".join(invalid_urls)), metadata=invalid_urls)
        if result.warnings and not ignore_warnings:
            raise UnhandledWarnings(_("The WSDL validator found problems."),
                                    [warning("wsdl_validation_warnings", result.warnings)])
        description_id = self._insert_description(client_id, url, WSDL)
        self._insert_services(description_id, result.services)
        self._ensure_base_endpoints(client_id, [s.name for s in result.services])
        return description_id

    def _add_openapi(self, client_id: str, url: str, code: str, ignore_warnings: bool,
                     fetched: Fetched | None) -> int:
        if not is_valid_url(url):
            raise malformed(url)
        result = self._read_openapi(url, fetched)
        if result.warnings and not ignore_warnings:
            raise UnhandledWarnings(_("The OpenAPI description has problems."),
                                    [warning("openapi_validation_warnings", result.warnings)])
        self.description_owner(client_id, with_metadata=False)
        description_id = self._insert_description(client_id, url, OPENAPI3)
        self.db.execute(
            "INSERT INTO services (service_description_id, service_code, url, timeout, ssl_auth) "
            "VALUES (?, ?, ?, ?, 1)", (description_id, code, result.base_url,
                                       DEFAULT_SERVICE_TIMEOUT))
        self._check_url_unique(client_id, description_id, url)
        self._check_codes_unique(client_id, description_id)
        self._ensure_base_endpoints(client_id, [code])
        self._add_generated(client_id, [(code, op.method, op.path) for op in result.operations])
        return description_id

    def _add_rest(self, client_id: str, url: str, code: str) -> int:
        if not is_valid_url(url):
            raise malformed(url)
        self.description_owner(client_id, with_metadata=False)
        description_id = self._insert_description(client_id, url, REST)
        self.db.execute(
            "INSERT INTO services (service_description_id, service_code, url, timeout, ssl_auth) "
            "VALUES (?, ?, ?, ?, 1)", (description_id, code, url, DEFAULT_SERVICE_TIMEOUT))
        self._check_codes_unique(client_id, description_id)
        self._check_url_unique(client_id, description_id, url)
        self._ensure_base_endpoints(client_id, [code])
        return description_id

    def _add_generated(self, client_id: str, endpoints: list[tuple[str, str, str]]) -> None:
        existing = {(e["service_code"], e["method"], e["path"])
                    for e in self.client_endpoints(client_id)}
        self.db.executemany(
            "INSERT INTO endpoints (client_id, service_code, method, path, generated) "
            "VALUES (?, ?, ?, ?, 1)",
            [(client_id, *e) for e in dict.fromkeys(endpoints) if e not in existing])

    # -- changing, refreshing --------------------------------------------------------------------

    def update_service_description(self, description_id: int, kind: str, url: str, *,
                                   rest_service_code: str | None = None,
                                   new_rest_service_code: str | None = None,
                                   ignore_warnings: bool = False,
                                   fetched: Fetched | None = None) -> None:
        """``PATCH /service-descriptions/{id}``: a new URL (WSDL, OPENAPI3, REST) and service
        code (OPENAPI3, REST); ``kind`` must be the description's type."""
        if kind != WSDL:
            self._check_rest_code(rest_service_code)
        document = self._download(kind, url, fetched)
        with self.transaction():
            description = self.service_description(description_id)
            if description["type"] != kind:
                raise SandboxError("wrong_servicedescription_type", _(
                    "Service description {id} is of type {type}, not {kind}.").format(
                    id=description_id, type=description["type"], kind=kind))
            if kind == WSDL:
                self._update_wsdl(description, url, ignore_warnings, document)
                return
            assert rest_service_code is not None
            new_code = new_rest_service_code or rest_service_code
            if not is_valid_url(url):
                raise malformed(url)
            self._rename_service_code(description, rest_service_code, new_code)
            if kind == OPENAPI3:
                self._apply_openapi(description, url, new_code, ignore_warnings, document)
            else:
                self.db.execute("UPDATE services SET url = ? WHERE service_description_id = ?",
                                (url, description_id))
            self.db.execute("UPDATE service_descriptions SET url = ?, refreshed_at = ? "
                            "WHERE id = ?", (url, store_time(utcnow()), description_id))
            self._check_codes_unique(description["client_id"], description_id)
            self._check_url_unique(description["client_id"], description_id, url)

    def refresh_service_description(self, description_id: int, *, ignore_warnings: bool = False,
                                    fetched: Fetched | None = None) -> None:
        """Download the description again and apply the changes; services or endpoints that
        would be added or removed are warnings until ``ignore_warnings``. REST: nothing to do."""
        with self.lock:
            current = self.service_description(description_id)
        document = self._download(current["type"], current["url"], fetched)
        with self.transaction():
            description = self.service_description(description_id)
            if description["type"] == WSDL:
                self._update_wsdl(description, description["url"], ignore_warnings, document)
            elif description["type"] == OPENAPI3:
                if not is_valid_url(description["url"]):
                    raise malformed(description["url"])
                code = self.db.execute("SELECT service_code FROM services WHERE "
                                       "service_description_id = ? ORDER BY id LIMIT 1",
                                       (description_id,)).fetchone()[0]
                self._apply_openapi(description, description["url"], code, ignore_warnings,
                                    document)
                self.db.execute("UPDATE service_descriptions SET refreshed_at = ? WHERE id = ?",
                                (store_time(utcnow()), description_id))

    def _rename_service_code(self, description: sqlite3.Row, old: str, new: str) -> None:
        """``updateServiceCodes``: the service and the client's endpoints (with their rights)."""
        service = self.db.execute("SELECT id FROM services WHERE service_description_id = ? AND "
                                  "service_code = ?", (description["id"], old)).fetchone()
        if service is None:
            raise SandboxError("service_not_found", _(
                "Service description {id} has no service {code}.").format(
                id=description["id"], code=old), metadata=[old])
        self.db.execute("UPDATE services SET service_code = ? WHERE id = ?", (new, service[0]))
        self.db.execute("UPDATE endpoints SET service_code = ? WHERE client_id = ? AND "
                        "service_code = ?", (new, description["client_id"], old))

    def _update_wsdl(self, description: sqlite3.Row, url: str, ignore_warnings: bool,
                     fetched: Fetched | None) -> None:
        """``updateWsdlUrl``: replace the services with those of the WSDL at ``url``; the kept
        ones keep their URL, timeout and TLS authentication."""
        client_id, description_id = description["client_id"], description["id"]
        result = self._check_wsdl(client_id, url, description_id, fetched)
        old = {full_code(r["service_code"], r["service_version"]): r for r in self.db.execute(
            "SELECT * FROM services WHERE service_description_id = ?", (description_id,))}
        new = {s.full_code: s for s in result.services}
        added = [code for code in new if code not in old]
        removed = [code for code in old if code not in new]
        warnings = [warning("wsdl_validation_warnings", result.warnings)] if result.warnings \
            else []
        if added:
            warnings.append(warning("adding_services", added))
        if removed:
            warnings.append(warning("deleting_services", removed))
        if warnings and not ignore_warnings:
            raise UnhandledWarnings(_("The WSDL adds or removes services."), warnings)
        self.db.execute("UPDATE service_descriptions SET url = ?, refreshed_at = ? WHERE id = ?",
                        (url, store_time(utcnow()), description_id))
        self.db.executemany("DELETE FROM services WHERE id = ?", [(old[c]["id"],) for c in removed])
        self.db.executemany("UPDATE services SET title = ? WHERE id = ?",
                            [(new[c].title, old[c]["id"]) for c in new if c in old])
        self._insert_services(description_id, [new[c] for c in added])
        kept = {s.name for s in result.services}
        gone = {old[c]["service_code"] for c in removed} - kept
        self._drop_service_codes(client_id, gone - self._codes_elsewhere(client_id, description_id))
        self._ensure_base_endpoints(client_id, kept)

    def _codes_elsewhere(self, client_id: str, description_id: int) -> set[str]:
        return {row["service_code"] for row in self._other_services(client_id, description_id)}

    def _apply_openapi(self, description: sqlite3.Row, url: str, code: str,
                       ignore_warnings: bool, fetched: Fetched | None) -> None:
        """``parseOpenApi3ToServiceDescription``: endpoints read from the description are added
        and the generated ones it no longer has removed (with their access rights)."""
        client_id = description["client_id"]
        result = self._read_openapi(url, fetched)
        parsed = list(dict.fromkeys([(code, op.method, op.path) for op in result.operations]
                                    + [(code, ANY_METHOD, ANY_PATH)]))
        wanted = set(parsed)
        codes = {row[0] for row in self.db.execute(
            "SELECT service_code FROM services WHERE service_description_id = ?",
            (description["id"],))}
        endpoints = self.client_endpoints(client_id)
        existing = {(e["service_code"], e["method"], e["path"]) for e in endpoints}
        own = [e for e in endpoints if e["service_code"] in codes]
        adopted = [e["id"] for e in own
                   if not e["generated"] and (e["service_code"], e["method"], e["path"]) in wanted]
        removed = [e for e in own if e["generated"]
                   and (e["service_code"], e["method"], e["path"]) not in wanted]
        added = [e for e in parsed if e not in existing]
        warnings = [warning("openapi_validation_warnings", result.warnings)] \
            if result.warnings else []
        if added:
            warnings.append(warning("adding_endpoints", [f"{m} {p}" for _c, m, p in added]))
        if removed:
            warnings.append(warning("deleting_endpoints",
                                     [f"{e['method']} {e['path']}" for e in removed]))
        if warnings and not ignore_warnings:
            raise UnhandledWarnings(_("The OpenAPI description adds or removes endpoints."),
                                    warnings)
        self.db.executemany("UPDATE endpoints SET generated = 1 WHERE id = ?",
                            [(i,) for i in adopted])
        self.db.executemany("DELETE FROM endpoints WHERE id = ?", [(e["id"],) for e in removed])
        self._add_generated(client_id, added)

    # -- enabling, disabling, deleting -----------------------------------------------------------

    def disable_service_description(self, description_id: int, notice: str | None) -> None:
        """Disable the description's services; callers get ``notice`` (``None``: no notice)."""
        with self.transaction() as db:
            self.service_description(description_id)
            db.execute("UPDATE service_descriptions SET disabled = 1, disabled_notice = ? "
                       "WHERE id = ?", (notice, description_id))

    def enable_service_description(self, description_id: int) -> None:
        """Enable the description's services (the disabled notice is kept, as X-Road does)."""
        with self.transaction() as db:
            self.service_description(description_id)
            db.execute("UPDATE service_descriptions SET disabled = 0 WHERE id = ?",
                       (description_id,))

    def delete_service_description(self, description_id: int) -> None:
        """Delete the description, its services, and the endpoints and access rights of the
        service codes no other description of the client has."""
        with self.transaction() as db:
            description = self.service_description(description_id)
            codes = {row[0] for row in db.execute(
                "SELECT service_code FROM services WHERE service_description_id = ?",
                (description_id,))}
            elsewhere = self._codes_elsewhere(description["client_id"], description_id)
            self._drop_service_codes(description["client_id"], codes - elsewhere)
            db.execute("DELETE FROM service_descriptions WHERE id = ?", (description_id,))
