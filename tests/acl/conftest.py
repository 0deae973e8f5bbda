"""The registry subsystem on an initialised sandbox, and a client of it (no rate limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from backend.api.client import SecurityServerClient
from backend.sandbox.state import SandboxState
from tests.acl.acl_support import Journal, RecordingApp, Registry, server_client, setup_registry


@dataclass
class AclSandbox:
    state: SandboxState
    client: SecurityServerClient
    app: RecordingApp
    journal: Journal
    registry: Registry


@pytest.fixture
async def acl(populated_state: SandboxState) -> AsyncIterator[AclSandbox]:
    registry = setup_registry(populated_state)
    client, app, journal = server_client(populated_state)
    yield AclSandbox(populated_state, client, app, journal, registry)
    await client.aclose()
