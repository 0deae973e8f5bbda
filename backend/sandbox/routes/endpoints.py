"""``/endpoints/{id}``: REST endpoints, as X-Road's ``EndpointsApiController`` answers them
(their access rights: ``routes/access_rights.py``).

Endpoints read from an OpenAPI description and base endpoints (``generated``) cannot be changed or
deleted: 400 ``illegal_generated_endpoint_update`` / ``illegal_generated_endpoint_remove``. An
unknown id is ``{"status": 404}`` for ``GET`` and ``PATCH`` and ``endpoint_not_found`` for ``DELETE``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError, SandboxError
from backend.sandbox.routes import json_response, requires, state
from backend.sandbox.routes.inputs import Validator, json_body
from backend.sandbox.routes.service_descriptions import long_id_or_404
from backend.sandbox.servicedesc.serviceops import METHODS


def _existing(request: Request) -> int:
    endpoint_id = long_id_or_404(request)
    sandbox = state(request)
    with sandbox.lock:
        try:
            sandbox.endpoint_row(endpoint_id)
        except SandboxError:
            raise ApiError(404) from None
    return endpoint_id


@requires("VIEW_ENDPOINT")
async def get_endpoint(request: Request) -> Response:
    return json_response(state(request).endpoint_view(_existing(request)))


@requires("EDIT_OPENAPI3_ENDPOINT")
async def update_endpoint(request: Request) -> Response:
    endpoint_id = _existing(request)
    body = await json_body(request)
    validator = Validator("endpointUpdateDto")
    method = validator.choice(body, "method", "method", METHODS)
    path = validator.text(body, "path", "path", required=True)
    validator.done()
    if path == "":  # EndpointService: "Path can't be empty string when updating an endpoint"
        raise ApiError(400)
    sandbox = state(request)
    sandbox.update_endpoint(endpoint_id, method, path)
    return json_response(sandbox.endpoint_view(endpoint_id))


@requires("DELETE_ENDPOINT")
async def delete_endpoint(request: Request) -> Response:
    state(request).delete_endpoint(long_id_or_404(request))
    return Response(status_code=204)


routes = [
    Route("/api/v1/endpoints/{id}", get_endpoint, methods=["GET"]),
    Route("/api/v1/endpoints/{id}", update_endpoint, methods=["PATCH"]),
    Route("/api/v1/endpoints/{id}", delete_endpoint, methods=["DELETE"]),
]
