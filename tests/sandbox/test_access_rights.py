"""Access rights through the API: by service, by REST endpoint, by subject, the candidates, and
that every refused batch changes nothing."""

from __future__ import annotations

import httpx
import pytest

from backend.sandbox.state import SandboxState
from tests.sandbox.clients_support import (
    NOTIFICATIONS,
    OB,
    OWNERS_GROUP,
    PAYMENTS,
    PERMITS,
    REGISTRIES_GROUP,
    REGISTRY,
    SA,
    TRACKING,
    add_client,
    add_services,
    client_with,
    codes,
    error_code,
    items,
    path,
    rights_count,
)

SERVICE = f"/api/v1/services/{REGISTRY}:getPerson.v1/service-clients"


@pytest.fixture
def endpoints(populated_state: SandboxState) -> dict[str, int]:
    add_client(populated_state, REGISTRY)
    add_client(populated_state, NOTIFICATIONS)
    found = add_services(populated_state, REGISTRY, ["getPerson", "getCompany"], version="v1",
                         rest_paths=["/persons", "/persons/{id}"])
    found.update(add_services(populated_state, NOTIFICATIONS, ["notify"]))
    return found


async def local_group(client: httpx.AsyncClient, owner: str = REGISTRY,
                      code: str = "partners") -> str:
    response = await client.post(path(owner) + "/local-groups",
                                 json={"code": code, "description": "Partner agencies"})
    assert response.status_code == 201
    return response.json()["id"]


# -- by service ------------------------------------------------------------------------------------

async def test_service_rights(endpoints: dict[str, int],
                              populated_client: httpx.AsyncClient) -> None:
    assert (await populated_client.get(SERVICE)).json() == []
    group = await local_group(populated_client)
    added = await populated_client.post(SERVICE, json=items(PERMITS, REGISTRIES_GROUP, group,
                                                            PERMITS))
    assert added.status_code == 200  # X-Road answers 200 where its spec says 201
    body = added.json()
    assert [(item["id"], item["service_client_type"], item.get("name")) for item in body] == [
        (REGISTRIES_GROUP, "GLOBALGROUP", "Holders of state registries"),
        (PERMITS, "SUBSYSTEM", "Issyk-Kul Regional Administration"),
        (group, "LOCALGROUP", "Partner agencies"),
    ]
    assert body[2]["local_group_code"] == "partners"
    assert all(len(item["rights_given_at"]) == 24 for item in body)
    assert (await populated_client.get(SERVICE)).json() == body
    removed = await populated_client.post(SERVICE + "/delete", json=items(group, PERMITS))
    assert removed.status_code == 204
    assert [item["id"] for item in (await populated_client.get(SERVICE)).json()] == [
        REGISTRIES_GROUP]


@pytest.mark.parametrize(("subjects", "status", "code"), [
    ([TRACKING, PERMITS], 409, "duplicate_accessright"),
    ([TRACKING, "SANDBOX-KG:GOV:70000002:nothing"], 400, "service_client_not_found"),
    ([TRACKING, "SANDBOX-KG:no-such-group"], 400, "service_client_not_found"),
    ([TRACKING, "SANDBOX-KG:GOV:70000002"], 400, "invalid_service_client_id"),
    ([TRACKING, "9999"], 400, "service_client_not_found"),
    ([TRACKING, "a:b:c:d:e"], 400, "invalid_service_client_id"),
])
async def test_a_refused_batch_changes_nothing(
    endpoints: dict[str, int], populated_state: SandboxState,
    populated_client: httpx.AsyncClient, subjects: list[str], status: int, code: str,
) -> None:
    await populated_client.post(SERVICE, json=items(PERMITS))
    response = await populated_client.post(SERVICE, json=items(*subjects))
    assert (response.status_code, error_code(response)) == (status, code)
    assert rights_count(populated_state) == 1


async def test_another_clients_local_group_is_no_subject(
    endpoints: dict[str, int], populated_state: SandboxState,
    populated_client: httpx.AsyncClient,
) -> None:
    foreign = await local_group(populated_client, NOTIFICATIONS)
    refused = await populated_client.post(SERVICE, json=items(foreign))
    assert (refused.status_code, error_code(refused)) == (400, "service_client_not_found")
    assert rights_count(populated_state) == 0


async def test_service_lookups(endpoints: dict[str, int],
                               populated_client: httpx.AsyncClient) -> None:
    unversioned = await populated_client.get(
        f"/api/v1/services/{REGISTRY}:getPerson/service-clients")
    assert (unversioned.status_code, error_code(unversioned)) == (404, "service_not_found")
    unknown_client = await populated_client.get(
        f"/api/v1/services/{PERMITS}:getPerson.v1/service-clients")
    assert (unknown_client.status_code, error_code(unknown_client)) == (404, "client_not_found")
    malformed = await populated_client.get("/api/v1/services/getPerson/service-clients")
    assert malformed.status_code == 400
    missing = await populated_client.post(
        f"/api/v1/services/{REGISTRY}:nothing/service-clients", json=items(PERMITS))
    assert (missing.status_code, error_code(missing)) == (404, "service_not_found")


