"""Every sandbox response of the implemented endpoints, validated against X-Road's OpenAPI spec.

The security server spec (``xroad-ss-openapi.bundled.yaml``) covers ``/system``,
``/initialization``, ``/tokens`` and ``/diagnostics``; the common spec
(``xroad-common-openapi-definition.yaml``) covers ``/user``. ``/notifications/alerts`` and
``/api-keys`` are in no spec file: they are checked against JSON schemas written below from X-Road's
controllers. Responses are checked in several states: fresh, initialised with keys and
authentication and signing certificates, and with a failing global configuration.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI, V30ResponseValidator
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from starlette.applications import Starlette

from backend.sandbox.app import create_app
from backend.sandbox.state import SandboxState
from tests.conftest import REFERENCE_DIR
from tests.sandbox.conftest import client_for, unthrottled_client
from tests.sandboxes import ADMIN_PASSWORD, BASE_URL, OWNER_ID, PIN

SS_SPEC = REFERENCE_DIR / "xroad-ss-openapi.bundled.yaml"
COMMON_SPEC = REFERENCE_DIR / "xroad-common-openapi-definition.yaml"

SPEC_ENDPOINTS = (
    "/api/v1/system/version",
    "/api/v1/system/node-type",
    "/api/v1/initialization/status",
    "/api/v1/tokens",
    "/api/v1/tokens/0",
    "/api/v1/diagnostics/globalconf",
    "/api/v1/diagnostics/timestamping-services",
    "/api/v1/diagnostics/ocsp-responders",
)

# Where X-Road 7.8 itself answers differently from its spec, the sandbox answers as X-Road does,
# and the spec copy used here is relaxed accordingly (Jackson NON_NULL omits null fields):
#  * CertificateDetails.subject_alternative_names: CertUtils.getSubjectAlternativeNames returns
#    null for a certificate without a SAN extension (X-Road's basic profiles have none).
#  * TokenCertificate.ocsp_status: TokenCertificateConverter.getOcspStatus returns null for an
#    active, unexpired certificate that is not REGISTERED (e.g. a SAVED authentication cert).
#  * TokenCertificate.owner_id and TokenCertificateSigningRequest.owner_id: only set when the
#    signer knows a member id, which authentication certificates and CSRs do not have.
KNOWN_DEVIATIONS = {
    "CertificateDetails": {"subject_alternative_names"},
    "TokenCertificate": {"ocsp_status", "owner_id"},
    "TokenCertificateSigningRequest": {"owner_id"},
}

# GET /notifications/alerts: NotificationsAlertsApiController returns AlertData
# (AlertDataConverter); current_time and backup_restore_running_since only while a backup or
# restore runs.
ALERTS_SCHEMA = {
    "type": "object",
    "required": [
        "global_conf_valid", "global_conf_valid_check_success", "soft_token_pin_entered",
        "soft_token_pin_entered_check_success", "certificate_renewal_job_success",
        "auth_certificate_ids_with_errors", "sign_certificate_ids_with_errors",
    ],
    "additionalProperties": False,
    "properties": {
        "current_time": {"type": "string", "minLength": 24, "maxLength": 24},
        "backup_restore_running_since": {"type": "string", "minLength": 24, "maxLength": 24},
        "global_conf_valid": {"type": "boolean"},
        "global_conf_valid_check_success": {"type": "boolean"},
        "soft_token_pin_entered": {"type": "boolean"},
        "soft_token_pin_entered_check_success": {"type": "boolean"},
        "certificate_renewal_job_success": {"type": "boolean"},
        "auth_certificate_ids_with_errors": {"type": "array", "items": {"type": "string"}},
        "sign_certificate_ids_with_errors": {"type": "array", "items": {"type": "string"}},
    },
}

ROLE_NAMES = [
    "XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER", "XROAD_SERVICE_ADMINISTRATOR",
    "XROAD_SYSTEM_ADMINISTRATOR", "XROAD_SECURITYSERVER_OBSERVER", "XROAD_MANAGEMENT_SERVICE",
]
# /api-keys: ApiKeysController returns PublicApiKeyData {id, key (only when created), roles}
# (PublicApiKeyDataConverter); roles are the Role enum's names.
API_KEY_SCHEMA = {
    "type": "object",
    "required": ["id", "roles"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "key": {"type": "string", "minLength": 36, "maxLength": 36},
        "roles": {"type": "array", "minItems": 1, "uniqueItems": True,
                  "items": {"type": "string", "enum": ROLE_NAMES}},
    },
}
SESSION_STATUS_SCHEMA = {
    "type": "object", "required": ["valid"], "additionalProperties": False,
    "properties": {"valid": {"type": "boolean"}},
}


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        pytest.skip(f"the X-Road spec {path} is not available")
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


@cache
def _ss_spec() -> tuple[OpenAPI, dict[str, Any]]:
    spec = copy.deepcopy(_load(SS_SPEC))
    schemas = spec["components"]["schemas"]
    for name, fields in KNOWN_DEVIATIONS.items():
        schemas[name]["required"] = [f for f in schemas[name]["required"] if f not in fields]
    config = Config(spec_validator_cls=None, response_validator_cls=V30ResponseValidator)
    return OpenAPI(SchemaPath.from_dict(spec), config=config), schemas


@cache
def _common_spec() -> OpenAPI:
    config = Config(spec_validator_cls=None, response_validator_cls=V30ResponseValidator)
    return OpenAPI(SchemaPath.from_dict(_load(COMMON_SPEC)), config=config)


def ss_openapi() -> OpenAPI:
    return _ss_spec()[0]


def validate(openapi: OpenAPI, path: str, response: httpx.Response) -> None:
    assert response.status_code == 200, (path, response.status_code, response.text)
    openapi.validate_response(
        MockRequest(BASE_URL, "get", path),
        MockResponse(response.content, status_code=response.status_code,
                     content_type=response.headers["content-type"]),
    )


def validate_error_info(body: Any) -> None:
    """An error body against the spec's ``ErrorInfo``."""
    schemas = _ss_spec()[1]
    resolver_spec = {"components": {"schemas": schemas}}
    schema = {**schemas["ErrorInfo"], "components": resolver_spec["components"]}
    OAS30Validator(schema).validate(body)


