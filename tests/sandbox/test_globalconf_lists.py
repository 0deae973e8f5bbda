"""The global configuration's lists (instances, member classes and names, security servers,
approved timestamping services) and the configured timestamping services."""

from __future__ import annotations

import httpx
import pytest

from backend.sandbox.app import create_app
from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import client_for

GLOBALCONF_PATHS = (
    "/api/v1/xroad-instances",
    "/api/v1/member-classes",
    "/api/v1/member-classes/SANDBOX-KG",
    "/api/v1/member-names?member_class=GOV&member_code=70000001",
    "/api/v1/security-servers",
    "/api/v1/security-servers/SANDBOX-KG:GOV:70000002:SS-ISSYK",
    "/api/v1/timestamping-services",
)
TSA = {"name": "Kapka Sandbox TSA", "url": "https://127.0.0.1:4000/sandbox/tsa",
       "cost_type": "FREE"}
PAID_TSA = {"name": "Kapka Sandbox Paid TSA", "url": "https://127.0.0.1:4000/sandbox/tsa-paid",
            "cost_type": "PAID"}
ISSYK = {"id": "SANDBOX-KG:GOV:70000002:SS-ISSYK", "instance_id": "SANDBOX-KG",
         "member_class": "GOV", "member_code": "70000002", "server_code": "SS-ISSYK",
         "server_address": "ss.issyk-kul.sandbox.test"}


def error_code(response: httpx.Response) -> str | None:
    return response.json().get("error", {}).get("code")


async def test_no_global_configuration_before_the_anchor(api_client: httpx.AsyncClient) -> None:
    for path in GLOBALCONF_PATHS:
        response = await api_client.get(path)
        assert (response.status_code, error_code(response)) == (500, "global_conf_outdated"), path


@pytest.fixture
def anchored_state(sandbox_state: SandboxState) -> SandboxState:
    sandbox_state.import_own_anchor()
    return sandbox_state