async def test_service_revocation_refusals(endpoints: dict[str, int],
                                           populated_state: SandboxState,
                                           populated_client: httpx.AsyncClient) -> None:
    await populated_client.post(SERVICE, json=items(PERMITS))
    partly = await populated_client.post(SERVICE + "/delete", json=items(PERMITS, TRACKING))
    assert (partly.status_code, error_code(partly)) == (400, "accessright_not_found")
    assert rights_count(populated_state) == 1
    missing_group = await populated_client.post(SERVICE + "/delete", json=items("9999"))
    assert (missing_group.status_code, error_code(missing_group)) == (
        400, "service_client_not_found")


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"items": [{"name": "no id"}]}, 400, "validation_failure"),
    ({"items": []}, 400, None),
    ({}, 400, None),
    ({"items": [{"id": PERMITS, "service_client_type": "MEMBER"}]}, 400, None),
])
async def test_service_clients_body(endpoints: dict[str, int],
                                    populated_client: httpx.AsyncClient, body: dict,
                                    status: int, code: str | None) -> None:
    response = await populated_client.post(SERVICE, json=body)
    assert (response.status_code, error_code(response)) == (status, code)


# -- by endpoint -----------------------------------------------------------------------------------

async def test_endpoint_rights(endpoints: dict[str, int], populated_state: SandboxState,
                               populated_client: httpx.AsyncClient) -> None:
    endpoint = f"/api/v1/endpoints/{endpoints['getPerson /persons']}/service-clients"
    added = await populated_client.post(endpoint, json=items(TRACKING))
    assert added.status_code == 201
    assert [item["id"] for item in added.json()] == [TRACKING]
    assert (await populated_client.get(SERVICE)).json() == []  # not a service-level right
    duplicate = await populated_client.post(endpoint, json=items(TRACKING))
    assert (duplicate.status_code, error_code(duplicate)) == (409, "duplicate_accessright")
    missing = await populated_client.post(endpoint + "/delete", json=items(PERMITS))
    assert (missing.status_code, error_code(missing)) == (404, "accessright_not_found")
    assert (await populated_client.post(endpoint + "/delete", json=items(TRACKING))
            ).status_code == 204
    assert rights_count(populated_state) == 0
    for unknown in ("99999", "x"):
        response = await populated_client.get(f"/api/v1/endpoints/{unknown}/service-clients")
        assert response.json() == {"status": 404}
    post_unknown = await populated_client.post("/api/v1/endpoints/99999/service-clients",
                                               json=items(TRACKING))
    assert (post_unknown.status_code, error_code(post_unknown)) == (404, "endpoint_not_found")


async def test_deleting_an_endpoint_takes_its_rights(
    endpoints: dict[str, int], populated_state: SandboxState,
    populated_client: httpx.AsyncClient,
) -> None:
    endpoint_id = endpoints["getPerson /persons"]
    await populated_client.post(f"/api/v1/endpoints/{endpoint_id}/service-clients",
                                json=items(TRACKING, PERMITS))
    await populated_client.post(SERVICE, json=items(TRACKING))
    with populated_state.transaction() as connection:
        connection.execute("DELETE FROM endpoints WHERE id = ?", (endpoint_id,))
    assert rights_count(populated_state) == 1


# -- by subject ------------------------------------------------------------------------------------

async def test_rights_of_one_subject(endpoints: dict[str, int], populated_state: SandboxState,
                                     populated_client: httpx.AsyncClient) -> None:
    subject = path(REGISTRY) + f"/service-clients/{PERMITS}"
    unknown = await populated_client.get(subject)
    assert (unknown.status_code, error_code(unknown)) == (404, "service_client_not_found")
    granted = await populated_client.post(subject + "/access-rights",
                                          json=codes("getPerson", "getCompany", "getPerson"))
    assert granted.status_code == 201
    assert granted.json() == [
        {"service_code": code, "service_title": f"Title of {code}",
         "rights_given_at": granted.json()[0]["rights_given_at"]}
        for code in ("getCompany", "getPerson")]
    await populated_client.post(SERVICE, json=items(TRACKING))
    listed = (await populated_client.get(path(REGISTRY) + "/service-clients")).json()
    assert [item["id"] for item in listed] == [PERMITS, TRACKING]
    one = (await populated_client.get(subject)).json()
    assert one == listed[0]
    rights = (await populated_client.get(subject + "/access-rights")).json()
    assert [right["service_code"] for right in rights] == ["getCompany", "getPerson"]
    endpoint = f"/api/v1/endpoints/{endpoints['getPerson /persons']}/service-clients"
    await populated_client.post(endpoint, json=items(PERMITS))
    revoked = await populated_client.post(subject + "/access-rights/delete",
                                          json=codes("getPerson"))
    assert revoked.status_code == 204
    assert (await populated_client.get(endpoint)).json() == []  # the endpoint right went too
    remaining = (await populated_client.get(subject + "/access-rights")).json()
    assert [right["service_code"] for right in remaining] == ["getCompany"]
    assert rights_count(populated_state) == 2


