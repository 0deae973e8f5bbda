"""A sandbox client with services, a local group and rights, reached in-process through the real
``SecurityServerClient``; every request the sandbox answers is recorded with its time and status."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend.api.client import SecurityServerClient
from backend.api.credentials import Secret
from backend.api.models import ROLES
from backend.api.throttle import RequestThrottle
from backend.api.transport import ApiTransport
from backend.api.writes import WriteEvent
from backend.sandbox.app import create_app
from backend.sandbox.ratelimit import RateLimiter
from backend.sandbox.state import SandboxState
from tests.sandbox.clients_support import (
    OWNERS_GROUP,
    PAYMENTS,
    PERMITS,
    REGISTRY,
    TRACKING,
    add_client,
    add_services,
)

BASE = "https://127.0.0.1:4000/api/v1"
__all__ = ["OWNERS_GROUP", "PAYMENTS", "PERMITS", "REGISTRY", "TRACKING"]


@dataclass(frozen=True)
class Seen:
    at: float
    method: str
    path: str
    status: int


class RecordingApp:
    """Wraps the sandbox's ASGI app and notes each request as the server sees it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = time.monotonic()
        status = [0]

        async def noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        await self.app(scope, receive, noting)
        self.seen.append(Seen(arrived, scope["method"], scope["path"], status[0]))

    def count(self, method: str | None = None) -> int:
        return sum(1 for item in self.seen if method is None or item.method == method)

    def reset(self) -> None:
        self.seen.clear()


@dataclass
class Journal:
    events: list[WriteEvent] = field(default_factory=list)

    def record(self, event: WriteEvent) -> None:
        self.events.append(event)


def server_client(state: SandboxState, *, real_limits: bool = False, confirmer: Any = None,
                  limiter: RateLimiter | None = None,
                  ) -> tuple[SecurityServerClient, RecordingApp, Journal]:
    """A client of the sandbox; unless ``real_limits``, neither side limits the request rate
    (or only the sandbox, with ``limiter``)."""
    key = state.create_api_key(list(ROLES))[1]
    if limiter is None and not real_limits:
        limiter = RateLimiter(per_second=10**6, per_minute=10**6)
    app = RecordingApp(create_app(state, rate_limiter=limiter))
    journal = Journal()
    throttle = None if real_limits else RequestThrottle(per_second=10**5, per_minute=10**5)
    transport = ApiTransport(BASE, api_key=Secret(key), http_transport=httpx.ASGITransport(app=app),
                             throttle=throttle, observer=journal, confirmer=confirmer)
    return SecurityServerClient(transport), app, journal


def rights(state: SandboxState, client_id: str = REGISTRY) -> set[tuple[str, str]]:
    """(service code, or "code METHOD path" for an endpoint; subject id) of every right."""
    rows = state.db.execute(
        "SELECT e.service_code, e.method, e.path, a.subject_id FROM access_rights a "
        "JOIN endpoints e ON e.id = a.endpoint_id WHERE a.client_id = ?", (client_id,)).fetchall()
    return {(row[0] if row[1] == "*" else f"{row[0]} {row[1]} {row[2]}", row[3]) for row in rows}


def grant_directly(state: SandboxState, endpoint_id: int, subjects: Sequence[str],
                   client_id: str = REGISTRY) -> None:
    with state.transaction() as connection:
        connection.executemany(
            "INSERT INTO access_rights (client_id, subject_id, endpoint_id, rights_given_at) "
            "VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
            [(client_id, subject, endpoint_id) for subject in subjects])


@dataclass
class Registry:
    """The registry subsystem: its endpoints by key, its local group's id."""

    endpoints: dict[str, int]
    admins: str


def setup_registry(state: SandboxState) -> Registry:
    """getPerson.v1, listPersons.v1, getAddress.v1 (WSDL) and personsApi (REST endpoints
    GET /persons/{id}, GET /persons); local group "admins"; rights: permits → getPerson and
    listPersons, tracking → getPerson, admins → getAddress, owners → personsApi, payments →
    personsApi GET /persons/{id}."""
    add_client(state, REGISTRY)
    endpoints = add_services(state, REGISTRY, ["getPerson", "listPersons", "getAddress"],
                             version="v1")
    endpoints |= add_services(state, REGISTRY, ["personsApi"],
                              rest_paths=["/persons/{id}", "/persons"])
    admins = str(state.add_local_group(REGISTRY, "admins", "Administrators"))
    grant_directly(state, endpoints["getPerson"], [PERMITS, TRACKING])
    grant_directly(state, endpoints["listPersons"], [PERMITS])
    grant_directly(state, endpoints["getAddress"], [admins])
    grant_directly(state, endpoints["personsApi"], [OWNERS_GROUP])
    grant_directly(state, endpoints["personsApi /persons/{id}"], [PAYMENTS])
    return Registry(endpoints, admins)
