"""``/tokens`` and ``/keys``: login and PIN, friendly names, keys, keys with CSRs, key deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from tests.sandbox.conftest import unthrottled_client
from tests.sandboxes import PIN

NEW_PIN = "Kyzmat-PIN-2026"
TEST_CA = "Kapka Sandbox Test CA"


@pytest.fixture
async def api(populated_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    async with unthrottled_client(populated_state) as client:
        yield client


def _error(response: httpx.Response) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error", {}).get("code")


async def _token(api: httpx.AsyncClient) -> dict:
    return (await api.get("/api/v1/tokens/0")).json()


def _auth_csr_request(label: str = "auth") -> dict:
    return {"key_label": label, "csr_generate_request": {
        "key_usage_type": "AUTHENTICATION", "ca_name": TEST_CA, "csr_format": "DER",
        "subject_field_values": {"CN": "ss1.example.kg", "C": "KG"}}}


# -- login, logout, PIN --------------------------------------------------------------------------

async def test_login_and_logout(api: httpx.AsyncClient) -> None:
    assert _error(await api.put("/api/v1/tokens/0/login", json={"password": PIN})) == (
        409, "action_not_possible")  # already logged in
    response = await api.put("/api/v1/tokens/0/logout")
    assert response.status_code == 200
    assert response.json()["logged_in"] is False
    assert response.json()["possible_actions"] == ["LOGIN", "EDIT_FRIENDLY_NAME"]
    assert _error(await api.put("/api/v1/tokens/0/logout")) == (409, "action_not_possible")
    for body in ({}, {"password": ""}):
        assert _error(await api.put("/api/v1/tokens/0/login", json=body)) == (
            400, "missing_token_password")
    assert _error(await api.put("/api/v1/tokens/7/login", json={"password": PIN})) == (
        404, "token_not_found")
    response = await api.put("/api/v1/tokens/0/login", json={"password": PIN})
    assert response.status_code == 200
    assert (response.json()["logged_in"], response.json()["status"]) == (True, "OK")


async def test_wrong_pin_without_a_retry_limit_is_x_road_s_software_token(
    populated_state: SandboxState, api: httpx.AsyncClient
) -> None:
    await api.put("/api/v1/tokens/0/logout")
    for _attempt in range(4):
        response = await api.put("/api/v1/tokens/0/login", json={"password": "wrong"})
        assert _error(response) == (400, "pin_incorrect")
        assert (await _token(api))["status"] == "USER_PIN_INCORRECT"
    assert (await api.put("/api/v1/tokens/0/login", json={"password": PIN})).status_code == 200
    assert (await _token(api))["status"] == "OK"


async def test_wrong_pins_count_down_to_a_locked_token(
    populated_state: SandboxState, api: httpx.AsyncClient
) -> None:
    populated_state.set_pin_retry_limit(3)
    await api.put("/api/v1/tokens/0/logout")
    statuses = []
    for _attempt in range(3):
        response = await api.put("/api/v1/tokens/0/login", json={"password": "wrong"})
        assert _error(response) == (400, "pin_incorrect")
        statuses.append((await _token(api))["status"])
    assert statuses == ["USER_PIN_COUNT_LOW", "USER_PIN_FINAL_TRY", "USER_PIN_LOCKED"]
    locked = await api.put("/api/v1/tokens/0/login", json={"password": PIN})
    assert _error(locked) == (500, "core.signer.login_failed")
    assert locked.json()["error"]["metadata"] == ["CKR_PIN_LOCKED"]
    populated_state.unlock_token()
    assert (await api.put("/api/v1/tokens/0/login", json={"password": PIN})).status_code == 200
    assert populated_state.failed_logins() == 0
    # a good login resets the count before the token locks
    await api.put("/api/v1/tokens/0/logout")
    await api.put("/api/v1/tokens/0/login", json={"password": "wrong"})
    assert (await api.put("/api/v1/tokens/0/login", json={"password": PIN})).status_code == 200
    assert (await _token(api))["status"] == "OK"


async def test_pin_change_re_encrypts_the_keys(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    body = {"old_pin": "wrong", "new_pin": NEW_PIN}
    assert _error(await api.put("/api/v1/tokens/0/pin", json=body)) == (400, "pin_incorrect")
    invalid = await api.put("/api/v1/tokens/0/pin", json={"old_pin": PIN})
    assert _error(invalid) == (400, "validation_failure")
    assert invalid.json()["error"]["validation_errors"] == {"tokenPinUpdate.newPin": ["NotNull"]}
    populated_state.db.execute("UPDATE server_conf SET enforce_token_pin_policy = 1")
    weak = await api.put("/api/v1/tokens/0/pin", json={"old_pin": PIN, "new_pin": "1234"})
    assert _error(weak) == (400, "token_weak_pin")
    assert weak.json()["error"]["metadata"] == [
        "pin_min_length", "10", "pin_min_char_classes_count", "3"]
    response = await api.put("/api/v1/tokens/0/pin", json={"old_pin": PIN, "new_pin": NEW_PIN})
    assert response.status_code == 204
    assert (await _token(api))["logged_in"] is False  # as X-Road's signer, logged out after
    key_id = populated_ids["sign_key"]
    assert populated_state.softtoken.load(key_id, NEW_PIN).key_size == 2048
    with pytest.raises(ValueError):
        populated_state.softtoken.load(key_id, PIN)
    assert _error(await api.put("/api/v1/tokens/0/login", json={"password": PIN})) == (
        400, "pin_incorrect")
    assert (await api.put("/api/v1/tokens/0/login", json={"password": NEW_PIN})).status_code == 200
    logged_out_change = {"old_pin": NEW_PIN, "new_pin": PIN}
    await api.put("/api/v1/tokens/0/logout")
    assert _error(await api.put("/api/v1/tokens/0/pin", json=logged_out_change)) == (
        409, "action_not_possible")


async def test_token_friendly_name(api: httpx.AsyncClient) -> None:
    response = await api.patch("/api/v1/tokens/0", json={"name": "Tunduk token"})
    assert (response.status_code, response.json()["name"]) == (200, "Tunduk token")
    assert (await _token(api))["name"] == "Tunduk token"
    invalid = await api.patch("/api/v1/tokens/0", json={"name": ""})
    assert invalid.json()["error"]["validation_errors"] == {"tokenName.name": ["Size"]}
    assert (await api.patch("/api/v1/tokens/0", content=b"[1]")).json() == {"status": 400}


async def test_token_operations_need_their_roles(populated_state: SandboxState) -> None:
    async with unthrottled_client(populated_state, ["XROAD_SECURITYSERVER_OBSERVER"]) as observer:
        assert (await observer.put("/api/v1/tokens/0/logout")).json() == {"status": 403}
        assert (await observer.post("/api/v1/tokens/0/keys", json={})).status_code == 403
        assert (await observer.get("/api/v1/tokens/0")).status_code == 200
    async with unthrottled_client(populated_state, ["XROAD_SECURITY_OFFICER"]) as officer:
        change = {"old_pin": PIN, "new_pin": NEW_PIN}
        assert (await officer.put("/api/v1/tokens/0/pin", json=change)).status_code == 403


# -- keys ----------------------------------------------------------------------------------------

async def test_add_key(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/tokens/0/keys", json={"label": "new sign key"})
    assert response.status_code == 201
    key = response.json()
    assert response.headers["location"] == f"https://127.0.0.1:4000/api/keys/{key['id']}"
    assert (key["label"], key["name"], key["key_algorithm"]) == (
        "new sign key", "new sign key", "RSA")
    assert "usage" not in key and key["certificates"] == []
    assert key["possible_actions"] == [
        "DELETE", "EDIT_FRIENDLY_NAME", "GENERATE_AUTH_CSR", "GENERATE_SIGN_CSR"]
    assert (await api.get(f"/api/v1/keys/{key['id']}")).json() == key
    actions = await api.get(f"/api/v1/keys/{key['id']}/possible-actions")
    assert actions.json() == key["possible_actions"]
    renamed = await api.patch(f"/api/v1/keys/{key['id']}", json={"name": "renamed"})
    assert renamed.json()["name"] == "renamed" and renamed.json()["label"] == "new sign key"
    await api.put("/api/v1/tokens/0/logout")
    assert _error(await api.post("/api/v1/tokens/0/keys", json={})) == (409, "action_not_possible")
    assert _error(await api.get("/api/v1/keys/NOPE")) == (404, "key_not_found")


async def test_key_with_csr(populated_state: SandboxState, api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/tokens/0/keys-with-csrs", json=_auth_csr_request())
    assert response.status_code == 200  # X-Road answers 200 where its spec says 201
    body = response.json()
    key = body["key"]
    assert key["usage"] == "AUTHENTICATION"
    assert [csr["id"] for csr in key["certificate_signing_requests"]] == [body["csr_id"]]
    assert key["certificate_signing_requests"][0]["certificate_profile"].endswith(
        "BasicCertificateProfileInfoProvider")
    assert key["possible_actions"] == ["DELETE", "EDIT_FRIENDLY_NAME", "GENERATE_AUTH_CSR"]


async def test_key_with_csr_needs_a_logged_in_token(
    populated_state: SandboxState, api: httpx.AsyncClient
) -> None:
    await api.put("/api/v1/tokens/0/logout")
    before = len(populated_state.keys("0"))
    response = await api.post("/api/v1/tokens/0/keys-with-csrs", json=_auth_csr_request())
    assert _error(response) == (409, "action_not_possible")
    assert len(populated_state.keys("0")) == before


async def test_key_with_a_refused_csr_is_deleted_again(
    populated_state: SandboxState, api: httpx.AsyncClient
) -> None:
    before = {row["id"] for row in populated_state.keys("0")}
    request = _auth_csr_request()
    request["csr_generate_request"]["subject_field_values"] = {"CN": "ss1.example.kg"}
    assert _error(await api.post("/api/v1/tokens/0/keys-with-csrs", json=request)) == (
        400, "invalid_dn_parameter")
    request["csr_generate_request"]["ca_name"] = "No Such CA"
    assert _error(await api.post("/api/v1/tokens/0/keys-with-csrs", json=request)) == (
        400, "certificate_authority_not_found")
    sign = {"key_label": "s", "csr_generate_request": {
        "key_usage_type": "SIGNING", "ca_name": TEST_CA, "csr_format": "PEM",
        "subject_field_values": {"C": "KG"}}}
    assert _error(await api.post("/api/v1/tokens/0/keys-with-csrs", json=sign)) == (
        400, "memberId_required_for_sign_csr")
    sign["csr_generate_request"]["member_id"] = "SANDBOX-KG:COM:50010001"
    assert _error(await api.post("/api/v1/tokens/0/keys-with-csrs", json=sign)) == (
        400, "client_not_found")
    assert {row["id"] for row in populated_state.keys("0")} == before
    for path in populated_state.softtoken.directory.glob("*.p12"):
        assert path.stem in before  # no keystore was left behind
    incomplete = await api.post("/api/v1/tokens/0/keys-with-csrs", json={"key_label": "x"})
    assert incomplete.json()["error"]["validation_errors"] == {
        "keyLabelWithCsrGenerate.csrGenerateRequest": ["NotNull"]}


async def test_delete_keys(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    sign_key = populated_ids["sign_key"]
    assert (await api.delete(f"/api/v1/keys/{sign_key}")).status_code == 204
    assert not populated_state.softtoken.path(sign_key).exists()
    assert _error(await api.get(f"/api/v1/keys/{sign_key}")) == (404, "key_not_found")
    assert _error(await api.delete(f"/api/v1/keys/{sign_key}")) == (404, "key_not_found")


async def test_delete_key_with_registered_auth_certificate_warns(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    auth_key, auth_hash = populated_ids["auth_key"], populated_ids["auth_hash"]
    populated_state.set_certificate_status(auth_hash, "REGISTERED")
    response = await api.delete(f"/api/v1/keys/{auth_key}")
    assert response.status_code == 400
    assert response.json() == {
        "status": 400, "error": {"code": "warnings_detected"},
        "warnings": [{"code": "auth_key_with_registered_cert_warning", "metadata": [auth_key]}],
    }
    async with unthrottled_client(populated_state, ["XROAD_REGISTRATION_OFFICER"]) as officer:
        refused = await officer.delete(f"/api/v1/keys/{auth_key}?ignore_warnings=true")
        assert refused.status_code == 403  # DELETE_AUTH_KEY is the security officer's
    response = await api.delete(f"/api/v1/keys/{auth_key}?ignore_warnings=true")
    assert response.status_code == 204
    rows = populated_state.db.execute(
        "SELECT r.type, c.cert_hash FROM management_requests r "
        "JOIN management_request_certificates c ON c.request_id = r.id").fetchall()
    assert (centralserver.AUTH_CERT_DELETION, auth_hash) in [tuple(row) for row in rows]
    assert populated_state.keys("0") and auth_key not in {r["id"] for r in populated_state.keys("0")}


async def test_delete_key_needs_a_logged_in_token(
    populated_state: SandboxState, api: httpx.AsyncClient, populated_ids: dict[str, str]
) -> None:
    await api.put("/api/v1/tokens/0/logout")
    response = await api.delete(f"/api/v1/keys/{populated_ids['sign_key']}")
    assert _error(response) == (409, "action_not_possible")
    assert populated_state.key(populated_ids["sign_key"])["usage"] == "SIGNING"
