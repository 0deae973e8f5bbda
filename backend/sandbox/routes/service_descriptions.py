"""``/clients/{id}/service-descriptions`` and ``/service-descriptions``: WSDL, OpenAPI and REST
service descriptions, as X-Road's ``ClientsApiController`` and ``ServiceDescriptionsApiController``
answer them.

The description is downloaded here, without blocking the event loop, before the state checks and
applies it in one transaction. Warnings are 400 ``warnings_detected`` until the request is sent
again with ``ignore_warnings``. ``enable`` and ``disable`` answer 200 without a body (the spec says
204); an unknown or non-numeric description id is ``{"status": 404}``, except for ``PATCH`` and
``refresh``, which name it (``service_description_not_found``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError, SandboxError
from backend.sandbox.routes import json_response, requires, state
from backend.sandbox.routes.inputs import Validator, check, created, json_body, requires_any
from backend.sandbox.serverconf import IDENTIFIER
from backend.sandbox.servicedesc.fetch import Fetched, fetch
from backend.sandbox.servicedesc.urls import is_valid_url
from backend.sandbox.servicestate import DESCRIPTION_TYPES, OPENAPI3, REST, WSDL
from backend.sandbox.tokenstate import UnhandledWarnings

ADD_PERMISSION = {WSDL: "ADD_WSDL", OPENAPI3: "ADD_OPENAPI3", REST: "ADD_OPENAPI3"}
EDIT_PERMISSION = {WSDL: "EDIT_WSDL", OPENAPI3: "EDIT_OPENAPI3", REST: "EDIT_REST"}
_LONG_MAX = 2**63 - 1


@contextmanager
def warnings_detected() -> Iterator[None]:
    """X-Road's ``UnhandledWarningsException``: 400 ``warnings_detected`` with the warnings."""
    try:
        yield
    except UnhandledWarnings as error:
        raise ApiError(400, error.code, warnings=error.warnings) from error


def client_path_id(request: Request) -> str:
    """A client id in the path (``ClientIdConverter``): 3 or 4 non-empty parts, else 400."""
    encoded = request.path_params["id"]
    parts = encoded.split(":")
    if len(parts) not in (3, 4) or not all(parts):
        raise ApiError(400)
    return encoded


def long_id_or_404(request: Request, name: str = "id") -> int:
    """``FormatUtils.parseLongIdOrThrowNotFound``."""
    raw = request.path_params[name]
    if not raw.isdigit() or int(raw) > _LONG_MAX:
        raise ApiError(404)
    return int(raw)


def _description_id(request: Request, *, named: bool = False) -> int:
    """The description id in the path; an unknown one is 404 (with X-Road's code if ``named``)."""
    description_id = long_id_or_404(request)
    sandbox = state(request)
    with sandbox.lock:
        try:
            sandbox.service_description(description_id)
        except SandboxError:
            if named:
                raise
            raise ApiError(404) from None
    return description_id


def _rest_code(validator: Validator, body: dict, name: str, java_name: str) -> str | None:
    """A REST service code; it becomes part of the service id, so ':' and the like are refused
    (the strict identifier rule)."""
    code = validator.text(body, name, java_name, min_length=1, max_length=255)
    if code and not IDENTIFIER.match(code):
        validator.errors.setdefault(f"{validator.parameter}.{java_name}", []).append(
            "IdentifierChars")
    return code


async def _download(kind: str, url: str) -> Fetched | None:
    return await fetch(url) if kind != REST and is_valid_url(url) else None


@requires("VIEW_CLIENT_SERVICES")
async def list_descriptions(request: Request) -> Response:
    return json_response(state(request).client_descriptions_view(client_path_id(request)))


@requires_any("ADD_WSDL", "ADD_OPENAPI3")
async def add_description(request: Request) -> Response:
    client_id = client_path_id(request)
    body = await json_body(request)
    validator = Validator("serviceDescriptionAddDto")
    url = validator.text(body, "url", "url", required=True, min_length=1, max_length=255)
    kind = validator.choice(body, "type", "type", DESCRIPTION_TYPES)
    code = _rest_code(validator, body, "rest_service_code", "restServiceCode")
    ignore = validator.flag(body, "ignore_warnings")
    validator.done()
    assert url is not None and kind is not None
    check(request, ADD_PERMISSION[kind])
    fetched = await _download(kind, url)
    sandbox = state(request)
    with warnings_detected():
        description_id = sandbox.add_service_description(
            client_id, kind, url, rest_service_code=code, ignore_warnings=ignore, fetched=fetched)
    return created(request, sandbox.description_view(description_id),
                   f"/api/service-descriptions/{description_id}")


