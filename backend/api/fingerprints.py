"""Certificate fingerprints as operators compare them, and where X-Road keeps the API's certificate.

Kept free of heavy imports: the configuration and the screens use it at start-up.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from backend.i18n import _

DEFAULT_SERVER_CERTIFICATE = Path("/etc/xroad/ssl/proxy-ui-api.crt")
COMPARE_COMMAND = f"openssl x509 -noout -fingerprint -sha256 -in {DEFAULT_SERVER_CERTIFICATE}"


def fingerprint_sha256(der: bytes) -> str:
    """SHA-256 as upper-case hex pairs joined by ':' (as ``openssl x509 -fingerprint``)."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def normalise_fingerprint(text: str) -> str:
    """Accept a fingerprint with or without colons, any case, with an optional ``SHA256:`` prefix."""
    raw = text.strip().upper().removeprefix("SHA256:").removeprefix("SHA256 FINGERPRINT=")
    hexdigits = "".join(raw.replace(":", "").split())
    if len(hexdigits) != 64 or any(ch not in "0123456789ABCDEF" for ch in hexdigits):
        raise ValueError(_("A SHA-256 fingerprint has 64 hexadecimal digits."))
    return ":".join(hexdigits[i : i + 2] for i in range(0, 64, 2))
