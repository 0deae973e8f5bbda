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
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI, V30ResponseValidator
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from starlette.applications import Starlette

from backend.sandbox.app import create_app
from backend.sandbox.state import SandboxState
from tests.conftest import REFERENCE_DIR
from tests.sandbox.conftest import client_for
from tests.sandboxes import ADMIN_PASSWORD, BASE_URL, OWNER_ID

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
