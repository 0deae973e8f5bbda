"""``/system/version``, ``/system/node-type``, ``/user``, ``/initialization/status``, the polled
``/notifications`` endpoints, the configuration anchor (``/system/anchor``) and the configured
timestamping services (``/system/timestamping-services``), as X-Road's ``SystemApiController``.

Anchor uploads are ``application/octet-stream`` bodies under the regular 50 KB request limit (X-Road
raises the limit to 10 MB only for backups and certificates). Anchor checks are
:meth:`SandboxState.preview_anchor` and friends; timestamping services need the server
configuration that the initialisation creates (before it X-Road fails with 500).
"""

from __future__ import annotations

import platform
import sqlite3

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox import diagnostics
from backend.sandbox.anchor import ConfigurationAnchor, anchor_hash, download_filename, parse_anchor
from backend.sandbox.errors import ApiError
from backend.sandbox.permissions import authorities_for
from backend.sandbox.routes import (
    authenticated,
    bool_query_param,
    java_length,
    json_response,
    principal,
    read_body,
    read_json_object,
    requires,
    state,
)
from backend.sandbox.wire import fmt_time

XROAD_VERSION = "7.8.0"
#: a non-release build identifier, as X-Road's ``Version`` writes one: ``<version>-<build>``
VERSION_INFO = f"Security Server version {XROAD_VERSION}-SANDBOX-kapka"
#: the Java level X-Road 7.8 runs on and supports (MIN/MAX_SUPPORTED_JAVA_VERSION)
JAVA_LEVEL = 21


@requires("VIEW_VERSION")
async def version(request: Request) -> Response:
    return json_response({
        "info": VERSION_INFO,
        "java_version": JAVA_LEVEL,
        "min_java_version": JAVA_LEVEL,
        "max_java_version": JAVA_LEVEL,
        "using_supported_java_version": True,
        "java_vendor": "Kapka sandbox",
        "java_runtime_version": f"Python {platform.python_version()}",
    })


@requires("VIEW_NODE_TYPE")
async def node_type(request: Request) -> Response:
    return json_response({"node_type": state(request).server_conf()["node_type"]})


@authenticated
async def user(request: Request) -> Response:
    caller = principal(request)
    roles, permissions = authorities_for(caller.roles)
    return json_response({"username": caller.username, "roles": roles, "permissions": permissions})


@authenticated
async def initialization_status(request: Request) -> Response:
    return json_response(diagnostics.initialization_status(state(request)))


@authenticated
async def alerts(request: Request) -> Response:
    return json_response(diagnostics.alerts(state(request)))


@authenticated
async def session_status(request: Request) -> Response:
    # API-key calls are stateless: there is never an HTTP session behind them
    return json_response({"valid": False})


# -- configuration anchor ------------------------------------------------------------------------


def _anchor(data: bytes, anchor: ConfigurationAnchor) -> dict[str, str]:
    """``Anchor`` (``AnchorConverter``)."""
    if anchor.generated_at is None:
        raise ApiError(500)  # X-Road's FormatUtils gets a null date: NullPointerException
    return {"hash": anchor_hash(data), "created_at": fmt_time(anchor.generated_at)}


def _created(request: Request) -> Response:
    """201 with X-Road's ``Location`` (``ControllerUtil.createCreatedResponse``)."""
    return Response(status_code=201, headers={
        "Location": f"{request.url.scheme}://{request.url.netloc}/api/system/anchor"})


@requires("VIEW_ANCHOR")
async def get_anchor(request: Request) -> Response:
    data = state(request).anchor_file()
    return json_response(_anchor(data, parse_anchor(data)))


