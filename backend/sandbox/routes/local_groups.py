"""Local groups: ``/clients/{id}/local-groups`` and ``/local-groups/{group_id}`` with its members.

As X-Road's ``ClientsApiController`` and ``LocalGroupsApiController``: a new group answers 201 with
``Location: /api/local-groups/<id>``; a group id that is not a number, or no group, is a bare 404
when reading, 404 ``local_group_not_found`` when changing; added members answer 201 with the
request's ``Members``. Bodies are validated as Spring binds them (``localGroupAddDto.code``,
``localGroupDescriptionDto.description``; the description pattern ``^[a-zA-Z0-9-_,.;:!? ]*$``).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.clientviews import render_local_group
from backend.sandbox.errors import ApiError
from backend.sandbox.identifiers import numeric_id, parse_client_id
from backend.sandbox.routes import java_length, json_response, read_json_object, requires, state
from backend.sandbox.routes.clients import client_param
from backend.sandbox.routes.inputs import created

DESCRIPTION = re.compile(r"^[a-zA-Z0-9\-_,.;:!? ]*$")


def _text(body: dict[str, Any], name: str, key: str, errors: dict[str, list[str]], *,
          pattern: re.Pattern[str] | None = None) -> str:
    value = body.get(name)
    if value is None:
        errors[key] = ["NotNull"]
        return ""
    if not isinstance(value, str):
        raise ApiError(400)
    codes = []
    if not 1 <= java_length(value) <= 255:
        codes.append("Size")
    if pattern is not None and not pattern.match(value):
        codes.append("Pattern")
    if codes:
        errors[key] = codes
    return value


def _group_id(request: Request) -> int:
    found = numeric_id(request.path_params["group_id"])
    if found is None:
        raise ApiError(404)  # FormatUtils.parseLongIdOrThrowNotFound
    return found


def _render(sandbox: Any, groups: list[Any]) -> list[dict[str, Any]]:
    members = sandbox.group_members([group["id"] for group in groups])
    view = sandbox.global_view()
    return [render_local_group(group, members[group["id"]], view) for group in groups]


@requires("VIEW_CLIENT_LOCAL_GROUPS")
async def client_local_groups(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        if sandbox.client_row(cid.encoded) is None:
            raise ApiError(404)
        return json_response(_render(sandbox, sandbox.local_groups_of(cid.encoded)))


@requires("ADD_LOCAL_GROUP")
async def add_local_group(request: Request) -> Response:
    body = await read_json_object(request)
    errors: dict[str, list[str]] = {}
    code = _text(body, "code", "localGroupAddDto.code", errors)
    description = _text(body, "description", "localGroupAddDto.description", errors,
                        pattern=DESCRIPTION)
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        if sandbox.client_row(cid.encoded) is None:
            raise ApiError(404)
        group_id = sandbox.add_local_group(cid.encoded, code, description)
        rendered = _render(sandbox, [sandbox.require_local_group(group_id)])[0]
    return created(request, rendered, f"/api/local-groups/{group_id}")


@requires("VIEW_CLIENT_LOCAL_GROUPS")
async def local_group(request: Request) -> Response:
    group_id = _group_id(request)
    sandbox = state(request)
    with sandbox.lock:
        group = sandbox.local_group(group_id)
        if group is None:
            raise ApiError(404)
        return json_response(_render(sandbox, [group])[0])


@requires("EDIT_LOCAL_GROUP_DESC")
async def update_local_group(request: Request) -> Response:
    group_id = _group_id(request)
    body = await read_json_object(request)
    errors: dict[str, list[str]] = {}
    description = _text(body, "description", "localGroupDescriptionDto.description", errors,
                        pattern=DESCRIPTION)
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    sandbox = state(request)
    with sandbox.lock:
        group = sandbox.describe_local_group(group_id, description)
        return json_response(_render(sandbox, [group])[0])


@requires("DELETE_LOCAL_GROUP")
async def delete_local_group(request: Request) -> Response:
    group_id = _group_id(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.delete_local_group(group_id)
    return Response(status_code=204)


async def _members(request: Request) -> list[str]:
    """The ``items`` of a ``Members`` body."""
    body = await read_json_object(request)
    items = body.get("items")
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ApiError(400)
    return items


def _client_ids(items: list[str]) -> list[str]:
    """Encoded member or subsystem ids; a malformed one is 400 (``ClientIdConverter``)."""
    return [parse_client_id(item).encoded for item in items]


@requires("EDIT_LOCAL_GROUP_MEMBERS")
async def add_members(request: Request) -> Response:
    items = await _members(request)
    if not items:
        raise ApiError(400)  # "missing member id"
    group_id = _group_id(request)
    ids = _client_ids(list(dict.fromkeys(items)))
    sandbox = state(request)
    with sandbox.lock:
        sandbox.add_group_members(group_id, ids)
    return json_response({"items": items}, 201)


@requires("EDIT_LOCAL_GROUP_MEMBERS")
async def delete_members(request: Request) -> Response:
    group_id = _group_id(request)
    items = await _members(request)
    sandbox = state(request)
    with sandbox.lock:
        if sandbox.local_group(group_id) is None:
            raise ApiError(404)
        sandbox.remove_group_members(group_id, _client_ids(items))
    return Response(status_code=204)


_GROUP = "/api/v1/local-groups/{group_id}"
routes = [
    Route("/api/v1/clients/{id}/local-groups", client_local_groups, methods=["GET"]),
    Route("/api/v1/clients/{id}/local-groups", add_local_group, methods=["POST"]),
    Route(_GROUP, local_group, methods=["GET"]),
    Route(_GROUP, update_local_group, methods=["PATCH"]),
    Route(_GROUP, delete_local_group, methods=["DELETE"]),
    Route(_GROUP + "/members", add_members, methods=["POST"]),
    Route(_GROUP + "/members/delete", delete_members, methods=["POST"]),
]