async def validate_all(client: httpx.AsyncClient) -> dict[str, Any]:
    bodies = {}
    for path in SPEC_ENDPOINTS:
        response = await client.get(path)
        validate(ss_openapi(), path, response)
        bodies[path] = response.json()
    user = await client.get("/api/v1/user")
    validate(_common_spec(), "/api/v1/user", user)
    alerts = await client.get("/api/v1/notifications/alerts")
    OAS30Validator(ALERTS_SCHEMA).validate(alerts.json())
    session = await client.get("/api/v1/notifications/session-status")
    OAS30Validator(SESSION_STATUS_SCHEMA).validate(session.json())
    return bodies


def _check_times(value: Any) -> None:
    """Every ``*_at`` and validity time is written like ``2018-12-15T00:00:00.001Z``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith("_at") or key in ("not_before", "not_after")):
                assert len(item) == 24 and item[10] == "T" and item.endswith("Z"), (key, item)
            _check_times(item)
    elif isinstance(value, list):
        for item in value:
            _check_times(item)


async def test_fresh_sandbox_conforms(api_client: httpx.AsyncClient) -> None:
    bodies = await validate_all(api_client)
    _check_times(bodies)


async def test_populated_sandbox_conforms(
    populated_state: SandboxState, populated_client: httpx.AsyncClient
) -> None:
    auth_key = populated_state.generate_key("pending auth")
    populated_state.create_csr(auth_key, "AUTHENTICATION")
    sign_key = populated_state.generate_key("pending sign")
    populated_state.create_csr(sign_key, "SIGNING", OWNER_ID)
    populated_state.generate_key("unused")
    bodies = await validate_all(populated_client)
    _check_times(bodies)
    certificates = [cert for key in bodies["/api/v1/tokens/0"]["keys"]
                    for cert in key["certificates"]]
    assert {cert["status"] for cert in certificates} == {"SAVED", "REGISTERED"}


async def test_states_after_changes_conform(
    populated_state: SandboxState, populated_client: httpx.AsyncClient,
    populated_ids: dict[str, str],
) -> None:
    populated_state.set_certificate_status(populated_ids["auth_hash"], "REGISTERED")
    populated_state.revoke_certificate(populated_ids["sign_hash"])
    populated_state.set_global_conf_error("conf_download_failed")
    populated_state.logout_token()
    bodies = await validate_all(populated_client)
    assert bodies["/api/v1/diagnostics/globalconf"]["status_class"] == "FAIL"


async def test_error_bodies_are_error_info(
    sandbox_state: SandboxState, sandbox_app: Starlette, api_client: httpx.AsyncClient
) -> None:
    for response in (
        await api_client.get("/api/v1/tokens/9"),
        await api_client.get("/api/v1/no-such-path"),
        await api_client.delete("/api/v1/system/version"),
    ):
        validate_error_info(response.json())
    _key_id, key = sandbox_state.create_api_key(["XROAD_SERVICE_ADMINISTRATOR"])
    async with client_for(sandbox_app, key=key) as limited:
        validate_error_info((await limited.get("/api/v1/tokens")).json())
    async with client_for(create_app(sandbox_state)) as anonymous:
        validate_error_info((await anonymous.get("/api/v1/tokens")).json())


async def test_api_keys_conform(sandbox_state: SandboxState) -> None:
    admin = ("admin", ADMIN_PASSWORD)
    async with client_for(create_app(sandbox_state)) as client:
        created = await client.post("/api/v1/api-keys", json=["XROAD_SECURITY_OFFICER"],
                                    auth=admin)
        OAS30Validator(API_KEY_SCHEMA).validate(created.json())
        key_id = created.json()["id"]
        listed = await client.get("/api/v1/api-keys", auth=admin)
        OAS30Validator({"type": "array", "items": API_KEY_SCHEMA}).validate(listed.json())
        for response in (
            await client.get(f"/api/v1/api-keys/{key_id}", auth=admin),
            await client.put(f"/api/v1/api-keys/{key_id}", json=["XROAD_SECURITY_OFFICER"],
                             auth=admin),
        ):
            body = response.json()
            OAS30Validator(API_KEY_SCHEMA).validate(body)
            assert "key" not in body
        validate_error_info((await client.get("/api/v1/api-keys/404", auth=admin)).json())
        invalid = await client.post("/api/v1/api-keys", json=["NOBODY"], auth=admin)
        validate_error_info(invalid.json())
        assert json.loads(invalid.content)["error"]["code"] == "invalid_role"


# -- configuration anchor, initialisation and the global configuration's lists ---------------------

# GET endpoints added with the anchor and initialisation, checked in an initialised sandbox.
GLOBALCONF_SPEC_ENDPOINTS = (
    "/api/v1/system/anchor",
    "/api/v1/xroad-instances",
    "/api/v1/member-classes",
    "/api/v1/member-classes?current_instance=true",
    "/api/v1/member-classes/SANDBOX-KG",
    "/api/v1/member-names?member_class=GOV&member_code=70000001",
    "/api/v1/security-servers",
    "/api/v1/security-servers?current_server=true",
    "/api/v1/security-servers/SANDBOX-KG:GOV:70000002:SS-ISSYK",
    "/api/v1/timestamping-services",
    "/api/v1/system/timestamping-services",
    "/api/v1/system/timestamping-services/prioritization-strategy",
)


def validate_call(method: str, url: str, response: httpx.Response, status: int) -> None:
    """A response of any method, with the status X-Road's controller answers."""
    assert response.status_code == status, (url, response.status_code, response.text)
    path, _sep, query = url.partition("?")
    args = dict(pair.split("=", 1) for pair in query.split("&")) if query else None
    ss_openapi().validate_response(
        MockRequest(BASE_URL, method, path, args=args),
        MockResponse(response.content, status_code=response.status_code,
                     content_type=response.headers.get("content-type", "")),
    )


