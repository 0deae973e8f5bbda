"""The software token ("softToken-0"): private keys in PKCS #12 files encrypted under the PIN.

As in X-Road's signer, each key lives in its own keystore, ``<data dir>/softtoken/<key id>.p12``;
the token holds the decrypted keys in memory only while it is logged in.
"""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from backend.sandbox.pki import write_private

SOFTWARE_TOKEN_ID = "0"
SOFTWARE_TOKEN_NAME = "softToken-0"
PIN_MIN_LENGTH = 10
PIN_MIN_CHAR_CLASSES = 3

PrivateKey = rsa.RSAPrivateKey


def new_id() -> str:
    """A key, certificate or CSR id as X-Road's signer makes them (40 upper-case hex digits)."""
    return secrets.token_hex(20).upper()


def pin_policy_violation(pin: str) -> tuple[str, list[str]] | None:
    """X-Road's token PIN policy: ``(error code, metadata)`` when ``pin`` breaks it."""
    if any(ch not in string.printable or ch in "\t\n\r\x0b\x0c" for ch in pin):
        return "invalid_characters_pin", []
    classes = sum(
        any(ch in group for ch in pin)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits,
                      string.punctuation + " ")
    )
    if len(pin) < PIN_MIN_LENGTH or classes < PIN_MIN_CHAR_CLASSES:
        return "token_weak_pin", [
            "pin_min_length", str(PIN_MIN_LENGTH),
            "pin_min_char_classes_count", str(PIN_MIN_CHAR_CLASSES),
        ]
    return None


class SoftToken:
    """The keystores of the software token in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key_id: str) -> Path:
        return self.directory / f"{key_id}.p12"

    def generate(self, key_id: str, pin: str) -> PrivateKey:
        """A new RSA 2048 key, stored encrypted under ``pin``."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.store(key_id, key, pin)
        return key

    def store(self, key_id: str, key: PrivateKey, pin: str) -> None:
        data = pkcs12.serialize_key_and_certificates(
            key_id.encode(), key, None, None,
            serialization.BestAvailableEncryption(pin.encode()),
        )
        write_private(self.path(key_id), data)

    def load(self, key_id: str, pin: str) -> PrivateKey:
        """Decrypt one key; ``ValueError`` if the PIN does not open it."""
        key, _cert, _extra = pkcs12.load_key_and_certificates(
            self.path(key_id).read_bytes(), pin.encode()
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"keystore {key_id} holds no RSA key")
        return key

    def delete(self, key_id: str) -> None:
        self.path(key_id).unlink(missing_ok=True)
