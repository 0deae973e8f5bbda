"""Errors of the admin API client: X-Road's status, error code, metadata and warnings, in words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from backend.api.models import CodeWithDetails
from backend.errors import KapkaError
from backend.i18n import _

if TYPE_CHECKING:
    import httpx

    from backend.api.writes import WriteRequest


class ConnectionFailed(KapkaError):
    """The server could not be reached (refused, timed out, DNS, TLS handshake aborted)."""


class TlsTrustError(KapkaError):
    """The server's certificate is not the one Kapka trusts."""


class FingerprintChanged(TlsTrustError):
    """The server presents a certificate other than the pinned one."""

    def __init__(self, expected: str, presented: str, url: str) -> None:
        self.expected = expected
        self.presented = presented
        super().__init__(
            _(
                "The server at {url} presents a certificate with SHA-256 fingerprint\n{presented}\n"
                "but this profile trusts\n{expected}\n"
                "Kapka refuses to send the API key. If the certificate was renewed on purpose, check "
                "the new fingerprint on the server (openssl x509 -noout -fingerprint -sha256 -in "
                "/etc/xroad/ssl/proxy-ui-api.crt) and trust it again from the connect screen."
            ).format(url=url, presented=presented, expected=expected),
            _("Server certificate changed"),
        )


class MalformedResponse(KapkaError):
    """The server answered with something that is not what the X-Road API returns."""


class ReadOnlyRefused(KapkaError):
    """A write was attempted while Kapka runs in read-only mode."""


class WriteCancelled(KapkaError):
    """The operator declined a confirmation; nothing was sent."""


class ApiError(KapkaError):
    """An error answer from the admin API, with X-Road's details."""

    def __init__(
        self,
        message: str,
        title: str,
        *,
        status: int | None = None,
        code: str | None = None,
        metadata: list[str] | None = None,
        validation_errors: dict[str, list[str]] | None = None,
        warnings: list[CodeWithDetails] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message, title)
        self.status = status
        self.code = code
        self.metadata = metadata or []
        self.validation_errors = validation_errors or {}
        self.warnings = warnings or []
        self.correlation_id = correlation_id


class BadRequest(ApiError):
    """400: the request was refused as invalid."""


class AuthenticationFailed(ApiError):
    """401: missing, wrong or revoked credentials."""


class PermissionDenied(ApiError):
    """403: the credentials lack the role this needs."""


class NotFound(ApiError):
    """404: the object (or the path) does not exist."""


class Conflict(ApiError):
    """409: the server's state does not allow this now."""


class PayloadTooLarge(ApiError):
    """413: the request body is over X-Road's limit."""


class RateLimited(ApiError):
    """429: more than 20 requests/s or 600 requests/min from this address."""


class ServerError(ApiError):
    """5xx: the server failed."""


class WarningsDetected(ApiError):
    """400 ``warnings_detected``: nothing was changed; the operator must read and confirm.

    After confirmation, send ``self.request.ignoring_warnings()``.
    """

    request: WriteRequest | None = None


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
}


def _parse_body(raw: bytes) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return body if isinstance(body, dict) else None


def _details(value: Any) -> CodeWithDetails | None:
    """X-Road sends an object; Spring's default error body sends ``error`` as a string."""
    if not isinstance(value, dict) or not isinstance(value.get("code"), str):
        return None
    try:
        return msgspec.convert(value, CodeWithDetails)
    except msgspec.ValidationError:
        return CodeWithDetails(code=value["code"])


def error_from_response(response: httpx.Response, request: WriteRequest | None = None) -> ApiError:
    """Build the right ``ApiError`` from an error response, parsing the body defensively."""
    from backend.api.messages import describe_error

    status = response.status_code
    body = _parse_body(response.content) or {}
    error = _details(body.get("error"))
    warnings = [w for w in (_details(x) for x in body.get("warnings") or []) if w is not None]
    code = error.code if error else None
    title, message = describe_error(status, error, warnings, response.reason_phrase)
    kind: type[ApiError]
    if code == "warnings_detected" or (status == 400 and warnings and code is None):
        kind = WarningsDetected
    elif status >= 500:
        kind = ServerError
    else:
        kind = _BY_STATUS.get(status, ApiError)
    exc = kind(
        message,
        title,
        status=status,
        code=code,
        metadata=list(error.metadata) if error else [],
        validation_errors=dict(error.validation_errors) if error else {},
        warnings=warnings,
        correlation_id=response.headers.get("x-road-ui-correlation-id"),
    )
    if isinstance(exc, WarningsDetected):
        exc.request = request
    return exc
