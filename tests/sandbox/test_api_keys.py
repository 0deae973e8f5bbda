"""``/api/v1/api-keys``: HTTP Basic from loopback only, role-granting rules, CRUD."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import client_for
from tests.sandboxes import ADMIN_PASSWORD

PATH = "/api/v1/api-keys"
ADMIN = ("admin", ADMIN_PASSWORD)
OBSERVER = "XROAD_SECURITYSERVER_OBSERVER"
SYSADMIN = "XROAD_SYSTEM_ADMINISTRATOR"


async def test_create_list_get_update_delete(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app) as client:
        created = await client.post(PATH, json=[OBSERVER, "XROAD_REGISTRATION_OFFICER"],
                                    auth=ADMIN)
        assert created.status_code == 200
        body = created.json()
        assert set(body) == {"id", "key", "roles"}
        assert body["roles"] == ["XROAD_REGISTRATION_OFFICER", OBSERVER]
        key_id, key = body["id"], body["key"]

        version = await client.get("/api/v1/system/version",
                                   headers={"Authorization": f"X-Road-ApiKey token={key}"})
        assert version.status_code == 200

        listed = await client.get(PATH, auth=ADMIN)
        assert listed.json() == [{"id": key_id, "roles": body["roles"]}]
        one = await client.get(f"{PATH}/{key_id}", auth=ADMIN)
        assert one.json() == {"id": key_id, "roles": body["roles"]}

        updated = await client.put(f"{PATH}/{key_id}", json=[SYSADMIN], auth=ADMIN)
        assert updated.json() == {"id": key_id, "roles": [SYSADMIN]}

        deleted = await client.delete(f"{PATH}/{key_id}", auth=ADMIN)
        assert (deleted.status_code, deleted.content) == (200, b"")
        gone = await client.get("/api/v1/system/version",
                                headers={"Authorization": f"X-Road-ApiKey token={key}"})
        assert gone.status_code == 401


async def test_unknown_ids(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app) as client:
        for response in (
            await client.get(f"{PATH}/999", auth=ADMIN),
            await client.put(f"{PATH}/999", json=[OBSERVER], auth=ADMIN),
            await client.delete(f"{PATH}/999", auth=ADMIN),
        ):
            assert response.status_code == 404
            assert response.json() == {
                "status": 404, "error": {"code": "api_key_not_found", "metadata": ["999"]}}
        response = await client.get(f"{PATH}/abc", auth=ADMIN)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_failure"
        assert "id" in response.json()["error"]["validation_errors"]


async def test_invalid_roles(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app) as client:
        for roles in ([], ["XROAD_NOBODY"], [OBSERVER, "XROAD_NOBODY"]):
            response = await client.post(PATH, json=roles, auth=ADMIN)
            assert response.status_code == 400
            assert response.json() == {"status": 400, "error": {"code": "invalid_role"}}
        response = await client.post(PATH, content=b"{not json", auth=ADMIN,
                                     headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()) == (400, {"status": 400})
        response = await client.post(PATH, json={"roles": [OBSERVER]}, auth=ADMIN)
        assert response.status_code == 400


async def test_api_key_and_wrong_password_are_401(
    sandbox_app: Starlette, all_roles_key: str
) -> None:
    async with client_for(sandbox_app, key=all_roles_key) as client:
        response = await client.get(PATH)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Basic realm="Realm"'
        assert response.json()["status"] == 401
        response = await client.get(PATH, auth=("admin", "wrong"))
        assert response.status_code == 401
        response = await client.get(PATH, auth=("nobody", ADMIN_PASSWORD))
        assert response.status_code == 401


async def test_basic_auth_only_from_loopback(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app, address="10.1.2.3") as client:
        assert (await client.get(PATH, auth=ADMIN)).status_code == 401
        assert (await client.post(PATH, json=[OBSERVER], auth=ADMIN)).status_code == 401
    async with client_for(sandbox_app, address="::1") as client:
        assert (await client.get(PATH, auth=ADMIN)).status_code == 200


async def test_caller_may_grant_only_its_own_roles(
    sandbox_state: SandboxState, sandbox_app: Starlette
) -> None:
    sandbox_state.db.execute(
        "INSERT INTO users (username, password_hash, roles, created_at) "
        "SELECT 'sysadmin', password_hash, ?, created_at FROM users WHERE username = 'admin'",
        (f'["{SYSADMIN}"]',),
    )
    sysadmin = ("sysadmin", ADMIN_PASSWORD)
    async with client_for(sandbox_app) as client:
        assert (await client.post(PATH, json=[SYSADMIN], auth=sysadmin)).status_code == 200
        refused = await client.post(PATH, json=[SYSADMIN, OBSERVER], auth=sysadmin)
        assert (refused.status_code, refused.json()) == (403, {"status": 403})
        management = await client.post(PATH, json=["XROAD_MANAGEMENT_SERVICE"], auth=sysadmin)
        assert management.status_code == 200

        # a role the key already has may stay; a new one needs the caller to hold it
        key_id = (await client.post(PATH, json=[OBSERVER, SYSADMIN], auth=ADMIN)).json()["id"]
        kept = await client.put(f"{PATH}/{key_id}", json=[OBSERVER], auth=sysadmin)
        assert kept.status_code == 200
        added = await client.put(f"{PATH}/{key_id}", json=["XROAD_SECURITY_OFFICER"],
                                 auth=sysadmin)
        assert added.status_code == 403


async def test_observer_may_list_but_not_create(
    sandbox_state: SandboxState, sandbox_app: Starlette
) -> None:
    sandbox_state.db.execute(
        "INSERT INTO users (username, password_hash, roles, created_at) "
        "SELECT 'observer', password_hash, ?, created_at FROM users WHERE username = 'admin'",
        (f'["{OBSERVER}"]',),
    )
    observer = ("observer", ADMIN_PASSWORD)
    async with client_for(sandbox_app) as client:
        assert (await client.get(PATH, auth=observer)).status_code == 200
        refused = await client.post(PATH, json=[OBSERVER], auth=observer)
        assert refused.status_code == 403
        assert (await client.delete(f"{PATH}/1", auth=observer)).status_code == 403


async def test_correlation_header_on_api_key_responses(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app) as client:
        response = await client.get(PATH, auth=ADMIN)
    assert response.headers["x-road-ui-correlation-id"]
    assert isinstance(response, httpx.Response)
