"""``/api-keys``: API-key management as X-Road's ``ApiKeysController`` does it.

HTTP Basic only, from loopback only (the gateway checks both); the caller may grant only roles it
holds itself (``XROAD_MANAGEMENT_SERVICE`` needs the system administrator role); an empty or unknown
role is 400 ``invalid_role``; an unknown id is 404 ``api_key_not_found``.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.auth import Principal
from backend.sandbox.errors import ApiError
from backend.sandbox.permissions import ALL_ROLES, MS, SY
from backend.sandbox.routes import (
    json_response,
    long_path_param,
    principal,
    read_body,
    requires,
    state,
)
from backend.sandbox.state import ApiKeyRecord


async def _roles(request: Request) -> list[str]:
    """The JSON array of role names in the body; ``invalid_role`` if empty or unknown."""
    try:
        roles = json.loads(await read_body(request))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400) from None  # Spring: HttpMessageNotReadableException
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ApiError(400)
    if not roles or any(role not in ALL_ROLES for role in roles):
        raise ApiError(400, "invalid_role")
    return roles


def _check_may_grant(caller: Principal, roles: list[str], already: tuple[str, ...] = ()) -> None:
    for role in roles:
        if role in already:
            continue  # a role the key has may stay
        needed = SY if role == MS else role
        if not caller.has_role(needed):
            raise ApiError(403)


def _public(record: ApiKeyRecord) -> dict:
    return {"id": record.id, "roles": record.roles}


def _existing(request: Request) -> ApiKeyRecord:
    key_id = long_path_param(request, "id")
    record = state(request).api_key(key_id)
    if record is None:
        raise ApiError(404, "api_key_not_found", metadata=[str(key_id)])
    return record


@requires("CREATE_API_KEY")
async def create_key(request: Request) -> Response:
    roles = await _roles(request)
    caller = principal(request)
    _check_may_grant(caller, roles)
    key_id, key = state(request).create_api_key(roles, caller.username)
    record = state(request).api_key(key_id)
    return json_response({"id": key_id, "key": key, "roles": record.roles})


@requires("VIEW_API_KEYS")
async def list_keys(request: Request) -> Response:
    return json_response([_public(record) for record in state(request).api_keys()])


@requires("VIEW_API_KEYS")
async def get_key(request: Request) -> Response:
    return json_response(_public(_existing(request)))


@requires("UPDATE_API_KEY")
async def update_key(request: Request) -> Response:
    record = _existing(request)
    roles = await _roles(request)
    _check_may_grant(principal(request), roles, tuple(record.roles))
    return json_response(_public(state(request).update_api_key(record.id, roles)))


@requires("REVOKE_API_KEY")
async def revoke_key(request: Request) -> Response:
    record = _existing(request)
    state(request).delete_api_key(record.id)
    return Response(status_code=200)


routes = [
    Route("/api/v1/api-keys", create_key, methods=["POST"]),
    Route("/api/v1/api-keys", list_keys, methods=["GET"]),
    Route("/api/v1/api-keys/{id}", get_key, methods=["GET"]),
    Route("/api/v1/api-keys/{id}", update_key, methods=["PUT"]),
    Route("/api/v1/api-keys/{id}", revoke_key, methods=["DELETE"]),
]
