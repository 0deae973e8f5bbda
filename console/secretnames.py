"""Which names hold secrets: a setting or an audit detail called like this is never written out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "passphrase", "pin", "key", "apikey", "token", "secret", "secrets",
        "credential", "credentials", "authorization", "cookie", "privatekey",
    }
)  # fmt: skip
# "token_id", "key_label", "api_key_ref": names of things, not the things themselves
_NAME_SUFFIXES = frozenset({"id", "ids", "ref", "refs", "label", "name", "count", "type", "usage"})


def is_secret_name(name: str) -> bool:
    """Whether a setting or detail called ``name`` would hold a secret (password, pin, key…)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    words = re.findall(r"[a-z0-9]+", spaced.lower())
    if len(words) > 1 and words[-1] in _NAME_SUFFIXES:
        return False
    return any(word in _SECRET_WORDS for word in words)


def find_secret_key(data: Mapping[str, Any], prefix: str = "") -> str | None:
    """The dotted name of the first key in ``data`` (or nested tables) named like a secret."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if is_secret_name(str(key)):
            return dotted
        if isinstance(value, Mapping):
            found = find_secret_key(value, f"{dotted}.")
            if found:
                return found
    return None