def validate_schema(name: str, body: Any) -> None:
    schemas = _ss_spec()[1]
    OAS30Validator({**schemas[name], "components": {"schemas": schemas}}).validate(body)


async def test_anchor_and_initialisation_conform(sandbox_state: SandboxState) -> None:
    async with unthrottled_client(sandbox_state) as api_client:  # more than 20 requests a second
        await _anchor_and_initialisation_conform(sandbox_state, api_client)


async def _anchor_and_initialisation_conform(
    sandbox_state: SandboxState, api_client: httpx.AsyncClient
) -> None:
    own = sandbox_state.central.anchor
    octets = {"Content-Type": "application/octet-stream"}
    # POST /system/anchor/previews: the spec documents 201, but SystemApiController.previewAnchor
    # returns `new ResponseEntity<>(..., HttpStatus.OK)`; its body is checked against `Anchor`.
    preview = await api_client.post("/api/v1/system/anchor/previews?validate_instance=false",
                                    content=own, headers=octets)
    assert preview.status_code == 200
    validate_schema("Anchor", preview.json())
    malformed = await api_client.post("/api/v1/system/anchor/previews?validate_instance=false",
                                      content=b"<no/>", headers=octets)
    validate_error_info(malformed.json())
    validate_call("post", "/api/v1/system/anchor",
                  await api_client.post("/api/v1/system/anchor", content=own, headers=octets), 201)
    init = "/api/v1/initialization"
    for body in ({}, {"owner_member_class": "GOV", "owner_member_code": "404",
                      "security_server_code": "SS:1", "software_token_pin": "x"}):
        validate_error_info((await api_client.post(init, json=body)).json())
    request = {"owner_member_class": "GOV", "owner_member_code": "404",
               "security_server_code": "SS1", "software_token_pin": "Tunduk-PIN-2024"}
    warned = await api_client.post(init, json=request)
    assert warned.json()["error"]["code"] == "warnings_detected"
    validate_error_info(warned.json())
    validate_call("post", init,
                  await api_client.post(init, json={**request, "ignore_warnings": True}), 201)
    validate_call("put", "/api/v1/system/anchor",
                  await api_client.put("/api/v1/system/anchor", content=own, headers=octets), 201)
    tsa = (await api_client.get("/api/v1/timestamping-services")).json()[0]
    validate_call("post", "/api/v1/system/timestamping-services",
                  await api_client.post("/api/v1/system/timestamping-services", json=tsa), 201)
    for url in GLOBALCONF_SPEC_ENDPOINTS:
        validate_call("get", url, await api_client.get(url), 200)
    # the download is a file (`type: string, format: binary`), which openapi-core would parse as
    # XML first; its media type is what the spec can say about it
    download = await api_client.get("/api/v1/system/anchor/download")
    declared = _load(SS_SPEC)["paths"]["/system/anchor/download"]["get"]["responses"]["200"]
    assert (download.status_code, download.content) == (200, own)
    assert download.headers["content-type"] in declared["content"]
    validate_call("post", "/api/v1/system/timestamping-services/delete",
                  await api_client.post("/api/v1/system/timestamping-services/delete", json=tsa),
                  204)
    _check_times((await api_client.get("/api/v1/system/anchor")).json())


