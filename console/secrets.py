"""Where API keys live: the system keyring when the host has one, else Kapka's encrypted file.

On a desktop the system keyring (Secret Service, KWallet, macOS Keychain…) keeps the keys. On a
headless server reached over SSH there is usually none, and Kapka keeps them in
``paths.secrets_file()``, encrypted under a passphrase the operator types once per session.

Environment:

``KAPKA_SECRETS_PASSPHRASE``
    unlocks the encrypted file without asking (for scripts and tests; anyone who can read the
    process environment can read the passphrase).
``KAPKA_SECRETS_BACKEND``
    ``system`` or ``file`` overrides the automatic choice, e.g. when the system keyring cannot
    be unlocked over SSH.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_args

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from backend.errors import KapkaError
from backend.i18n import _
from backend.secret import Secret
from console import paths
from console.filekeyring import EncryptedFileKeyring, ScryptParams, SecretsLocked
from console.secretnames import find_secret_key, is_secret_name  # noqa: F401  (re-exported)

SERVICE = "kapka"
PASSPHRASE_ENV = "KAPKA_SECRETS_PASSPHRASE"
BACKEND_ENV = "KAPKA_SECRETS_BACKEND"

Prefer = Literal["auto", "system", "file"]

class SecretsUnavailable(KapkaError):
    """The system keyring is missing or refused a request."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Keyring"))


def _is_real(backend: KeyringBackend) -> bool:
    if isinstance(backend, chainer.ChainerBackend):
        return any(_is_real(chained) for chained in backend.backends)
    if isinstance(backend, fail.Keyring | null.Keyring | EncryptedFileKeyring):
        return False
    # keyrings.alt stores plain text or prompts on the terminal behind the console's back
    if type(backend).__module__.startswith("keyrings.alt"):
        return False
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend reports "not usable here" by raising from priority
        return False


def system_keyring() -> KeyringBackend | None:
    """keyring's default backend when it is one that really stores secrets, else None."""
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    return backend if _is_real(backend) else None


def _label(backend: KeyringBackend) -> str:
    if isinstance(backend, chainer.ChainerBackend):
        return ", ".join(_label(chained) for chained in backend.backends if _is_real(chained))
    return type(backend).__module__.rpartition(".")[2]


class SecretStore:
    """Stores API keys under service "kapka", one entry per ``api_key_ref``.

    ``prefer="auto"`` uses the system keyring when there is a real one, else the encrypted file at
    ``file_path`` (default ``paths.secrets_file()``); "system" and "file" force the choice. The
    file has to be unlocked with its passphrase before keys can be stored or read, unless
    KAPKA_SECRETS_PASSPHRASE is set. ``kdf`` sets the scrypt cost of a new file.
    """

    def __init__(
        self,
        file_path: Path | None = None,
        prefer: Prefer = "auto",
        *,
        kdf: ScryptParams | None = None,
    ) -> None:
        self.file_path = file_path or paths.secrets_file()
        self._kdf = kdf
        self._file: EncryptedFileKeyring | None = None
        self._system: KeyringBackend | None = None
        choice = prefer
        if prefer == "auto" and os.environ.get(BACKEND_ENV) in get_args(Prefer):
            choice = os.environ[BACKEND_ENV]  # type: ignore[assignment]
        if choice != "file":
            self._system = system_keyring()
            if self._system is None and choice == "system":
                raise SecretsUnavailable(
                    _(
                        "This host has no usable system keyring (on a server reached over SSH "
                        "there usually is none). Use Kapka's encrypted secrets file instead."
                    )
                )
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if self._system is None and passphrase:
            try:
                self.unlock(passphrase)
            except SecretsLocked as error:
                raise SecretsLocked(
                    _(
                        "The passphrase in {variable} does not open {file}. Correct or unset the "
                        "variable."
                    ).format(variable=PASSPHRASE_ENV, file=self.file_path)
                ) from error

    @property
    def kind(self) -> Literal["system", "file"]:
        return "system" if self._system is not None else "file"

    @property
    def needs_unlock(self) -> bool:
        """True while the encrypted file is in use and no passphrase has been given."""
        return self._system is None and self._file is None

    @property
    def file_exists(self) -> bool:
        """Whether the encrypted file exists (if not, the first passphrase given creates it)."""
        return self.file_path.exists()

    @property
    def backend_description(self) -> str:
        if self._system is not None:
            return _("system keyring ({name})").format(name=_label(self._system))
        return _("Kapka encrypted file {path}").format(path=paths.display_path(self.file_path))

    def unlock(self, passphrase: str) -> None:
        """Check ``passphrase`` against the existing file, or accept it for a new file.

        Raises ``SecretsLocked`` for a wrong or empty passphrase and ``SecretsFileError`` for a
        damaged or unreadable file. Does nothing when the system keyring is in use.
        """
        if self._system is None:
            self._file = EncryptedFileKeyring(self.file_path, passphrase, self._kdf)

    def lock(self) -> None:
        """Forget the file's key until the next ``unlock``."""
        self._file = None

    def change_passphrase(self, new: str) -> None:
        """Re-encrypt the file under a new passphrase (the store must be unlocked)."""
        self._unlocked_file().change_passphrase(new)

    def get_api_key(self, ref: str) -> Secret | None:
        if self._system is None and self._file is None and not self.file_exists:
            return None  # nothing stored yet, no passphrase needed
        value = self._call("get_password", SERVICE, ref)
        return Secret(value) if value else None

    def set_api_key(self, ref: str, key: Secret | str) -> None:
        value = key.reveal() if isinstance(key, Secret) else key
        if not ref or not value:
            raise ValueError("both the reference and the key must be non-empty")
        self._call("set_password", SERVICE, ref, value)

    def delete_api_key(self, ref: str) -> bool:
        """Delete the key; False when there was none."""
        if self.get_api_key(ref) is None:
            return False
        self._call("delete_password", SERVICE, ref)
        return True

    def _unlocked_file(self) -> EncryptedFileKeyring:
        if self._system is not None:
            raise SecretsUnavailable(
                _("API keys are in the system keyring; it has no Kapka passphrase to change.")
            )
        if self._file is None:
            raise SecretsLocked(
                _(
                    "The secrets file {file} is locked. Unlock it with its passphrase, or set "
                    "{variable}."
                ).format(file=self.file_path, variable=PASSPHRASE_ENV)
            )
        return self._file

    def _call(self, method: str, *args: str) -> Any:
        if self._system is None:
            return getattr(self._unlocked_file(), method)(*args)
        try:
            return getattr(self._system, method)(*args)
        except Exception as error:
            raise SecretsUnavailable(
                _(
                    "The system keyring ({name}) refused the request: {reason}. Unlock the "
                    "keyring and try again, or set {variable}=file to use Kapka's encrypted "
                    "secrets file."
                ).format(name=_label(self._system), reason=error, variable=BACKEND_ENV)
            ) from error
