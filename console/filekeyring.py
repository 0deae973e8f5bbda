"""A keyring backend that keeps secrets in one file encrypted under a passphrase.

For hosts without a system keyring, which is most headless servers reached over SSH. The file is a
JSON envelope::

    {"format": "kapka-secrets", "version": 1,
     "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "length": 32, "salt": "<b64>"},
     "check": "<b64>", "nonce": "<b64>", "ciphertext": "<b64>"}

The key is derived from the passphrase with scrypt; the payload, JSON ``{service: {username:
secret}}``, is sealed with AES-256-GCM under a fresh nonce on every write, the format header as
associated data. ``check`` is an HMAC of a fixed label under the derived key: it tells a wrong
passphrase apart from a damaged or altered file without revealing anything about the key.

The passphrase is never stored; the derived key stays in memory for the object's life (or until
``lock()``). The class keeps itself out of keyring's backend discovery, so it never becomes
keyring's default: Kapka's ``SecretStore`` uses it explicitly.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from backend.errors import KapkaError
from backend.i18n import _
from console import paths

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system
    fcntl = None  # type: ignore[assignment]

FORMAT = "kapka-secrets"
VERSION = 1
_ASSOCIATED_DATA = b"kapka-secrets/1"
_CHECK_LABEL = b"kapka-secrets/1 passphrase check"
_KEY_LENGTH = 32
_SALT_LENGTH = 16
_NONCE_LENGTH = 12
_MAX_KDF_MEMORY = 256 * 1024 * 1024  # refuse files that would make scrypt use more than this

Payload = dict[str, dict[str, str]]


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters; the default costs about 0.1 s and 32 MiB per unlock."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    def valid(self) -> bool:
        return (
            all(isinstance(v, int) and not isinstance(v, bool) for v in (self.n, self.r, self.p))
            and self.n >= 2
            and self.n & (self.n - 1) == 0
            and 1 <= self.r <= 64
            and 1 <= self.p <= 16
            and 128 * self.n * self.r <= _MAX_KDF_MEMORY
        )


class SecretsFileError(KapkaError):
    """The secrets file cannot be read, is damaged, or has been altered."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Secrets file"))


