"""The sandbox's ASGI application: X-Road's admin API under ``/api/v1`` and the simulated
instance's services under ``/sandbox``.

Every request passes the gateway first, as every request to X-Road passes its servlet filters: it
gets an ``x-road-ui-correlation-id`` header, is counted against the per-IP limits (429), is
authenticated when it is under ``/api`` (401) and is refused when its body is too large (413).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.sandbox.auth import authenticate_api_key, authenticate_basic, is_api_keys_path
from backend.sandbox.errors import (
    ApiError,
    SandboxError,
    spring_error_response,
    status_response,
)
from backend.sandbox.ratelimit import RateLimiter
from backend.sandbox.routes import (
    MAX_BODY_BYTES,
    PRINCIPAL_KEY,
    access_rights,
    api_keys,
    certificate_authorities,
    client_extras,
    clients,
    diagnostics,
    endpoints,
    globalconf,
    initialization,
    keys,
    local_groups,
    service_descriptions,
    services,
    system,
    token_certificates,
    tokens,
)
from backend.sandbox.routes import sandbox as sandbox_routes
from backend.sandbox.state import SandboxState

log = logging.getLogger("kapka.sandbox")
CORRELATION_HEADER = b"x-road-ui-correlation-id"
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="Realm"'}


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class Gateway:
    """Correlation id, rate limit, authentication and body size, before any endpoint runs."""

    def __init__(self, app: ASGIApp, sandbox: SandboxState, limiter: RateLimiter) -> None:
        self.app = app
        self.sandbox = sandbox
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation = str(uuid.uuid4()).encode()
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), (CORRELATION_HEADER, correlation)]
                message = {**message, "headers": headers}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_id)
            return
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("request %s %s failed", scope.get("method"), scope.get("path"))
            if not started:
                await status_response(500)(scope, receive, send_with_id)

    def _refusal(self, scope: Scope) -> Response | None:
        client = scope.get("client")
        address = client[0] if client else ""
        if not self.limiter.allow(address):
            return status_response(429)
        path = scope["path"]
        if not _is_api(path):
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        authorization = headers.get("authorization")
        if is_api_keys_path(path):
            principal = authenticate_basic(self.sandbox, authorization, address)
            if principal is None:  # Spring's BasicAuthenticationEntryPoint
                response = spring_error_response(401)
                response.headers.update(BASIC_CHALLENGE)
                return response
        else:
            principal = authenticate_api_key(self.sandbox, authorization)
            if principal is None:
                return status_response(401)
        scope[PRINCIPAL_KEY] = principal
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return status_response(413)
        return None


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return error.response()


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, SandboxError)
    return ApiError.from_domain(error).response()


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if _is_api(request.url.path):
        return status_response(error.status_code, headers)
    response = spring_error_response(error.status_code)
    response.headers.update(headers)
    return response


def create_app(state: SandboxState, *, rate_limiter: RateLimiter | None = None) -> Starlette:
    """The ASGI application serving ``state``."""
    handlers: dict[Any, Any] = {
        ApiError: _api_error,
        SandboxError: _domain_error,
        HTTPException: _http_error,
    }
    app = Starlette(
        routes=[
            *system.routes,
            *initialization.routes,
            *globalconf.routes,
            *tokens.routes,
            *keys.routes,
            *token_certificates.routes,
            *certificate_authorities.routes,
            *diagnostics.routes,
            *api_keys.routes,
            *service_descriptions.routes,
            *services.routes,
            *endpoints.routes,
            *clients.routes,
            *client_extras.routes,
            *access_rights.routes,
            *local_groups.routes,
            *sandbox_routes.routes(state.seed.ca.ocsp.path),
        ],
        middleware=[Middleware(Gateway, sandbox=state, limiter=rate_limiter or RateLimiter())],
        exception_handlers=handlers,
    )
    app.router.redirect_slashes = False  # Spring does not match a trailing slash either
    app.state.sandbox = state
    return app
