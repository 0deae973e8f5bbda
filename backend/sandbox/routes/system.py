"""``/system/version``, ``/system/node-type``, ``/user``, ``/initialization/status`` and the
polled ``/notifications`` endpoints."""

from __future__ import annotations

import platform

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox import diagnostics
from backend.sandbox.permissions import authorities_for
from backend.sandbox.routes import authenticated, json_response, principal, requires, state

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


routes = [
    Route("/api/v1/system/version", version, methods=["GET"]),
    Route("/api/v1/system/node-type", node_type, methods=["GET"]),
    Route("/api/v1/user", user, methods=["GET"]),
    Route("/api/v1/initialization/status", initialization_status, methods=["GET"]),
    Route("/api/v1/notifications/alerts", alerts, methods=["GET"]),
    Route("/api/v1/notifications/session-status", session_status, methods=["GET"]),
]
