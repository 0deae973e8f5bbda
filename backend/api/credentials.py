"""Credentials that never show themselves: not in repr, logs, tracebacks or on screen."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

API_KEY_SCHEME = "X-Road-ApiKey token="


class Secret:
    """A secret string whose repr and str are redacted; ``reveal()`` is the only way in."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # never pickle a secret into a cache or a crash dump
        raise TypeError("a Secret cannot be pickled")


class ApiKeyAuth(httpx.Auth):
    """``Authorization: X-Road-ApiKey token=<key>`` added to each request as it is sent."""

    def __init__(self, api_key: Secret) -> None:
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = API_KEY_SCHEME + self._api_key.reveal()
        yield request


class BasicAuth(httpx.Auth):
    """HTTP Basic credentials for ``/api-keys``; the password is used once and not kept elsewhere."""

    def __init__(self, username: str, password: Secret) -> None:
        self.username = username
        self._password = password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raw = f"{self.username}:{self._password.reveal()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        yield request
