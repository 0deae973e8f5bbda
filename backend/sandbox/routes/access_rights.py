"""Access rights by service, by REST endpoint and by subject, and the subject candidates.

The controllers are X-Road's ``ServicesApiController``, ``EndpointsApiController`` and
``ClientsApiController``. Their answers differ as X-Road's do: adding subjects to a service answers
200 (the spec says 201) with every subject of the service, to an endpoint 201 with every subject of
the endpoint, and rights for one subject 201 with the rights added. A missing right is
``accessright_not_found`` with 400 (service), 404 (endpoint) or 409 (subject); an unknown subject
``service_client_not_found`` with 400, or 404 where the subject is in the path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.sandbox.clientviews import (
    by_name,
    candidate_subjects,
    matches,
    render_access_right,
    render_subjects,
)
from backend.sandbox.errors import ApiError
from backend.sandbox.identifiers import GLOBALGROUP, LOCALGROUP, SUBSYSTEM, Subject, numeric_id
from backend.sandbox.routes import java_length, json_response, read_json_object, requires, state
from backend.sandbox.routes.clients import client_param

SUBJECT_TYPES = (GLOBALGROUP, LOCALGROUP, SUBSYSTEM)
CANDIDATE_FILTERS = ("member_name_group_description", "instance", "member_class",
                     "member_group_code", "subsystem_code")


async def _items(request: Request, dto: str, field: str, prop: str,
                 max_length: int) -> list[str]:
    """``items[].<field>`` of a ``ServiceClients`` or ``AccessRights`` body, validated as Spring
    binds it (``<dto>.items[i].<prop>``)."""
    body = await read_json_object(request)
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise ApiError(400)
    values: list[str] = []
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(400)
        kind = item.get("service_client_type")
        if kind is not None and kind not in SUBJECT_TYPES:
            raise ApiError(400)  # not a ServiceClientType
        value = item.get(field)
        key = f"{dto}.items[{index}].{prop}"
        if value is None:
            errors[key] = ["NotNull"]
        elif not isinstance(value, str):
            raise ApiError(400)
        elif not 1 <= java_length(value) <= max_length:
            errors[key] = ["Size"]
        else:
            values.append(value)
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    return values


async def _subject_ids(request: Request) -> list[str]:
    return await _items(request, "serviceClientsDto", "id", "id", 1279)


async def _service_codes(request: Request) -> list[str]:
    return await _items(request, "accessRightsDto", "service_code", "serviceCode", 255)


def _subjects_of(sandbox: Any, client_id: str, rows: list[Any]) -> list[dict[str, Any]]:
    return render_subjects(rows, sandbox.global_view(), sandbox.local_groups_of(client_id))


#: Under the state's lock, the target of an edit, found with X-Road's checks in X-Road's order:
#: (the client, where its rights change, what the body lists resolved).
Finder = Callable[[Any, Request, list[str]], tuple[str, Any, list[Any]]]
#: The change itself on (state, client, where, what): the JSON answer of an addition, or None.
Change = Callable[[Any, str, Any, list[Any]], Any]


async def _edit(request: Request, read: Callable[[Request], Awaitable[list[str]]], find: Finder,
                change: Change, status: int = 204) -> Response:
    """What the six edits of rights share: the body is read and validated first, then under the
    state's lock the target is found and changed. An addition answers its JSON with ``status``,
    a removal 204."""
    values = await read(request)
    sandbox = state(request)
    with sandbox.lock:
        body = change(sandbox, *find(sandbox, request, values))
    return Response(status_code=204) if body is None else json_response(body, status)


def _grant_endpoint(sandbox: Any, client_id: str, endpoint_id: int,
                    subjects: list[Subject]) -> list[dict[str, Any]]:
    """Grant the subjects; every subject of the endpoint."""
    sandbox.grant_endpoint(client_id, endpoint_id, subjects, sandbox.global_view())
    return _subjects_of(sandbox, client_id, sandbox.endpoint_rights(endpoint_id))


def _revoke_endpoint(sandbox: Any, _client_id: str, endpoint_id: int, subjects: list[Subject], *,
                     missing_status: int) -> None:
    sandbox.revoke_endpoint(endpoint_id, subjects, missing_status=missing_status)


# -- by service ------------------------------------------------------------------------------------

@requires("VIEW_SERVICE_ACL")
async def service_clients(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        ref = sandbox.service_ref(request.path_params["id"])
        rows = sandbox.endpoint_rights(ref.base_endpoint_id)
        return json_response(_subjects_of(sandbox, ref.client_id, rows))


def _find_service(sandbox: Any, request: Request, ids: list[str]) -> tuple[str, int, list[Subject]]:
    subjects = sandbox.resolve_subjects(ids)
    ref = sandbox.service_ref(request.path_params["id"])
    return ref.client_id, ref.base_endpoint_id, subjects


@requires("EDIT_SERVICE_ACL")
async def add_service_clients(request: Request) -> Response:
    return await _edit(request, _subject_ids, _find_service, _grant_endpoint, 200)


@requires("EDIT_SERVICE_ACL")
async def delete_service_clients(request: Request) -> Response:
    return await _edit(request, _subject_ids, _find_service,
                       partial(_revoke_endpoint, missing_status=400))


# -- by endpoint -----------------------------------------------------------------------------------

def _endpoint_id(request: Request) -> int:
    found = numeric_id(request.path_params["id"])
    if found is None:
        raise ApiError(404)  # FormatUtils.parseLongIdOrThrowNotFound
    return found


def _endpoint(sandbox: Any, endpoint_id: int) -> Any:
    endpoint = sandbox.acl_endpoint(endpoint_id)
    if endpoint is None:
        raise ApiError(404, "endpoint_not_found", metadata=[str(endpoint_id)])
    return endpoint


@requires("VIEW_ENDPOINT_ACL")
async def endpoint_clients(request: Request) -> Response:
    endpoint_id = _endpoint_id(request)
    sandbox = state(request)
    with sandbox.lock:
        endpoint = sandbox.acl_endpoint(endpoint_id)
        if endpoint is None:
            raise ApiError(404)
        rows = sandbox.endpoint_rights(endpoint_id)
        return json_response(_subjects_of(sandbox, endpoint["client_id"], rows))


def _find_endpoint(sandbox: Any, request: Request, ids: list[str]) -> tuple[str, int, list[Subject]]:
    subjects = sandbox.resolve_subjects(ids)
    endpoint_id = _endpoint_id(request)
    return _endpoint(sandbox, endpoint_id)["client_id"], endpoint_id, subjects


@requires("EDIT_ENDPOINT_ACL")
async def add_endpoint_clients(request: Request) -> Response:
    _endpoint_id(request)  # a malformed id is 404 before the body is read
    return await _edit(request, _subject_ids, _find_endpoint, _grant_endpoint, 201)


@requires("EDIT_ENDPOINT_ACL")
async def delete_endpoint_clients(request: Request) -> Response:
    _endpoint_id(request)
    return await _edit(request, _subject_ids, _find_endpoint,
                       partial(_revoke_endpoint, missing_status=404))


# -- by subject ------------------------------------------------------------------------------------

@requires("VIEW_CLIENT_ACL_SUBJECTS")
async def client_service_clients(request: Request) -> Response:
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        row = sandbox.require_client(cid.encoded)
        return json_response(_subjects_of(sandbox, row["id"], sandbox.client_subjects(row["id"])))


def _subject_of_client(sandbox: Any, request: Request) -> tuple[str, Subject, Any]:
    """The client, the subject in the path and its row among the client's subjects (404
    ``service_client_not_found`` when it has no right)."""
    cid = client_param(request)
    subject = sandbox.resolve_subjects([request.path_params["sc_id"]], status=404)[0]
    row = sandbox.require_client(cid.encoded)
    found = sandbox.client_subject(row["id"], subject.key)
    if found is None:
        raise ApiError(404, "service_client_not_found")
    return row["id"], subject, found


@requires("VIEW_CLIENT_ACL_SUBJECTS")
async def client_service_client(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        client_id, _subject, found = _subject_of_client(sandbox, request)
        return json_response(_subjects_of(sandbox, client_id, [found])[0])


@requires("VIEW_ACL_SUBJECT_OPEN_SERVICES")
async def subject_access_rights(request: Request) -> Response:
    sandbox = state(request)
    with sandbox.lock:
        client_id, subject, _found = _subject_of_client(sandbox, request)
        titles = sandbox.service_titles(client_id)
        rows = sandbox.subject_rights(client_id, subject)
    return json_response([render_access_right(row["service_code"], titles.get(row["service_code"]),
                                              row["rights_given_at"]) for row in rows])


def _find_subject(sandbox: Any, request: Request, codes: list[str]) -> tuple[str, Subject, list[str]]:
    cid = client_param(request)
    subject = sandbox.resolve_subjects([request.path_params["sc_id"]], status=404)[0]
    return sandbox.require_client(cid.encoded)["id"], subject, codes


def _grant_subject(sandbox: Any, client_id: str, subject: Subject,
                   codes: list[str]) -> list[dict[str, Any]]:
    """Grant the services; the rights added."""
    granted, now = sandbox.grant_subject(client_id, subject, codes, sandbox.global_view())
    titles = sandbox.service_titles(client_id)
    return [render_access_right(code, titles.get(code), now) for code in sorted(granted)]


def _revoke_subject(sandbox: Any, client_id: str, subject: Subject, codes: list[str]) -> None:
    sandbox.revoke_subject(client_id, subject, codes)


@requires("EDIT_ACL_SUBJECT_OPEN_SERVICES")
async def add_subject_access_rights(request: Request) -> Response:
    return await _edit(request, _service_codes, _find_subject, _grant_subject, 201)


@requires("EDIT_ACL_SUBJECT_OPEN_SERVICES")
async def delete_subject_access_rights(request: Request) -> Response:
    return await _edit(request, _service_codes, _find_subject, _revoke_subject)


@requires("VIEW_CLIENT_ACL_SUBJECTS")
async def candidates(request: Request) -> Response:
    terms = {name: request.query_params.get(name, "") for name in CANDIDATE_FILTERS}
    errors = {f"findServiceClientCandidates.{name}": ["size must be between 0 and 255"]
              for name, value in terms.items() if java_length(value) > 255}
    if errors:
        raise ApiError(400, "validation_failure", validation_errors=errors)
    kind = request.query_params.get("service_client_type") or None
    if kind is not None and kind not in SUBJECT_TYPES:
        raise ApiError(400)  # not a ServiceClientType
    cid = client_param(request)
    sandbox = state(request)
    with sandbox.lock:
        row = sandbox.require_client(cid.encoded)
        found = candidate_subjects(sandbox.global_view(), sandbox.local_groups_of(row["id"]))
    body = [item for item in found if matches(
        item, name=terms["member_name_group_description"], kind=kind, instance=terms["instance"],
        member_class=terms["member_class"], code=terms["member_group_code"],
        subsystem=terms["subsystem_code"])]
    return json_response(by_name(body))


_SUBJECT = "/api/v1/clients/{id}/service-clients/{sc_id}"
routes = [
    Route("/api/v1/services/{id}/service-clients", service_clients, methods=["GET"]),
    Route("/api/v1/services/{id}/service-clients", add_service_clients, methods=["POST"]),
    Route("/api/v1/services/{id}/service-clients/delete", delete_service_clients,
          methods=["POST"]),
    Route("/api/v1/endpoints/{id}/service-clients", endpoint_clients, methods=["GET"]),
    Route("/api/v1/endpoints/{id}/service-clients", add_endpoint_clients, methods=["POST"]),
    Route("/api/v1/endpoints/{id}/service-clients/delete", delete_endpoint_clients,
          methods=["POST"]),
    Route("/api/v1/clients/{id}/service-clients", client_service_clients, methods=["GET"]),
    Route(_SUBJECT, client_service_client, methods=["GET"]),
    Route(_SUBJECT + "/access-rights", subject_access_rights, methods=["GET"]),
    Route(_SUBJECT + "/access-rights", add_subject_access_rights, methods=["POST"]),
    Route(_SUBJECT + "/access-rights/delete", delete_subject_access_rights, methods=["POST"]),
    Route("/api/v1/clients/{id}/service-client-candidates", candidates, methods=["GET"]),
]
