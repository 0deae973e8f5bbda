"""Every response of the client, local group and access-right endpoints, validated against X-Road's
OpenAPI spec (``xroad-ss-openapi.bundled.yaml``), with the deviations of X-Road's own controllers
documented below.

Where X-Road 7.8 answers with another status than its spec documents, the sandbox answers as X-Road
does and the body is checked against the documented schema:

* ``POST /services/{id}/service-clients``: spec 201, ``ServicesApiController.addServiceServiceClients``
  returns ``HttpStatus.OK`` (``xroad-admin-api.md`` §4.2).

Besides the deviations of ``test_spec_conformance.KNOWN_DEVIATIONS``, ``CertificateDetails`` of an
uploaded IS TLS certificate is checked without the spec's ``maxLength`` on ``signature`` (255) and
``subject_alternative_names`` (1000): ``CertificateDetailsConverter`` writes the whole hex signature
(512 characters for any RSA-2048 signature) and every SAN, whatever the spec says; the upstream test
certificate ``google-cert.pem`` has both.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import httpx
import pytest
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI, V30ResponseValidator
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from backend.sandbox.state import SandboxState
from tests.conftest import REFERENCE_DIR
from tests.sandbox.clients_support import (
    NOTIFICATIONS,
    OWNER,
    OWNERS_GROUP,
    PERMITS,
    REGISTRY,
    TRACKING,
    add_client,
    add_services,
    codes,
    items,
    path,
    register_server,
)
from tests.sandbox.conftest import unthrottled_client
from tests.sandbox.test_spec_conformance import (
    KNOWN_DEVIATIONS,
    SS_SPEC,
    _check_times,
    _load,
    validate_error_info,
)
from tests.sandboxes import BASE_URL

OCTETS = {"Content-Type": "application/octet-stream"}
CERT = REFERENCE_DIR / "fixtures" / "certs" / "google-cert.pem"


@cache
def _spec() -> tuple[OpenAPI, dict[str, Any]]:
    spec = copy.deepcopy(_load(SS_SPEC))
    schemas = spec["components"]["schemas"]
    for name, fields in KNOWN_DEVIATIONS.items():
        schemas[name]["required"] = [f for f in schemas[name]["required"] if f not in fields]
    for field in ("signature", "subject_alternative_names"):
        schemas["CertificateDetails"]["properties"][field].pop("maxLength")
    config = Config(spec_validator_cls=None, response_validator_cls=V30ResponseValidator)
    return OpenAPI(SchemaPath.from_dict(spec), config=config), schemas


def validate_call(method: str, url: str, response: httpx.Response, status: int) -> None:
    """A response with the status X-Road's controller answers, against the spec."""
    assert response.status_code == status, (url, response.status_code, response.text)
    path, _sep, query = url.partition("?")
    args = dict(pair.split("=", 1) for pair in query.split("&")) if query else None
    _spec()[0].validate_response(
        MockRequest(BASE_URL, method, path, args=args),
        MockResponse(response.content, status_code=response.status_code,
                     content_type=response.headers.get("content-type", "")))


def validate_array(schema: str, body: Any) -> None:
    """A body against ``[<schema>]`` (for answers whose status the spec does not list)."""
    schemas = _spec()[1]
    array = {"type": "array", "items": {"$ref": f"#/components/schemas/{schema}"},
             "components": {"schemas": schemas}}
    OAS30Validator(array).validate(body)


