"""Client management requests through the simulated central server: register, unregister, disable,
enable, rename and owner change, and the statuses the global configuration then brings."""

from __future__ import annotations

import httpx
import pytest

from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from tests.sandbox.clients_support import (
    NOTIFICATIONS,
    OWNER,
    PAYMENTS,
    REGISTRY,
    add_client,
    error_code,
    path,
    register_server,
    sign_certificate_for,
)


async def status(client: httpx.AsyncClient, client_id: str) -> str:
    response = await client.get(path(client_id))
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def put(client: httpx.AsyncClient, client_id: str, action: str,
              json: dict | None = None) -> httpx.Response:
    return await client.put(path(client_id) + f"/{action}", json=json)


async def test_registration_is_approved_after_the_delay(
    populated_state: SandboxState, populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    register_server(populated_state, populated_ids["auth_hash"], delay=None)
    add_client(populated_state, REGISTRY)
    assert await status(populated_client, OWNER) == "REGISTERED"  # the owner came with the server
    assert (await put(populated_client, REGISTRY, "register")).status_code == 204
    assert await status(populated_client, REGISTRY) == "REGISTRATION_IN_PROGRESS"
    assert await status(populated_client, REGISTRY) == "REGISTRATION_IN_PROGRESS"  # never answers
    assert centralserver.approve_pending(populated_state) == 1
    assert await status(populated_client, REGISTRY) == "REGISTERED"
    servers = (await populated_client.get(path(REGISTRY) + "/security-servers")).json()
    assert [server["id"] for server in servers] == [f"{OWNER}:SS1"]


async def test_registration_refusals(populated_state: SandboxState,
                                     populated_client: httpx.AsyncClient,
                                     populated_ids: dict[str, str]) -> None:
    add_client(populated_state, REGISTRY)
    add_client(populated_state, PAYMENTS)
    unregistered = await put(populated_client, REGISTRY, "register")
    assert (unregistered.status_code, error_code(unregistered)) == (
        500, "management_request_sending_failed")
    assert unregistered.json()["error"]["metadata"]
    register_server(populated_state, populated_ids["auth_hash"])
    no_cert = await put(populated_client, PAYMENTS, "register")
    assert (no_cert.status_code, error_code(no_cert)) == (500, "management_request_sending_failed")
    assert "SANDBOX-KG:COM:50010002" in no_cert.json()["error"]["metadata"][0]
    owner = await put(populated_client, OWNER, "register")
    assert (owner.status_code, error_code(owner)) == (400, "cannot_register_owner")
    unknown = await put(populated_client, NOTIFICATIONS, "register")
    assert (unknown.status_code, error_code(unknown)) == (404, "client_not_found")
    populated_state.set_global_conf_error("conf_download_failed")
    outdated = await put(populated_client, REGISTRY, "register")
    assert (outdated.status_code, error_code(outdated)) == (409, "global_conf_outdated")
    populated_state.set_global_conf_error(None)
    populated_state.logout_token()
    logged_out = await put(populated_client, REGISTRY, "register")
    assert error_code(logged_out) == "management_request_sending_failed"
    populated_state.login_token("Tunduk-PIN-2024")
    assert (await put(populated_client, REGISTRY, "register")).status_code == 204
    again = await put(populated_client, REGISTRY, "register")
    assert (again.status_code, error_code(again)) == (409, "action_not_possible")
    assert await status(populated_client, PAYMENTS) == "SAVED"


async def test_another_members_subsystem_needs_its_signing_certificate(
    populated_state: SandboxState, populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    register_server(populated_state, populated_ids["auth_hash"])
    add_client(populated_state, PAYMENTS)
    sign_certificate_for(populated_state, "SANDBOX-KG:COM:50010002")
    assert (await put(populated_client, PAYMENTS, "register")).status_code == 204
    client = (await populated_client.get(path(PAYMENTS))).json()
    assert (client["status"], client["has_valid_local_sign_cert"]) == ("REGISTERED", True)


async def test_unregister_disable_enable(populated_state: SandboxState,
                                         populated_client: httpx.AsyncClient,
                                         populated_ids: dict[str, str]) -> None:
    register_server(populated_state, populated_ids["auth_hash"])
    add_client(populated_state, REGISTRY)
    saved = await put(populated_client, REGISTRY, "unregister")
    assert (saved.status_code, error_code(saved)) == (409, "action_not_possible")
    await put(populated_client, REGISTRY, "register")
    assert await status(populated_client, REGISTRY) == "REGISTERED"
    enable_registered = await put(populated_client, REGISTRY, "enable")
    assert (enable_registered.status_code, error_code(enable_registered)) == (
        409, "action_not_possible")
    assert (await put(populated_client, REGISTRY, "disable")).status_code == 204
    assert await status(populated_client, REGISTRY) == "DISABLED"
    again = await put(populated_client, REGISTRY, "disable")
    assert error_code(again) == "action_not_possible"
    assert (await put(populated_client, REGISTRY, "enable")).status_code == 204
    assert await status(populated_client, REGISTRY) == "REGISTERED"
    owner = await put(populated_client, OWNER, "unregister")
    assert (owner.status_code, error_code(owner)) == (409, "cannot_unregister_owner")
    assert (await put(populated_client, REGISTRY, "unregister")).status_code == 204
    assert await status(populated_client, REGISTRY) == "DELETION_IN_PROGRESS"
    assert await status(populated_client, REGISTRY) == "DELETION_IN_PROGRESS"  # for the operator
    assert (await populated_client.delete(path(REGISTRY))).status_code == 204


async def test_in_progress_statuses_while_the_central_server_is_silent(
    populated_state: SandboxState, populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    register_server(populated_state, populated_ids["auth_hash"])
    add_client(populated_state, REGISTRY)
    await put(populated_client, REGISTRY, "register")
    centralserver.set_request_delay(populated_state, None)
    await put(populated_client, REGISTRY, "disable")
    assert await status(populated_client, REGISTRY) == "DISABLING_IN_PROGRESS"
    centralserver.approve_pending(populated_state)
    await put(populated_client, REGISTRY, "enable")
    assert await status(populated_client, REGISTRY) == "ENABLING_IN_PROGRESS"


async def test_a_server_leaving_the_global_configuration_leaves_its_clients_in_error(
    populated_state: SandboxState, populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    register_server(populated_state, populated_ids["auth_hash"])
    add_client(populated_state, REGISTRY)
    await put(populated_client, REGISTRY, "register")
    assert await status(populated_client, REGISTRY) == "REGISTERED"
    populated_state.unregister_certificate(populated_ids["auth_hash"])
    assert await status(populated_client, REGISTRY) == "GLOBAL_ERROR"
    assert await status(populated_client, OWNER) == "GLOBAL_ERROR"


async def test_rename(populated_state: SandboxState, populated_client: httpx.AsyncClient,
                      populated_ids: dict[str, str]) -> None:
    register_server(populated_state, populated_ids["auth_hash"], delay=None)
    add_client(populated_state, REGISTRY)
    member = await put(populated_client, OWNER, "rename", {"client_name": "Owner"})
    assert (member.status_code, error_code(member)) == (409, "action_not_possible")
    assert (await put(populated_client, REGISTRY, "rename",
                      {"client_name": "Registry"})).status_code == 204
    saved = (await populated_client.get(path(REGISTRY))).json()
    assert saved["rename_status"] == "NAME_SET" and "subsystem_name" not in saved
    await put(populated_client, REGISTRY, "register")
    assert (await populated_client.get(path(REGISTRY))).json()["rename_status"] == "NAME_SUBMITTED"
    centralserver.approve_pending(populated_state)
    registered = (await populated_client.get(path(REGISTRY))).json()
    assert registered["subsystem_name"] == "Registry" and "rename_status" not in registered
    same = await put(populated_client, REGISTRY, "rename", {"client_name": "Registry"})
    assert (same.status_code, error_code(same)) == (409, "invalid_client_name")
    assert (await put(populated_client, REGISTRY, "rename",
                      {"client_name": "Civil records"})).status_code == 204
    pending = await put(populated_client, REGISTRY, "rename", {"client_name": "Other"})
    assert (pending.status_code, error_code(pending)) == (409, "client_rename_already_submitted")
    centralserver.approve_pending(populated_state)
    renamed = (await populated_client.get(path(REGISTRY))).json()
    assert renamed["subsystem_name"] == "Civil records"
    search = await populated_client.get("/api/v1/clients?name=CIVIL")
    assert [client["id"] for client in search.json()] == [REGISTRY]


@pytest.mark.parametrize(("body", "errors"), [
    ({}, {"clientNameDto.clientName": ["NotNull"]}),
    ({"client_name": ""}, {"clientNameDto.clientName": ["Size"]}),
    ({"client_name": "a\nb"}, {"clientNameDto.clientName": ["NoControlChars"]}),
])
async def test_rename_validation(populated_state: SandboxState,
                                 populated_client: httpx.AsyncClient, body: dict,
                                 errors: dict) -> None:
    add_client(populated_state, REGISTRY)
    response = await put(populated_client, REGISTRY, "rename", body)
    assert response.json()["error"]["validation_errors"] == errors
    assert populated_state.client_row(REGISTRY)["rename_status"] is None


async def test_owner_change(populated_state: SandboxState, populated_client: httpx.AsyncClient,
                            populated_ids: dict[str, str]) -> None:
    new_owner = "SANDBOX-KG:GOV:70000002"
    register_server(populated_state, populated_ids["auth_hash"])
    add_client(populated_state, new_owner)
    subsystem = await put(populated_client, REGISTRY, "make-owner")
    assert (subsystem.status_code, error_code(subsystem)) == (409, "action_not_possible")
    already = await put(populated_client, OWNER, "make-owner")
    assert (already.status_code, error_code(already)) == (400, "member_already_owner")
    saved = await put(populated_client, new_owner, "make-owner")
    assert (saved.status_code, error_code(saved)) == (409, "action_not_possible")
    sign_certificate_for(populated_state, new_owner)
    await put(populated_client, new_owner, "register")
    assert await status(populated_client, new_owner) == "REGISTERED"
    assert (await put(populated_client, new_owner, "make-owner")).status_code == 204
    clients = {c["id"]: c for c in (await populated_client.get("/api/v1/clients")).json()}
    assert clients[new_owner]["owner"] and not clients[OWNER]["owner"]
    assert clients[OWNER]["status"] == "REGISTERED"  # the former owner stays a client
    assert populated_state.owner_member_id() == new_owner
