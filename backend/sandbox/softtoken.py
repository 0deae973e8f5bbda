"""The software token ("softToken-0"): private keys in PKCS #12 files encrypted under the PIN.

As in X-Road's signer, each key lives in its own keystore, ``<data dir>/softtoken/<key id>.p12``;
the token holds the decrypted keys in memory only while it is logged in. A PIN change rewrites
every keystore under the new PIN in a new directory and then swaps the directories, as X-Road's
``SoftwareTokenWorker.handleUpdateTokenPin`` does.

X-Road's software token has no PIN retry counter: a wrong PIN leaves the status
``USER_PIN_INCORRECT``. A PKCS #11 token counts wrong PINs and reports ``USER_PIN_COUNT_LOW``,
``USER_PIN_FINAL_TRY`` and ``USER_PIN_LOCKED`` (X-Road's ``HardwareTokenUtil.getTokenStatus``);
:func:`pin_status` does the same when the sandbox is given a retry limit.
"""

from __future__ import annotations

import secrets
import shutil
import string
from collections.abc import Iterable
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

OK = "OK"
USER_PIN_INCORRECT = "USER_PIN_INCORRECT"
USER_PIN_COUNT_LOW = "USER_PIN_COUNT_LOW"
USER_PIN_FINAL_TRY = "USER_PIN_FINAL_TRY"
USER_PIN_LOCKED = "USER_PIN_LOCKED"


def pin_status(failed: int, retry_limit: int | None) -> str:
    """The token status after ``failed`` wrong PINs since the last good one.

    Without a retry limit this is X-Road's software token (``USER_PIN_INCORRECT``); with one, a
    PKCS #11 token: count low after a wrong PIN, final try when one is left, locked when none is.
    """
    if failed <= 0:
        return OK
    if retry_limit is None:
        return USER_PIN_INCORRECT
    left = retry_limit - failed
    if left <= 0:
        return USER_PIN_LOCKED
    if left == 1:
        return USER_PIN_FINAL_TRY
    return USER_PIN_COUNT_LOW


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

    def rekey(self, key_ids: Iterable[str], old_pin: str, new_pin: str) -> None:
        """Re-encrypt the keystores under ``new_pin``; ``ValueError`` if ``old_pin`` does not open one.

        The new keystores are written to a sibling directory first, then the directories are
        swapped, so a failure leaves every key readable under one PIN.
        """
        fresh = self.directory.with_name(self.directory.name + ".new")
        backup = self.directory.with_name(self.directory.name + ".bak")
        shutil.rmtree(fresh, ignore_errors=True)
        rewritten = SoftToken(fresh)
        fresh.mkdir(mode=0o700, parents=True)
        try:
            for key_id in key_ids:
                rewritten.store(key_id, self.load(key_id, old_pin), new_pin)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        shutil.rmtree(backup, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(backup)
        fresh.rename(self.directory)
        shutil.rmtree(backup, ignore_errors=True)