class Checker:
    """Sends requests and validates each answer against the spec; collects bodies for the time
    format check."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api
        self.bodies: list[Any] = []

    async def call(self, method: str, url: str, status: int, **kwargs: Any) -> httpx.Response:
        response = await self.api.request(method, url, **kwargs)
        validate_call(method, url, response, status)
        if response.content:
            self.bodies.append(response.json())
        return response

    async def refused(self, method: str, url: str, status: int, code: str | None,
                      **kwargs: Any) -> None:
        response = await self.api.request(method, url, **kwargs)
        assert response.status_code == status, (url, response.text)
        body = response.json()
        validate_error_info(body)
        assert (body.get("error") or {}).get("code") == code, (url, body)


@pytest.fixture
async def checker(populated_state: SandboxState,
                  populated_ids: dict[str, str]) -> Any:
    register_server(populated_state, populated_ids["auth_hash"])
    async with unthrottled_client(populated_state) as api:
        yield Checker(api)


async def test_clients_conform(populated_state: SandboxState, checker: Checker) -> None:
    body = {"client": {"member_class": "GOV", "member_code": "70000001",
                       "subsystem_code": "registry"}}
    await checker.call("post", "/api/v1/clients", 201, json=body)
    await checker.refused("post", "/api/v1/clients", 409, "client_already_exists", json=body)
    unregistered = {"client": {"member_class": "GOV", "member_code": "404"}}
    await checker.refused("post", "/api/v1/clients", 400, "warnings_detected", json=unregistered)
    await checker.refused("post", "/api/v1/clients", 400, "validation_failure",
                          json={"client": {"member_class": "GOV", "member_code": "a:b"}})
    for query in ("", "?internal_search=false", "?internal_search=false&exclude_local=true",
                  "?show_members=false&local_valid_sign_cert=true",
                  "?include_management_service_check=true&name=ala"):
        await checker.call("get", "/api/v1/clients" + query, 200)
    await checker.call("get", path(REGISTRY), 200)
    await checker.call("patch", path(REGISTRY), 200, json={"connection_type": "HTTP"})
    await checker.refused("get", path(PERMITS), 404, None)
    await checker.call("put", path(REGISTRY) + "/rename", 204, json={"client_name": "Registry"})
    await checker.call("put", path(REGISTRY) + "/register", 204)
    await checker.call("get", path(REGISTRY), 200)  # REGISTERED, with its subsystem name
    await checker.refused("put", path(REGISTRY) + "/register", 409, "action_not_possible")
    await checker.call("put", path(REGISTRY) + "/disable", 204)
    await checker.call("put", path(REGISTRY) + "/enable", 204)
    await checker.call("get", path(REGISTRY) + "/security-servers", 200)
    await checker.call("get", path(REGISTRY) + "/sign-certificates", 200)
    await checker.refused("put", path(OWNER) + "/unregister", 409, "cannot_unregister_owner")
    await checker.refused("put", path(OWNER) + "/make-owner", 400, "member_already_owner")
    await checker.call("put", path(REGISTRY) + "/unregister", 204)
    await checker.call("delete", path(REGISTRY), 204)
    await checker.refused("delete", path(REGISTRY), 404, "client_not_found")
    await checker.refused("delete", path(OWNER), 409, "cannot_delete_owner")
    populated_state.set_global_conf_error("conf_download_failed")
    add_client(populated_state, NOTIFICATIONS)
    await checker.refused("put", path(NOTIFICATIONS) + "/register", 409, "global_conf_outdated")
    populated_state.set_global_conf_error(None)
    populated_state.logout_token()
    await checker.refused("put", path(NOTIFICATIONS) + "/register", 500,
                          "management_request_sending_failed")
    _check_times(checker.bodies)


async def test_tls_certificates_and_orphans_conform(populated_state: SandboxState,
                                                    checker: Checker) -> None:
    add_client(populated_state, REGISTRY)
    base = path(REGISTRY) + "/tls-certificates"
    added = await checker.call("post", base, 201, content=CERT.read_bytes(), headers=OCTETS)
    digest = added.json()["hash"]
    await checker.refused("post", base, 409, "certificate_already_exists",
                          content=CERT.read_bytes(), headers=OCTETS)
    await checker.refused("post", base, 400, "invalid_cert", content=b"x", headers=OCTETS)
    await checker.call("get", base, 200)
    await checker.call("get", f"{base}/{digest}", 200)
    await checker.refused("get", f"{base}/zz", 400, "validation_failure")
    await checker.call("delete", f"{base}/{digest}", 204)
    await checker.refused("delete", f"{base}/{digest}", 404, "certificate_not_found")
    member = "SANDBOX-KG:COM:50010002"
    add_client(populated_state, member)
    key_id = populated_state.generate_key("orphan")
    populated_state.issue_certificate(key_id, "SIGNING", member, 30)
    await checker.refused("get", path(member) + "/orphans", 404, None)
    await checker.call("delete", path(member), 204)
    await checker.call("get", path(member) + "/orphans", 200)
    await checker.call("delete", path(member) + "/orphans", 204)
    await checker.refused("delete", path(member) + "/orphans", 404, "orphans_not_found")
    _check_times(checker.bodies)


async def test_local_groups_conform(populated_state: SandboxState, checker: Checker) -> None:
    add_client(populated_state, REGISTRY)
    groups = path(REGISTRY) + "/local-groups"
    group = (await checker.call("post", groups, 201,
                                json={"code": "partners", "description": "Partners"})).json()["id"]
    await checker.refused("post", groups, 409, "local_group_code_already_exists",
                          json={"code": "partners", "description": "Again"})
    await checker.refused("post", groups, 400, "validation_failure", json={"code": "x"})
    one = f"/api/v1/local-groups/{group}"
    await checker.call("post", one + "/members", 201, json={"items": [PERMITS, TRACKING]})
    await checker.refused("post", one + "/members", 409, "local_group_member_already_exists",
                          json={"items": [PERMITS]})
    await checker.refused("post", one + "/members", 404, "local_group_member_not_found",
                          json={"items": ["SANDBOX-KG:GOV:404"]})
    await checker.call("get", groups, 200)
    await checker.call("get", one, 200)
    await checker.call("patch", one, 200, json={"description": "Partner agencies"})
    await checker.call("post", one + "/members/delete", 204, json={"items": [PERMITS]})
    await checker.refused("post", one + "/members/delete", 409, "local_group_member_not_found",
                          json={"items": [PERMITS]})
    await checker.call("delete", one, 204)
    await checker.refused("delete", one, 404, "local_group_not_found")
    _check_times(checker.bodies)


async def test_access_rights_conform(populated_state: SandboxState, checker: Checker) -> None:
    add_client(populated_state, REGISTRY)
    endpoints = add_services(populated_state, REGISTRY, ["getPerson", "getCompany"],
                             rest_paths=["/persons"])
    group = (await checker.api.post(path(REGISTRY) + "/local-groups",
                                    json={"code": "partners", "description": "P"})).json()["id"]
    service = f"/api/v1/services/{REGISTRY}:getPerson/service-clients"
    added = await checker.api.post(service, json=items(PERMITS, OWNERS_GROUP, group))
    assert added.status_code == 200  # see the module docstring
    validate_array("ServiceClient", added.json())
    checker.bodies.append(added.json())
    await checker.refused("post", service, 409, "duplicate_accessright", json=items(PERMITS))
    await checker.refused("post", service, 400, "service_client_not_found",
                          json=items("SANDBOX-KG:nothing"))
    await checker.refused("post", service, 400, "invalid_service_client_id",
                          json=items("SANDBOX-KG:GOV:1"))
    await checker.call("get", service, 200)
    await checker.call("post", service + "/delete", 204, json=items(group))
    await checker.refused("post", service + "/delete", 400, "accessright_not_found",
                          json=items(group))
    endpoint = f"/api/v1/endpoints/{endpoints['getPerson /persons']}/service-clients"
    await checker.call("post", endpoint, 201, json=items(TRACKING))
    await checker.call("get", endpoint, 200)
    await checker.call("post", endpoint + "/delete", 204, json=items(TRACKING))
    await checker.refused("post", endpoint + "/delete", 404, "accessright_not_found",
                          json=items(TRACKING))
    subject = path(REGISTRY) + f"/service-clients/{TRACKING}"
    await checker.call("post", subject + "/access-rights", 201, json=codes("getPerson",
                                                                          "getCompany"))
    await checker.refused("post", subject + "/access-rights", 400, "service_not_found",
                          json=codes("nothing"))
    await checker.call("get", path(REGISTRY) + "/service-clients", 200)
    await checker.call("get", subject, 200)
    await checker.call("get", subject + "/access-rights", 200)
    await checker.call("post", subject + "/access-rights/delete", 204, json=codes("getCompany"))
    await checker.refused("post", subject + "/access-rights/delete", 409, "accessright_not_found",
                          json=codes("getCompany"))
    await checker.refused("get", path(REGISTRY) + "/service-clients/9999", 404,
                          "service_client_not_found")
    for query in ("", "?service_client_type=LOCALGROUP", "?member_name_group_description=owner"):
        await checker.call("get", path(REGISTRY) + "/service-client-candidates" + query, 200)
    _check_times(checker.bodies)
