"""The typed client against the sandbox in-process: every call the console makes decodes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backend.api.apikeys import create_api_key, list_api_keys, revoke_api_key
from backend.api.client import SecurityServerClient
from backend.api.credentials import Secret
from backend.api.errors import AuthenticationFailed, NotFound, PermissionDenied
from backend.api.models import ROLES
from backend.api.transport import ApiTransport
from backend.api.writes import WriteEvent
from backend.sandbox.app import create_app
from backend.sandbox.state import SandboxState
from tests.sandboxes import ADMIN_PASSWORD, OWNER_ID

BASE = "https://127.0.0.1:4000/api/v1"


def transport_for(state: SandboxState, key: str | None, **kwargs) -> ApiTransport:
    return ApiTransport(BASE, api_key=Secret(key) if key else None,
                        http_transport=httpx.ASGITransport(app=create_app(state)), **kwargs)


@pytest.fixture
async def fresh_client(sandbox_state: SandboxState) -> AsyncIterator[SecurityServerClient]:
    key = sandbox_state.create_api_key(list(ROLES))[1]
    client = SecurityServerClient(transport_for(sandbox_state, key))
    yield client
    await client.aclose()


@pytest.fixture
async def ready_client(populated_state: SandboxState) -> AsyncIterator[SecurityServerClient]:
    key = populated_state.create_api_key(list(ROLES))[1]
    client = SecurityServerClient(transport_for(populated_state, key))
    yield client
    await client.aclose()


async def test_a_fresh_sandbox_reads_as_a_server_waiting_for_setup(fresh_client) -> None:
    identity = await fresh_client.identity()
    assert identity.version.version_tuple >= (7, 0, 0)
    assert identity.node_type == "STANDALONE"
    assert identity.user.role_names == sorted(ROLES)
    assert all(identity.user.has_role(role) for role in ROLES)
    status = await fresh_client.initialization_status()
    assert not status.is_anchor_imported and not status.is_initialized
    assert status.software_token_init_status == "NOT_INITIALIZED"
    tokens = await fresh_client.tokens()
    assert [t.id for t in tokens] == ["0"]
    assert tokens[0].status == "NOT_INITIALIZED" and not tokens[0].logged_in
    assert (await fresh_client.token("0")).name == tokens[0].name
    assert (await fresh_client.globalconf_diagnostics()).status_class in {"WAITING", "FAIL"}
    assert await fresh_client.timestamping_diagnostics() == []
    assert isinstance(await fresh_client.ocsp_diagnostics(), list)
    alerts = await fresh_client.alerts()
    assert alerts.current_time is None  # X-Road sends it only while a backup or restore runs


async def test_an_initialised_sandbox_shows_its_keys_certificates_and_days_left(ready_client) -> None:
    status = await ready_client.initialization_status()
    assert status.is_initialized
    token = await ready_client.token()
    assert token.logged_in and token.status == "OK"
    by_usage = {key.usage: cert for key, cert in token.certificates()}
    assert set(by_usage) == {"AUTHENTICATION", "SIGNING"}
    sign = by_usage["SIGNING"]
    assert sign.owner_id == OWNER_ID
    assert sign.status == "REGISTERED"
    assert 28 <= sign.certificate_details.days_left() <= 30
    assert len(sign.certificate_details.hash) == 64
    tsps = await ready_client.timestamping_diagnostics()
    assert len(tsps) == 1 and tsps[0].url.startswith("http")
    ocsp = await ready_client.ocsp_diagnostics()
    assert ocsp and ocsp[0].ocsp_responders
    alerts = await ready_client.alerts()
    assert alerts.soft_token_pin_entered


async def test_a_missing_token_is_not_found(fresh_client) -> None:
    with pytest.raises(NotFound):
        await fresh_client.token("no-such-token")


async def test_a_key_without_the_observer_role_is_refused_diagnostics(
        sandbox_state: SandboxState) -> None:
    key = sandbox_state.create_api_key(["XROAD_SERVICE_ADMINISTRATOR"])[1]
    async with transport_for(sandbox_state, key) as transport:
        client = SecurityServerClient(transport)
        with pytest.raises(PermissionDenied) as caught:
            await client.globalconf_diagnostics()
    assert "role" in caught.value.message


async def test_api_keys_are_created_listed_and_revoked_with_the_admin_password(
        sandbox_state: SandboxState) -> None:
    events: list[WriteEvent] = []

    class Journal:
        def record(self, event: WriteEvent) -> None:
            events.append(event)

    password = Secret(ADMIN_PASSWORD)
    async with transport_for(sandbox_state, None, observer=Journal()) as transport:
        listing, key = await create_api_key(transport, "admin", password,
                                            ["XROAD_SECURITYSERVER_OBSERVER"])
        assert listing.key is None and key.reveal()
        async with transport_for(sandbox_state, key.reveal()) as keyed:
            user = await SecurityServerClient(keyed).user()
        assert user.role_names == ["XROAD_SECURITYSERVER_OBSERVER"]
        assert listing.id in [k.id for k in await list_api_keys(transport, "admin", password)]
        await revoke_api_key(transport, listing.id, "admin", password)
        assert listing.id not in [k.id for k in await list_api_keys(transport, "admin", password)]
    assert [e.outcome for e in events] == ["ok", "ok"]
    assert all(key.reveal() not in repr(e) for e in events)
    assert ADMIN_PASSWORD not in repr(events)


async def test_a_wrong_password_explains_who_may_create_keys(sandbox_state: SandboxState) -> None:
    async with transport_for(sandbox_state, None) as transport:
        with pytest.raises(AuthenticationFailed) as caught:
            await create_api_key(transport, "admin", Secret("wrong"), ROLES)
    assert "xroad-system-administrator" in caught.value.message
