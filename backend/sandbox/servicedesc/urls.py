"""URL checks of X-Road's admin service (``UrlValidator`` and ``FormatUtils``)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

HTTP_PREFIX = "http://"
HTTPS_PREFIX = "https://"
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(_LABEL.match(label) for label in labels) and len(host) <= 253


def is_valid_url(url: str | None) -> bool:
    """An absolute http or https URL with a host name or address (local names allowed), as
    X-Road's ``UrlValidator`` accepts it; anything else is ``malformed_url``."""
    if not url or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    return _valid_host(parts.hostname)


def is_https(url: str | None) -> bool:
    """``FormatUtils.isHttpsUrl``."""
    return bool(url) and str(url).startswith(HTTPS_PREFIX)


def is_http(url: str | None) -> bool:
    return bool(url) and str(url).startswith(HTTP_PREFIX)
