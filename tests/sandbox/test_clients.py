"""Clients of the sandbox through the API: search, add, read, connection type, delete, IS TLS
certificates, signing certificates, orphans and roles."""

from __future__ import annotations

import httpx
import pytest

from backend.sandbox.state import SandboxState
from tests.conftest import REFERENCE_DIR
from tests.sandbox.clients_support import (
    NOTIFICATIONS,
    OB,
    OWNER,
    PAYMENTS,
    PERMITS,
    REGISTRY,
    RO,
    SA,
    SO,
    add_client,
    add_services,
    client_with,
    error_code,
    path,
    sign_certificate_for,
)

CERTS = REFERENCE_DIR / "fixtures" / "certs"


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [client["id"] for client in response.json()]


# -- search ----------------------------------------------------------------------------------------

async def test_lists_local_clients_with_their_details(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    add_client(populated_state, REGISTRY)
    add_client(populated_state, PAYMENTS)
    response = await populated_client.get("/api/v1/clients")
    body = {client["id"]: client for client in response.json()}
    assert ids(response) == [PAYMENTS, OWNER, REGISTRY]  # by member name, then id
    assert body[OWNER] == {
        "id": OWNER, "instance_id": "SANDBOX-KG", "member_name": "Ala-Too State Registry Service",
        "member_class": "GOV", "member_code": "70000001", "owner": True,
        "has_valid_local_sign_cert": True, "connection_type": "HTTPS", "status": "SAVED"}
    assert body[REGISTRY]["subsystem_code"] == "registry" and not body[REGISTRY]["owner"]
    assert body[PAYMENTS]["has_valid_local_sign_cert"] is False
    assert "is_management_services_provider" not in body[OWNER]
    checked = await populated_client.get("/api/v1/clients?include_management_service_check=true")
    assert all(c["is_management_services_provider"] is False for c in checked.json())


@pytest.mark.parametrize(("query", "expected"), [
    ("name=ak-suu", [PAYMENTS]),
    ("name=ALA-TOO", [OWNER, REGISTRY]),
    ("member_class=go", [OWNER, REGISTRY]),
    ("member_code=5001", [PAYMENTS]),
    ("subsystem_code=REG", [REGISTRY]),
    ("instance=sandbox-kg&show_members=false", [PAYMENTS, REGISTRY]),
    ("instance=OTHER", []),
    ("local_valid_sign_cert=true", [OWNER, REGISTRY]),
    ("local_valid_sign_cert=false", [PAYMENTS]),
])
async def test_search_filters(populated_state: SandboxState, populated_client: httpx.AsyncClient,
                              query: str, expected: list[str]) -> None:
    add_client(populated_state, REGISTRY)
    add_client(populated_state, PAYMENTS)
    assert ids(await populated_client.get(f"/api/v1/clients?{query}")) == expected


async def test_global_search_merges_and_excludes_local_clients(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    add_client(populated_state, REGISTRY)
    everything = await populated_client.get("/api/v1/clients?internal_search=false")
    found = {client["id"]: client for client in everything.json()}
    assert len(found) == 6 + 9  # the seed's members and subsystems
    assert found[REGISTRY]["status"] == "SAVED"  # the local client wins
    assert "status" not in found[PERMITS] and found[PERMITS]["member_name"]
    outside = ids(await populated_client.get(
        "/api/v1/clients?internal_search=false&exclude_local=true&show_members=false"))
    assert REGISTRY not in outside and PERMITS in outside and OWNER not in outside
    assert all(client.count(":") == 3 for client in outside)


async def test_search_parameters_are_validated(populated_client: httpx.AsyncClient) -> None:
    long = await populated_client.get("/api/v1/clients?name=" + "x" * 256)
    assert long.json()["error"]["validation_errors"] == {
        "findClients.name": ["size must be between 0 and 255"]}
    bad = await populated_client.get("/api/v1/clients?show_members=perhaps")
    assert error_code(bad) == "validation_failure"


# -- add -------------------------------------------------------------------------------------------

async def test_adds_a_subsystem(populated_client: httpx.AsyncClient) -> None:
    body = {"client": {"member_class": "GOV", "member_code": "70000001",
                       "subsystem_code": "registry", "connection_type": "HTTP"}}
    response = await populated_client.post("/api/v1/clients", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"https://127.0.0.1:4000/api/clients/{REGISTRY}"
    added = response.json()
    assert (added["id"], added["status"], added["connection_type"]) == (REGISTRY, "SAVED", "HTTP")
    assert added["member_name"] == "Ala-Too State Registry Service"
    again = await populated_client.post("/api/v1/clients", json=body)
    assert (again.status_code, error_code(again)) == (409, "client_already_exists")


async def test_an_unregistered_member_needs_ignore_warnings(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    body = {"client": {"member_class": "COM", "member_code": "404", "subsystem_code": "shop"}}
    warned = await populated_client.post("/api/v1/clients", json=body)
    assert warned.status_code == 400
    assert warned.json()["warnings"] == [{"code": "unregistered_member",
                                          "metadata": ["SANDBOX-KG/COM/404"]}]
    assert error_code(warned) == "warnings_detected"
    assert populated_state.client_row("SANDBOX-KG:COM:404:shop") is None
    added = await populated_client.post("/api/v1/clients", json={**body, "ignore_warnings": True})
    assert added.status_code == 201
    assert "member_name" not in added.json() and added.json()["status"] == "SAVED"


async def test_a_new_subsystem_of_a_known_member_is_no_warning(
    populated_client: httpx.AsyncClient,
) -> None:
    body = {"client": {"member_class": "GOV", "member_code": "70000002", "subsystem_code": "new"}}
    added = await populated_client.post("/api/v1/clients", json=body)
    assert added.status_code == 201
    assert "member_name" not in added.json()  # the global configuration lists no such subsystem


async def test_one_member_besides_the_owner(populated_client: httpx.AsyncClient) -> None:
    first = {"client": {"member_class": "GOV", "member_code": "70000002"}}
    assert (await populated_client.post("/api/v1/clients", json=first)).status_code == 201
    second = {"client": {"member_class": "COM", "member_code": "50010001"}}
    refused = await populated_client.post("/api/v1/clients", json=second)
    assert (refused.status_code, error_code(refused)) == (409, "additional_member_already_exists")


@pytest.mark.parametrize(("client", "status", "code", "errors"), [
    ({"member_class": "XXX", "member_code": "1"}, 400, "invalid_member_class", None),
    ({"member_class": "GOV", "member_code": "a:b"}, 400, "validation_failure",
     {"clientAddDto.client.memberCode": ["IdentifierChars"]}),
    ({"member_class": "GOV", "member_code": "1", "subsystem_code": "a/b"}, 400,
     "validation_failure", {"clientAddDto.client.subsystemCode": ["IdentifierChars"]}),
    ({"member_code": "1"}, 400, "validation_failure",
     {"clientAddDto.client.memberClass": ["NotNull"]}),
    ({"member_class": "GOV", "member_code": ""}, 400, "validation_failure",
     {"clientAddDto.client.memberCode": ["Size"]}),
    ({"member_class": "GOV", "member_code": "1", "connection_type": None}, 400,
     "invalid_connection_type", None),
    ({"member_class": "GOV", "member_code": "1", "connection_type": "FTP"}, 400, None, None),
    ({"member_class": "GOV", "member_code": 5}, 400, None, None),
])
async def test_add_refusals(populated_state: SandboxState, populated_client: httpx.AsyncClient,
                            client: dict, status: int, code: str | None,
                            errors: dict | None) -> None:
    response = await populated_client.post("/api/v1/clients", json={"client": client})
    assert response.status_code == status
    assert error_code(response) == code
    if errors:
        assert response.json()["error"]["validation_errors"] == errors
    assert len(populated_state.local_clients()) == 1


async def test_add_needs_a_client(populated_client: httpx.AsyncClient) -> None:
    missing = await populated_client.post("/api/v1/clients", json={"ignore_warnings": True})
    assert missing.json()["error"]["validation_errors"] == {"clientAddDto.client": ["NotNull"]}
    garbage = await populated_client.post("/api/v1/clients", content=b"{not json")
    assert garbage.json() == {"status": 400}


# -- read, connection type, delete -----------------------------------------------------------------

async def test_reads_one_client(populated_state: SandboxState,
                                populated_client: httpx.AsyncClient) -> None:
    add_client(populated_state, REGISTRY)
    found = await populated_client.get(path(REGISTRY))
    assert found.json()["id"] == REGISTRY
    unknown = await populated_client.get(path(PERMITS))
    assert (unknown.status_code, unknown.json()) == (404, {"status": 404})
    malformed = await populated_client.get(path("SANDBOX-KG:GOV"))
    assert malformed.status_code == 400


async def test_connection_type(populated_state: SandboxState,
                               populated_client: httpx.AsyncClient) -> None:
    add_client(populated_state, REGISTRY)
    changed = await populated_client.patch(path(REGISTRY), json={"connection_type": "HTTPS_NO_AUTH"})
    assert changed.json()["connection_type"] == "HTTPS_NO_AUTH"
    assert populated_state.client_row(REGISTRY)["connection_type"] == "HTTPS_NO_AUTH"
    assert (await populated_client.patch(path(REGISTRY), json={})).status_code == 400
    bad = await populated_client.patch(path(REGISTRY), json={"connection_type": "SMTP"})
    assert bad.status_code == 400
    unknown = await populated_client.patch(path(PERMITS), json={"connection_type": "HTTP"})
    assert (unknown.status_code, error_code(unknown)) == (404, "client_not_found")


async def test_delete_rules(populated_state: SandboxState,
                            populated_client: httpx.AsyncClient) -> None:
    add_client(populated_state, REGISTRY, "REGISTRATION_IN_PROGRESS")
    add_client(populated_state, NOTIFICATIONS, "GLOBAL_ERROR")
    owner = await populated_client.delete(path(OWNER))
    assert (owner.status_code, error_code(owner)) == (409, "cannot_delete_owner")
    registered = await populated_client.delete(path(REGISTRY))
    assert (registered.status_code, error_code(registered)) == (409, "action_not_possible")
    assert (await populated_client.delete(path(NOTIFICATIONS))).status_code == 204
    assert populated_state.client_row(NOTIFICATIONS) is None
    gone = await populated_client.delete(path(NOTIFICATIONS))
    assert (gone.status_code, error_code(gone)) == (404, "client_not_found")


async def test_delete_takes_the_clients_rights_and_memberships_elsewhere(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:

    add_client(populated_state, REGISTRY)
    add_client(populated_state, NOTIFICATIONS)
    add_services(populated_state, REGISTRY, ["getPerson"])
    group = (await populated_client.post(path(REGISTRY) + "/local-groups",
                                         json={"code": "g", "description": "G"})).json()["id"]
    await populated_client.post(f"/api/v1/local-groups/{group}/members",
                                json={"items": [NOTIFICATIONS]})
    await populated_client.post(f"/api/v1/services/{REGISTRY}:getPerson/service-clients",
                                json={"items": [{"id": NOTIFICATIONS}]})
    assert (await populated_client.delete(path(NOTIFICATIONS))).status_code == 204
    assert populated_state.db.execute("SELECT COUNT(*) FROM access_rights").fetchone()[0] == 0
    members = (await populated_client.get(f"/api/v1/local-groups/{group}")).json()["members"]
    assert members == []


# -- IS TLS certificates ---------------------------------------------------------------------------

async def test_tls_certificates(populated_state: SandboxState,
                                populated_client: httpx.AsyncClient) -> None:
    add_client(populated_state, REGISTRY)
    base = path(REGISTRY) + "/tls-certificates"
    octets = {"Content-Type": "application/octet-stream"}
    added = await populated_client.post(base, content=(CERTS / "google-cert.pem").read_bytes(),
                                        headers=octets)
    assert added.status_code == 201, added.text
    digest = added.json()["hash"]
    assert added.headers["location"].endswith(f"/api/clients/{REGISTRY}/tls-certificates/{digest}")
    duplicate = await populated_client.post(base, content=(CERTS / "google-cert.der").read_bytes(),
                                            headers=octets)
    assert (duplicate.status_code, error_code(duplicate)) == (409, "certificate_already_exists")
    invalid = await populated_client.post(base, content=b"not a certificate", headers=octets)
    assert (invalid.status_code, error_code(invalid)) == (400, "invalid_cert")
    listed = await populated_client.get(base)
    assert [cert["hash"] for cert in listed.json()] == [digest]
    one = await populated_client.get(f"{base}/{digest.lower()}")
    assert one.json()["subject_common_name"]
    assert (await populated_client.get(f"{base}/{'AB' * 32}")).status_code == 404
    malformed = await populated_client.get(f"{base}/not-hex")
    assert error_code(malformed) == "validation_failure"
    assert (await populated_client.delete(f"{base}/{digest}")).status_code == 204
    again = await populated_client.delete(f"{base}/{digest}")
    assert (again.status_code, error_code(again)) == (404, "certificate_not_found")
    unknown = await populated_client.post(path(PERMITS) + "/tls-certificates",
                                          content=(CERTS / "google-cert.der").read_bytes(),
                                          headers=octets)
    assert (unknown.status_code, error_code(unknown)) == (404, "client_not_found")


# -- signing certificates, orphans -----------------------------------------------------------------

async def test_sign_certificates_of_a_client(populated_state: SandboxState,
                                             populated_client: httpx.AsyncClient,
                                             populated_ids: dict[str, str]) -> None:
    add_client(populated_state, REGISTRY)
    found = (await populated_client.get(path(REGISTRY) + "/sign-certificates")).json()
    assert [cert["certificate_details"]["hash"] for cert in found] == [populated_ids["sign_hash"]]
    assert found[0]["owner_id"] == OWNER
    assert (await populated_client.get(path(PERMITS) + "/sign-certificates")).status_code == 404


async def test_orphans_of_a_deleted_member(populated_state: SandboxState,
                                           populated_client: httpx.AsyncClient) -> None:
    member = "SANDBOX-KG:COM:50010002"
    add_client(populated_state, member)
    add_client(populated_state, PAYMENTS)
    digest = sign_certificate_for(populated_state, member)
    key_id = populated_state.certificate(digest)["key_id"]
    assert (await populated_client.get(path(member) + "/orphans")).json() == {"status": 404}
    for client in (PAYMENTS, member):
        assert (await populated_client.delete(path(client))).status_code == 204
    found = await populated_client.get(path(PAYMENTS) + "/orphans")
    assert found.json() == {"orphans_exist": True}
    assert (await populated_client.delete(path(member) + "/orphans")).status_code == 204
    assert not populated_state.db.execute("SELECT 1 FROM keys WHERE id = ?", (key_id,)).fetchone()
    again = await populated_client.delete(path(member) + "/orphans")
    assert (again.status_code, error_code(again)) == (404, "orphans_not_found")


async def test_orphans_need_a_logged_in_token(populated_state: SandboxState,
                                              populated_client: httpx.AsyncClient) -> None:
    member = "SANDBOX-KG:COM:50010002"
    add_client(populated_state, member)
    sign_certificate_for(populated_state, member)
    await populated_client.delete(path(member))
    populated_state.logout_token()
    refused = await populated_client.delete(path(member) + "/orphans")
    assert (refused.status_code, error_code(refused)) == (409, "action_not_possible")


# -- roles -----------------------------------------------------------------------------------------

async def test_roles(populated_state: SandboxState) -> None:
    add_client(populated_state, REGISTRY)
    body = {"client": {"member_class": "GOV", "member_code": "70000001", "subsystem_code": "x"}}
    async with client_with(populated_state, OB) as observer:
        assert (await observer.get("/api/v1/clients")).status_code == 200
        assert (await observer.get(path(REGISTRY))).status_code == 200
        assert (await observer.post("/api/v1/clients", json=body)).status_code == 403
        assert (await observer.put(path(REGISTRY) + "/register")).status_code == 403
    async with client_with(populated_state, SO) as officer:
        assert (await officer.get("/api/v1/clients")).status_code == 200
        assert (await officer.get(path(REGISTRY))).status_code == 403
    async with client_with(populated_state, SA) as admin:
        assert (await admin.post("/api/v1/clients", json=body)).status_code == 403
        assert (await admin.patch(path(REGISTRY), json={"connection_type": "HTTP"})).is_success
        assert (await admin.delete(path(REGISTRY))).status_code == 403
    async with client_with(populated_state, RO) as registrar:
        assert (await registrar.post("/api/v1/clients", json=body)).status_code == 201
        assert (await registrar.delete(path(REGISTRY))).status_code == 204


async def test_a_fresh_server(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/api/v1/clients")).json() == []
    search = await api_client.get("/api/v1/clients?internal_search=false")
    assert (search.status_code, error_code(search)) == (500, "global_conf_outdated")
    body = {"client": {"member_class": "GOV", "member_code": "70000001"}}
    added = await api_client.post("/api/v1/clients", json=body)
    assert (added.status_code, error_code(added)) == (500, "malformed_server_conf")
