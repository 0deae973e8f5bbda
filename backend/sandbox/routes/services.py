"""``/services/{id}``: a service's URL, timeout and TLS authentication, and its REST endpoints, as
X-Road's ``ServicesApiController`` answers them (access rights: ``routes/access_rights.py``).

A service id is ``<client id>:<full service code>`` with exactly four colons (X-Road's
``ServiceConverter``; only subsystems provide services); anything else is ``{"status": 400}``.
With ``ssl_auth`` the service URL's TLS server is tried, in a worker thread, before the change.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError
from backend.sandbox.routes import json_response, requires, state
from backend.sandbox.routes.inputs import Validator, created, json_body
from backend.sandbox.routes.service_descriptions import warnings_detected
from backend.sandbox.servicedesc import tlsprobe
from backend.sandbox.servicedesc.serviceops import METHODS

SERVICE_ID_SEPARATORS = 4


def service_path_id(request: Request) -> tuple[str, str]:
    """``(client id, full service code)`` of the service id in the path."""
    encoded = request.path_params["id"]
    if encoded.count(":") != SERVICE_ID_SEPARATORS:
        raise ApiError(400)
    client_id, _sep, full_code = encoded.rpartition(":")
    if not all(client_id.split(":")) or not full_code:
        raise ApiError(400)
    return client_id, full_code


def _timeout(validator: Validator, body: dict) -> int | None:
    value = body.get("timeout")
    if value is None:
        validator.errors.setdefault("serviceUpdateDto.timeout", []).append("NotNull")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -2**31 <= value < 2**31:
        raise ApiError(400)  # Jackson cannot read it as an int
    if value < 0:
        validator.errors.setdefault("serviceUpdateDto.timeout", []).append("Min")
    if value > 1000:
        validator.errors.setdefault("serviceUpdateDto.timeout", []).append("Max")
    return value


@requires("VIEW_CLIENT_SERVICES")
async def get_service(request: Request) -> Response:
    return json_response(state(request).service_view(*service_path_id(request)))


@requires("EDIT_SERVICE_PARAMS")
async def update_service(request: Request) -> Response:
    client_id, full_code = service_path_id(request)
    body = await json_body(request)
    validator = Validator("serviceUpdateDto")
    url = validator.text(body, "url", "url", required=True, min_length=1, max_length=255)
    timeout = _timeout(validator, body)
    if body.get("ssl_auth") is None:
        validator.errors.setdefault("serviceUpdateDto.sslAuth", []).append("NotNull")
    ssl_auth = validator.flag(body, "ssl_auth")
    flags = {name: validator.flag(body, name) for name in ("url_all", "timeout_all",
                                                           "ssl_auth_all", "ignore_warnings")}
    validator.done()
    assert url is not None and timeout is not None
    sandbox = state(request)
    problem = None
    if ssl_auth and not flags["ignore_warnings"]:
        with sandbox.lock:
            sandbox.check_service_update(client_id, full_code, url, ssl_auth)
            trusted = sandbox.trusted_tls_certificates(client_id)
        problem = await asyncio.to_thread(tlsprobe.probe, url, trusted)
    with warnings_detected():
        sandbox.update_service(client_id, full_code, url=url, timeout=timeout, ssl_auth=ssl_auth,
                               probe_tls=problem, **flags)
    return json_response(sandbox.service_view(client_id, full_code))


@requires("ADD_OPENAPI3_ENDPOINT")
async def add_endpoint(request: Request) -> Response:
    body = await json_body(request)
    if body.get("id") is not None:
        raise ApiError(400, "endpoint_id_should_not_be_provided")
    client_id, full_code = service_path_id(request)
    validator = Validator("endpointDto")
    validator.text(body, "service_code", "serviceCode", required=True)
    method = validator.choice(body, "method", "method", METHODS)
    path = validator.text(body, "path", "path", required=True)
    validator.done()
    assert method is not None and path is not None
    sandbox = state(request)
    endpoint_id = sandbox.add_endpoint(client_id, full_code, method, path)
    return created(request, sandbox.endpoint_view(endpoint_id), f"/api/endpoints/{endpoint_id}")


routes = [
    Route("/api/v1/services/{id}", get_service, methods=["GET"]),
    Route("/api/v1/services/{id}", update_service, methods=["PATCH"]),
    Route("/api/v1/services/{id}/endpoints", add_endpoint, methods=["POST"]),
]