async def test_global_configuration_errors_are_error_info(api_client: httpx.AsyncClient) -> None:
    for url in ("/api/v1/xroad-instances", "/api/v1/system/anchor",
                "/api/v1/security-servers?current_server=true"):
        response = await api_client.get(url)
        assert response.status_code == 500
        validate_error_info(response.json())


# -- tokens, keys, CSRs, token certificates and certificate authorities ---------------------------

# Where X-Road's controllers answer another status than the spec documents (xroad-admin-api.md
# §4.2), the sandbox answers as X-Road does and its body is checked against the documented schema:
#  * POST /tokens/{id}/keys-with-csrs: spec 201, TokensApiController.addKeyAndCsr answers 200.
#  * POST /keys/{id}/csrs and GET /keys/{id}/csrs/{csr_id}: spec 201, KeysApiController answers
#    200 with the file (createAttachmentResourceResponse), 204 for an ACME order.
#  * PUT /token-certificates/{hash}/register: spec 200, the controller answers 204.
#  * POST /certificate-authorities/{ca_name}/acme-order: spec 200, the controller answers 204.


def _declared_file(path: str, method: str, status: str, response: httpx.Response) -> None:
    """A file answer: its media type is what the spec declares for ``status``."""
    declared = _load(SS_SPEC)["paths"][path][method]["responses"][status]
    assert response.headers["content-type"] in declared["content"], response.headers