async def test_subject_rights_refusals(endpoints: dict[str, int], populated_state: SandboxState,
                                       populated_client: httpx.AsyncClient) -> None:
    subject = path(REGISTRY) + f"/service-clients/{PERMITS}/access-rights"
    await populated_client.post(subject, json=codes("getPerson"))
    cases = [
        (subject, codes("getCompany", "nothing"), 400, "service_not_found"),
        (subject, codes("getCompany", "getPerson"), 409, "duplicate_accessright"),
        (subject + "/delete", codes("getPerson", "getCompany"), 409, "accessright_not_found"),
        (subject + "/delete", codes("nothing"), 400, "service_not_found"),
        (path(REGISTRY) + "/service-clients/SANDBOX-KG:GOV:9:x/access-rights",
         codes("getCompany"), 404, "service_client_not_found"),
        (path(REGISTRY) + "/service-clients/9999/access-rights", codes("getCompany"), 404,
         "service_client_not_found"),
        (path(REGISTRY) + "/service-clients/SANDBOX-KG:GOV:1/access-rights",
         codes("getCompany"), 400, "invalid_service_client_id"),
        (path(PERMITS) + f"/service-clients/{TRACKING}/access-rights", codes("getCompany"), 404,
         "client_not_found"),
        (subject, {"items": [{"service_title": "no code"}]}, 400, "validation_failure"),
    ]
    for url, body, status, code in cases:
        response = await populated_client.post(url, json=body)
        assert (response.status_code, error_code(response)) == (status, code), url
    assert rights_count(populated_state) == 1


async def test_distinct_subjects_with_their_first_right(
    endpoints: dict[str, int], populated_state: SandboxState,
    populated_client: httpx.AsyncClient,
) -> None:
    with populated_state.transaction() as connection:
        connection.executemany(
            "INSERT INTO access_rights (client_id, subject_id, endpoint_id, rights_given_at) "
            "VALUES (?, ?, ?, ?)",
            [(REGISTRY, OWNERS_GROUP, endpoints["getPerson"], "2026-02-01T00:00:00+00:00"),
             (REGISTRY, OWNERS_GROUP, endpoints["getCompany"], "2026-01-01T00:00:00+00:00")])
    listed = (await populated_client.get(path(REGISTRY) + "/service-clients")).json()
    assert listed == [{"id": OWNERS_GROUP, "name": "Security server owners",
                       "service_client_type": "GLOBALGROUP",
                       "rights_given_at": "2026-01-01T00:00:00.000Z"}]


# -- candidates ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("service_client_type=GLOBALGROUP", [REGISTRIES_GROUP, OWNERS_GROUP]),
    ("service_client_type=LOCALGROUP", ["1"]),
    ("member_name_group_description=ak-suu", [PAYMENTS, "SANDBOX-KG:COM:50010002:reports"]),
    ("member_name_group_description=PARTNER", ["1"]),
    ("member_class=com&subsystem_code=track", [TRACKING]),
    ("member_group_code=owners", [OWNERS_GROUP]),
    ("member_group_code=partn", ["1"]),
    ("instance=other", ["1"]),
])
async def test_candidates(endpoints: dict[str, int], populated_client: httpx.AsyncClient,
                          query: str, expected: list[str]) -> None:
    await local_group(populated_client)
    url = path(REGISTRY) + "/service-client-candidates?" + query
    response = await populated_client.get(url)
    assert [item["id"] for item in response.json()] == expected


async def test_all_candidates_and_refusals(endpoints: dict[str, int],
                                           populated_client: httpx.AsyncClient) -> None:
    found = (await populated_client.get(path(REGISTRY) + "/service-client-candidates")).json()
    assert len(found) == 9 + 2  # the seed's subsystems and global groups; no members
    assert {item["service_client_type"] for item in found} == {"SUBSYSTEM", "GLOBALGROUP"}
    bad_type = await populated_client.get(
        path(REGISTRY) + "/service-client-candidates?service_client_type=MEMBER")
    assert bad_type.status_code == 400
    unknown = await populated_client.get(path(PERMITS) + "/service-client-candidates")
    assert (unknown.status_code, error_code(unknown)) == (404, "client_not_found")


# -- roles -----------------------------------------------------------------------------------------

async def test_roles(endpoints: dict[str, int], populated_state: SandboxState) -> None:
    subject = path(REGISTRY) + f"/service-clients/{PERMITS}/access-rights"
    async with client_with(populated_state, OB) as observer:
        assert (await observer.get(SERVICE)).status_code == 200
        assert (await observer.get(path(REGISTRY) + "/service-clients")).status_code == 200
        assert (await observer.post(SERVICE, json=items(PERMITS))).status_code == 403
        assert (await observer.post(subject, json=codes("getPerson"))).status_code == 403
    async with client_with(populated_state, "XROAD_REGISTRATION_OFFICER") as registrar:
        assert (await registrar.get(SERVICE)).status_code == 403
    async with client_with(populated_state, SA) as admin:
        assert (await admin.post(SERVICE, json=items(PERMITS))).status_code == 200
        assert (await admin.post(subject, json=codes("getCompany"))).status_code == 201
