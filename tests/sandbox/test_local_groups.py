"""Local groups through the API: list, add, read, describe, delete, members, refusals, roles."""

from __future__ import annotations

import httpx
import pytest

from backend.sandbox.state import SandboxState
from tests.sandbox.clients_support import (
    OB,
    PERMITS,
    REGISTRY,
    SA,
    TRACKING,
    add_client,
    add_services,
    client_with,
    error_code,
    items,
    path,
    rights_count,
)

GROUPS = path(REGISTRY) + "/local-groups"


@pytest.fixture
def registry(populated_state: SandboxState) -> str:
    return add_client(populated_state, REGISTRY)


async def add_group(client: httpx.AsyncClient, code: str = "partners",
                    description: str = "Partner agencies") -> str:
    response = await client.post(GROUPS, json={"code": code, "description": description})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_add_read_list(registry: str, populated_client: httpx.AsyncClient) -> None:
    response = await populated_client.post(GROUPS, json={"code": "b-team",
                                                         "description": "B team, 2nd line!"})
    assert response.status_code == 201
    group = response.json()
    assert response.headers["location"].endswith(f"/api/local-groups/{group['id']}")
    assert (group["code"], group["member_count"], group["members"]) == ("b-team", 0, [])
    assert len(group["updated_at"]) == 24
    await add_group(populated_client, "a-team", "A team")
    listed = (await populated_client.get(GROUPS)).json()
    assert [item["code"] for item in listed] == ["a-team", "b-team"]
    one = await populated_client.get(f"/api/v1/local-groups/{group['id']}")
    assert one.json() == group
    duplicate = await populated_client.post(GROUPS, json={"code": "b-team", "description": "x"})
    assert (duplicate.status_code, error_code(duplicate)) == (409, "local_group_code_already_exists")


@pytest.mark.parametrize(("body", "errors"), [
    ({"description": "x"}, {"localGroupAddDto.code": ["NotNull"]}),
    ({"code": "", "description": "x"}, {"localGroupAddDto.code": ["Size"]}),
    ({"code": "c", "description": "no <tags>"}, {"localGroupAddDto.description": ["Pattern"]}),
    ({"code": "c", "description": "x" * 256}, {"localGroupAddDto.description": ["Size"]}),
])
async def test_add_validation(registry: str, populated_state: SandboxState,
                              populated_client: httpx.AsyncClient, body: dict,
                              errors: dict) -> None:
    response = await populated_client.post(GROUPS, json=body)
    assert response.json()["error"]["validation_errors"] == errors
    assert populated_state.local_groups_of(REGISTRY) == []


async def test_unknown_client_or_group(registry: str,
                                       populated_client: httpx.AsyncClient) -> None:
    unknown_client = await populated_client.get(path(PERMITS) + "/local-groups")
    assert unknown_client.json() == {"status": 404}
    added = await populated_client.post(path(PERMITS) + "/local-groups",
                                        json={"code": "c", "description": "d"})
    assert added.status_code == 404
    for group in ("404", "abc"):
        assert (await populated_client.get(f"/api/v1/local-groups/{group}")).json() == {
            "status": 404}
    patched = await populated_client.patch("/api/v1/local-groups/404", json={"description": "d"})
    assert (patched.status_code, error_code(patched)) == (404, "local_group_not_found")
    deleted = await populated_client.delete("/api/v1/local-groups/404")
    assert (deleted.status_code, error_code(deleted)) == (404, "local_group_not_found")


async def test_describe(registry: str, populated_client: httpx.AsyncClient) -> None:
    group = await add_group(populated_client)
    changed = await populated_client.patch(f"/api/v1/local-groups/{group}",
                                           json={"description": "New partners"})
    assert changed.json()["description"] == "New partners"
    bad = await populated_client.patch(f"/api/v1/local-groups/{group}",
                                       json={"description": "bad | pipe"})
    assert bad.json()["error"]["validation_errors"] == {
        "localGroupDescriptionDto.description": ["Pattern"]}


