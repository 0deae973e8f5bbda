"""Reading fetched service descriptions and the checks X-Road makes before changing them
(``processWsdl``, ``checkDuplicateServiceCodes``, ``checkDuplicateUrl``), a base of
:class:`~backend.sandbox.servicestate.ServiceStateMixin`."""

from __future__ import annotations

import sqlite3
from typing import Any

from backend.i18n import _
from backend.sandbox.errors import SandboxError
from backend.sandbox.serverconf import IDENTIFIER
from backend.sandbox.servicedesc.fetch import Fetched, fetch_sync
from backend.sandbox.servicedesc.openapi import (
    OpenApiParsingError,
    OpenApiResult,
    UnsupportedOpenApiVersion,
    parse_openapi,
)
from backend.sandbox.servicedesc.render import full_code
from backend.sandbox.servicedesc.serviceops import ServiceOpsMixin
from backend.sandbox.servicedesc.urls import is_valid_url
from backend.sandbox.servicedesc.wsdl import WsdlError, WsdlResult, parse_wsdl

WSDL, REST, OPENAPI3 = "WSDL", "REST", "OPENAPI3"


def warning(code: str, metadata: list[str]) -> dict[str, Any]:
    return {"code": code, "metadata": metadata}


def malformed(url: str) -> SandboxError:
    return SandboxError("malformed_url", _("The URL {url} is not valid: use an http:// or "
                                           "https:// URL with a host.").format(url=url))


class DescriptionChecksMixin(ServiceOpsMixin):
    """Documents and checks shared by adding, changing and refreshing descriptions."""

    # -- documents -------------------------------------------------------------------------------

    @staticmethod
    def _download(kind: str, url: str, fetched: Fetched | None) -> Fetched | None:
        """The document to read; downloaded here (blocking) unless the caller did it."""
        if kind == REST or not is_valid_url(url):
            return None
        return fetched if fetched is not None and fetched.url == url else fetch_sync(url)

    @staticmethod
    def _read_wsdl(url: str, fetched: Fetched | None) -> WsdlResult:
        document = fetched or fetch_sync(url)
        if document.too_large:
            raise SandboxError("invalid_wsdl", _("The WSDL is larger than 10 MiB."),
                               metadata=[f"Error reading WSDL: {document.failure}"])
        if document.content is None:
            raise SandboxError("wsdl_download_failed", _("The WSDL could not be downloaded from "
                                                         "{url}: {reason}")
                               .format(url=url, reason=document.failure))
        try:
            return parse_wsdl(document.content, url)
        except WsdlError as error:
            raise SandboxError("invalid_wsdl", _("The document at {url} is not a valid WSDL.")
                               .format(url=url), metadata=[error.message]) from None

    @staticmethod
    def _read_openapi(url: str, fetched: Fetched | None) -> OpenApiResult:
        document = fetched or fetch_sync(url)
        if document.content is None:
            reason = ("Unknown or invalid host name" if document.unknown_host
                      else document.failure)
            raise SandboxError("openapi_parsing_error", _("The OpenAPI description could not be "
                                                          "downloaded from {url}: {reason}")
                               .format(url=url, reason=reason),
                               metadata=[f"Error reading OpenAPI description: {reason}"])
        try:
            return parse_openapi(document.content, url)
        except OpenApiParsingError as error:
            raise SandboxError("openapi_parsing_error", error.message,
                               metadata=[error.message]) from None
        except UnsupportedOpenApiVersion as error:
            raise SandboxError("unsupported_openapi_version", _(
                "OpenAPI {version} is not supported: use OpenAPI 3.0.x or 3.1.0.")
                .format(version=error.version)) from None

    # -- checks ----------------------------------------------------------------------------------

    def _other_services(self, client_id: str, skip: int | None) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT s.*, d.url AS description_url FROM services s JOIN service_descriptions d "
            "ON d.id = s.service_description_id WHERE d.client_id = ? AND d.id IS NOT ?",
            (client_id, skip)).fetchall()

    def _check_wsdl(self, client_id: str, url: str, skip: int | None,
                    fetched: Fetched | None) -> WsdlResult:
        """``processWsdl``: URL, ``wsdl_exists``, the document, service identifiers and
        ``service_already_exists``."""
        if not is_valid_url(url):
            raise malformed(url)
        for row in self.db.execute("SELECT id, url FROM service_descriptions WHERE client_id = ?",
                                   (client_id,)):
            if row["id"] != skip and row["url"].lower() == url.lower():
                raise SandboxError("wsdl_exists", _("The client already has a service "
                                                    "description with this URL."), status=409)
        result = self._read_wsdl(url, fetched)
        invalid = [value for info in result.services for value in (info.name, info.version)
                   if value is not None and not IDENTIFIER.match(value)]
        if invalid:
            raise SandboxError("invalid_wsdl_service_identifier", _(
                "The WSDL has service codes or versions with characters X-Road does not allow "
                "(such as ':'): {values}").format(values=", ".join(invalid)), metadata=invalid)
        wanted = {info.full_code.lower() for info in result.services}
        clashes = [value for row in self._other_services(client_id, skip)
                   if full_code(row["service_code"], row["service_version"]).lower() in wanted
                   for value in (full_code(row["service_code"], row["service_version"]),
                                 row["description_url"])]
        if clashes:
            raise SandboxError("service_already_exists", _(
                "Another service description of the client has these services already."),
                status=409, metadata=clashes)
        return result

    def _check_codes_unique(self, client_id: str, description_id: int) -> None:
        """``checkDuplicateServiceCodes`` (REST and OpenAPI): 409 ``service_code_already_exists``
        with ``[full code, URL, …]`` of the clashing new services."""
        others = self._other_services(client_id, description_id)
        codes = {row["service_code"].lower() for row in others}
        fulls = {full_code(row["service_code"], row["service_version"]).lower() for row in others}
        metadata = []
        for row in self.db.execute(
                "SELECT s.*, d.url AS description_url FROM services s JOIN service_descriptions d "
                "ON d.id = s.service_description_id WHERE d.id = ?", (description_id,)):
            full = full_code(row["service_code"], row["service_version"])
            if row["service_code"].lower() in codes or full.lower() in fulls:
                metadata += [full, row["description_url"]]
        if metadata:
            raise SandboxError("service_code_already_exists", _(
                "The client already has a service with this service code."), status=409,
                metadata=metadata)

    @staticmethod
    def _check_rest_code(code: str | None) -> str:
        if code is None:
            raise SandboxError("missing_parameter", _("A REST or OpenAPI service description "
                                                      "needs a service code."))
        return code
