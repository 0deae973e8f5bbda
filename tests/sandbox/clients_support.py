"""Helpers of the client, local group and access-right tests: a registered server, signing
certificates for other members, services written directly into the database, and API clients
holding chosen roles."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from backend.sandbox.wire import store_time, utcnow
from tests.sandbox.conftest import unthrottled_client

INSTANCE = "SANDBOX-KG"
OWNER = f"{INSTANCE}:GOV:70000001"
REGISTRY = f"{OWNER}:registry"
NOTIFICATIONS = f"{OWNER}:notifications"
PAYMENTS = f"{INSTANCE}:COM:50010002:payments"
PERMITS = f"{INSTANCE}:GOV:70000002:permits"
TRACKING = f"{INSTANCE}:COM:50010001:tracking"
OWNERS_GROUP = f"{INSTANCE}:security-server-owners"
REGISTRIES_GROUP = f"{INSTANCE}:state-registries"
SO, RO, SA, SY, OB = ("XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER",
                      "XROAD_SERVICE_ADMINISTRATOR", "XROAD_SYSTEM_ADMINISTRATOR",
                      "XROAD_SECURITYSERVER_OBSERVER")


def path(client_id: str) -> str:
    return f"/api/v1/clients/{client_id}"


def register_server(state: SandboxState, auth_hash: str, delay: int | None = 0) -> None:
    """Have the central server list this server (its authentication certificate registered) and
    approve management requests after ``delay`` seconds (``None``: never)."""
    state.set_certificate_status(auth_hash, "REGISTERED", active=True)
    centralserver.set_request_delay(state, delay)


def add_client(state: SandboxState, client_id: str, status: str = "SAVED") -> str:
    """A local client written directly, with a given status."""
    parts = client_id.split(":")
    instance, member_class, member_code = parts[:3]
    subsystem = parts[3] if len(parts) == 4 else None
    state.db.execute(
        "INSERT INTO clients (id, instance_identifier, member_class, member_code, subsystem_code, "
        "status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (client_id, instance, member_class, member_code, subsystem, status, store_time(utcnow())))
    return client_id


def sign_certificate_for(state: SandboxState, member_id: str) -> str:
    """A registered signing certificate (OCSP good) for a member that is a client; its hash."""
    key_id = state.generate_key(f"sign {member_id}")
    return state.issue_certificate(key_id, "SIGNING", member_id, 30)


def add_services(state: SandboxState, client_id: str, codes: Sequence[str], *,
                 version: str | None = None, rest_paths: Sequence[str] = (),
                 title: str = "Title of {code}") -> dict[str, int]:
    """A WSDL description with these services, each with its base endpoint, written directly
    (as the service-description side adds them), and REST endpoints ``GET <path>`` of the first
    code. Service code → base endpoint id; ``<code> <path>`` → endpoint id."""
    now = store_time(utcnow())
    with state.transaction() as connection:
        description = connection.execute(
            "INSERT INTO service_descriptions (client_id, url, type, refreshed_at) "
            "VALUES (?, ?, 'WSDL', ?)",
            (client_id, f"http://is.example.org/{len(codes)}-{now}.wsdl", now)).lastrowid
        connection.executemany(
            "INSERT INTO services (service_description_id, service_code, service_version, title, "
            "url) VALUES (?, ?, ?, ?, 'http://is.example.org/soap')",
            [(description, code, version, title.format(code=code)) for code in codes])
        connection.executemany(
            "INSERT INTO endpoints (client_id, service_code, method, path, generated) "
            "VALUES (?, ?, '*', '**', 1)", [(client_id, code) for code in codes])
        connection.executemany(
            "INSERT INTO endpoints (client_id, service_code, method, path, generated) "
            "VALUES (?, ?, 'GET', ?, 1)", [(client_id, codes[0], rest) for rest in rest_paths])
        rows = connection.execute(
            "SELECT id, service_code, method, path FROM endpoints WHERE client_id = ?",
            (client_id,)).fetchall()
    found = {}
    for row in rows:
        key = row["service_code"] if row["method"] == "*" else f"{row['service_code']} {row['path']}"
        found[key] = int(row["id"])
    return found


def items(*ids: str) -> dict[str, list[dict[str, str]]]:
    """A ``ServiceClients`` body."""
    return {"items": [{"id": subject} for subject in ids]}


def codes(*service_codes: str) -> dict[str, list[dict[str, str]]]:
    """An ``AccessRights`` body."""
    return {"items": [{"service_code": code} for code in service_codes]}


def client_with(state: SandboxState, *roles: str) -> httpx.AsyncClient:
    """An unthrottled API client holding these roles."""
    return unthrottled_client(state, list(roles))


def rights_count(state: SandboxState) -> int:
    return int(state.db.execute("SELECT COUNT(*) FROM access_rights").fetchone()[0])


def error_code(response: httpx.Response) -> str | None:
    body = response.json()
    return (body.get("error") or {}).get("code")
