"""Every response of the service-description, service and endpoint endpoints, validated against
X-Road's OpenAPI spec (``xroad-ss-openapi.bundled.yaml``).

Where X-Road 7.8 answers differently from its spec, the sandbox answers as X-Road does:
 * ``PUT /service-descriptions/{id}/enable`` and ``…/disable``: spec 204, the controller answers
   200 without a body (checked as such below).
 * ``ServiceDescription.disabled_notice`` is required by the spec but absent (Jackson ``NON_NULL``)
   after a ``disable`` without a notice; the descriptions checked here always have one.
"""

from __future__ import annotations

import httpx

from backend.sandbox.state import SandboxState
from tests.fixture_server import DescriptionServer
from tests.sandbox.conftest import unthrottled_client
from tests.sandbox.services_support import SUBSYSTEM, add_subsystem, openapi_document
from tests.sandbox.test_spec_conformance import _check_times, validate_call, validate_error_info

DESCRIPTIONS = f"/api/v1/clients/{SUBSYSTEM}/service-descriptions"


async def test_service_descriptions_services_and_endpoints_conform(
    populated_state: SandboxState, description_server: DescriptionServer
) -> None:
    add_subsystem(populated_state)
    async with unthrottled_client(populated_state) as api:
        wsdl_id = await _descriptions_conform(api, description_server)
        await _services_conform(api)
        await _endpoints_conform(api, description_server)
        await _changes_conform(api, description_server, wsdl_id)
        await _errors_conform(api, description_server)


async def _descriptions_conform(api: httpx.AsyncClient, server: DescriptionServer) -> str:
    added = await api.post(DESCRIPTIONS, json={"url": server.url("wsdl/valid.wsdl"),
                                               "type": "WSDL"})
    validate_call("post", DESCRIPTIONS, added, 201)
    wsdl_id = added.json()["id"]
    for kind, url, code in (("OPENAPI3", server.url("openapi/v310.yaml"), "registry-api"),
                            ("REST", "https://rest.example.org/people", "people")):
        validate_call("post", DESCRIPTIONS,
                      await api.post(DESCRIPTIONS, json={"url": url, "type": kind,
                                                         "rest_service_code": code}), 201)
    listed = await api.get(DESCRIPTIONS)
    validate_call("get", DESCRIPTIONS, listed, 200)
    assert [d["type"] for d in listed.json()] == ["WSDL", "OPENAPI3", "REST"]
    _check_times(listed.json())
    for description in listed.json():
        path = f"/api/v1/service-descriptions/{description['id']}"
        validate_call("get", path, await api.get(path), 200)
        validate_call("get", f"{path}/services", await api.get(f"{path}/services"), 200)
        validate_call("put", f"{path}/refresh",
                      await api.put(f"{path}/refresh", json={"ignore_warnings": True}), 200)
        for action, body in (("enable", None), ("disable", {"disabled_notice": "Maintenance"})):
            answered = await api.put(f"{path}/{action}", json=body)
            assert (answered.status_code, answered.content) == (200, b"")
        validate_call("get", path, await api.get(path), 200)
    return wsdl_id


async def _services_conform(api: httpx.AsyncClient) -> None:
    for full_code in ("xroadGetRandom.v1", "registry-api", "people"):
        path = f"/api/v1/services/{SUBSYSTEM}:{full_code}"
        validate_call("get", path, await api.get(path), 200)
    path = f"/api/v1/services/{SUBSYSTEM}:xroadGetRandom.v1"
    validate_call("patch", path, await api.patch(path, json={
        "url": "http://is.example.org/soap", "timeout": 30, "ssl_auth": False, "url_all": True,
        "timeout_all": True, "ssl_auth_all": True}), 200)


async def _endpoints_conform(api: httpx.AsyncClient, server: DescriptionServer) -> None:
    create = f"/api/v1/services/{SUBSYSTEM}:people/endpoints"
    created = await api.post(create, json={"service_code": "people", "method": "GET",
                                           "path": "/people/*"})
    validate_call("post", create, created, 201)
    path = f"/api/v1/endpoints/{created.json()['id']}"
    validate_call("get", path, await api.get(path), 200)
    validate_call("patch", path, await api.patch(path, json={"method": "PUT",
                                                             "path": "/people/*"}), 200)
    validate_call("delete", path, await api.delete(path), 204)


async def _changes_conform(api: httpx.AsyncClient, server: DescriptionServer,
                           wsdl_id: str) -> None:
    path = f"/api/v1/service-descriptions/{wsdl_id}"
    changed = await api.patch(path, json={"url": server.url("wsdl/valid-getrandom.wsdl"),
                                          "type": "WSDL", "ignore_warnings": True})
    validate_call("patch", path, changed, 200)
    rest_id = next(d["id"] for d in (await api.get(DESCRIPTIONS)).json() if d["type"] == "REST")
    rest = f"/api/v1/service-descriptions/{rest_id}"
    validate_call("patch", rest, await api.patch(rest, json={
        "url": "https://rest.example.org/v2", "type": "REST", "rest_service_code": "people",
        "new_rest_service_code": "persons"}), 200)
    validate_call("delete", rest, await api.delete(rest), 204)
    url = server.add("conform.yaml", openapi_document({"/a": ["get"]}))
    validate_call("post", DESCRIPTIONS, await api.post(DESCRIPTIONS, json={
        "url": url, "type": "OPENAPI3", "rest_service_code": "conform"}), 201)


async def _errors_conform(api: httpx.AsyncClient, server: DescriptionServer) -> None:
    bodies = [
        await api.post(DESCRIPTIONS, json={"url": server.url("wsdl/invalid.wsdl"),
                                           "type": "WSDL"}),
        await api.post(DESCRIPTIONS, json={"url": server.url("wsdl/valid.wsdl"), "type": "WSDL"}),
        await api.post(DESCRIPTIONS, json={"url": server.url("openapi/invalid_version.yaml"),
                                           "type": "OPENAPI3", "rest_service_code": "v"}),
        await api.post(DESCRIPTIONS, json={"type": "WSDL"}),
        await api.get("/api/v1/service-descriptions/404"),
        await api.get(f"/api/v1/services/{SUBSYSTEM}:none"),
        await api.get("/api/v1/endpoints/404"),
        await api.patch(f"/api/v1/services/{SUBSYSTEM}:xroadGetRandom.v1",
                        json={"url": "https://127.0.0.1:1/", "timeout": 1, "ssl_auth": True}),
    ]
    warned = bodies[-1].json()
    assert warned["error"]["code"] == "warnings_detected" and warned["warnings"]
    for response in bodies:
        assert response.status_code >= 400
        validate_error_info(response.json())
