"""``POST /initialization``: owner, server code and software token PIN (X-Road's
``InitializationApiController``).

The body is ``InitialServerConf``; only the values not yet set may be sent, and all of those must be
(``invalid_init_params``). Before the service runs, the request binding validates the fields as
X-Road does: ``@Size(1, 255)`` and, for the identifiers, the strict identifier rule
(``IdentifierChars``), reported as ``validation_failure`` with ``initialServerConfDto.<field>``
keys. Warnings answer ``400 warnings_detected`` and change nothing; the same request with
``ignore_warnings: true`` succeeds with 201 and no body.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.errors import ApiError
from backend.sandbox.routes import java_length, read_json_object, requires, state
from backend.sandbox.serverconf import IDENTIFIER, UnhandledWarnings

DTO = "initialServerConfDto"
#: body field → (Java property, is an identifier)
FIELDS = {
    "owner_member_class": ("ownerMemberClass", True),
    "owner_member_code": ("ownerMemberCode", True),
    "security_server_code": ("securityServerCode", True),
    "software_token_pin": ("softwareTokenPin", False),
}


def _text(value: Any) -> str | None:
    """A ``String`` property as Jackson reads it: scalars become text, structures are refused."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise ApiError(400)  # HttpMessageNotReadableException


def _flag(value: Any) -> bool:
    """The ``Boolean`` ``ignore_warnings``: missing or null is false."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiError(400)


def _binding_errors(values: dict[str, str | None]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        prop, identifier = FIELDS[name]
        codes = []
        if value is not None and not 1 <= java_length(value) <= 255:
            codes.append("Size")
        if identifier and value and not IDENTIFIER.match(value):
            codes.append("IdentifierChars")
        if codes:
            errors[f"{DTO}.{prop}"] = sorted(codes)
    return errors


@requires("INIT_CONFIG")
async def initialize(request: Request) -> Response:
    body = await read_json_object(request)
    values = {name: _text(body.get(name)) for name in FIELDS}
    ignore_warnings = _flag(body.get("ignore_warnings"))
    if errors := _binding_errors(values):
        raise ApiError(400, "validation_failure", validation_errors=errors)
    sandbox = state(request)
    try:
        with sandbox.lock:  # X-Road's controller method is synchronized
            sandbox.initialize(
                values["owner_member_class"], values["owner_member_code"],
                values["security_server_code"], values["software_token_pin"],
                ignore_warnings=ignore_warnings, check_member_class=False)
    except UnhandledWarnings as warned:
        raise ApiError(400, "warnings_detected", warnings=warned.warnings) from None
    return Response(status_code=201)


routes = [
    Route("/api/v1/initialization", initialize, methods=["POST"]),
]
