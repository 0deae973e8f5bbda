"""Who is calling: API keys for ``/api/**``, HTTP Basic from loopback for ``/api/v1/api-keys``.

As in X-Road, ``Authorization: X-Road-ApiKey token=<key>`` (prefix compared case-insensitively)
authenticates regular API calls from any address; the API-key management endpoints accept only HTTP
Basic credentials of a user, and only from ``127.0.0.0/8`` or ``::1``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.sandbox.permissions import authorities_for, ordered_roles

if TYPE_CHECKING:
    from backend.sandbox.state import SandboxState

API_KEY_PREFIX = "X-ROAD-APIKEY TOKEN="
API_KEYS_PATH = "/api/v1/api-keys"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and the authorities its roles grant."""

    username: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    method: str  # "ApiKey" or "HttpBasicPam", as X-Road's audit log names them

    @classmethod
    def with_roles(cls, username: str, roles: list[str], method: str) -> Principal:
        _role_names, permissions = authorities_for(roles)
        return cls(username, tuple(ordered_roles(roles)), frozenset(permissions), method)

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def has_role(self, role: str) -> bool:
        return role in self.roles


def is_api_keys_path(path: str) -> bool:
    return path == API_KEYS_PATH or path.startswith(API_KEYS_PATH + "/")


def is_loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def authenticate_api_key(state: SandboxState, header: str | None) -> Principal | None:
    """The caller of a regular API request, or ``None`` (answered 401)."""
    if not header or not header.upper().startswith(API_KEY_PREFIX):
        return None
    key = header[len(API_KEY_PREFIX):].strip()
    record = state.api_key_for(key) if key else None
    if record is None:
        return None
    return Principal.with_roles(f"api-key-{record.id}", record.roles, "ApiKey")


def authenticate_basic(
    state: SandboxState, header: str | None, address: str | None
) -> Principal | None:
    """The caller of an API-key management request, or ``None`` (answered 401)."""
    if not header or header[:6].lower() != "basic ":
        return None
    if not is_loopback(address):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, password = decoded.partition(":")
    if not separator:
        return None
    roles = state.user_roles(username, password)
    if roles is None:
        return None
    return Principal.with_roles(username, roles, "HttpBasicPam")
