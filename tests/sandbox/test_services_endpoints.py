"""Services (URL, timeout, TLS authentication, the ``*_all`` flags) and REST endpoints through the
sandbox's admin API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.sandbox.state import SandboxState
from tests.fixture_server import DescriptionServer
from tests.sandbox.conftest import unthrottled_client
from tests.sandbox.services_support import (
    SUBJECT,
    SUBSYSTEM,
    add_subsystem,
    grant,
    openapi_document,
    rights,
    self_signed,
    tls_server,
    wsdl_document,
)

SERVICE = f"/api/v1/services/{SUBSYSTEM}"


@pytest.fixture
async def api(populated_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    add_subsystem(populated_state)
    async with unthrottled_client(populated_state) as client:
        yield client


async def add(api: httpx.AsyncClient, url: str, kind: str = "WSDL", **extra: Any) -> dict:
    response = await api.post(f"/api/v1/clients/{SUBSYSTEM}/service-descriptions",
                              json={"url": url, "type": kind, "ignore_warnings": True, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json().get("error", {})


@pytest.fixture
async def three(api: httpx.AsyncClient, description_server: DescriptionServer) -> dict:
    """A WSDL with services a.v1, b.v1 and c (no version)."""
    return await add(api, description_server.add(
        "three.wsdl", wsdl_document([("a", "v1"), ("b", "v1"), ("c", None)])))


# -- services ----------------------------------------------------------------------------------

async def test_get_service(api: httpx.AsyncClient, three: dict) -> None:
    service = (await api.get(f"{SERVICE}:a.v1")).json()
    assert service["id"] == f"{SUBSYSTEM}:a.v1"
    assert (service["service_code"], service["full_service_code"], service["title"]) == \
        ("a", "a.v1", "Title of a")
    unversioned = (await api.get(f"{SERVICE}:c")).json()
    assert unversioned["full_service_code"] == "c"
    assert error(await api.get(f"{SERVICE}:zzz"), 404) == {"code": "service_not_found"}
    assert error(await api.get("/api/v1/services/SANDBOX-KG:GOV:1:none:a.v1"), 404) == \
        {"code": "client_not_found"}
    for malformed in ("SANDBOX-KG:GOV:70000001:a.v1", f"{SUBSYSTEM}:a:v1", "x"):
        assert (await api.get(f"/api/v1/services/{malformed}")).json() == {"status": 400}


async def test_patch_one_service_and_all_of_its_description(
    api: httpx.AsyncClient, three: dict
) -> None:
    changed = await api.patch(f"{SERVICE}:a.v1", json={"url": "http://is.example.org/new",
                                                       "timeout": 0, "ssl_auth": False})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["url"], changed.json()["timeout"]) == ("http://is.example.org/new", 0)
    others = {s["service_code"]: s for s in (await api.get(
        f"/api/v1/service-descriptions/{three['id']}/services")).json()}
    assert others["b"]["url"] == "http://is.example.org:8080/soap" and others["b"]["timeout"] == 60
    everything = await api.patch(f"{SERVICE}:b.v1", json={
        "url": "https://is.example.org/all", "timeout": 1000, "ssl_auth": False, "url_all": True,
        "timeout_all": True, "ssl_auth_all": True})
    assert everything.status_code == 200, everything.text
    services = (await api.get(f"/api/v1/service-descriptions/{three['id']}/services")).json()
    assert {(s["url"], s["timeout"], s["ssl_auth"]) for s in services} == \
        {("https://is.example.org/all", 1000, False)}


async def test_service_update_is_validated(api: httpx.AsyncClient, three: dict) -> None:
    path = f"{SERVICE}:a.v1"
    assert error(await api.patch(path, json={}), 400)["validation_errors"] == {
        "serviceUpdateDto.url": ["NotNull"], "serviceUpdateDto.timeout": ["NotNull"],
        "serviceUpdateDto.sslAuth": ["NotNull"]}
    over = await api.patch(path, json={"url": "http://x.org", "timeout": 1001, "ssl_auth": False})
    assert error(over, 400)["validation_errors"] == {"serviceUpdateDto.timeout": ["Max"]}
    under = await api.patch(path, json={"url": "http://x.org", "timeout": -1, "ssl_auth": False})
    assert error(under, 400)["validation_errors"] == {"serviceUpdateDto.timeout": ["Min"]}
    malformed = await api.patch(path, json={"url": "ftp://x.org", "timeout": 1, "ssl_auth": False})
    assert error(malformed, 400) == {"code": "malformed_url"}
    plain = await api.patch(path, json={"url": "http://x.org", "timeout": 1, "ssl_auth": True})
    assert error(plain, 400) == {"code": "invalid_https_url", "metadata": ["http://x.org"]}
    assert (await api.get(path)).json()["url"] == "http://is.example.org:8080/soap"


async def test_tls_authentication_is_checked_against_the_clients_certificates(
    api: httpx.AsyncClient, three: dict, populated_state: SandboxState, tmp_path: Path,
    description_server: DescriptionServer
) -> None:
    cert, key, der = self_signed(tmp_path)
    path = f"{SERVICE}:a.v1"
    closed = description_server.unreachable_url().replace("http:", "https:")
    refused = await api.patch(path, json={"url": closed, "timeout": 5, "ssl_auth": True})
    assert error(refused, 400)["code"] == "warnings_detected"
    assert refused.json()["warnings"] == [{"code": "internal_server_ssl_error",
                                           "metadata": [closed]}]
    with tls_server(cert, key) as port:
        url = f"https://127.0.0.1:{port}/service"
        untrusted = await api.patch(path, json={"url": url, "timeout": 5, "ssl_auth": True})
        assert untrusted.json()["warnings"] == [{"code": "internal_server_ssl_handshake_error",
                                                 "metadata": [url]}]
        assert (await api.get(path)).json()["url"] == "http://is.example.org:8080/soap"
        populated_state.db.execute(
            "INSERT INTO client_tls_certificates (client_id, hash, der) VALUES (?, ?, ?)",
            (SUBSYSTEM, "HASH", der))
        trusted = await api.patch(path, json={"url": url, "timeout": 5, "ssl_auth": True})
        assert trusted.status_code == 200, trusted.text
        assert trusted.json()["ssl_auth"] is True
    ignored = await api.patch(path, json={"url": closed, "timeout": 5, "ssl_auth": True,
                                          "ignore_warnings": True})
    assert ignored.status_code == 200 and ignored.json()["url"] == closed


async def test_rest_service_url_is_the_descriptions_url(
    api: httpx.AsyncClient, populated_state: SandboxState
) -> None:
    first = await add(api, "http://rest.example.org/a", "REST", rest_service_code="people")
    await add(api, "http://rest.example.org/b", "REST", rest_service_code="places")
    changed = await api.patch(f"{SERVICE}:people", json={"url": "http://rest.example.org/c",
                                                         "timeout": 30, "ssl_auth": False})
    assert changed.status_code == 200
    description = (await api.get(f"/api/v1/service-descriptions/{first['id']}")).json()
    assert description["url"] == "http://rest.example.org/c"
    taken = await api.patch(f"{SERVICE}:people", json={"url": "http://rest.example.org/b",
                                                       "timeout": 30, "ssl_auth": False})
    assert error(taken, 409) == {"code": "url_already_exists",
                                 "metadata": ["http://rest.example.org/b"]}


# -- endpoints ---------------------------------------------------------------------------------

async def test_endpoints_of_a_rest_service(api: httpx.AsyncClient,
                                           populated_state: SandboxState) -> None:
    await add(api, "http://rest.example.org/a", "REST", rest_service_code="people")
    endpoints_path = f"{SERVICE}:people/endpoints"
    created = await api.post(endpoints_path, json={"service_code": "ignored", "method": "GET",
                                                   "path": "/people/*"})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert created.headers["location"].endswith(f"/api/endpoints/{endpoint['id']}")
    assert (endpoint["service_code"], endpoint["method"], endpoint["path"],
            endpoint["generated"]) == ("people", "GET", "/people/*", False)
    assert (await api.get(f"/api/v1/endpoints/{endpoint['id']}")).json() == endpoint
    duplicate = await api.post(endpoints_path, json={"service_code": "people", "method": "GET",
                                                     "path": "/people/*"})
    assert error(duplicate, 409) == {"code": "endpoint_already_exists"}
    with_id = await api.post(endpoints_path, json={"id": "5", "service_code": "people",
                                                   "method": "GET", "path": "/x"})
    assert error(with_id, 400) == {"code": "endpoint_id_should_not_be_provided"}
    bad_method = await api.post(endpoints_path, json={"service_code": "people",
                                                      "method": "FETCH", "path": "/x"})
    assert bad_method.json() == {"status": 400}
    service = (await api.get(f"{SERVICE}:people")).json()
    assert [(e["method"], e["path"]) for e in service["endpoints"]] == \
        [("*", "**"), ("GET", "/people/*")]

    path = f"/api/v1/endpoints/{endpoint['id']}"
    changed = await api.patch(path, json={"method": "POST", "path": "/people"})
    assert changed.status_code == 200 and (changed.json()["method"], changed.json()["path"]) == \
        ("POST", "/people")
    grant(populated_state, SUBSYSTEM, "people", SUBJECT, method="POST", path="/people")
    assert (await api.delete(path)).status_code == 204
    assert rights(populated_state, SUBSYSTEM) == set()
    assert (await api.get(path)).json() == {"status": 404}
    assert error(await api.delete(path), 404) == {"code": "endpoint_not_found",
                                                  "metadata": [endpoint["id"]]}


async def test_generated_endpoints_cannot_be_changed(
    api: httpx.AsyncClient, description_server: DescriptionServer, three: dict
) -> None:
    await add(api, description_server.add("api.yaml", openapi_document({"/a": ["get"]})),
              "OPENAPI3", rest_service_code="api")
    service = (await api.get(f"{SERVICE}:api")).json()
    for endpoint in service["endpoints"]:
        assert endpoint["generated"] is True
        path = f"/api/v1/endpoints/{endpoint['id']}"
        assert error(await api.patch(path, json={"method": "PUT", "path": "/b"}), 400) == \
            {"code": "illegal_generated_endpoint_update", "metadata": [endpoint["id"]]}
        assert error(await api.delete(path), 400) == \
            {"code": "illegal_generated_endpoint_remove", "metadata": [endpoint["id"]]}
    manual = await api.post(f"{SERVICE}:api/endpoints",
                            json={"service_code": "api", "method": "GET", "path": "/b"})
    clash = await api.patch(f"/api/v1/endpoints/{manual.json()['id']}",
                            json={"method": "GET", "path": "/a"})
    assert error(clash, 409) == {"code": "endpoint_already_exists"}
    soap = await api.post(f"{SERVICE}:a.v1/endpoints",
                          json={"service_code": "a", "method": "GET", "path": "/x"})
    assert error(soap, 400) == {"code": "wrong_servicedescription_type"}


async def test_endpoint_update_is_validated(api: httpx.AsyncClient) -> None:
    await add(api, "http://rest.example.org/a", "REST", rest_service_code="people")
    created = await api.post(f"{SERVICE}:people/endpoints",
                             json={"service_code": "people", "method": "GET", "path": "/p"})
    path = f"/api/v1/endpoints/{created.json()['id']}"
    assert error(await api.patch(path, json={}), 400)["validation_errors"] == {
        "endpointUpdateDto.method": ["NotNull"], "endpointUpdateDto.path": ["NotNull"]}
    assert (await api.patch(path, json={"method": "GET", "path": ""})).json() == {"status": 400}
    assert (await api.get("/api/v1/endpoints/nope")).json() == {"status": 404}