@requires("VIEW_CLIENT_SERVICES")
async def get_description(request: Request) -> Response:
    return json_response(state(request).description_view(_description_id(request)))


@requires("VIEW_CLIENT_SERVICES")
async def description_services(request: Request) -> Response:
    return json_response(state(request).description_services_view(_description_id(request)))


@requires_any("EDIT_WSDL", "EDIT_OPENAPI3", "EDIT_REST")
async def update_description(request: Request) -> Response:
    description_id = long_id_or_404(request)
    body = await json_body(request)
    validator = Validator("serviceDescriptionUpdateDto")
    url = validator.text(body, "url", "url", required=True, min_length=1, max_length=255)
    kind = validator.choice(body, "type", "type", DESCRIPTION_TYPES)
    code = _rest_code(validator, body, "rest_service_code", "restServiceCode")
    new_code = _rest_code(validator, body, "new_rest_service_code", "newRestServiceCode")
    ignore = validator.flag(body, "ignore_warnings")
    validator.done()
    assert url is not None and kind is not None
    check(request, EDIT_PERMISSION[kind])
    fetched = await _download(kind, url)
    sandbox = state(request)
    with warnings_detected():
        sandbox.update_service_description(
            description_id, kind, url, rest_service_code=code, new_rest_service_code=new_code,
            ignore_warnings=ignore, fetched=fetched)
    return json_response(sandbox.description_view(description_id))


@requires_any("REFRESH_WSDL", "REFRESH_REST", "REFRESH_OPENAPI3")
async def refresh_description(request: Request) -> Response:
    description_id = long_id_or_404(request)
    body = await json_body(request)
    ignore = Validator("ignoreWarningsDto").flag(body, "ignore_warnings")
    sandbox = state(request)
    with sandbox.lock:
        description = sandbox.service_description(description_id)
    fetched = await _download(description["type"], description["url"])
    with warnings_detected():
        sandbox.refresh_service_description(description_id, ignore_warnings=ignore,
                                            fetched=fetched)
    return json_response(sandbox.description_view(description_id))


@requires("ENABLE_DISABLE_WSDL")
async def disable_description(request: Request) -> Response:
    body = await json_body(request)
    validator = Validator("serviceDescriptionDisabledNoticeDto")
    notice = validator.text(body, "disabled_notice", "disabledNotice", max_length=255)
    validator.done()
    state(request).disable_service_description(_description_id(request), notice)
    return Response(status_code=200)


@requires("ENABLE_DISABLE_WSDL")
async def enable_description(request: Request) -> Response:
    state(request).enable_service_description(_description_id(request))
    return Response(status_code=200)


@requires("DELETE_WSDL")
async def delete_description(request: Request) -> Response:
    state(request).delete_service_description(_description_id(request))
    return Response(status_code=204)


routes = [
    Route("/api/v1/clients/{id}/service-descriptions", list_descriptions, methods=["GET"]),
    Route("/api/v1/clients/{id}/service-descriptions", add_description, methods=["POST"]),
    Route("/api/v1/service-descriptions/{id}", get_description, methods=["GET"]),
    Route("/api/v1/service-descriptions/{id}", update_description, methods=["PATCH"]),
    Route("/api/v1/service-descriptions/{id}", delete_description, methods=["DELETE"]),
    Route("/api/v1/service-descriptions/{id}/refresh", refresh_description, methods=["PUT"]),
    Route("/api/v1/service-descriptions/{id}/disable", disable_description, methods=["PUT"]),
    Route("/api/v1/service-descriptions/{id}/enable", enable_description, methods=["PUT"]),
    Route("/api/v1/service-descriptions/{id}/services", description_services, methods=["GET"]),
]
