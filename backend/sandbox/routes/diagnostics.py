"""``/diagnostics/globalconf``, ``/diagnostics/timestamping-services`` and
``/diagnostics/ocsp-responders``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox import diagnostics
from backend.sandbox.routes import json_response, requires, state


@requires("DIAGNOSTICS")
async def global_conf(request: Request) -> Response:
    return json_response(diagnostics.global_conf(state(request)))


@requires("DIAGNOSTICS")
async def timestamping_services(request: Request) -> Response:
    return json_response(diagnostics.timestamping_services(state(request)))


@requires("DIAGNOSTICS")
async def ocsp_responders(request: Request) -> Response:
    return json_response(diagnostics.ocsp_responders(state(request)))


routes = [
    Route("/api/v1/diagnostics/globalconf", global_conf, methods=["GET"]),
    Route("/api/v1/diagnostics/timestamping-services", timestamping_services, methods=["GET"]),
    Route("/api/v1/diagnostics/ocsp-responders", ocsp_responders, methods=["GET"]),
]
