"""Password and API-key hashing: scrypt for passwords and PINs, SHA-256 for API keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N, _R, _P = 2**14, 8, 1
_DKLEN = 32


def hash_secret(secret: str) -> str:
    """An scrypt hash of a password or PIN: ``scrypt$n$r$p$salt$hash`` (base64 parts)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return "$".join(
        ["scrypt", str(_N), str(_R), str(_P), base64.b64encode(salt).decode(),
         base64.b64encode(digest).decode()]
    )


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches a hash made by :func:`hash_secret`."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    salt = base64.b64decode(salt_b64)
    expected = base64.b64decode(digest_b64)
    actual = hashlib.scrypt(
        secret.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(actual, expected)


def api_key_digest(key: str) -> str:
    """The SHA-256 hex digest under which an API key is stored (the key itself never is)."""
    return hashlib.sha256(key.encode()).hexdigest()