@requires("DOWNLOAD_ANCHOR")
async def download_anchor(request: Request) -> Response:
    data = state(request).anchor_file()
    anchor = parse_anchor(data)
    if anchor.generated_at is None:
        raise ApiError(500)  # the file name needs the date
    return Response(data, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{download_filename(anchor.generated_at)}"'})


@requires("UPLOAD_ANCHOR")
async def preview_anchor(request: Request) -> Response:
    validate_instance = bool_query_param(request, "validate_instance", True)
    data = await read_body(request)
    return json_response(_anchor(data, state(request).preview_anchor(data, validate_instance)))


@requires("INIT_CONFIG")
async def upload_initial_anchor(request: Request) -> Response:
    data = await read_body(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.upload_initial_anchor(data)
    return _created(request)


@requires("UPLOAD_ANCHOR")
async def replace_anchor(request: Request) -> Response:
    data = await read_body(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.replace_anchor(data)
    return _created(request)


# -- timestamping services -----------------------------------------------------------------------

COST_TYPES = ("FREE", "PAID", "UNDEFINED")


async def _timestamping_service(request: Request) -> dict[str, str]:
    """A ``TimestampingService`` body: ``name``, ``url``, ``cost_type`` all required."""
    body = await read_json_object(request)
    values = {key: body.get(key) for key in ("name", "url", "cost_type")}
    if any(value is not None and not isinstance(value, str) for value in values.values()):
        raise ApiError(400)
    if values["cost_type"] is not None and values["cost_type"] not in COST_TYPES:
        raise ApiError(400)  # not a CostType: HttpMessageNotReadableException
    errors = {}
    for key, prop in (("name", "name"), ("url", "url"), ("cost_type", "costType")):
        value = values[key]
        if value is None:
            errors[f"timestampingServiceDto.{prop}"] = ["NotNull"]
        elif key != "cost_type" and not 1 <= java_length(value) <= 255:
            errors[f"timestampingServiceDto.{prop}"] = ["Size"]
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    return {key: str(value) for key, value in values.items()}


def _configured(row: sqlite3.Row) -> dict[str, str]:
    return {"name": row["name"], "url": row["url"], "cost_type": row["cost_type"]}


@requires("VIEW_TSPS")
async def configured_timestamping_services(request: Request) -> Response:
    sandbox = state(request)
    sandbox.require_server_conf()
    return json_response([_configured(row) for row in sandbox.timestamping_services()])


@requires("ADD_TSP")
async def add_timestamping_service(request: Request) -> Response:
    service = await _timestamping_service(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.require_anchor()
        sandbox.require_server_conf()
        sandbox.add_timestamping_service(service["name"], service["url"], service["cost_type"])
    return json_response(service, 201)


@requires("DELETE_TSP")
async def delete_timestamping_service(request: Request) -> Response:
    service = await _timestamping_service(request)
    sandbox = state(request)
    sandbox.require_server_conf()
    sandbox.delete_timestamping_service(service["name"], service["url"])
    return Response(status_code=204)


@requires("VIEW_TSPS")
async def timestamping_prioritization_strategy(request: Request) -> Response:
    return json_response(state(request).seed.timestamping_prioritization_strategy)


routes = [
    Route("/api/v1/system/version", version, methods=["GET"]),
    Route("/api/v1/system/node-type", node_type, methods=["GET"]),
    Route("/api/v1/user", user, methods=["GET"]),
    Route("/api/v1/initialization/status", initialization_status, methods=["GET"]),
    Route("/api/v1/notifications/alerts", alerts, methods=["GET"]),
    Route("/api/v1/notifications/session-status", session_status, methods=["GET"]),
    Route("/api/v1/system/anchor", get_anchor, methods=["GET"]),
    Route("/api/v1/system/anchor", upload_initial_anchor, methods=["POST"]),
    Route("/api/v1/system/anchor", replace_anchor, methods=["PUT"]),
    Route("/api/v1/system/anchor/download", download_anchor, methods=["GET"]),
    Route("/api/v1/system/anchor/previews", preview_anchor, methods=["POST"]),
    Route("/api/v1/system/timestamping-services", configured_timestamping_services,
          methods=["GET"]),
    Route("/api/v1/system/timestamping-services", add_timestamping_service, methods=["POST"]),
    Route("/api/v1/system/timestamping-services/delete", delete_timestamping_service,
          methods=["POST"]),
    Route("/api/v1/system/timestamping-services/prioritization-strategy",
          timestamping_prioritization_strategy, methods=["GET"]),
]
