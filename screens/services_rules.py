"""What may be done to a client's service descriptions, services and endpoints, and X-Road's
service errors in words (no widgets here).

The caller's permissions (``GET /user``, the service administrator's) and the object decide: a
WSDL service has no operator endpoints, a generated endpoint follows its OpenAPI description, the
base endpoint ``* **`` stands for the whole service. Kapka adds read-only mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backend.api.errors import ApiError
from backend.api.service_models import OPENAPI3, REST, WSDL, Endpoint, Service, ServiceDescription
from backend.errors import KapkaError
from backend.i18n import N_, _

SERVICE_ADMIN = N_("service administrator")

#: action → the permissions of ``GET /user`` that allow it (any one of them)
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "add_description": ("ADD_WSDL", "ADD_OPENAPI3"),
    "refresh": ("REFRESH_WSDL", "REFRESH_OPENAPI3", "REFRESH_REST"),
    "enable_disable": ("ENABLE_DISABLE_WSDL",),
    "delete": ("DELETE_WSDL", "DELETE_ENDPOINT"),
    "edit_service": ("EDIT_SERVICE_PARAMS",),
    "add_endpoint": ("ADD_OPENAPI3_ENDPOINT",),
    "edit_endpoint": ("EDIT_OPENAPI3_ENDPOINT",),
}
REFRESH_PERMISSION = {WSDL: "REFRESH_WSDL", OPENAPI3: "REFRESH_OPENAPI3", REST: "REFRESH_REST"}
ADD_PERMISSION = {WSDL: "ADD_WSDL", OPENAPI3: "ADD_OPENAPI3", REST: "ADD_OPENAPI3"}
WRITE_ACTIONS = frozenset(PERMISSIONS)
SELECTION_ACTIONS = WRITE_ACTIONS - {"add_description"}
HTTP_METHODS = ("*", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE")
KIND_WORDS = {WSDL: N_("WSDL"), OPENAPI3: N_("OpenAPI 3"), REST: N_("REST")}


@dataclass(frozen=True)
class Selected:
    """One node of the tree with the objects above it."""

    description: ServiceDescription
    service: Service | None = None
    endpoint: Endpoint | None = None

    @property
    def kind(self) -> str:
        if self.endpoint is not None:
            return "endpoint"
        return "service" if self.service is not None else "description"

    @property
    def ident(self) -> str:
        if self.endpoint is not None:
            return f"endpoint:{self.endpoint.id}"
        if self.service is not None:
            return f"service:{self.service.id}"
        return f"description:{self.description.id}"


def selections(descriptions: Iterable[ServiceDescription]) -> list[Selected]:
    """Every node in tree order: descriptions, their services, the services' endpoints (REST
    and OpenAPI only: a WSDL service's one base endpoint stands for the service itself)."""
    found: list[Selected] = []
    for description in descriptions:
        found.append(Selected(description))
        for service in description.services:
            found.append(Selected(description, service))
            if description.type != WSDL:
                found.extend(Selected(description, service, endpoint)
                             for endpoint in service.endpoints if endpoint.id)
    return found


def _lacks(action: str, permissions: frozenset[str] | None, selected: Selected | None) -> str | None:
    if permissions is None:
        return None
    needed = PERMISSIONS[action]
    if action == "refresh" and selected is not None:
        needed = (REFRESH_PERMISSION.get(selected.description.type, needed[0]),)
    if action == "delete" and selected is not None:
        needed = ("DELETE_ENDPOINT",) if selected.kind == "endpoint" else ("DELETE_WSDL",)
    if not any(permission in permissions for permission in needed):
        return _("this API key lacks the {role} role ({permission})").format(
            role=_(SERVICE_ADMIN), permission=" / ".join(needed))
    return None


def action_reason(action: str, selected: Selected | None, *, permissions: frozenset[str] | None,
                  read_only: bool) -> str | None:
    """Why ``action`` cannot be done now (None: it can)."""
    if action not in WRITE_ACTIONS:
        return None
    if read_only:
        return _("read-only mode")
    if (why := _lacks(action, permissions, selected)) is not None:
        return why
    if action == "add_description":
        return None
    if selected is None:
        return _("select a service description, service or endpoint first")
    return _object_reason(action, selected)


