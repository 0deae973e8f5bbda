"""``/clients``: list and search, add, read, connection type, registration and its relatives, delete.

As X-Road's ``ClientsApiController``: ``GET /clients`` searches this server's clients, or with
``internal_search=false`` also the global configuration's members and subsystems; ``POST /clients``
validates ``ClientAdd`` as Spring binds it (``validation_failure`` keyed ``clientAddDto.client.…``,
the strict identifier rule reported as ``IdentifierChars``) and answers 201 with ``Location:
/api/clients/<id>``; the state changes answer 204. A client id that is not ``INSTANCE:CLASS:CODE
[:SUBSYSTEM]`` is 400; ``GET /clients/{id}`` of an unknown client is ``{"status":404}``, the other
operations answer 404 ``client_not_found``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.i18n import _
from backend.sandbox.clientstate import CONNECTION_TYPES
from backend.sandbox.clientviews import by_name, render_client
from backend.sandbox.errors import ApiError, SandboxError
from backend.sandbox.identifiers import ClientId, client_id, parse_client_id
from backend.sandbox.routes import (
    bool_query_param,
    java_length,
    json_response,
    read_json_object,
    requires,
    state,
)
from backend.sandbox.routes.inputs import created
from backend.sandbox.serverconf import IDENTIFIER
from backend.sandbox.tokenstate import UnhandledWarnings

DTO = "clientAddDto.client"
#: body field → Java property of the identifiers in ``ClientAdd.client``
IDENTIFIER_FIELDS = {"member_class": "memberClass", "member_code": "memberCode",
                     "subsystem_code": "subsystemCode"}
SEARCH_FIELDS = ("name", "instance", "member_class", "member_code", "subsystem_code")
SEARCH_SIZE = "size must be between 0 and 255"


def client_param(request: Request) -> ClientId:
    return parse_client_id(request.path_params["id"])


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ApiError(400)  # Jackson cannot read it as a String


def _flag(value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError(400)
    return value


def render(sandbox: Any, ids: list[ClientId], *, refresh: bool = True,
           management_check: bool = False) -> list[dict[str, Any]]:
    """``Client``s of these ids (local clients with their rows)."""
    view = sandbox.refresh_clients() if refresh else sandbox.global_view()
    rows = {row["id"]: row for row in sandbox.local_clients()}
    owner, valid = sandbox.owner_member_id(), sandbox.valid_sign_members()
    return [render_client(cid, rows.get(cid.encoded), view, owner, valid, management_check)
            for cid in ids]


def _search_terms(request: Request) -> dict[str, str]:
    terms = {name: request.query_params.get(name, "") for name in SEARCH_FIELDS}
    errors = {f"findClients.{name}": [SEARCH_SIZE] for name, value in terms.items()
              if java_length(value) > 255}
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    return terms


def _matches(item: dict[str, Any], terms: dict[str, str]) -> bool:
    """``ClientService.buildClientSearchPredicate`` (case-insensitive ``contains``)."""
    def has(value: str | None, term: str) -> bool:
        return value is not None and term.lower() in value.lower()

    name = terms["name"]
    if name and not (has(item.get("member_name"), name) or has(item.get("subsystem_name"), name)):
        return False
    if terms["instance"] and item["instance_id"].lower() != terms["instance"].lower():
        return False
    return all(not terms[field] or has(item.get(field), terms[field])
               for field in ("member_class", "member_code", "subsystem_code"))


@requires("VIEW_CLIENTS")
async def find_clients(request: Request) -> Response:
    terms = _search_terms(request)
    show_members = bool_query_param(request, "show_members", True)
    internal = bool_query_param(request, "internal_search", True)
    valid_cert = (bool_query_param(request, "local_valid_sign_cert", False)
                  if request.query_params.get("local_valid_sign_cert", "") != "" else None)
    exclude_local = bool_query_param(request, "exclude_local", False)
    management = bool_query_param(request, "include_management_service_check", False)
    sandbox = state(request)
    with sandbox.lock:
        view = sandbox.refresh_clients()
        local = [parse_client_id(row["id"]) for row in sandbox.local_clients()]
        ids = local
        if not internal:
            sandbox.require_anchor()  # before an anchor there is no global configuration
            local_ids = {cid.encoded for cid in local}
            found = [cid for encoded in view.ids() if (cid := client_id(encoded)) is not None]
            ids = [cid for cid in found if cid.encoded not in local_ids]
            if not exclude_local:
                ids += local
        items = render(sandbox, ids, refresh=False, management_check=management)
    items = [item for item in items
             if _matches(item, terms) and (show_members or item.get("subsystem_code"))
             and (valid_cert is None or item["has_valid_local_sign_cert"] == valid_cert)]
    return json_response(by_name(items, "member_name"))


def _client_add(body: dict[str, Any]) -> tuple[dict[str, str | None], str | None, bool]:
    """The fields of ``ClientAdd``: identifiers, connection type (``None``: sent as null) and
    ``ignore_warnings``."""
    client = body.get("client")
    ignore = _flag(body.get("ignore_warnings"))
    if client is None:
        raise ApiError(400, "validation_failure", validation_errors={DTO: ["NotNull"]})
    if not isinstance(client, dict):
        raise ApiError(400)
    values = {name: _text(client.get(name)) for name in IDENTIFIER_FIELDS}
    values["subsystem_name"] = _text(client.get("subsystem_name"))
    connection = _text(client.get("connection_type", "HTTPS"))
    if connection is not None and connection not in CONNECTION_TYPES:
        raise ApiError(400)  # not a ConnectionType
    errors: dict[str, list[str]] = {}
    for name, prop in IDENTIFIER_FIELDS.items():
        value, codes = values[name], []
        if value is None:
            if name != "subsystem_code":
                codes.append("NotNull")
        else:
            if not 1 <= java_length(value) <= 255:
                codes.append("Size")
            if value and not IDENTIFIER.match(value):
                codes.append("IdentifierChars")
        if codes:
            errors[f"{DTO}.{prop}"] = sorted(codes)
    name = values["subsystem_name"]
    if name is not None and java_length(name) > 255:
        errors[f"{DTO}.subsystemName"] = ["Size"]
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    return values, connection, ignore


@requires("ADD_CLIENT")
async def add_client(request: Request) -> Response:
    values, connection, ignore = _client_add(await read_json_object(request))
    if connection is None:
        raise SandboxError("invalid_connection_type", _("A client needs a connection type."))
    sandbox = state(request)
    try:
        with sandbox.lock:  # X-Road's controller method is synchronized
            encoded = sandbox.add_client(
                str(values["member_class"]), str(values["member_code"]),
                values["subsystem_code"], connection, ignore_warnings=ignore,
                subsystem_name=values["subsystem_name"])
            body = render(sandbox, [parse_client_id(encoded)], refresh=False)[0]
    except UnhandledWarnings as warned:
        raise ApiError(400, "warnings_detected", warnings=warned.warnings) from None
    return created(request, body, f"/api/clients/{encoded}")


@requires("VIEW_CLIENT_DETAILS")
async def get_client(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        if sandbox.client_row(cid.encoded) is None:
            raise ApiError(404)
        return json_response(render(sandbox, [cid])[0])


@requires("EDIT_CLIENT_INTERNAL_CONNECTION_TYPE")
async def update_client(request: Request) -> Response:
    body = await read_json_object(request)
    connection = _text(body.get("connection_type"))
    if connection is None:
        raise ApiError(400)
    if connection not in CONNECTION_TYPES:
        raise ApiError(400)
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.set_connection_type(cid.encoded, connection)
        return json_response(render(sandbox, [cid])[0])


def _change(method: str) -> Callable[[Request], Awaitable[Response]]:
    async def change(request: Request) -> Response:
        cid = client_param(request)
        sandbox = state(request)
        with sandbox.lock:
            sandbox.refresh_clients()
            getattr(sandbox, method)(cid.encoded)
        return Response(status_code=204)

    change.__name__ = method
    return change


register = requires("SEND_CLIENT_REG_REQ")(_change("register_client"))
unregister = requires("SEND_CLIENT_DEL_REQ")(_change("unregister_client"))
make_owner = requires("SEND_OWNER_CHANGE_REQ")(_change("change_owner"))
disable = requires("DISABLE_CLIENT")(_change("disable_client"))
enable = requires("ENABLE_CLIENT")(_change("enable_client"))
delete = requires("DELETE_CLIENT")(_change("delete_client"))


@requires("RENAME_SUBSYSTEM")
async def rename(request: Request) -> Response:
    body = await read_json_object(request)
    name = _text(body.get("client_name"))
    key = "clientNameDto.clientName"
    if name is None:
        raise ApiError(400, "validation_failure", validation_errors={key: ["NotNull"]})
    codes = [code for code, bad in (("Size", not 1 <= java_length(name) <= 255),
                                    ("NoControlChars", any(ord(c) < 32 for c in name))) if bad]
    if codes:
        raise ApiError(400, "validation_failure", validation_errors={key: codes})
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        sandbox.refresh_clients()
        sandbox.rename_client(cid.encoded, name)
    return Response(status_code=204)


_CLIENT = "/api/v1/clients/{id}"
routes = [
    Route("/api/v1/clients", find_clients, methods=["GET"]),
    Route("/api/v1/clients", add_client, methods=["POST"]),
    Route(_CLIENT, get_client, methods=["GET"]),
    Route(_CLIENT, update_client, methods=["PATCH"]),
    Route(_CLIENT, delete, methods=["DELETE"]),
    Route(_CLIENT + "/register", register, methods=["PUT"]),
    Route(_CLIENT + "/unregister", unregister, methods=["PUT"]),
    Route(_CLIENT + "/make-owner", make_owner, methods=["PUT"]),
    Route(_CLIENT + "/disable", disable, methods=["PUT"]),
    Route(_CLIENT + "/enable", enable, methods=["PUT"]),
    Route(_CLIENT + "/rename", rename, methods=["PUT"]),
]
