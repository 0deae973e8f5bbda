"""The admin API's endpoints, one module per area, and what they share."""

from __future__ import annotations

import functools
import json
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


def bool_query_param(request: Request, name: str, default: bool) -> bool:
    """An optional boolean query parameter, converted as Spring's ``StringToBooleanConverter``."""
    raw = request.query_params.get(name, "")
    value = raw.strip().lower()
    if value in ("true", "on", "yes", "1"):
        return True
    if value in ("false", "off", "no", "0"):
        return False
    if not value:
        return default
    message = (
        f"Method parameter '{name}': Failed to convert value of type 'java.lang.String' to "
        f"required type 'java.lang.Boolean'; Invalid boolean value '{raw}'"
    )
    raise ApiError(400, "validation_failure", validation_errors={name: [message]})


async def read_json_object(request: Request) -> dict[str, Any]:
    """A JSON object body; anything else is Spring's ``HttpMessageNotReadableException`` (400)."""
    try:
        value = json.loads(await read_body(request))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400) from None
    if not isinstance(value, dict):
        raise ApiError(400)
    return value


def java_length(text: str) -> int:
    """The length Java's ``String.length()`` reports (UTF-16 code units), as ``@Size`` counts."""
    return len(text.encode("utf-16-le")) // 2
