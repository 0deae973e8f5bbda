"""Service descriptions, services and endpoints as the admin API shows them.

As X-Road's ``ServiceDescriptionConverter``, ``ServiceConverter`` and ``EndpointConverter``: a
service's id is ``<client id>:<full service code>``; ``ssl_auth`` is ``false`` for an ``http://``
URL and otherwise the stored value (``true`` when none is stored); a service's endpoints are all
endpoints of its client with its service code, the base endpoint (``*`` ``**``) included.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from backend.sandbox.servicedesc.urls import is_http
from backend.sandbox.wire import fmt_time, parse_time

EndpointIndex = dict[str, list[sqlite3.Row]]


def full_code(service_code: str, version: str | None) -> str:
    """``ServiceFormatter.getServiceFullName``: ``code`` or ``code.version``."""
    return f"{service_code}.{version}" if version is not None else service_code


def service_id(client_id: str, service: sqlite3.Row) -> str:
    return f"{client_id}:{full_code(service['service_code'], service['service_version'])}"


def index_endpoints(endpoints: Iterable[sqlite3.Row]) -> EndpointIndex:
    """A client's endpoints by service code, in id order."""
    index: EndpointIndex = {}
    for endpoint in endpoints:
        index.setdefault(endpoint["service_code"], []).append(endpoint)
    return index


def render_endpoint(endpoint: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": str(endpoint["id"]),
        "service_code": endpoint["service_code"],
        "method": endpoint["method"],
        "path": endpoint["path"],
        "generated": bool(endpoint["generated"]),
    }


def render_service(client_id: str, service: sqlite3.Row, endpoints: EndpointIndex) -> dict[str, Any]:
    return {
        "id": service_id(client_id, service),
        "full_service_code": full_code(service["service_code"], service["service_version"]),
        "service_code": service["service_code"],
        "timeout": service["timeout"],
        "title": service["title"],
        "ssl_auth": False if is_http(service["url"]) else bool(service["ssl_auth"]),
        "url": service["url"],
        "endpoints": [render_endpoint(e) for e in endpoints.get(service["service_code"], [])],
    }


def render_description(description: sqlite3.Row, services: Iterable[sqlite3.Row],
                       endpoints: EndpointIndex) -> dict[str, Any]:
    client_id = description["client_id"]
    return {
        "id": str(description["id"]),
        "url": description["url"],
        "type": description["type"],
        "disabled": bool(description["disabled"]),
        "disabled_notice": description["disabled_notice"],
        "refreshed_at": fmt_time(parse_time(description["refreshed_at"])),
        "services": [render_service(client_id, s, endpoints) for s in services],
        "client_id": client_id,
    }
