"""The client calls for clients, service descriptions, access rights and local groups, against the
sandbox in-process; descriptions are fetched from the loopback fixture server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from backend.api.access import CandidateSearch
from backend.api.client import SecurityServerClient
from backend.api.errors import BadRequest, Conflict, NotFound, WarningsDetected
from backend.api.service_models import Client
from backend.api.transport import decode
from backend.sandbox.state import SandboxState
from tests.acl.acl_support import server_client
from tests.fixture_server import DescriptionServer
from tests.sandboxes import OWNER_ID

INSTANCE = "SANDBOX-KG"
REGISTRY = f"{OWNER_ID}:registry"
PERMITS = f"{INSTANCE}:GOV:70000002:permits"
TRACKING = f"{INSTANCE}:COM:50010001:tracking"
OWNERS = f"{INSTANCE}:security-server-owners"


@pytest.fixture
async def client(populated_state: SandboxState) -> AsyncIterator[SecurityServerClient]:
    found, _app, _journal = server_client(populated_state)
    yield found
    await found.aclose()


async def with_registry(client: SecurityServerClient, server: DescriptionServer) -> dict[str, str]:
    """The registry subsystem with the WSDL fixture and an OpenAPI description; service ids."""
    await client.clients.add("GOV", OWNER_ID.split(":")[2], "registry")
    wsdl = await client.services.add_description(REGISTRY, server.url("wsdl/valid.wsdl"), "WSDL")
    api = await client.services.add_description(REGISTRY, server.url("openapi/valid.yaml"),
                                                "OPENAPI3", rest_service_code="testApi")
    ids = {service.code: service.id for service in wsdl.services + api.services}
    endpoint = next(e for e in api.services[0].endpoints if (e.method, e.path) == ("GET", "/test"))
    assert endpoint.id is not None
    ids["GET /test"] = endpoint.id
    return ids


async def test_clients_list_and_add_with_the_unregistered_member_warning(
        client: SecurityServerClient) -> None:
    assert [c.id for c in await client.clients.list()] == [OWNER_ID]
    added = await client.clients.add("GOV", OWNER_ID.split(":")[2], "registry",
                                     connection_type="HTTP")
    assert (added.id, added.is_subsystem, added.status, added.connection_type) == (
        REGISTRY, True, "SAVED", "HTTP")
    with pytest.raises(Conflict) as twice:
        await client.clients.add("GOV", OWNER_ID.split(":")[2], "registry")
    assert twice.value.code == "client_already_exists"

    with pytest.raises(WarningsDetected) as warned:
        await client.clients.add("GOV", "80000001", "newsys")
    warning = warned.value
    assert [w.code for w in warning.warnings] == ["unregistered_member"]
    assert warning.warnings[0].metadata == [f"{INSTANCE}/GOV/80000001"]  # X-Road's short form
    assert [c.id for c in await client.clients.list()] == [OWNER_ID, REGISTRY]  # nothing added
    assert warning.request is not None
    resent = await client.transport.write(warning.request.ignoring_warnings())
    assert decode(resent, Client).id == f"{INSTANCE}:GOV:80000001:newsys"
    assert f"{INSTANCE}:GOV:80000001:newsys" in {c.id for c in await client.clients.list()}
    others = {c.id for c in await client.clients.global_candidates()}
    assert PERMITS in others and REGISTRY not in others
    assert (await client.clients.get(REGISTRY)).connection_type == "HTTP"


async def test_service_descriptions_from_the_fixture_server(
        client: SecurityServerClient, description_server: DescriptionServer) -> None:
    ids = await with_registry(client, description_server)
    assert {"xroadGetRandom.v1", "xroadSmallAttachment.v1", "xroadBigAttachment.v1",
            "testApi"} <= set(ids)
    descriptions = await client.services.descriptions(REGISTRY)
    assert sorted(d.type for d in descriptions) == ["OPENAPI3", "WSDL"]
    api = next(d for d in descriptions if d.type == "OPENAPI3")
    assert {(e.method, e.path) for e in api.services[0].endpoints} == {
        ("*", "**"), ("GET", "/test"), ("POST", "/test")}
    service = await client.services.service(ids["xroadGetRandom.v1"])
    assert (service.service_code, service.full_service_code) == ("xroadGetRandom", "xroadGetRandom.v1")
    with pytest.raises(BadRequest) as unsupported:
        await client.services.add_description(
            REGISTRY, description_server.url("openapi/invalid_version.yaml"), "OPENAPI3",
            rest_service_code="other")
    assert unsupported.value.code == "unsupported_openapi_version"
    assert len(await client.services.descriptions(REGISTRY)) == 2


async def test_access_rights_by_service_by_subject_and_by_endpoint(
        client: SecurityServerClient, description_server: DescriptionServer) -> None:
    ids = await with_registry(client, description_server)
    random_id = ids["xroadGetRandom.v1"]
    holders = await client.access.grant_service(random_id, [PERMITS, OWNERS])
    assert {h.id for h in holders} == {PERMITS, OWNERS}
    assert {h.service_client_type for h in holders} == {"SUBSYSTEM", "GLOBALGROUP"}
    granted = await client.access.grant_subject(REGISTRY, TRACKING,
                                                ["xroadGetRandom", "xroadSmallAttachment"])
    assert sorted(r.service_code for r in granted) == ["xroadGetRandom", "xroadSmallAttachment"]
    assert {h.id for h in await client.access.service_clients(random_id)} == {PERMITS, OWNERS,
                                                                              TRACKING}
    assert {s.id for s in await client.access.subjects(REGISTRY)} == {PERMITS, OWNERS, TRACKING}
    assert (await client.access.subject(REGISTRY, TRACKING)).name == "Tien-Shan Logistics LLC"
    assert sorted(r.service_code for r in await client.access.rights_of(REGISTRY, TRACKING)) == [
        "xroadGetRandom", "xroadSmallAttachment"]

    with pytest.raises(Conflict) as duplicate:
        await client.access.grant_service(random_id, [PERMITS])
    assert duplicate.value.code == "duplicate_accessright"
    with pytest.raises(BadRequest) as unknown:
        await client.access.grant_service(random_id, [f"{INSTANCE}:GOV:99999999:ghost"])
    assert unknown.value.code == "service_client_not_found"

    await client.access.revoke_subject(REGISTRY, TRACKING, ["xroadSmallAttachment"])
    await client.access.revoke_service(random_id, [TRACKING, OWNERS])
    assert {h.id for h in await client.access.service_clients(random_id)} == {PERMITS}
    with pytest.raises(NotFound):
        await client.access.rights_of(REGISTRY, TRACKING)  # no rights left: not a subject

    endpoint = ids["GET /test"]
    assert {h.id for h in await client.access.grant_endpoint(endpoint, [TRACKING])} == {TRACKING}
    assert {h.id for h in await client.access.endpoint_clients(endpoint)} == {TRACKING}
    await client.access.revoke_endpoint(endpoint, [TRACKING])
    assert await client.access.endpoint_clients(endpoint) == []

    groups = await client.access.candidates(REGISTRY, CandidateSearch(
        service_client_type="GLOBALGROUP"))
    assert OWNERS in {g.id for g in groups} and {g.service_client_type for g in groups} == {
        "GLOBALGROUP"}
    everyone = {c.id for c in await client.access.candidates(REGISTRY)}
    assert {PERMITS, TRACKING, OWNERS} <= everyone


async def test_local_groups_members_rights_and_deletion(
        client: SecurityServerClient, description_server: DescriptionServer) -> None:
    ids = await with_registry(client, description_server)
    group = await client.access.add_local_group(REGISTRY, "auditors", "Internal auditors")
    assert group.id and (group.code, group.member_count) == ("auditors", 0)
    with pytest.raises(Conflict) as twice:
        await client.access.add_local_group(REGISTRY, "auditors", "Again")
    assert twice.value.code == "local_group_code_already_exists"
    assert await client.access.add_group_members(group.id, [PERMITS, TRACKING]) == [PERMITS,
                                                                                    TRACKING]
    found = await client.access.local_group(group.id)
    assert sorted(m.id for m in found.members) == [TRACKING, PERMITS]
    assert (await client.access.describe_local_group(group.id, "Auditors")).description == "Auditors"
    await client.access.remove_group_members(group.id, [TRACKING])
    assert [m.id for m in (await client.access.local_group(group.id)).members] == [PERMITS]
    assert [g.code for g in await client.access.local_groups(REGISTRY)] == ["auditors"]

    holders = await client.access.grant_service(ids["xroadGetRandom.v1"], [group.id])
    assert [(h.id, h.local_group_code, h.service_client_type) for h in holders] == [
        (group.id, "auditors", "LOCALGROUP")]
    await client.access.delete_local_group(group.id, "auditors")
    assert await client.access.service_clients(ids["xroadGetRandom.v1"]) == []
    with pytest.raises(NotFound):
        await client.access.local_group(group.id)
