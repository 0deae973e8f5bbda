"""``ApiTransport``: the one path every request to the admin API takes.

Reads are throttled and retried, boundedly, on 429, 5xx and connection errors. Writes are
throttled, refused in read-only mode, confirmed when dangerous, never retried, and every outcome is
reported to the write observer (the operator's audit journal).
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

import httpx
import msgspec

from backend.api.credentials import ApiKeyAuth, Secret
from backend.api.errors import (
    ApiError,
    ConnectionFailed,
    FingerprintChanged,
    MalformedResponse,
    ReadOnlyRefused,
    TlsTrustError,
    WarningsDetected,
    WriteCancelled,
    error_from_response,
)
from backend.api.throttle import RequestThrottle
from backend.api.trust import TlsTrust, probe_server_certificate
from backend.api.writes import Confirmer, Outcome, WriteEvent, WriteObserver, WriteRequest
from backend.i18n import _

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 10.0
RATE_WINDOW_SECONDS = 1.0


def _user_agent() -> str:
    try:
        return f"kapka/{version('kapka')}"
    except PackageNotFoundError:
        return "kapka"


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None


class ApiTransport:
    """HTTP to one security server's admin API (``https://host:4000/api/v1``)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: Secret | None = None,
        trust: TlsTrust | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
        throttle: RequestThrottle | None = None,
        observer: WriteObserver | None = None,
        confirmer: Confirmer | None = None,
        read_only: bool = False,
        timeout: float = 30.0,
        max_attempts: int = 3,
        backoff: float = 0.25,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.trust = trust
        self.throttle = throttle or RequestThrottle()
        self.observer = observer
        self.confirmer = confirmer
        self.read_only = read_only
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        verify: ssl.SSLContext | bool = trust.ssl_context() if trust else True
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            auth=ApiKeyAuth(api_key) if api_key else None,
            verify=verify,
            transport=http_transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": _user_agent()},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ApiTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sending ---------------------------------------------------------------------------

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        await self.throttle.acquire()
        try:
            return await self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise await self._transport_error(exc) from exc

    async def _transport_error(self, exc: httpx.TransportError) -> Exception:
        cause = _ssl_cause(exc)
        if isinstance(cause, ssl.SSLCertVerificationError):
            return await self._trust_error(cause)
        if isinstance(exc, httpx.TimeoutException):
            return ConnectionFailed(
                _("{url} did not answer in time. Check that the admin API is running "
                  "(systemctl status xroad-proxy-ui-api) and that port 4000 is reachable.").format(
                    url=self.base_url),
                _("Server not answering"),
            )
        return ConnectionFailed(
            _("Cannot connect to {url}: {error}. Check the URL and that the admin API is "
              "running (systemctl status xroad-proxy-ui-api).").format(
                url=self.base_url, error=str(exc) or type(exc).__name__),
            _("Server unreachable"),
        )

    async def _trust_error(self, cause: ssl.SSLCertVerificationError) -> Exception:
        if self.trust is not None and self.trust.fingerprint:
            try:
                presented = await probe_server_certificate(self.base_url)
            except Exception:  # the verification error below still says enough
                presented = None
            if presented is not None and presented.fingerprint != self.trust.fingerprint:
                return FingerprintChanged(self.trust.fingerprint, presented.fingerprint,
                                          self.base_url)
        return TlsTrustError(
            _("The certificate of {url} could not be verified ({reason}). Kapka sends no "
              "credentials to a server it cannot verify. Trust the server's certificate file "
              "or pin its fingerprint from the connect screen.").format(
                url=self.base_url, reason=cause.verify_message or cause.reason),
            _("Untrusted server certificate"),
        )

    # -- reads -------------------------------------------------------------------------------

    async def get(
        self, path: str, *, params: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> httpx.Response:
        """A safe GET: retried with back-off on 429, 5xx and connection errors, then raised."""
        extra: dict[str, Any] = {"params": params}
        if auth is not None:
            extra["auth"] = auth
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                response = await self._send("GET", path, **extra)
            except ConnectionFailed:
                if last:
                    raise
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                await asyncio.sleep(self._retry_delay(response, attempt))
                continue
            if not response.is_success:
                raise error_from_response(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        delay = self.backoff * 2 ** (attempt - 1)
        if response.status_code == 429:  # X-Road counts per second: wait for the next window
            delay = max(delay, RATE_WINDOW_SECONDS)
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
        return delay

    async def get_model(
        self, path: str, model: type[T], *, params: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> T:
        response = await self.get(path, params=params, auth=auth)
        return decode(response, model)

    async def get_bytes(
        self, path: str, *, params: Mapping[str, str] | None = None
    ) -> Download:
        """A file from the server (a CSR, the anchor): its bytes and the name the server gives."""
        response = await self.get(path, params=params)
        return Download(
            content=response.content,
            content_type=response.headers.get("Content-Type", ""),
            filename=_filename(response.headers.get("Content-Disposition", "")),
        )

    async def post_readonly(
        self, path: str, *, content: bytes, content_type: str = "application/octet-stream",
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A POST that changes nothing on the server (an anchor preview): not a write, not retried."""
        response = await self._send("POST", path, content=content, params=params,
                                    headers={"Content-Type": content_type})
        if not response.is_success:
            raise error_from_response(response)
        return response

    # -- writes ------------------------------------------------------------------------------

    async def write(self, request: WriteRequest) -> httpx.Response:
        """Send one change to the server: the only way Kapka changes anything there."""
        if self.read_only:
            self._record(request, "refused")
            raise ReadOnlyRefused(
                _("Kapka runs in read-only mode; \"{summary}\" was not sent. Start without "
                  "--read-only (or set read_only = false in the profile) to make changes.").format(
                    summary=request.summary),
                _("Read-only mode"),
            )
        needs_confirmation = (
            request.dangerous and self.confirmer is not None and not request.ignores_warnings
        )
        if needs_confirmation and not await self.confirmer(request):  # type: ignore[misc]
            self._record(request, "cancelled")
            raise WriteCancelled(
                _("\"{summary}\" was cancelled; nothing was sent.").format(summary=request.summary),
                _("Cancelled"),
            )
        kwargs: dict[str, Any] = {"params": request.params or None}
        if request.json is not None:
            kwargs["content"] = _json_body(request.json)
            kwargs["headers"] = {"Content-Type": "application/json"}
        elif request.content is not None:
            kwargs["content"] = request.content
            kwargs["headers"] = {"Content-Type": request.content_type or "application/octet-stream"}
        if request.auth is not None:
            kwargs["auth"] = request.auth
        try:
            response = await self._send(request.method, request.path, **kwargs)
        except (ConnectionFailed, TlsTrustError) as exc:
            self._record(request, "failed", error_code=type(exc).__name__)
            raise
        if response.is_success:
            self._record(request, "ok", response=response)
            return response
        error = error_from_response(response, request)
        outcome: Outcome = "warnings" if isinstance(error, WarningsDetected) else "failed"
        self._record(request, outcome, response=response, error=error)
        raise error

    def _record(
        self,
        request: WriteRequest,
        outcome: Outcome,
        *,
        response: httpx.Response | None = None,
        error: ApiError | None = None,
        error_code: str | None = None,
    ) -> None:
        if self.observer is None:
            return
        self.observer.record(
            WriteEvent(
                at=datetime.now(UTC),
                method=request.method,
                path=request.path,
                summary=request.summary,
                outcome=outcome,
                status=response.status_code if response is not None else None,
                error_code=(error.code if error else None) or error_code,
                warnings=tuple(w.code for w in error.warnings) if error else (),
                ignored_warnings=request.ignores_warnings,
                correlation_id=(response.headers.get("x-road-ui-correlation-id")
                                if response is not None else None),
                details=dict(request.audit_details),
            )
        )


def _reveal(value: object) -> str:
    if isinstance(value, Secret):
        return value.reveal()
    raise TypeError(f"{type(value).__name__} cannot go into a request body")


def _json_body(body: object) -> bytes:
    """The request body as JSON; a ``Secret`` (a PIN) is revealed here and nowhere else."""
    return json.dumps(body, default=_reveal, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str | None


def _filename(disposition: str) -> str | None:
    """``attachment; filename="x.der"`` → ``x.der`` (only a plain name: never a path)."""
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition)
    if not match:
        return None
    name = match.group(1).strip().replace("\\", "/").rsplit("/", 1)[-1]
    return name if name not in ("", ".", "..") else None


def decode(response: httpx.Response, model: type[T]) -> T:
    """Decode a JSON answer into ``model``, or say clearly what the server sent instead."""
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type:
        raise MalformedResponse(
            _("{path} answered with {type} instead of JSON. Is this URL the X-Road admin API "
              "(https://HOST:4000/api/v1)?").format(
                path=response.request.url.path, type=content_type or _("no content type")),
            _("Unexpected answer"),
        )
    try:
        return msgspec.json.decode(response.content, type=model)
    except msgspec.ValidationError as exc:
        raise MalformedResponse(
            _("{path} answered with JSON that does not match the X-Road API: {error}").format(
                path=response.request.url.path, error=exc),
            _("Unexpected answer"),
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedResponse(
            _("{path} answered with malformed JSON ({error}).").format(
                path=response.request.url.path, error=exc),
            _("Unexpected answer"),
        ) from exc
