"""X-Road identifiers in URL paths."""

from __future__ import annotations

from urllib.parse import quote


def path_id(value: str) -> str:
    """An id as one path segment (X-Road ids contain ':' and may contain '/' or spaces)."""
    return quote(value, safe=":")