async def test_tokens_keys_and_certificates_conform(populated_state: SandboxState) -> None:
    from backend.sandbox import centralserver
    from backend.sandbox.ca import SandboxCA
    from tests.sandbox.conftest import unthrottled_client

    centralserver.set_request_delay(populated_state, 0)
    async with unthrottled_client(populated_state) as api:
        await _tokens_conform(api)
        key_id, csr_id = await _keys_and_csrs_conform(api)
        authority = SandboxCA.open(populated_state.data_dir)
        try:
            request = (await api.get(f"/api/v1/keys/{key_id}/csrs/{csr_id}")).content
            cert = authority.sign(request).public_bytes(serialization.Encoding.DER)
        finally:
            authority.close()
        await _certificates_conform(api, cert)
        await _certificate_authorities_conform(api)
        bodies = await validate_all(api)
        _check_times(bodies)


async def _tokens_conform(api: httpx.AsyncClient) -> None:
    validate_call("put", "/api/v1/tokens/0/logout", await api.put("/api/v1/tokens/0/logout"), 200)
    wrong = await api.put("/api/v1/tokens/0/login", json={"password": "wrong"})
    validate_error_info(wrong.json())
    validate_call("get", "/api/v1/tokens/0", await api.get("/api/v1/tokens/0"), 200)
    validate_call("put", "/api/v1/tokens/0/login",
                  await api.put("/api/v1/tokens/0/login", json={"password": PIN}), 200)
    validate_call("patch", "/api/v1/tokens/0",
                  await api.patch("/api/v1/tokens/0", json={"name": "softToken-0"}), 200)
    validate_error_info((await api.put("/api/v1/tokens/0/pin", json={})).json())
    validate_call("put", "/api/v1/tokens/0/pin",
                  await api.put("/api/v1/tokens/0/pin",
                                json={"old_pin": PIN, "new_pin": PIN + "-2"}), 204)
    await api.put("/api/v1/tokens/0/login", json={"password": PIN + "-2"})


async def _keys_and_csrs_conform(api: httpx.AsyncClient) -> tuple[str, str]:
    added = await api.post("/api/v1/tokens/0/keys", json={"label": "conformance"})
    validate_call("post", "/api/v1/tokens/0/keys", added, 201)
    key_id = added.json()["id"]
    key_path = f"/api/v1/keys/{key_id}"
    validate_call("get", key_path, await api.get(key_path), 200)
    validate_call("patch", key_path, await api.patch(key_path, json={"name": "renamed"}), 200)
    validate_call("get", key_path + "/possible-actions",
                  await api.get(key_path + "/possible-actions"), 200)
    request = {"key_usage_type": "AUTHENTICATION", "ca_name": "Kapka Sandbox Test CA",
               "csr_format": "DER", "subject_field_values": {"CN": "ss1.example.kg", "C": "KG"}}
    generated = await api.post(key_path + "/csrs", json=request)
    assert generated.status_code == 200
    _declared_file("/keys/{id}/csrs", "post", "201", generated)
    with_csr = await api.post("/api/v1/tokens/0/keys-with-csrs",
                              json={"key_label": "auth", "csr_generate_request": request})
    assert with_csr.status_code == 200
    validate_schema("KeyWithCertificateSigningRequestId", with_csr.json())
    auth_key, csr_id = with_csr.json()["key"]["id"], with_csr.json()["csr_id"]
    csr_path = f"/api/v1/keys/{auth_key}/csrs/{csr_id}"
    downloaded = await api.get(csr_path)
    assert downloaded.status_code == 200
    _declared_file("/keys/{id}/csrs/{csr_id}", "get", "201", downloaded)
    validate_call("get", csr_path + "/possible-actions",
                  await api.get(csr_path + "/possible-actions"), 200)
    validate_error_info((await api.post(key_path + "/csrs", json={**request, "ca_name": "X"})).json())
    own_csr = (await api.get(key_path)).json()["certificate_signing_requests"][0]["id"]
    validate_call("delete", f"{key_path}/csrs/{own_csr}",
                  await api.delete(f"{key_path}/csrs/{own_csr}"), 204)
    validate_call("delete", key_path, await api.delete(key_path), 204)
    validate_error_info((await api.get(key_path)).json())
    return auth_key, csr_id


