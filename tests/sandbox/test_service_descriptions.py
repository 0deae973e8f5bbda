"""Service descriptions through the sandbox's admin API: adding WSDL, OpenAPI and REST
descriptions fetched from a loopback server, X-Road's errors and warnings, refresh, change,
enable/disable and delete, with nothing half-changed on a refusal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from backend.sandbox.permissions import OB
from backend.sandbox.state import SandboxState
from tests.fixture_server import DescriptionServer
from tests.sandbox.conftest import unthrottled_client
from tests.sandbox.services_support import (
    OTHER_SUBSYSTEM,
    SUBJECT,
    SUBJECT_2,
    SUBSYSTEM,
    add_subsystem,
    endpoints,
    grant,
    openapi_document,
    rights,
    wsdl_document,
)

DESCRIPTIONS = f"/api/v1/clients/{SUBSYSTEM}/service-descriptions"


@pytest.fixture
async def api(populated_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    add_subsystem(populated_state)
    add_subsystem(populated_state, OTHER_SUBSYSTEM)
    async with unthrottled_client(populated_state) as client:
        yield client


async def add(api: httpx.AsyncClient, url: str, kind: str = "WSDL", client: str = SUBSYSTEM,
              **extra: Any) -> httpx.Response:
    return await api.post(f"/api/v1/clients/{client}/service-descriptions",
                          json={"url": url, "type": kind, **extra})


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["error"]


def warnings(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "warnings_detected"
    return {w["code"]: w.get("metadata", []) for w in response.json()["warnings"]}


def snapshot(state: SandboxState) -> tuple[Any, ...]:
    tables = ("service_descriptions", "services", "endpoints", "access_rights")
    return tuple(tuple(map(tuple, state.db.execute(f"SELECT * FROM {t} ORDER BY id")))
                 for t in tables)


# -- adding ------------------------------------------------------------------------------------

async def test_add_wsdl(api: httpx.AsyncClient, description_server: DescriptionServer,
                        populated_state: SandboxState) -> None:
    url = description_server.url("wsdl/valid.wsdl")
    response = await add(api, url)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"].endswith(f"/api/service-descriptions/{body['id']}")
    assert (body["url"], body["type"], body["client_id"]) == (url, "WSDL", SUBSYSTEM)
    assert (body["disabled"], body["disabled_notice"]) == (True, "Out of order")
    services = {s["full_service_code"]: s for s in body["services"]}
    assert set(services) == {"xroadGetRandom.v1", "xroadSmallAttachment.v1",
                             "xroadBigAttachment.v1"}
    service = services["xroadGetRandom.v1"]
    assert service["id"] == f"{SUBSYSTEM}:xroadGetRandom.v1"
    assert (service["timeout"], service["ssl_auth"]) == (60, False)
    assert service["url"] == "http://iks2-testhost:8080/testservice-0.1/xroad"
    assert [(e["method"], e["path"], e["generated"]) for e in service["endpoints"]] == \
        [("*", "**", True)]
    assert endpoints(populated_state, SUBSYSTEM) == {
        (code, "*", "**", 1) for code in ("xroadGetRandom", "xroadSmallAttachment",
                                          "xroadBigAttachment")}
    listed = (await api.get(DESCRIPTIONS)).json()
    assert [d["id"] for d in listed] == [body["id"]]
    assert (await api.get(f"/api/v1/service-descriptions/{body['id']}")).json() == body
    services_only = await api.get(f"/api/v1/service-descriptions/{body['id']}/services")
    assert services_only.json() == body["services"]


async def test_wsdl_refusals(api: httpx.AsyncClient, description_server: DescriptionServer,
                             populated_state: SandboxState) -> None:
    before = snapshot(populated_state)
    invalid = error(await add(api, description_server.url("wsdl/invalid.wsdl")), 400)
    assert invalid["code"] == "invalid_wsdl" and "line 1" in invalid["metadata"][0]
    sftp = error(await add(api, description_server.url("wsdl/invalid-serviceurl.wsdl")), 400)
    assert sftp == {"code": "invalid_service_url",
                    "metadata": ["sftp://iks2-testhost:8080/testservice-0.1/xroad"]}
    unreachable = error(await add(api, description_server.unreachable_url("a.wsdl")), 400)
    assert unreachable == {"code": "wsdl_download_failed"}
    missing = error(await add(api, description_server.url("no/such.wsdl")), 400)
    assert missing["code"] == "wsdl_download_failed"
    for url in ("file:///etc/hosts", "ftp://example.org/a.wsdl", "no url"):
        assert error(await add(api, url), 400) == {"code": "malformed_url"}
    colon = description_server.add("colon.wsdl", wsdl_document([("get:Person", "v1"),
                                                                ("ok", "v:2")]))
    assert error(await add(api, colon), 400) == {"code": "invalid_wsdl_service_identifier",
                                                 "metadata": ["get:Person", "v:2"]}
    assert snapshot(populated_state) == before


async def test_duplicates_conflict(api: httpx.AsyncClient,
                                   description_server: DescriptionServer) -> None:
    url = description_server.url("wsdl/valid.wsdl")
    assert (await add(api, url)).status_code == 201
    assert error(await add(api, url.upper().replace("HTTP://", "http://")), 409) == \
        {"code": "wsdl_exists"}
    same = description_server.copy("wsdl/valid-getrandom.wsdl", "again.wsdl")
    assert error(await add(api, same), 409) == {"code": "service_already_exists",
                                                "metadata": ["xroadGetRandom.v1", url]}
    # another version of the same code is another service
    other = description_server.add("v2.wsdl", wsdl_document([("xroadGetRandom", "v2")]))
    assert (await add(api, other)).status_code == 201
    # another client may publish the same services
    assert (await add(api, same, client=OTHER_SUBSYSTEM)).status_code == 201


async def test_unknown_and_malformed_clients(api: httpx.AsyncClient,
                                             description_server: DescriptionServer) -> None:
    url = description_server.url("wsdl/valid.wsdl")
    unknown = "SANDBOX-KG:GOV:70000001:nobody"
    assert error(await add(api, url, client=unknown), 404) == {"code": "client_not_found"}
    assert error(await api.get(f"/api/v1/clients/{unknown}/service-descriptions"), 404) == \
        {"code": "client_not_found", "metadata": [unknown]}
    assert (await add(api, url, client="just-one-part")).json() == {"status": 400}
    bad = await api.post(DESCRIPTIONS, json={"type": "WSDL"})
    assert error(bad, 400)["validation_errors"] == {"serviceDescriptionAddDto.url": ["NotNull"]}
    assert (await api.post(DESCRIPTIONS, json={"url": url, "type": "SOAP"})).status_code == 400


async def test_validation_warnings_need_confirmation(
    api: httpx.AsyncClient, description_server: DescriptionServer
) -> None:
    rpc = description_server.add("rpc.wsdl", wsdl_document([("getPerson", "v1")], style="rpc"))
    found = warnings(await add(api, rpc))
    assert list(found) == ["wsdl_validation_warnings"] and "rpc" in found[
        "wsdl_validation_warnings"][0]
    assert (await api.get(DESCRIPTIONS)).json() == []
    assert (await add(api, rpc, ignore_warnings=True)).status_code == 201


async def test_add_openapi(api: httpx.AsyncClient, description_server: DescriptionServer,
                           populated_state: SandboxState) -> None:
    url = description_server.url("openapi/v310.yaml")
    response = await add(api, url, "OPENAPI3", rest_service_code="registry-api")
    assert response.status_code == 201, response.text
    [service] = response.json()["services"]
    assert (service["id"], service["url"]) == (f"{SUBSYSTEM}:registry-api",
                                               "https://example.org/api")
    assert {(e["method"], e["path"], e["generated"]) for e in service["endpoints"]} == {
        ("*", "**", True), ("GET", "/test", True), ("POST", "/test", True),
        ("POST", "/file", True)}
    before = snapshot(populated_state)
    unsupported = error(await add(api, description_server.url("openapi/invalid_version.yaml"),
                                  "OPENAPI3", rest_service_code="other"), 400)
    assert unsupported == {"code": "unsupported_openapi_version"}
    garbage = description_server.add("garbage.yaml", "openapi: [unclosed")
    assert error(await add(api, garbage, "OPENAPI3", rest_service_code="x"), 400) == {
        "code": "openapi_parsing_error",
        "metadata": [f"Unable to parse OpenAPI description from {garbage}"]}
    refused = description_server.unreachable_url("a.yaml")
    assert error(await add(api, refused, "OPENAPI3", rest_service_code="x"), 400) == {
        "code": "openapi_parsing_error",
        "metadata": ["Error reading OpenAPI description: Connection refused"]}
    assert error(await add(api, url, "OPENAPI3"), 400) == {"code": "missing_parameter"}
    copy = description_server.copy("openapi/valid.yaml", "copy.yaml")
    assert error(await add(api, copy, "OPENAPI3", rest_service_code="REGISTRY-API"), 409) == {
        "code": "service_code_already_exists", "metadata": ["REGISTRY-API", copy]}
    assert error(await add(api, url, "OPENAPI3", rest_service_code="new"), 409) == {
        "code": "url_already_exists", "metadata": [url]}
    colon = await add(api, copy, "OPENAPI3", rest_service_code="a:b")
    assert error(colon, 400)["validation_errors"] == {
        "serviceDescriptionAddDto.restServiceCode": ["IdentifierChars"]}
    assert snapshot(populated_state) == before


async def test_openapi_validation_warnings(api: httpx.AsyncClient,
                                           description_server: DescriptionServer) -> None:
    url = description_server.add("warn.yaml", "openapi: 3.0.0\ninfo: {title: t}\npaths: {}\n")
    found = warnings(await add(api, url, "OPENAPI3", rest_service_code="api"))
    assert found == {"openapi_validation_warnings": ["attribute info.version is missing"]}
    response = await add(api, url, "OPENAPI3", rest_service_code="api", ignore_warnings=True)
    assert response.status_code == 201


async def test_add_rest(api: httpx.AsyncClient, populated_state: SandboxState) -> None:
    response = await add(api, "https://rest.example.org/api", "REST", rest_service_code="people")
    assert response.status_code == 201
    [service] = response.json()["services"]
    assert (service["url"], service["ssl_auth"], service["timeout"]) == \
        ("https://rest.example.org/api", True, 60)
    assert endpoints(populated_state, SUBSYSTEM) == {("people", "*", "**", 1)}
    assert error(await add(api, "https://rest.example.org/other", "REST",
                           rest_service_code="people"), 409)["code"] == \
        "service_code_already_exists"
    assert error(await add(api, "https://rest.example.org/api", "REST",
                           rest_service_code="more"), 409)["code"] == "url_already_exists"


async def test_the_download_does_not_block_the_server(
    api: httpx.AsyncClient, description_server: DescriptionServer
) -> None:
    slow = description_server.copy("wsdl/valid.wsdl", "slow.wsdl")
    description_server.delay("slow.wsdl", 1.0)
    adding = asyncio.create_task(add(api, slow))
    await asyncio.sleep(0.2)
    version = await api.get("/api/v1/system/version")
    assert version.status_code == 200 and not adding.done()
    assert (await adding).status_code == 201


async def test_observer_reads_but_does_not_change(
    populated_state: SandboxState, api: httpx.AsyncClient,
    description_server: DescriptionServer
) -> None:
    async with unthrottled_client(populated_state, [OB]) as observer:
        assert (await add(observer, description_server.url("wsdl/valid.wsdl"))).json() == \
            {"status": 403}
        assert (await observer.get(DESCRIPTIONS)).status_code == 200


# -- refreshing and changing -------------------------------------------------------------------

async def test_wsdl_refresh_warns_then_applies_and_keeps_rights_of_kept_services(
    api: httpx.AsyncClient, description_server: DescriptionServer, populated_state: SandboxState
) -> None:
    url = description_server.add("live.wsdl", wsdl_document([("a", "v1"), ("b", "v1")]))
    description = (await add(api, url)).json()
    patched = await api.patch(f"/api/v1/services/{SUBSYSTEM}:a.v1",
                              json={"url": "http://is.example.org/a", "timeout": 7,
                                    "ssl_auth": False})
    assert patched.status_code == 200
    grant(populated_state, SUBSYSTEM, "a", SUBJECT)
    grant(populated_state, SUBSYSTEM, "b", SUBJECT_2)
    refresh = f"/api/v1/service-descriptions/{description['id']}/refresh"
    unchanged = await api.put(refresh, json={})
    assert unchanged.status_code == 200
    description_server.add("live.wsdl", wsdl_document([("a", "v1"), ("c", None)],
                                                      title="New {name}"))
    before = snapshot(populated_state)
    assert warnings(await api.put(refresh, json={})) == {"adding_services": ["c"],
                                                         "deleting_services": ["b.v1"]}
    assert snapshot(populated_state) == before
    applied = await api.put(refresh, json={"ignore_warnings": True})
    assert applied.status_code == 200
    services = {s["full_service_code"]: s for s in applied.json()["services"]}
    assert set(services) == {"a.v1", "c"}
    assert (services["a.v1"]["url"], services["a.v1"]["timeout"]) == ("http://is.example.org/a", 7)
    assert services["a.v1"]["title"] == "New a"
    assert rights(populated_state, SUBSYSTEM) == {("a", "*", "**", SUBJECT)}
    assert endpoints(populated_state, SUBSYSTEM) == {("a", "*", "**", 1), ("c", "*", "**", 1)}


async def test_failed_refresh_changes_nothing(
    api: httpx.AsyncClient, description_server: DescriptionServer, populated_state: SandboxState
) -> None:
    url = description_server.copy("wsdl/valid.wsdl", "flaky.wsdl")
    description_id = (await add(api, url)).json()["id"]
    refresh = f"/api/v1/service-descriptions/{description_id}/refresh"
    before = snapshot(populated_state)
    description_server.fail("flaky.wsdl", 503)
    assert error(await api.put(refresh, json={"ignore_warnings": True}), 400) == \
        {"code": "wsdl_download_failed"}
    description_server.add("flaky.wsdl", b"FooBar!")
    assert error(await api.put(refresh, json={"ignore_warnings": True}), 400)["code"] == \
        "invalid_wsdl"
    assert snapshot(populated_state) == before
    assert error(await api.put("/api/v1/service-descriptions/999/refresh", json={}), 404) == \
        {"code": "service_description_not_found"}


async def test_openapi_refresh_warns_about_endpoints_and_drops_their_rights(
    api: httpx.AsyncClient, description_server: DescriptionServer, populated_state: SandboxState
) -> None:
    url = description_server.add("api.yaml", openapi_document(
        {"/people": ["get", "post"], "/people/{id}": ["get", "delete"]}))
    description_id = (await add(api, url, "OPENAPI3", rest_service_code="people")).json()["id"]
    grant(populated_state, SUBSYSTEM, "people", SUBJECT)
    grant(populated_state, SUBSYSTEM, "people", SUBJECT, method="DELETE", path="/people/*")
    grant(populated_state, SUBSYSTEM, "people", SUBJECT_2, method="GET", path="/people")
    manual = await api.post(f"/api/v1/services/{SUBSYSTEM}:people/endpoints",
                            json={"service_code": "people", "method": "PUT", "path": "/people/*"})
    assert manual.status_code == 201
    description_server.add("api.yaml", openapi_document(
        {"/people": ["get"], "/people/{id}": ["get", "put"], "/stats": ["get"]}))
    refresh = f"/api/v1/service-descriptions/{description_id}/refresh"
    assert warnings(await api.put(refresh, json={})) == {
        "adding_endpoints": ["GET /stats"],
        "deleting_endpoints": ["POST /people", "DELETE /people/*"]}
    assert (await api.put(refresh, json={"ignore_warnings": True})).status_code == 200
    assert endpoints(populated_state, SUBSYSTEM) == {
        ("people", "*", "**", 1), ("people", "GET", "/people", 1),
        ("people", "GET", "/people/*", 1), ("people", "PUT", "/people/*", 1),
        ("people", "GET", "/stats", 1)}
    assert rights(populated_state, SUBSYSTEM) == {("people", "*", "**", SUBJECT),
                                                  ("people", "GET", "/people", SUBJECT_2)}


async def test_patch_wsdl_url(api: httpx.AsyncClient,
                              description_server: DescriptionServer) -> None:
    first = description_server.url("wsdl/valid.wsdl")
    description_id = (await add(api, first)).json()["id"]
    other = description_server.url("wsdl/valid-getrandom.wsdl")
    path = f"/api/v1/service-descriptions/{description_id}"
    assert warnings(await api.patch(path, json={"url": other, "type": "WSDL"})) == {
        "deleting_services": ["xroadSmallAttachment.v1", "xroadBigAttachment.v1"]}
    changed = await api.patch(path, json={"url": other, "type": "WSDL", "ignore_warnings": True})
    assert changed.status_code == 200
    assert changed.json()["url"] == other and len(changed.json()["services"]) == 1
    wrong = await api.patch(path, json={"url": other, "type": "REST", "rest_service_code": "x"})
    assert error(wrong, 400) == {"code": "wrong_servicedescription_type"}
    assert error(await api.patch("/api/v1/service-descriptions/404",
                                 json={"url": other, "type": "WSDL"}), 404) == \
        {"code": "service_description_not_found"}


async def test_patch_openapi_renames_the_service_code_keeping_rights(
    api: httpx.AsyncClient, description_server: DescriptionServer, populated_state: SandboxState
) -> None:
    url = description_server.url("openapi/valid.yaml")
    description_id = (await add(api, url, "OPENAPI3", rest_service_code="old")).json()["id"]
    grant(populated_state, SUBSYSTEM, "old", SUBJECT)
    grant(populated_state, SUBSYSTEM, "old", SUBJECT, method="GET", path="/test")
    new_url = description_server.url("openapi/v310.yaml")
    path = f"/api/v1/service-descriptions/{description_id}"
    body = {"url": new_url, "type": "OPENAPI3", "rest_service_code": "old",
            "new_rest_service_code": "new"}
    assert warnings(await api.patch(path, json=body)) == {"adding_endpoints": ["POST /file"]}
    changed = await api.patch(path, json={**body, "ignore_warnings": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["url"] == new_url
    assert [s["id"] for s in changed.json()["services"]] == [f"{SUBSYSTEM}:new"]
    assert rights(populated_state, SUBSYSTEM) == {("new", "*", "**", SUBJECT),
                                                  ("new", "GET", "/test", SUBJECT)}
    missing = await api.patch(path, json={"url": new_url, "type": "OPENAPI3"})
    assert error(missing, 400) == {"code": "missing_parameter"}


async def test_patch_rest(api: httpx.AsyncClient, populated_state: SandboxState) -> None:
    description = (await add(api, "http://rest.example.org/a", "REST",
                             rest_service_code="people")).json()
    await add(api, "http://rest.example.org/b", "REST", rest_service_code="places")
    grant(populated_state, SUBSYSTEM, "people", SUBJECT)
    path = f"/api/v1/service-descriptions/{description['id']}"
    body = {"url": "http://rest.example.org/c", "type": "REST", "rest_service_code": "people",
            "new_rest_service_code": "persons"}
    changed = await api.patch(path, json=body)
    assert changed.status_code == 200
    [service] = changed.json()["services"]
    assert (service["id"], service["url"]) == (f"{SUBSYSTEM}:persons", "http://rest.example.org/c")
    assert rights(populated_state, SUBSYSTEM) == {("persons", "*", "**", SUBJECT)}
    before = snapshot(populated_state)
    clash = await api.patch(path, json={**body, "rest_service_code": "persons",
                                        "new_rest_service_code": "places"})
    assert error(clash, 409)["code"] == "service_code_already_exists"
    taken = await api.patch(path, json={**body, "url": "http://rest.example.org/b",
                                        "rest_service_code": "persons",
                                        "new_rest_service_code": None})
    assert error(taken, 409) == {"code": "url_already_exists",
                                 "metadata": ["http://rest.example.org/b"]}
    assert snapshot(populated_state) == before


# -- enabling, disabling, deleting -------------------------------------------------------------

async def test_enable_and_disable(api: httpx.AsyncClient,
                                  description_server: DescriptionServer) -> None:
    description_id = (await add(api, description_server.url("wsdl/valid.wsdl"))).json()["id"]
    path = f"/api/v1/service-descriptions/{description_id}"
    enabled = await api.put(f"{path}/enable")
    assert (enabled.status_code, enabled.content) == (200, b"")
    body = (await api.get(path)).json()
    assert (body["disabled"], body["disabled_notice"]) == (False, "Out of order")
    disabled = await api.put(f"{path}/disable", json={"disabled_notice": "Maintenance until 10"})
    assert disabled.status_code == 200
    body = (await api.get(path)).json()
    assert (body["disabled"], body["disabled_notice"]) == (True, "Maintenance until 10")
    too_long = await api.put(f"{path}/disable", json={"disabled_notice": "x" * 256})
    assert error(too_long, 400)["validation_errors"] == {
        "serviceDescriptionDisabledNoticeDto.disabledNotice": ["Size"]}
    for unknown in ("/api/v1/service-descriptions/404", "/api/v1/service-descriptions/abc"):
        assert (await api.put(f"{unknown}/enable")).json() == {"status": 404}
        assert (await api.get(unknown)).json() == {"status": 404}


async def test_delete_keeps_codes_another_description_still_has(
    api: httpx.AsyncClient, description_server: DescriptionServer, populated_state: SandboxState
) -> None:
    one = description_server.add("one.wsdl", wsdl_document([("shared", "v1"), ("only", "v1")]))
    two = description_server.add("two.wsdl", wsdl_document([("shared", "v2")]))
    first = (await add(api, one)).json()["id"]
    assert (await add(api, two)).status_code == 201
    grant(populated_state, SUBSYSTEM, "shared", SUBJECT)
    grant(populated_state, SUBSYSTEM, "only", SUBJECT)
    deleted = await api.delete(f"/api/v1/service-descriptions/{first}")
    assert deleted.status_code == 204
    assert [d["url"] for d in (await api.get(DESCRIPTIONS)).json()] == [two]
    assert endpoints(populated_state, SUBSYSTEM) == {("shared", "*", "**", 1)}
    assert rights(populated_state, SUBSYSTEM) == {("shared", "*", "**", SUBJECT)}
    assert (await api.delete(f"/api/v1/service-descriptions/{first}")).json() == {"status": 404}


async def test_five_hundred_services(api: httpx.AsyncClient,
                                     description_server: DescriptionServer) -> None:
    many = [(f"service{i:03}", "v1") for i in range(500)]
    url = description_server.add("many.wsdl", wsdl_document(many))
    description = (await add(api, url)).json()
    assert len(description["services"]) == 500
    description_server.add("many.wsdl", wsdl_document([*many[1:], ("service500", "v1")]))
    refresh = f"/api/v1/service-descriptions/{description['id']}/refresh"
    assert warnings(await api.put(refresh, json={})) == {"adding_services": ["service500.v1"],
                                                         "deleting_services": ["service000.v1"]}
    refreshed = await api.put(refresh, json={"ignore_warnings": True})
    assert len(refreshed.json()["services"]) == 500
    assert len((await api.get(DESCRIPTIONS)).json()[0]["services"]) == 500
