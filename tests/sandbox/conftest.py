"""Shared fixtures of the sandbox tests (the sandbox states themselves are in tests/sandboxes.py)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from backend.sandbox.app import create_app
from backend.sandbox.permissions import SECURITY_SERVER_ROLES
from backend.sandbox.ratelimit import RateLimiter
from backend.sandbox.state import SandboxState
from tests.sandboxes import BASE_URL, PIN, api_key_header


@pytest.fixture
def sandbox_app(sandbox_state: SandboxState) -> Starlette:
    return create_app(sandbox_state)


@pytest.fixture
def all_roles_key(sandbox_state: SandboxState) -> str:
    return sandbox_state.create_api_key(list(SECURITY_SERVER_ROLES))[1]


@pytest.fixture
async def api_client(sandbox_app: Starlette, all_roles_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the fresh sandbox with an API key holding all five roles."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox_app),
        base_url=BASE_URL,
        headers=api_key_header(all_roles_key),
    ) as client:
        yield client


@pytest.fixture
async def populated_client(populated_state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the populated sandbox with an API key holding all five roles."""
    key = populated_state.create_api_key(list(SECURITY_SERVER_ROLES))[1]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(populated_state)),
        base_url=BASE_URL,
        headers=api_key_header(key),
    ) as client:
        yield client


def client_for(
    app: Starlette, *, key: str | None = None, address: str = "127.0.0.1"
) -> httpx.AsyncClient:
    """A client of ``app`` calling from ``address`` (only an ASGI scope value)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40123)),
        base_url=BASE_URL,
        headers=api_key_header(key) if key else None,
    )


def unthrottled_client(state: SandboxState, roles: list[str] | None = None) -> httpx.AsyncClient:
    """A client of ``state`` with an API key holding ``roles`` (default all five), not subject to
    the per-address rate limit (tests that walk through long flows send many requests)."""
    key = state.create_api_key(roles or list(SECURITY_SERVER_ROLES))[1]
    limiter = RateLimiter(per_second=1_000_000, per_minute=1_000_000)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(state, rate_limiter=limiter)),
        base_url=BASE_URL,
        headers=api_key_header(key),
    )


@pytest.fixture
def pin_fd() -> Iterator[int]:
    """A pipe holding the token PIN, for ``--pin-fd``."""
    read, write = os.pipe()
    os.write(write, (PIN + "\n").encode())
    os.close(write)
    yield read
    os.close(read)
