"""How the sandbox writes values on the wire, as X-Road's Jackson configuration does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def fmt_time(value: datetime) -> str:
    """A date-time as X-Road writes it: ``2018-12-15T00:00:00.001Z`` (UTC, milliseconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """Read a time stored with :func:`store_time`."""
    return datetime.fromisoformat(text)


def store_time(value: datetime) -> str:
    """A time as the database keeps it (ISO 8601 with offset)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def drop_none(value: Any) -> Any:
    """Remove ``None`` values from mappings, recursively (Jackson ``NON_NULL``)."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [drop_none(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """Compact JSON, absent values omitted."""
    return json.dumps(drop_none(value), separators=(",", ":"), ensure_ascii=False).encode()
