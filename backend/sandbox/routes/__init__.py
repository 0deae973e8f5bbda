"""The admin API's endpoints, one module per area, and what they share."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from backend.sandbox.auth import Principal
from backend.sandbox.errors import JSON, ApiError
from backend.sandbox.wire import dumps

Endpoint = Callable[[Request], Awaitable[Response]]
PRINCIPAL_KEY = "kapka.principal"
MAX_BODY_BYTES = 50 * 1024


def principal(request: Request) -> Principal:
    """The authenticated caller (the gateway has already refused anonymous requests)."""
    found = request.scope.get(PRINCIPAL_KEY)
    if not isinstance(found, Principal):
        raise ApiError(401)
    return found


def state(request: Request) -> Any:
    """The ``SandboxState`` the application serves."""
    return request.app.state.sandbox


def json_response(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status, media_type=JSON)


def requires(permission: str) -> Callable[[Endpoint], Endpoint]:
    """Refuse callers without ``permission`` (X-Road's ``@PreAuthorize(hasAuthority(...))``)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def checked(request: Request) -> Response:
            if not principal(request).has(permission):
                raise ApiError(403)
            return await endpoint(request)

        return checked

    return decorate


def authenticated(endpoint: Endpoint) -> Endpoint:
    """Any authenticated caller (X-Road's ``isAuthenticated()``)."""

    @functools.wraps(endpoint)
    async def checked(request: Request) -> Response:
        principal(request)
        return await endpoint(request)

    return checked


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body; 413 if it is larger than ``limit``."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413)
    return bytes(body)


def long_path_param(request: Request, name: str) -> int:
    """A numeric path parameter, refused as Spring refuses a value that is not a ``long``."""
    raw = request.path_params[name]
    try:
        value = int(raw)
        if not -(2**63) <= value < 2**63 or not raw.lstrip("-").isdigit():
            raise ValueError(raw)
    except ValueError:
        message = (
            f"Method parameter '{name}': Failed to convert value of type 'java.lang.String' "
            f"to required type 'long'; For input string: \"{raw}\""
        )
        raise ApiError(400, "validation_failure", validation_errors={name: [message]}) from None
    return value