async def test_members(registry: str, populated_state: SandboxState,
                       populated_client: httpx.AsyncClient) -> None:
    group = await add_group(populated_client)
    members = f"/api/v1/local-groups/{group}/members"
    new = "SANDBOX-KG:GOV:70000002"
    added = await populated_client.post(members, json={"items": [TRACKING, new, TRACKING]})
    assert added.status_code == 201
    assert added.json() == {"items": [TRACKING, new, TRACKING]}
    body = (await populated_client.get(f"/api/v1/local-groups/{group}")).json()
    assert body["member_count"] == 2
    found = {member["id"]: member for member in body["members"]}
    assert found[TRACKING]["member_name"] == "Tien-Shan Logistics LLC"
    assert found[new]["member_name"] == "Issyk-Kul Regional Administration"
    assert all(len(member["created_at"]) == 24 for member in body["members"])
    duplicate = await populated_client.post(members, json={"items": [PERMITS, TRACKING]})
    assert (duplicate.status_code, error_code(duplicate)) == (
        409, "local_group_member_already_exists")
    unknown = await populated_client.post(members, json={"items": [PERMITS, "SANDBOX-KG:GOV:9"]})
    assert (unknown.status_code, error_code(unknown)) == (404, "local_group_member_not_found")
    assert len(populated_state.group_members([int(group)])[int(group)]) == 2  # nothing added
    malformed = await populated_client.post(members, json={"items": ["SANDBOX-KG:GOV"]})
    assert malformed.status_code == 400
    assert (await populated_client.post(members, json={"items": []})).status_code == 400
    missing_group = await populated_client.post("/api/v1/local-groups/404/members",
                                                json={"items": [PERMITS]})
    assert (missing_group.status_code, error_code(missing_group)) == (404, "local_group_not_found")


async def test_local_clients_outside_the_global_configuration_are_members_too(
    registry: str, populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    local_only = add_client(populated_state, "SANDBOX-KG:GOV:70000001:local-only")
    group = await add_group(populated_client)
    added = await populated_client.post(f"/api/v1/local-groups/{group}/members",
                                        json={"items": [local_only]})
    assert added.status_code == 201


async def test_remove_members(registry: str, populated_client: httpx.AsyncClient) -> None:
    group = await add_group(populated_client)
    members = f"/api/v1/local-groups/{group}/members"
    await populated_client.post(members, json={"items": [TRACKING, PERMITS]})
    partly = await populated_client.post(members + "/delete",
                                         json={"items": [TRACKING, "SANDBOX-KG:GOV:70000002"]})
    assert (partly.status_code, error_code(partly)) == (409, "local_group_member_not_found")
    assert (await populated_client.get(f"/api/v1/local-groups/{group}")).json()[
        "member_count"] == 2
    assert (await populated_client.post(members + "/delete",
                                        json={"items": [TRACKING]})).status_code == 204
    remaining = (await populated_client.get(f"/api/v1/local-groups/{group}")).json()["members"]
    assert [member["id"] for member in remaining] == [PERMITS]
    missing = await populated_client.post("/api/v1/local-groups/404/members/delete",
                                          json={"items": [PERMITS]})
    assert missing.json() == {"status": 404}


async def test_delete_takes_the_groups_access_rights(
    registry: str, populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    add_services(populated_state, REGISTRY, ["getPerson", "getCompany"])
    group = await add_group(populated_client)
    granted = await populated_client.post(
        f"/api/v1/clients/{REGISTRY}/service-clients/{group}/access-rights",
        json={"items": [{"service_code": "getPerson"}, {"service_code": "getCompany"}]})
    assert granted.status_code == 201
    await populated_client.post(f"/api/v1/services/{REGISTRY}:getPerson/service-clients",
                                json=items(PERMITS))
    assert rights_count(populated_state) == 3
    assert (await populated_client.delete(f"/api/v1/local-groups/{group}")).status_code == 204
    assert rights_count(populated_state) == 1
    assert (await populated_client.get(f"/api/v1/local-groups/{group}")).status_code == 404


async def test_roles(registry: str, populated_state: SandboxState,
                     populated_client: httpx.AsyncClient) -> None:
    group = await add_group(populated_client)
    async with client_with(populated_state, OB) as observer:
        assert (await observer.get(GROUPS)).status_code == 200
        assert (await observer.get(f"/api/v1/local-groups/{group}")).status_code == 200
        assert (await observer.post(GROUPS, json={"code": "x", "description": "x"})
                ).status_code == 403
        assert (await observer.delete(f"/api/v1/local-groups/{group}")).status_code == 403
    async with client_with(populated_state, "XROAD_REGISTRATION_OFFICER") as registrar:
        assert (await registrar.get(GROUPS)).status_code == 403
    async with client_with(populated_state, SA) as admin:
        assert (await admin.post(f"/api/v1/local-groups/{group}/members",
                                 json={"items": [PERMITS]})).status_code == 201
        assert (await admin.delete(f"/api/v1/local-groups/{group}")).status_code == 204