async def test_instances_and_member_classes(
    anchored_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    assert (await api_client.get("/api/v1/xroad-instances")).json() == [
        {"identifier": "SANDBOX-KG", "local": True}]
    for query in ("", "?current_instance=true", "?current_instance=false"):
        response = await api_client.get("/api/v1/member-classes" + query)
        assert response.json() == ["COM", "GOV", "NGO"]
    assert (await api_client.get("/api/v1/member-classes/SANDBOX-KG")).json() == [
        "COM", "GOV", "NGO"]
    response = await api_client.get("/api/v1/member-classes/EE")
    assert (response.status_code, response.json()) == (404, {"status": 404})
    response = await api_client.get("/api/v1/member-classes?current_instance=perhaps")
    assert error_code(response) == "validation_failure"


async def test_member_names(anchored_state: SandboxState, api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/v1/member-names",
                                    params={"member_class": "GOV", "member_code": "70000001"})
    assert response.json() == {"member_name": "Ala-Too State Registry Service"}
    response = await api_client.get("/api/v1/member-names",
                                    params={"member_class": "GOV", "member_code": "404"})
    assert (response.status_code, error_code(response)) == (404, "member_name_not_found")
    response = await api_client.get("/api/v1/member-names", params={"member_class": "GOV"})
    assert (response.status_code, response.json()) == (400, {"status": 400})
    response = await api_client.get("/api/v1/member-names",
                                    params={"member_class": "", "member_code": "1"})
    assert response.json()["error"] == {
        "code": "validation_failure",
        "validation_errors": {"findMemberName.memberClass": ["size must be between 1 and 255"]}}


async def test_security_servers(
    anchored_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    servers = (await api_client.get("/api/v1/security-servers")).json()
    assert [s["id"] for s in servers] == [
        "SANDBOX-KG:COM:50010002:SS1", "SANDBOX-KG:COM:50010002:SS2",
        "SANDBOX-KG:GOV:70000002:SS-ISSYK"]
    assert ISSYK in servers
    response = await api_client.get("/api/v1/security-servers/SANDBOX-KG:GOV:70000002:SS-ISSYK")
    assert response.json() == ISSYK
    for missing in ("SANDBOX-KG:GOV:70000002:SS9", "EE:GOV:70000002:SS-ISSYK"):
        response = await api_client.get(f"/api/v1/security-servers/{missing}")
        assert (response.status_code, response.json()) == (404, {"status": 404})
    for malformed in ("SANDBOX-KG:GOV:70000002", "A:B:C:D:E"):
        response = await api_client.get(f"/api/v1/security-servers/{malformed}")
        assert (response.status_code, response.json()) == (400, {"status": 400})
    # the current server before the initialisation: X-Road's serverconf does not exist yet
    response = await api_client.get("/api/v1/security-servers?current_server=true")
    assert (response.status_code, error_code(response)) == (500, "malformed_server_conf")
    anchored_state.initialize("GOV", "70000001", "SS1", "Tunduk-PIN-2024")
    response = await api_client.get("/api/v1/security-servers?current_server=true")
    assert response.json() == [{
        "id": "SANDBOX-KG:GOV:70000001:SS1", "instance_id": "SANDBOX-KG",
        "member_class": "GOV", "member_code": "70000001", "server_code": "SS1"}]
    assert len((await api_client.get("/api/v1/security-servers")).json()) == 3


async def test_the_registered_server_joins_the_global_configuration(
    populated_state: SandboxState, populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    own = "SANDBOX-KG:GOV:70000001:SS1"
    ids = [s["id"] for s in (await populated_client.get("/api/v1/security-servers")).json()]
    assert own not in ids  # its authentication certificate is only SAVED
    populated_state.set_certificate_status(populated_ids["auth_hash"], "REGISTERED")
    ids = [s["id"] for s in (await populated_client.get("/api/v1/security-servers")).json()]
    assert own in ids
    assert (await populated_client.get(f"/api/v1/security-servers/{own}")).json()["id"] == own


async def test_approved_timestamping_services(
    anchored_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    assert (await api_client.get("/api/v1/timestamping-services")).json() == [PAID_TSA, TSA]
    response = await api_client.get("/api/v1/system/timestamping-services/prioritization-strategy")
    assert response.json() == "NONE"


async def test_configured_timestamping_services(
    anchored_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    path = "/api/v1/system/timestamping-services"
    for response in (await api_client.get(path), await api_client.post(path, json=TSA)):
        assert (response.status_code, error_code(response)) == (500, "malformed_server_conf")
    anchored_state.initialize("GOV", "70000001", "SS1", "Tunduk-PIN-2024")
    assert (await api_client.get(path)).json() == []
    response = await api_client.post(path, json=TSA)
    assert (response.status_code, response.json()) == (201, TSA)
    response = await api_client.post(path, json=PAID_TSA)
    assert response.status_code == 201
    assert (await api_client.get(path)).json() == [TSA, PAID_TSA]
    response = await api_client.post(path, json=TSA)
    assert (response.status_code, error_code(response)) == (
        409, "timestamping_service_already_configured")
    for unknown in ({**TSA, "name": "Elsewhere TSA"}, {**TSA, "url": "http://tsa.example"}):
        response = await api_client.post(path, json=unknown)
        assert (response.status_code, error_code(response)) == (
            400, "timestamping_service_not_found")
    response = await api_client.post(path, json={"name": TSA["name"], "url": ""})
    assert response.json()["error"]["validation_errors"] == {
        "timestampingServiceDto.url": ["Size"], "timestampingServiceDto.costType": ["NotNull"]}
    assert (await api_client.post(path, json={**TSA, "cost_type": "CHEAP"})).status_code == 400
    response = await api_client.post(path + "/delete", json=TSA)
    assert (response.status_code, response.content) == (204, b"")
    response = await api_client.post(path + "/delete", json=TSA)
    assert (response.status_code, error_code(response)) == (400, "timestamping_service_not_found")
    assert (await api_client.get(path)).json() == [PAID_TSA]
    diagnostics = (await api_client.get("/api/v1/diagnostics/timestamping-services")).json()
    assert [d["url"] for d in diagnostics] == [PAID_TSA["url"]]


@pytest.mark.parametrize(("role", "expected"), [
    # xroad-instances, member-classes, member-names, security-servers, security-servers/{id},
    # timestamping-services, system TSPs, add TSP, delete TSP, prioritization strategy
    ("XROAD_SECURITY_OFFICER", (200, 200, 403, 200, 403, 200, 200, 409, 204, 200)),
    ("XROAD_REGISTRATION_OFFICER", (200, 200, 403, 200, 403, 403, 403, 403, 403, 403)),
    ("XROAD_SERVICE_ADMINISTRATOR", (200, 200, 403, 200, 403, 403, 403, 403, 403, 403)),
    ("XROAD_SYSTEM_ADMINISTRATOR", (200, 200, 200, 200, 200, 200, 200, 403, 403, 200)),
    ("XROAD_SECURITYSERVER_OBSERVER", (200, 200, 403, 200, 403, 200, 200, 403, 403, 200)),
])
async def test_permissions(
    populated_state: SandboxState, role: str, expected: tuple[int, ...]
) -> None:
    key = populated_state.create_api_key([role])[1]
    async with client_for(create_app(populated_state), key=key) as client:
        got = (
            (await client.get("/api/v1/xroad-instances")).status_code,
            (await client.get("/api/v1/member-classes")).status_code,
            (await client.get("/api/v1/member-names?member_class=GOV&member_code=70000001")
             ).status_code,
            (await client.get("/api/v1/security-servers")).status_code,
            (await client.get("/api/v1/security-servers/SANDBOX-KG:GOV:70000002:SS-ISSYK")
             ).status_code,
            (await client.get("/api/v1/timestamping-services")).status_code,
            (await client.get("/api/v1/system/timestamping-services")).status_code,
            (await client.post("/api/v1/system/timestamping-services", json=TSA)).status_code,
            (await client.post("/api/v1/system/timestamping-services/delete", json=TSA)
             ).status_code,
            (await client.get("/api/v1/system/timestamping-services/prioritization-strategy")
             ).status_code,
        )
    assert got == expected
