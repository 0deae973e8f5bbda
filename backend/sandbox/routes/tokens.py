"""``/tokens`` and ``/tokens/{id}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError
from backend.sandbox.routes import json_response, requires, state
from backend.sandbox.views import render_token


@requires("VIEW_KEYS")
async def list_tokens(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        return json_response([render_token(sandbox, token) for token in sandbox.tokens()])


@requires("VIEW_KEYS")
async def get_token(request: Request) -> Response:
    sandbox = state(request)
    token_id = request.path_params["id"]
    with sandbox.lock:
        token = sandbox.token(token_id)
        if token is None:
            raise ApiError(404, "token_not_found", metadata=[token_id])
        return json_response(render_token(sandbox, token))


routes = [
    Route("/api/v1/tokens", list_tokens, methods=["GET"]),
    Route("/api/v1/tokens/{id}", get_token, methods=["GET"]),
]