class SecretsLocked(SecretsFileError):
    """The passphrase is wrong, missing, or no longer the file's passphrase."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Secrets locked"))


@dataclass(frozen=True)
class _Envelope:
    params: ScryptParams
    salt: bytes
    check: bytes
    nonce: bytes
    ciphertext: bytes


class EncryptedFileKeyring(KeyringBackend):
    """Secrets in ``path``, encrypted under ``passphrase`` (a string, or a function asked once).

    A string passphrase is checked at once: a wrong one raises ``SecretsLocked`` here. A function
    is called the first time a secret is needed. ``kdf`` sets the scrypt cost of new files and of
    ``change_passphrase``; an existing file is opened with the parameters stored in it.
    """

    priority = 0.5

    def __init__(
        self,
        path: Path,
        passphrase: str | Callable[[], str],
        kdf: ScryptParams | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self._kdf = kdf or ScryptParams()
        if not self._kdf.valid():
            raise ValueError(f"unusable scrypt parameters: {self._kdf}")
        self._lock = threading.RLock()
        self._key: bytes | None = None
        self._salt = b""
        self._params = self._kdf
        self._ask: Callable[[], str] | None = None
        if callable(passphrase):
            self._ask = passphrase
        else:
            self._unlock(passphrase)

    def __reduce__(self) -> Any:  # the derived key must not end up in a pickle
        raise TypeError("an EncryptedFileKeyring cannot be pickled")

    @property
    def unlocked(self) -> bool:
        return self._key is not None

    def lock(self) -> None:
        """Forget the derived key; the next use asks the passphrase function again, if any."""
        with self._lock:
            self._key = None

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock, self._file_lock():
            data = self._load()
            data.setdefault(service, {})[username] = password
            self._write(data, self._current_key(), self._salt, self._params)

    def delete_password(self, service: str, username: str) -> None:
        with self._lock, self._file_lock():
            data = self._load()
            if username not in data.get(service, {}):
                raise PasswordDeleteError(f"no secret stored for {username!r} in {service!r}")
            del data[service][username]
            if not data[service]:
                del data[service]
            self._write(data, self._current_key(), self._salt, self._params)

    def change_passphrase(self, new: str) -> None:
        """Re-encrypt the file under ``new`` with a fresh salt (needs the current passphrase)."""
        _refuse_empty(new)
        with self._lock, self._file_lock():
            data = self._load() if self.path.exists() else None
            if data is None:
                self._current_key()
            salt = os.urandom(_SALT_LENGTH)
            key = _derive(new, salt, self._kdf)
            if data is not None:
                self._write(data, key, salt, self._kdf)
            self._key, self._salt, self._params = key, salt, self._kdf

    def _unlock(self, passphrase: str) -> None:
        _refuse_empty(passphrase)
        envelope = self._read_envelope()
        if envelope is None:
            salt, params = os.urandom(_SALT_LENGTH), self._kdf
            key = _derive(passphrase, salt, params)
        else:
            salt, params = envelope.salt, envelope.params
            key = _derive(passphrase, salt, params)
            if not hmac.compare_digest(_check_value(key), envelope.check):
                raise SecretsLocked(
                    _(
                        "The passphrase does not open {file}. Type it again. If it is lost, the "
                        "keys in that file cannot be recovered: move the file aside and store "
                        "new API keys."
                    ).format(file=self.path)
                )
            self._decrypt(envelope, key)
        self._key, self._salt, self._params = key, salt, params

    def _current_key(self) -> bytes:
        if self._key is None:
            if self._ask is None:
                raise SecretsLocked(
                    _("{file} is locked. Unlock it with its passphrase and try again.").format(
                        file=self.path
                    )
                )
            self._unlock(self._ask())
        assert self._key is not None
        return self._key

    def _load(self) -> Payload:
        envelope = self._read_envelope()
        if envelope is None:
            return {}
        key = self._current_key()
        if envelope.salt != self._salt or envelope.params != self._params:
            # another Kapka changed the passphrase since this one unlocked the file
            self._key = None
            if self._ask is None:
                raise SecretsLocked(
                    _(
                        "{file} was re-encrypted with another passphrase since Kapka unlocked it. "
                        "Unlock it again with the new passphrase."
                    ).format(file=self.path)
                )
            key = self._current_key()
            envelope = self._read_envelope() or envelope
        if not hmac.compare_digest(_check_value(key), envelope.check):
            raise self._damaged()
        return self._decrypt(envelope, key)

    def _decrypt(self, envelope: _Envelope, key: bytes) -> Payload:
        try:
            plain = AESGCM(key).decrypt(envelope.nonce, envelope.ciphertext, _ASSOCIATED_DATA)
        except InvalidTag:
            raise self._damaged() from None
        try:
            data = json.loads(plain)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not all(
            isinstance(entries, dict) and all(isinstance(v, str) for v in entries.values())
            for entries in data.values()
        ):
            raise self._corrupt(_("the decrypted contents are not Kapka secrets"))
        return data

    def _write(self, data: Payload, key: bytes, salt: bytes, params: ScryptParams) -> None:
        nonce = os.urandom(_NONCE_LENGTH)
        sealed = AESGCM(key).encrypt(nonce, json.dumps(data).encode("utf-8"), _ASSOCIATED_DATA)
        envelope = {
            "format": FORMAT,
            "version": VERSION,
            "kdf": {
                "name": "scrypt",
                "n": params.n,
                "r": params.r,
                "p": params.p,
                "length": _KEY_LENGTH,
                "salt": _b64(salt),
            },
            "check": _b64(_check_value(key)),
            "nonce": _b64(nonce),
            "ciphertext": _b64(sealed),
        }
        try:
            paths.atomic_write_private(self.path, json.dumps(envelope, indent=2).encode("utf-8"))
        except OSError as error:
            raise SecretsFileError(
                _(
                    "Kapka could not write its secrets file {file}: {reason}. The secret is not "
                    "stored; check that the directory is writable and the disk is not full."
                ).format(file=self.path, reason=error.strerror or error)
            ) from error

    def _read_envelope(self) -> _Envelope | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise SecretsFileError(
                _(
                    "Kapka cannot read its secrets file {file}: {reason}. Make it readable for "
                    "your user (chown it to yourself, chmod 600)."
                ).format(file=self.path, reason=error.strerror or error)
            ) from error
        try:
            doc = json.loads(raw)
        except ValueError:
            raise self._corrupt(_("it is not JSON")) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise self._corrupt(_("it is not a Kapka secrets file"))
        if doc.get("version") != VERSION:
            raise SecretsFileError(
                _(
                    "{file} has format version {version}, which this Kapka does not know. Open it "
                    "with the Kapka version that wrote it."
                ).format(file=self.path, version=doc.get("version"))
            )
        try:
            kdf = doc["kdf"]
            params = ScryptParams(n=kdf["n"], r=kdf["r"], p=kdf["p"])
            envelope = _Envelope(
                params=params,
                salt=_unb64(kdf["salt"]),
                check=_unb64(doc["check"]),
                nonce=_unb64(doc["nonce"]),
                ciphertext=_unb64(doc["ciphertext"]),
            )
            usable = (
                kdf.get("name") == "scrypt"
                and kdf.get("length") == _KEY_LENGTH
                and params.valid()
                and len(envelope.salt) == _SALT_LENGTH
                and len(envelope.nonce) == _NONCE_LENGTH
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            usable = False
        if not usable:
            raise self._corrupt(_("its encryption parameters are missing or invalid"))
        return envelope

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Serialise read-modify-write between Kapka processes sharing the file."""
        if fcntl is None:
            yield
            return
        paths.ensure_private_dir(self.path.parent)
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, paths.PRIVATE_FILE_MODE)
        except OSError as error:
            raise SecretsFileError(
                _(
                    "Kapka could not create {file}: {reason}. Check that the directory is "
                    "writable."
                ).format(file=lock_path, reason=error.strerror or error)
            ) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _corrupt(self, detail: str) -> SecretsFileError:
        return SecretsFileError(
            _(
                "{file} is damaged or not a Kapka secrets file ({detail}). Restore it from a "
                "backup, or move it aside: Kapka then starts a new file and the API keys must be "
                "stored again."
            ).format(file=self.path, detail=detail)
        )

    def _damaged(self) -> SecretsFileError:
        return SecretsFileError(
            _(
                "{file} was changed outside Kapka or is damaged: it fails the integrity check. "
                "Restore it from a backup, or move it aside and store the API keys again."
            ).format(file=self.path)
        )


# Keep the class out of keyring's discovery: keyring would otherwise consider it for its default.
KeyringBackend._classes.discard(EncryptedFileKeyring)  # type: ignore[attr-defined]


def _refuse_empty(passphrase: str) -> None:
    if not isinstance(passphrase, str) or not passphrase:
        raise SecretsLocked(
            _("The passphrase is empty. Type the passphrase that protects the secrets file.")
        )


def _derive(passphrase: str, salt: bytes, params: ScryptParams) -> bytes:
    kdf = Scrypt(salt=salt, length=_KEY_LENGTH, n=params.n, r=params.r, p=params.p)
    return kdf.derive(passphrase.encode("utf-8"))


def _check_value(key: bytes) -> bytes:
    return hmac.new(key, _CHECK_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)
