"""Request bodies, query parameters and permissions of the token, key and certificate endpoints.

Body validation answers as Spring's bean validation does in X-Road: 400 ``validation_failure`` with
``validation_errors`` keyed ``<parameter>.<property>`` (the Java names, e.g. ``tokenName.name``)
and the failed constraint's name (``NotNull``, ``Size``); a body that is not JSON of the right shape
is Spring's unreadable message, ``{"status": 400}``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from backend.sandbox.errors import ApiError
from backend.sandbox.routes import (
    Endpoint,
    bool_query_param,
    java_length,
    json_response,
    principal,
    read_body,
)

KEY_USAGES = ("AUTHENTICATION", "SIGNING")
CSR_FORMATS = ("PEM", "DER")
_HASH = re.compile(r"^[a-fA-F0-9]+")
OCTET_STREAM = "application/octet-stream"


def has(request: Request, permission: str) -> bool:
    return principal(request).has(permission)


def check(request: Request, permission: str) -> None:
    """X-Road's ``SecurityHelper.verifyAuthority``: 403 without ``permission``."""
    if not has(request, permission):
        raise ApiError(403)


def requires_any(*permissions: str) -> Callable[[Endpoint], Endpoint]:
    """``@PreAuthorize("hasAnyAuthority(...)")``."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def checked(request: Request) -> Response:
            if not any(has(request, permission) for permission in permissions):
                raise ApiError(403)
            return await endpoint(request)

        return checked

    return decorate


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object in the body (``{}`` when there is none: the spec's bodies are optional)."""
    raw = await read_body(request)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400) from None
    if not isinstance(body, dict):
        raise ApiError(400)
    return body


class Validator:
    """Collects constraint violations of one body, reported together as ``validation_failure``."""

    def __init__(self, parameter: str) -> None:
        self.parameter = parameter
        self.errors: dict[str, list[str]] = {}

    def _fail(self, java_name: str, constraint: str) -> None:
        self.errors.setdefault(f"{self.parameter}.{java_name}", []).append(constraint)

    def text(self, body: dict[str, Any], name: str, java_name: str, *, required: bool = False,
             min_length: int = 0, max_length: int | None = None) -> str | None:
        value = body.get(name)
        if value is None:
            if required:
                self._fail(java_name, "NotNull")
            return None
        if not isinstance(value, str):
            raise ApiError(400)  # Jackson cannot read it
        length = java_length(value)
        if length < min_length or (max_length is not None and length > max_length):
            self._fail(java_name, "Size")
        return value

    def choice(self, body: dict[str, Any], name: str, java_name: str, choices: tuple[str, ...],
               *, required: bool = True) -> str | None:
        value = body.get(name)
        if value is None:
            if required:
                self._fail(java_name, "NotNull")
            return None
        if value not in choices:
            raise ApiError(400)  # Jackson cannot map it to the enum
        return str(value)

    def flag(self, body: dict[str, Any], name: str, default: bool = False) -> bool:
        value = body.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ApiError(400)
        return value

    def mapping(self, body: dict[str, Any], name: str, java_name: str) -> dict[str, str]:
        value = body.get(name)
        if value is None:
            self._fail(java_name, "NotNull")
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ApiError(400)
        return value

    def done(self) -> None:
        if self.errors:
            raise ApiError(400, "validation_failure", validation_errors=self.errors)


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    return bool_query_param(request, name, default)


def query_choice(request: Request, name: str, choices: tuple[str, ...], *,
                 required: bool = False, default: str | None = None) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if required:
            raise ApiError(400)  # Spring: MissingServletRequestParameterException
        return default
    if raw not in choices:
        raise ApiError(400)
    return raw


def cert_hash_param(request: Request, method: str) -> str:
    """The ``{hash}`` path parameter, checked as the spec's ``@Pattern``/``@Size`` check it."""
    value = request.path_params["hash"]
    errors = []
    if not _HASH.fullmatch(value):
        errors.append('must match "^[a-fA-F0-9]+"')
    if len(value) > 64:
        errors.append("size must be between 1 and 64")
    if errors:
        raise ApiError(400, "validation_failure", validation_errors={f"{method}.hash": errors})
    return value


def created(request: Request, data: Any, path: str) -> Response:
    """201 with ``Location`` as X-Road's ``ControllerUtil.createCreatedResponse`` sets it (the
    request's URL with the path replaced, e.g. ``/api/keys/<id>``)."""
    response = json_response(data, 201)
    response.headers["location"] = str(request.url.replace(path=path, query=""))
    return response


def attachment(data: bytes, filename: str) -> Response:
    """A file download, as ``ControllerUtil.createAttachmentResourceResponse`` answers it."""
    return Response(data, 200, media_type=OCTET_STREAM,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
