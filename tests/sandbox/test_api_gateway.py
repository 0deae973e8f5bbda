"""Authentication, authorisation, limits and error bodies of the sandbox API, and the system
endpoints."""

from __future__ import annotations

import base64

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from starlette.applications import Starlette

from backend.sandbox.app import create_app
from backend.sandbox.ratelimit import RateLimiter
from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import client_for
from tests.sandboxes import BASE_URL, api_key_header

CORRELATION = "x-road-ui-correlation-id"


async def test_version(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/v1/system/version")
    assert response.status_code == 200
    body = response.json()
    assert body["info"].startswith("Security Server version 7.8.0")
    assert body["java_version"] == 21 and body["using_supported_java_version"] is True
    assert response.headers[CORRELATION]


async def test_node_type_and_session_status(api_client: httpx.AsyncClient) -> None:
    assert (await api_client.get("/api/v1/system/node-type")).json() == {
        "node_type": "STANDALONE"}
    assert (await api_client.get("/api/v1/notifications/session-status")).json() == {
        "valid": False}


async def test_initialization_status_of_a_fresh_server(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/v1/initialization/status")
    assert response.json() == {
        "is_anchor_imported": False,
        "is_server_code_initialized": False,
        "is_server_owner_initialized": False,
        "software_token_init_status": "NOT_INITIALIZED",
        "enforce_token_pin_policy": False,
    }


async def test_alerts_follow_the_state(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    alerts = (await api_client.get("/api/v1/notifications/alerts")).json()
    assert alerts == {
        "global_conf_valid": False,
        "global_conf_valid_check_success": True,
        "soft_token_pin_entered": False,
        "soft_token_pin_entered_check_success": True,
        "certificate_renewal_job_success": True,
        "auth_certificate_ids_with_errors": [],
        "sign_certificate_ids_with_errors": [],
    }
    sandbox_state.import_own_anchor()
    sandbox_state.initialize("GOV", "70000001", "SS1", "Tunduk-PIN-2024")
    alerts = (await api_client.get("/api/v1/notifications/alerts")).json()
    assert alerts["global_conf_valid"] and alerts["soft_token_pin_entered"]
    sandbox_state.set_global_conf_error("conf_download_failed")
    alerts = (await api_client.get("/api/v1/notifications/alerts")).json()
    assert not alerts["global_conf_valid"]


async def test_user_reports_roles_and_permissions(
    sandbox_state: SandboxState, sandbox_app: Starlette
) -> None:
    key_id, key = sandbox_state.create_api_key(["XROAD_SECURITYSERVER_OBSERVER"])
    async with client_for(sandbox_app, key=key) as client:
        user = (await client.get("/api/v1/user")).json()
    assert user["username"] == f"api-key-{key_id}"
    assert user["roles"] == ["ROLE_XROAD_SECURITYSERVER_OBSERVER"]
    assert "VIEW_KEYS" in user["permissions"] and "DIAGNOSTICS" in user["permissions"]
    assert "GENERATE_KEY" not in user["permissions"]
    assert "CREATE_API_KEY" not in user["permissions"]


async def test_missing_and_wrong_api_keys_are_401(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app) as client:
        response = await client.get("/api/v1/system/version")
        assert (response.status_code, response.json()) == (401, {"status": 401})
        assert response.headers[CORRELATION]
        response = await client.get("/api/v1/system/version", headers=api_key_header("nope"))
        assert (response.status_code, response.json()) == (401, {"status": 401})
        basic = base64.b64encode(b"admin:whatever").decode()
        response = await client.get("/api/v1/system/version",
                                    headers={"Authorization": f"Basic {basic}"})
        assert response.status_code == 401


async def test_api_key_prefix_is_case_insensitive(
    sandbox_app: Starlette, all_roles_key: str
) -> None:
    async with client_for(sandbox_app) as client:
        response = await client.get("/api/v1/system/version",
                                    headers={"Authorization": f"x-road-apikey TOKEN={all_roles_key}"})
    assert response.status_code == 200


async def test_missing_permission_is_403(sandbox_state: SandboxState, sandbox_app: Starlette) -> None:
    _key_id, key = sandbox_state.create_api_key(["XROAD_SERVICE_ADMINISTRATOR"])
    async with client_for(sandbox_app, key=key) as client:
        response = await client.get("/api/v1/tokens")
        assert (response.status_code, response.json()) == (403, {"status": 403})
        response = await client.get("/api/v1/diagnostics/globalconf")
        assert response.status_code == 403
        assert (await client.get("/api/v1/system/version")).status_code == 200


async def test_unknown_paths_and_methods(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/v1/no-such-thing")
    assert (response.status_code, response.json()) == (404, {"status": 404})
    response = await api_client.delete("/api/v1/system/version")
    assert (response.status_code, response.json()) == (405, {"status": 405})
    assert "GET" in response.headers["allow"]
    assert (await api_client.get("/api/v1/tokens/")).status_code == 404
    response = await api_client.get("/elsewhere")
    body = response.json()
    assert response.status_code == 404
    assert (body["status"], body["error"]) == (404, "Not Found") and "timestamp" in body


async def test_unknown_api_path_without_key_is_401(sandbox_app: Starlette) -> None:
    async with client_for(sandbox_app) as client:
        assert (await client.get("/api/v1/no-such-thing")).status_code == 401


async def test_token_not_found(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/api/v1/tokens/99")
    assert response.status_code == 404
    assert response.json() == {"status": 404,
                               "error": {"code": "token_not_found", "metadata": ["99"]}}


async def test_large_bodies_are_413(api_client: httpx.AsyncClient) -> None:
    response = await api_client.put("/api/v1/system/version", content=b"x" * (50 * 1024 + 1))
    assert (response.status_code, response.json()) == (413, {"status": 413})


async def test_rate_limit_per_second(sandbox_state: SandboxState, all_roles_key: str) -> None:
    now = [500.0]  # a frozen clock: all requests fall into the same second
    app = create_app(sandbox_state, rate_limiter=RateLimiter(clock=lambda: now[0]))
    async with client_for(app, key=all_roles_key) as client:
        statuses = [(await client.get("/api/v1/system/node-type")).status_code for _ in range(21)]
        assert statuses[:20] == [200] * 20
        assert statuses[20] == 429
        now[0] += 1.0
        assert (await client.get("/api/v1/system/node-type")).status_code == 200
    async with client_for(app, key=all_roles_key, address="10.9.8.7") as other:
        assert (await other.get("/api/v1/system/node-type")).status_code == 200


async def test_rate_limit_per_minute(sandbox_state: SandboxState, all_roles_key: str) -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    app = create_app(sandbox_state, rate_limiter=limiter)
    for _ in range(600):  # 16.7 requests a second: always under the per-second limit
        now[0] += 0.06
        assert limiter.allow("127.0.0.1")
    now[0] += 0.06
    async with client_for(app, key=all_roles_key) as client:
        response = await client.get("/api/v1/system/node-type")
        assert (response.status_code, response.json()) == (429, {"status": 429})
        now[0] += 60
        assert (await client.get("/api/v1/system/node-type")).status_code == 200


async def test_rate_limited_response_body(sandbox_state: SandboxState, all_roles_key: str) -> None:
    app = create_app(sandbox_state, rate_limiter=RateLimiter(per_second=1))
    async with client_for(app, key=all_roles_key) as client:
        await client.get("/api/v1/system/node-type")
        response = await client.get("/api/v1/system/node-type")
    assert (response.status_code, response.json()) == (429, {"status": 429})
    assert response.headers[CORRELATION]


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_ocsp_responder_over_http(populated_state: SandboxState, method: str) -> None:
    sign = populated_state.db.execute(
        "SELECT der FROM certificates WHERE member_id IS NOT NULL").fetchone()
    cert = x509.load_der_x509_certificate(sign["der"])
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(cert, populated_state.pki.ca.cert, hashes.SHA256())
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    app = create_app(populated_state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url=BASE_URL) as client:
        if method == "POST":
            response = await client.post("/sandbox/ocsp", content=request,
                                         headers={"Content-Type": "application/ocsp-request"})
        else:
            response = await client.get("/sandbox/ocsp/" + base64.b64encode(request).decode())
    assert response.headers["content-type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(response.content)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert answer.serial_number == cert.serial_number