async def _certificates_conform(api: httpx.AsyncClient, cert: bytes) -> None:
    imported = await api.post("/api/v1/token-certificates", content=cert,
                              headers={"Content-Type": "application/octet-stream"})
    validate_call("post", "/api/v1/token-certificates", imported, 201)
    path = f"/api/v1/token-certificates/{imported.json()['certificate_details']['hash']}"
    validate_error_info((await api.post("/api/v1/token-certificates", content=cert)).json())
    validate_error_info((await api.post(path + "/import")).json())
    for action in ("activate", "disable"):
        validate_call("put", f"{path}/{action}", await api.put(f"{path}/{action}"), 204)
    registered = await api.put(path + "/register", json={"address": "ss1.example.kg"})
    assert (registered.status_code, registered.content) == (204, b"")
    tokens = (await api.get("/api/v1/tokens")).json()
    key_id = next(key["id"] for token in tokens for key in token["keys"]
                  if any(cert["certificate_details"]["hash"] == path.rsplit("/", 1)[1]
                         for cert in key["certificates"]))
    warned = await api.delete(f"/api/v1/keys/{key_id}")
    assert warned.json()["error"]["code"] == "warnings_detected"
    validate_error_info(warned.json())
    validate_call("get", path, await api.get(path), 200)
    validate_call("get", path + "/possible-actions", await api.get(path + "/possible-actions"), 200)
    validate_call("put", path + "/unregister", await api.put(path + "/unregister"), 204)
    validate_error_info((await api.put(path + "/mark-for-deletion")).json())
    validate_call("delete", path, await api.delete(path), 204)


async def _certificate_authorities_conform(api: httpx.AsyncClient) -> None:
    base = "/api/v1/certificate-authorities"
    for url in (base, f"{base}?key_usage_type=SIGNING&include_intermediate_cas=true",
                f"{base}/Kapka Sandbox Test CA/csr-subject-fields?key_usage_type=AUTHENTICATION",
                f"{base}/Kapka Sandbox Test CA/csr-subject-fields?key_usage_type=SIGNING"
                f"&member_id={OWNER_ID}",
                f"{base}/Kapka Sandbox ACME CA/has-acme-eab-credentials"
                "?key_usage_type=AUTHENTICATION"):
        validate_call("get", url, await api.get(url), 200)
    _check_times((await api.get(base)).json())
    validate_error_info((await api.get(f"{base}/X/csr-subject-fields",
                                       params={"key_usage_type": "AUTHENTICATION"})).json())
    key = await api.post("/api/v1/tokens/0/keys-with-csrs", json={
        "key_label": "acme", "csr_generate_request": {
            "key_usage_type": "AUTHENTICATION", "ca_name": "Kapka Sandbox ACME CA",
            "csr_format": "PEM", "subject_field_values": {"CN": "ss1.example.kg", "C": "KG"}}})
    ordered = await api.post(f"{base}/Kapka Sandbox ACME CA/acme-order",
                             json={"csr_id": key.json()["csr_id"],
                                   "key_usage_type": "AUTHENTICATION"})
    assert (ordered.status_code, ordered.content) == (204, b"")