def _object_reason(action: str, selected: Selected) -> str | None:
    kind = selected.kind
    if action in ("refresh", "enable_disable") and kind != "description":
        return _("select the service description (the line above its services)")
    if action == "delete" and kind == "service":
        return _("a service goes with its description: select the description or an endpoint")
    if action == "edit_service" and kind != "service":
        return _("select a service")
    if action == "add_endpoint":
        if kind == "description":
            return _("select the service to add the endpoint to")
        if selected.description.type == WSDL:
            return _("a WSDL service has no endpoints of its own (SOAP operations are services)")
    if action == "edit_endpoint" and kind != "endpoint":
        return _("select an endpoint")
    if action in ("edit_endpoint", "delete") and kind == "endpoint":
        return endpoint_reason(selected.endpoint)
    return None


def endpoint_reason(endpoint: Endpoint | None) -> str | None:
    """Why an endpoint cannot be edited or deleted by the operator (None: it can)."""
    if endpoint is None:
        return _("select an endpoint")
    if endpoint.is_base:
        return _("the base endpoint * ** stands for the whole service; it goes with the service")
    if endpoint.generated:
        return _("generated from the OpenAPI description: change the description and refresh it")
    return None


# -- X-Road's service errors, in words ----------------------------------------------------------

ERROR_ADVICE: dict[str, str] = {
    "wsdl_download_failed": N_("The security server could not download the WSDL from {url}. "
                               "Check the URL, and that the server can reach it (firewall, "
                               "proxy, DNS); nothing was added."),
    "invalid_wsdl": N_("The document at {url} is not a valid WSDL; nothing was added. Open it "
                       "in a browser or with curl and check that it is the service's WSDL."),
    "invalid_wsdl_service_identifier": N_("The WSDL names a service or version X-Road refuses "
                                          "(: ; / \\ % or spaces); fix the WSDL."),
    "invalid_service_url": N_("A service address in the WSDL is not http:// or https://; fix the "
                              "soap:address of the WSDL."),
    "wsdl_exists": N_("This client already has a WSDL at {url}; refresh that one instead."),
    "url_already_exists": N_("This client already has a description at {url}."),
    "service_already_exists": N_("A service of this description is already published by another "
                                 "description of this client."),
    "service_code_already_exists": N_("This client already has a service with this code; choose "
                                      "another service code."),
    "service_code_reserved": N_("This service code is reserved by X-Road; choose another."),
    "openapi_parsing_error": N_("The OpenAPI description at {url} could not be read; nothing was "
                                "added."),
    "unsupported_openapi_version": N_("The OpenAPI description at {url} has a version X-Road does "
                                      "not support: only OpenAPI 3.0.x and 3.1.0. Nothing was "
                                      "added."),
    "malformed_url": N_("The URL {url} is not valid: use http:// or https:// and a host."),
    "invalid_url": N_("The URL {url} is not valid: use http:// or https:// and a host."),
    "invalid_https_url": N_("TLS authentication needs an https:// service URL."),
    "endpoint_already_exists": N_("The service already has this endpoint."),
    "illegal_generated_endpoint_update": N_("A generated endpoint follows its OpenAPI description; "
                                            "change the description instead."),
    "illegal_generated_endpoint_remove": N_("A generated endpoint follows its OpenAPI description; "
                                            "change the description instead."),
    "wrong_servicedescription_type": N_("A WSDL service has no endpoints of its own."),
}

FIELD_WORDS = {"restServiceCode": N_("service code"), "newRestServiceCode": N_("service code"),
               "url": N_("URL"), "path": N_("path"), "timeout": N_("timeout")}


def explain(error: KapkaError, url: str = "") -> KapkaError:
    """The error with what to do added (X-Road's code and details stay in the message)."""
    if not isinstance(error, ApiError):
        return error
    advice = ERROR_ADVICE.get(error.code or "")
    parts = [_(advice).format(url=url or _("the URL"))] if advice else []
    if error.code == "validation_failure":
        for name, problems in error.validation_errors.items():
            short = name.rsplit(".", 1)[-1]
            what = _(FIELD_WORDS[short]) if short in FIELD_WORDS else short
            if "IdentifierChars" in problems:
                parts.append(_("The {what} may not contain : ; / \\ % or spaces (X-Road's "
                               "identifier rule).").format(what=what))
    if not parts:
        return error
    return KapkaError("\n".join([*parts, error.message]), error.title)
