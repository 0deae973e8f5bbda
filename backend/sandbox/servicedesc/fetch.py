"""Downloading a service description from its URL, as X-Road's admin service does.

X-Road reads WSDL and OpenAPI descriptions with ``URLConnection``: any server certificate is
accepted, redirects are followed, a body larger than 10 MiB is refused, and an answer other than
2xx is a failed download. Only ``http`` and ``https`` URLs are fetched (``UrlValidator`` refuses the
rest before any download). The result is a :class:`Fetched` value, never an exception, so that the
caller decides which of X-Road's error codes a failure becomes (``wsdl_download_failed``,
``openapi_parsing_error``). :func:`fetch` does not block the event loop; :func:`fetch_sync` is for
callers outside one.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass

import httpx

#: X-Road's ``MAX_DESCRIPTION_SIZE`` in ``WsdlParser`` and ``OpenApiParser``
MAX_DESCRIPTION_SIZE = 10 * 1024 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
#: the whole download, however slowly a server sends
TOTAL_TIMEOUT = 60.0
MAX_REDIRECTS = 10
_TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)


@dataclass(frozen=True)
class Fetched:
    """A downloaded description (``content``), or why it could not be downloaded (``failure``)."""

    url: str
    content: bytes | None = None
    failure: str | None = None
    #: the host name did not resolve (X-Road's ``UnknownHostException``)
    unknown_host: bool = False
    #: the body was larger than :data:`MAX_DESCRIPTION_SIZE`
    too_large: bool = False

    @property
    def ok(self) -> bool:
        return self.content is not None


def _root_cause(error: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        nested = error.__cause__ or error.__context__
        if nested is None:
            break
        error = nested
    return error


def _failure(url: str, error: Exception) -> Fetched:
    cause = _root_cause(error)
    if isinstance(cause, socket.gaierror):
        return Fetched(url, failure=f"Unknown host: {httpx.URL(url).host}", unknown_host=True)
    if isinstance(error, httpx.ConnectTimeout):
        return Fetched(url, failure="connect timed out")
    if isinstance(error, httpx.TimeoutException):
        return Fetched(url, failure="Read timed out")
    if isinstance(error, httpx.TooManyRedirects):
        return Fetched(url, failure=f"Server redirected too many times ({MAX_REDIRECTS})")
    if isinstance(cause, OSError) and (cause.errno or cause.strerror):
        return Fetched(url, failure=os.strerror(cause.errno) if cause.errno else cause.strerror)
    return Fetched(url, failure=str(error) or type(error).__name__)


def _status_failure(url: str, status: int) -> Fetched:
    if status == 404:  # Java's FileNotFoundException, whose message is the URL
        return Fetched(url, failure=url)
    return Fetched(url, failure=f"Server returned HTTP response code: {status} for URL: {url}")


def _too_large(url: str) -> Fetched:
    return Fetched(url, failure=f"Size exceeds {MAX_DESCRIPTION_SIZE} bytes.", too_large=True)


def _client_options() -> dict:
    # trust_env=False: no proxy from the environment; descriptions are fetched directly
    return {"verify": False, "follow_redirects": True, "max_redirects": MAX_REDIRECTS,
            "timeout": _TIMEOUT, "trust_env": False}


async def fetch(url: str) -> Fetched:
    """Download ``url`` without blocking the event loop."""
    try:
        async with asyncio.timeout(TOTAL_TIMEOUT):
            return await _fetch(url)
    except TimeoutError:
        return Fetched(url, failure="Read timed out")


async def _fetch(url: str) -> Fetched:
    try:
        async with httpx.AsyncClient(**_client_options()) as client, \
                client.stream("GET", url) as response:
            if not response.is_success:
                return _status_failure(url, response.status_code)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_DESCRIPTION_SIZE:
                    return _too_large(url)
            return Fetched(url, content=bytes(body))
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        return _failure(url, error)


def fetch_sync(url: str) -> Fetched:
    """Download ``url``, blocking (for callers outside an event loop)."""
    deadline = time.monotonic() + TOTAL_TIMEOUT
    try:
        with httpx.Client(**_client_options()) as client, client.stream("GET", url) as response:
            if not response.is_success:
                return _status_failure(url, response.status_code)
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > MAX_DESCRIPTION_SIZE:
                    return _too_large(url)
                if time.monotonic() > deadline:
                    return Fetched(url, failure="Read timed out")
            return Fetched(url, content=bytes(body))
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        return _failure(url, error)
