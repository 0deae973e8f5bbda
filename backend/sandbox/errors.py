"""Errors of the sandbox and their X-Road wire format.

The admin API answers errors with ``ErrorInfo {status, error{code, metadata, validation_errors},
warnings[]}``; authentication, authorisation, rate limit and routing failures carry only the status
(``{"status":401}``). Paths outside ``/api`` get Spring's default error body.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from backend.errors import KapkaError
from backend.i18n import _
from backend.sandbox.wire import dumps, fmt_time, utcnow

JSON = "application/json"

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


class SandboxError(KapkaError):
    """A refusal of the sandbox's domain layer, with the X-Road error code the API reports."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        metadata: list[str] | None = None,
    ) -> None:
        super().__init__(message, _("Sandbox"))
        self.code = code
        self.status = status
        self.metadata = metadata or []


class ApiError(Exception):
    """An HTTP error answered with X-Road's ``ErrorInfo`` body."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        *,
        metadata: list[str] | None = None,
        validation_errors: dict[str, list[str]] | None = None,
        warnings: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code or str(status))
        self.status = status
        self.code = code
        self.metadata = metadata
        self.validation_errors = validation_errors
        self.warnings = warnings
        self.headers = headers or {}

    @classmethod
    def from_domain(cls, error: SandboxError) -> ApiError:
        return cls(error.status, error.code, metadata=error.metadata or None)

    def body(self) -> dict[str, Any]:
        info: dict[str, Any] = {"status": self.status}
        if self.code is not None:
            info["error"] = {
                "code": self.code,
                "metadata": self.metadata or None,
                "validation_errors": self.validation_errors,
            }
        if self.warnings:
            info["warnings"] = self.warnings
        return info

    def response(self) -> Response:
        return Response(dumps(self.body()), self.status, headers=self.headers, media_type=JSON)


def status_response(status: int, headers: dict[str, str] | None = None) -> Response:
    """``{"status": N}``, the body of 401, 403, 404, 405, 413 and 429 under ``/api``."""
    return ApiError(status, headers=headers).response()


def spring_error_response(status: int) -> Response:
    """Spring's default error body (``path`` and ``message`` removed, as X-Road does)."""
    timestamp = fmt_time(utcnow()).removesuffix("Z") + "+00:00"  # Jackson's java.util.Date
    body = {"timestamp": timestamp, "status": status, "error": REASONS.get(status, "")}
    return Response(dumps(body), status, media_type=JSON)
