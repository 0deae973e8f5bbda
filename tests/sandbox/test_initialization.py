"""``POST /initialization``: send-only-what-is-missing, binding validation, X-Road's warnings
protocol, the PIN policy and the roles, with the state reported by ``/initialization/status``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backend.sandbox.app import create_app
from backend.sandbox.errors import SandboxError
from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import client_for
from tests.sandboxes import PIN

INIT = "/api/v1/initialization"


def error_code(response: httpx.Response) -> str | None:
    return response.json().get("error", {}).get("code")


async def status_of(client: httpx.AsyncClient) -> dict:
    return (await client.get("/api/v1/initialization/status")).json()


@pytest.fixture
async def anchored(sandbox_state: SandboxState, api_client: httpx.AsyncClient
                   ) -> AsyncIterator[httpx.AsyncClient]:
    """The fresh sandbox with its own anchor imported over the API."""
    response = await api_client.post("/api/v1/system/anchor", content=sandbox_state.central.anchor,
                                     headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    yield api_client


FULL = {"owner_member_class": "GOV", "owner_member_code": "70000001",
        "security_server_code": "SS1", "software_token_pin": PIN}


async def test_initialisation_needs_the_anchor(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(INIT, json=FULL)
    assert (response.status_code, error_code(response)) == (409, "anchor_not_found")


async def test_initialisation_binding_validation(anchored: httpx.AsyncClient) -> None:
    response = await anchored.post(INIT, json={**FULL, "security_server_code": "SS:1",
                                               "owner_member_code": "", "software_token_pin": ""})
    assert (response.status_code, error_code(response)) == (400, "validation_failure")
    assert response.json()["error"]["validation_errors"] == {
        "initialServerConfDto.securityServerCode": ["IdentifierChars"],
        "initialServerConfDto.ownerMemberCode": ["Size"],
        "initialServerConfDto.softwareTokenPin": ["Size"],
    }
    for bad in ("a;b", "a%b", "a/../b", "a\\b", "a\u200bb", "x" * 256):
        response = await anchored.post(INIT, json={**FULL, "owner_member_class": bad})
        assert error_code(response) == "validation_failure", bad
    assert (await anchored.post(INIT, content=b"{not json")).status_code == 400
    assert (await anchored.post(INIT, json=[FULL])).json() == {"status": 400}
    assert not (await status_of(anchored))["is_server_code_initialized"]


async def test_initialisation_send_only_what_is_missing(anchored: httpx.AsyncClient) -> None:
    response = await anchored.post(INIT, json={"ignore_warnings": True})
    assert (response.status_code, error_code(response)) == (400, "invalid_init_params")
    assert response.json()["error"]["metadata"] == [
        "server_code_not_provided", "member_class_not_provided", "member_code_not_provided",
        "pin_code_not_provided"]
    response = await anchored.post(INIT, json=FULL)
    assert response.status_code == 201 and response.content == b""
    assert await status_of(anchored) == {
        "is_anchor_imported": True, "is_server_code_initialized": True,
        "is_server_owner_initialized": True, "software_token_init_status": "INITIALIZED",
        "enforce_token_pin_policy": False}
    response = await anchored.post(INIT, json=FULL)
    assert (response.status_code, error_code(response)) == (
        409, "server_already_fully_initialized")


async def test_warnings_protocol_round_trip(
    sandbox_state: SandboxState, anchored: httpx.AsyncClient
) -> None:
    unregistered = {**FULL, "owner_member_class": "NGO", "owner_member_code": "404"}
    response = await anchored.post(INIT, json=unregistered)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400, "error": {"code": "warnings_detected"},
        "warnings": [{"code": "init_unregistered_member", "metadata": ["SANDBOX-KG/NGO/404"]}]}
    status = await status_of(anchored)
    assert not status["is_server_owner_initialized"]  # nothing changed
    assert status["software_token_init_status"] == "NOT_INITIALIZED"
    response = await anchored.post(INIT, json={**unregistered, "ignore_warnings": True})
    assert response.status_code == 201
    assert sandbox_state.server_conf()["owner_member_code"] == "404"
    owner = sandbox_state.db.execute("SELECT * FROM clients WHERE owner = 1").fetchone()
    assert (owner["id"], owner["status"], owner["connection_type"]) == (
        "SANDBOX-KG:NGO:404", "SAVED", "HTTPS")


async def test_server_id_that_exists_in_the_global_configuration(
    anchored: httpx.AsyncClient,
) -> None:
    taken = {**FULL, "owner_member_class": "COM", "owner_member_code": "50010002",
             "security_server_code": "SS1"}
    response = await anchored.post(INIT, json=taken)
    assert response.json()["warnings"] == [
        {"code": "init_server_id_exists", "metadata": ["SANDBOX-KG/COM/50010002/SS1"]}]
    assert (await anchored.post(INIT, json={**taken, "security_server_code": "SS9"})
            ).status_code == 201


async def test_initialising_with_a_token_already_initialised(
    sandbox_state: SandboxState, anchored: httpx.AsyncClient
) -> None:
    sandbox_state.init_software_token("Earlier-PIN-123")
    assert (await status_of(anchored))["software_token_init_status"] == "INITIALIZED"
    response = await anchored.post(INIT, json=FULL)
    assert response.json()["error"]["metadata"] == ["pin_code_exists"]
    without_pin = {k: v for k, v in FULL.items() if k != "software_token_pin"}
    response = await anchored.post(INIT, json=without_pin)
    assert response.json()["warnings"] == [{"code": "init_software_token_initialized"}]
    response = await anchored.post(INIT, json={**without_pin, "ignore_warnings": True})
    assert response.status_code == 201
    sandbox_state.logout_token()
    sandbox_state.login_token("Earlier-PIN-123")  # the token kept its PIN


async def test_initialising_with_owner_and_code_already_set(
    sandbox_state: SandboxState, anchored: httpx.AsyncClient
) -> None:
    sandbox_state.db.execute("UPDATE server_conf SET owner_member_class = 'GOV', "
                             "owner_member_code = '70000002', server_code = 'SS7'")
    response = await anchored.post(INIT, json=FULL)
    assert response.json()["error"]["metadata"] == [
        "server_code_exists", "member_class_exists", "member_code_exists"]
    response = await anchored.post(INIT, json={"software_token_pin": PIN})
    assert [w["code"] for w in response.json()["warnings"]] == [
        "init_servercode_exists", "init_server_owner_exists"]
    response = await anchored.post(INIT, json={"software_token_pin": PIN, "ignore_warnings": True})
    assert response.status_code == 201
    assert (await status_of(anchored))["software_token_init_status"] == "INITIALIZED"


async def test_pin_policy(sandbox_state: SandboxState, anchored: httpx.AsyncClient) -> None:
    sandbox_state.set_token_pin_policy(True)
    assert (await status_of(anchored))["enforce_token_pin_policy"] is True
    response = await anchored.post(INIT, json={**FULL, "software_token_pin": "short1A"})
    assert (response.status_code, error_code(response)) == (400, "token_weak_pin")
    assert response.json()["error"]["metadata"] == [
        "pin_min_length", "10", "pin_min_char_classes_count", "3"]
    response = await anchored.post(INIT, json={**FULL, "software_token_pin": "alllowercaseletters"})
    assert error_code(response) == "token_weak_pin"
    response = await anchored.post(INIT, json={**FULL, "software_token_pin": "Пароль-Kapka-2024"})
    assert (response.status_code, error_code(response)) == (400, "invalid_characters_pin")
    # warnings come before the PIN check, as in X-Road's InitializationService
    response = await anchored.post(INIT, json={**FULL, "owner_member_code": "404",
                                               "software_token_pin": "short"})
    assert error_code(response) == "warnings_detected"
    assert not (await status_of(anchored))["is_server_owner_initialized"]
    assert (await anchored.post(INIT, json=FULL)).status_code == 201
    sandbox_state.set_token_pin_policy(False)


async def test_only_the_system_administrator_initialises(sandbox_state: SandboxState) -> None:
    sandbox_state.import_own_anchor()
    sandbox_app = create_app(sandbox_state)
    for role in ("XROAD_SECURITY_OFFICER", "XROAD_SECURITYSERVER_OBSERVER"):
        key = sandbox_state.create_api_key([role])[1]
        async with client_for(sandbox_app, key=key) as client:
            assert (await client.post(INIT, json=FULL)).status_code == 403


def test_domain_initialise_defaults(sandbox_state: SandboxState) -> None:
    """Programmatic callers: warnings ignored by default, unknown member classes refused."""
    sandbox_state.import_own_anchor()
    with pytest.raises(SandboxError) as error:
        sandbox_state.initialize("GOV", "404", "SS1", PIN, ignore_warnings=False)
    assert error.value.code == "warnings_detected"
    sandbox_state.initialize("GOV", "404", "SS1", PIN)
    assert sandbox_state.server_conf()["owner_member_code"] == "404"
