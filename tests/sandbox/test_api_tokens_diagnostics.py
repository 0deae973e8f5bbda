"""``/tokens`` and ``/diagnostics`` in a fresh and in a populated sandbox."""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
from cryptography import x509

from backend.sandbox.state import SandboxState
from backend.sandbox.wire import parse_time
from tests.sandboxes import AUTH_DAYS, OWNER_ID, SIGN_DAYS


def _date(text: str) -> dt.datetime:
    assert len(text) == 24 and text.endswith("Z")
    return parse_time(text.replace("Z", "+00:00"))


async def test_fresh_token(api_client: httpx.AsyncClient) -> None:
    tokens = (await api_client.get("/api/v1/tokens")).json()
    assert tokens == [{
        "id": "0", "name": "softToken-0", "type": "SOFTWARE", "keys": [],
        "status": "NOT_INITIALIZED", "logged_in": False, "available": False,
        "saved_to_configuration": True, "read_only": False, "token_infos": [],
        "possible_actions": ["EDIT_FRIENDLY_NAME"],
    }]
    assert (await api_client.get("/api/v1/tokens/0")).json() == tokens[0]


async def test_token_after_initialisation(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    sandbox_state.import_own_anchor()
    sandbox_state.initialize("GOV", "70000001", "SS1", "Tunduk-PIN-2024")
    token = (await api_client.get("/api/v1/tokens/0")).json()
    assert (token["status"], token["logged_in"], token["available"]) == ("OK", True, True)
    assert token["possible_actions"] == [
        "LOGOUT", "TOKEN_CHANGE_PIN", "GENERATE_KEY", "EDIT_FRIENDLY_NAME"]
    sandbox_state.logout_token()
    token = (await api_client.get("/api/v1/tokens/0")).json()
    assert token["possible_actions"] == ["LOGIN", "EDIT_FRIENDLY_NAME"]


async def test_populated_token_keys_and_certificates(
    populated_state: SandboxState,
    populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    token = (await populated_client.get("/api/v1/tokens/0")).json()
    keys = {key["id"]: key for key in token["keys"]}
    auth_key, sign_key = keys[populated_ids["auth_key"]], keys[populated_ids["sign_key"]]
    assert (auth_key["usage"], sign_key["usage"]) == ("AUTHENTICATION", "SIGNING")
    assert auth_key["key_algorithm"] == "RSA" and auth_key["label"] == "auth-key"
    assert auth_key["possible_actions"] == ["DELETE", "EDIT_FRIENDLY_NAME"]

    auth = auth_key["certificates"][0]
    assert auth["status"] == "SAVED" and auth["active"] is True
    assert "ocsp_status" not in auth and "owner_id" not in auth  # as X-Road leaves them out
    assert auth["possible_actions"] == ["DELETE", "DISABLE", "REGISTER"]
    details = auth["certificate_details"]
    assert details["key_usages"] == ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"]
    assert details["subject_common_name"] == "SS1"
    assert details["issuer_distinguished_name"] == (
        "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG")
    assert (_date(details["not_after"]) - _date(details["not_before"])).days == AUTH_DAYS

    sign = sign_key["certificates"][0]
    assert (sign["status"], sign["ocsp_status"], sign["owner_id"]) == (
        "REGISTERED", "OCSP_RESPONSE_GOOD", OWNER_ID)
    assert sign["possible_actions"] == ["DELETE", "DISABLE"]
    details = sign["certificate_details"]
    der = populated_state.certificate(populated_ids["sign_hash"])["der"]
    cert = x509.load_der_x509_certificate(der)
    assert details["hash"] == hashlib.sha256(der).hexdigest().upper() == populated_ids["sign_hash"]
    assert details["serial"] == str(cert.serial_number)
    assert details["rsa_public_key_modulus"] == format(cert.public_key().public_numbers().n, "x")
    assert details["rsa_public_key_exponent"] == 65537
    assert details["key_usages"] == ["NON_REPUDIATION"]
    assert details["signature_algorithm"] == "SHA256withECDSA"
    assert details["subject_distinguished_name"] == (
        "CN=Ala-Too State Registry Service, SERIALNUMBER=70000001, OID.2.5.4.15=GOV, "
        "O=Ala-Too State Registry Service, C=KG")
    assert (_date(details["not_after"]) - _date(details["not_before"])).days == SIGN_DAYS
    assert "subject_alternative_names" not in details


async def test_registered_auth_certificate_can_be_unregistered(
    populated_state: SandboxState,
    populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    populated_state.set_certificate_status(populated_ids["auth_hash"], "REGISTERED")
    token = (await populated_client.get("/api/v1/tokens/0")).json()
    key = next(k for k in token["keys"] if k["id"] == populated_ids["auth_key"])
    cert = key["certificates"][0]
    assert cert["possible_actions"] == ["DISABLE", "UNREGISTER"]
    assert cert["ocsp_status"] == "OCSP_RESPONSE_GOOD"


async def test_new_key_and_csr_actions(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    key_id = populated_state.generate_key("")
    csr_id = populated_state.create_csr(key_id, "SIGNING", OWNER_ID)
    token = (await populated_client.get("/api/v1/tokens/0")).json()
    key = next(k for k in token["keys"] if k["id"] == key_id)
    assert key["name"] == key["label"] == key_id  # an empty label falls back to the id
    assert key["possible_actions"] == ["DELETE", "EDIT_FRIENDLY_NAME", "GENERATE_SIGN_CSR"]
    assert key["certificate_signing_requests"] == [{
        "id": csr_id, "owner_id": OWNER_ID,
        "certificate_profile": populated_state.seed.ca.certificate_profile_info,
        "possible_actions": ["DELETE"],
    }]
    unused = populated_state.generate_key("unused")
    token = (await populated_client.get("/api/v1/tokens/0")).json()
    key = next(k for k in token["keys"] if k["id"] == unused)
    assert key["possible_actions"] == [
        "DELETE", "EDIT_FRIENDLY_NAME", "GENERATE_AUTH_CSR", "GENERATE_SIGN_CSR"]


async def test_fresh_diagnostics(api_client: httpx.AsyncClient) -> None:
    global_conf = (await api_client.get("/api/v1/diagnostics/globalconf")).json()
    assert global_conf["status_class"] == "WAITING"  # no anchor: configuration client waits
    assert (_date(global_conf["next_update_at"]) - _date(global_conf["prev_update_at"])
            == dt.timedelta(seconds=60))
    assert (await api_client.get("/api/v1/diagnostics/timestamping-services")).json() == []
    assert (await api_client.get("/api/v1/diagnostics/ocsp-responders")).json() == []


async def test_populated_diagnostics(populated_client: httpx.AsyncClient) -> None:
    global_conf = (await populated_client.get("/api/v1/diagnostics/globalconf")).json()
    assert global_conf["status_class"] == "OK" and "error" not in global_conf
    services = (await populated_client.get("/api/v1/diagnostics/timestamping-services")).json()
    assert [(s["url"], s["status_class"], s["cost_type"]) for s in services] == [
        ("https://127.0.0.1:4000/sandbox/tsa", "WAITING", "FREE")]
    cas = (await populated_client.get("/api/v1/diagnostics/ocsp-responders")).json()
    assert cas[0]["distinguished_name"] == (
        "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG")
    responder = cas[0]["ocsp_responders"][0]
    assert responder["url"] == "https://127.0.0.1:4000/sandbox/ocsp"
    assert responder["status_class"] == "OK"
    assert (_date(responder["next_update_at"]) - _date(responder["prev_update_at"])
            == dt.timedelta(seconds=1200))


async def test_ocsp_responder_waits_without_certificates(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    sandbox_state.import_own_anchor()
    cas = (await api_client.get("/api/v1/diagnostics/ocsp-responders")).json()
    responder = cas[0]["ocsp_responders"][0]
    assert responder["status_class"] == "WAITING" and "prev_update_at" not in responder


async def test_global_conf_failure(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    populated_state.set_global_conf_error("conf_download_failed")
    global_conf = (await populated_client.get("/api/v1/diagnostics/globalconf")).json()
    assert global_conf["status_class"] == "FAIL"
    assert global_conf["error"] == {"code": "conf_download_failed"}
