"""Authentication of requests to the admin API: an API key, or HTTP Basic for ``/api-keys``."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from backend.secret import Secret

__all__ = ["API_KEY_SCHEME", "ApiKeyAuth", "BasicAuth", "Secret"]

API_KEY_SCHEME = "X-Road-ApiKey token="


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
