"""A change to the server, described before it is sent.

Every write goes through ``ApiTransport.write(request)``: that one place refuses writes in read-only
mode, asks for confirmation of dangerous requests, throttles, never retries, and tells the
``WriteObserver`` (the operator's audit journal) what happened.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import httpx

IgnoreWarningsIn = Literal["body", "query"]


@dataclass(frozen=True)
class WriteRequest:
    """One state-changing call to the admin API.

    ``summary`` is the translated sentence the operator sees in confirmations and the audit journal
    ("Create an API key with roles …"); it must not contain secrets. ``ignore_warnings_in`` says
    where this endpoint takes ``ignore_warnings`` when the request is resent after the operator
    confirmed X-Road's warnings (``None``: the endpoint has no warnings).
    """

    method: str
    path: str
    summary: str
    json: Any = field(default=None, repr=False)  # may hold Secrets: revealed only when sent
    content: bytes | None = field(default=None, repr=False)
    content_type: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    ignore_warnings_in: IgnoreWarningsIn | None = None
    dangerous: bool = False
    auth: httpx.Auth | None = dataclasses.field(default=None, compare=False, repr=False)
    audit_details: dict[str, Any] = field(default_factory=dict)

    @property
    def ignores_warnings(self) -> bool:
        if self.ignore_warnings_in == "query":
            return self.params.get("ignore_warnings") == "true"
        if self.ignore_warnings_in == "body" and isinstance(self.json, dict):
            return bool(self.json.get("ignore_warnings"))
        return False

    def ignoring_warnings(self) -> WriteRequest:
        """The same request, resent after the operator confirmed the warnings."""
        if self.ignore_warnings_in == "query":
            return dataclasses.replace(self, params={**self.params, "ignore_warnings": "true"})
        if self.ignore_warnings_in == "body":
            body = dict(self.json or {})
            body["ignore_warnings"] = True
            return dataclasses.replace(self, json=body)
        raise ValueError(f"{self.method} {self.path} does not take ignore_warnings")


Outcome = Literal["ok", "failed", "warnings", "refused", "cancelled"]


@dataclass(frozen=True)
class WriteEvent:
    """What happened to one write, as the audit journal records it."""

    at: datetime
    method: str
    path: str
    summary: str
    outcome: Outcome
    status: int | None = None
    error_code: str | None = None
    warnings: tuple[str, ...] = ()
    ignored_warnings: bool = False
    correlation_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class WriteObserver(Protocol):
    """Receives every write's outcome (the console's audit journal implements this)."""

    def record(self, event: WriteEvent) -> None: ...


class Confirmer(Protocol):
    """Asks the operator before a dangerous write; returns True to go ahead."""

    async def __call__(self, request: WriteRequest) -> bool: ...
