from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest
from keyring.backends import chainer, null
from keyring.errors import KeyringLocked

from backend.api.credentials import Secret
from console.filekeyring import ScryptParams, SecretsLocked
from console.secrets import (
    SERVICE,
    SecretStore,
    SecretsUnavailable,
    find_secret_key,
    is_secret_name,
    system_keyring,
)

API_KEY = "5b0d7c9e-1f2a-4e3b-8c6d-9a0b1c2d3e4f"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A system keyring stand-in that keeps everything in a dict."""

    priority = 5

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")


class PlaintextKeyring(MemoryKeyring):
    """Looks like keyrings.alt's plain-text file backend."""


PlaintextKeyring.__module__ = "keyrings.alt.file"

for _test_class in (MemoryKeyring, LockedKeyring, PlaintextKeyring):  # keep keyring's registry clean
    keyring.backend.KeyringBackend._classes.discard(_test_class)  # type: ignore[attr-defined]


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend


def file_store(tmp_path: Path, kdf: ScryptParams) -> SecretStore:
    return SecretStore(tmp_path / "secrets.kapka", prefer="file", kdf=kdf)


def test_no_system_keyring_means_the_file(isolated_home: Path, fast_kdf: ScryptParams) -> None:
    store = SecretStore(kdf=fast_kdf)  # conftest installs keyring's "fail" backend
    assert store.kind == "file"
    assert store.needs_unlock
    assert not store.file_exists
    assert store.backend_description == (
        "Kapka encrypted file ~/.local/share/kapka/secrets.kapka"
    )


def test_null_keyring_means_the_file(fast_kdf: ScryptParams) -> None:
    keyring.set_keyring(null.Keyring())
    assert SecretStore(kdf=fast_kdf).kind == "file"


def test_keyrings_alt_is_not_a_system_keyring(fast_kdf: ScryptParams) -> None:
    keyring.set_keyring(PlaintextKeyring())
    assert system_keyring() is None
    assert SecretStore(kdf=fast_kdf).kind == "file"


def test_empty_chainer_means_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    assert SecretStore().kind == "file"


def test_chainer_of_real_backends_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [MemoryKeyring()])
    keyring.set_keyring(chainer.ChainerBackend())
    store = SecretStore()
    assert store.kind == "system"
    assert store.backend_description == f"system keyring ({__name__.rpartition('.')[2]})"


def test_viable_system_keyring_is_used(memory: MemoryKeyring) -> None:
    store = SecretStore()
    assert store.kind == "system"
    assert not store.needs_unlock
    assert store.backend_description.startswith("system keyring (")
    store.unlock("ignored")  # nothing to unlock
    store.set_api_key("prod-admin", Secret(API_KEY))
    assert memory.items == {(SERVICE, "prod-admin"): API_KEY}
    assert store.get_api_key("prod-admin") == Secret(API_KEY)
    assert store.delete_api_key("prod-admin") is True
    assert store.delete_api_key("prod-admin") is False
    assert store.get_api_key("prod-admin") is None


def test_prefer_file_ignores_the_system_keyring(
    memory: MemoryKeyring, tmp_path: Path, fast_kdf: ScryptParams
) -> None:
    store = file_store(tmp_path, fast_kdf)
    assert store.kind == "file"
    store.unlock("correct horse")
    store.set_api_key("prod-admin", API_KEY)
    assert memory.items == {}


def test_backend_env_overrides_auto(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAPKA_SECRETS_BACKEND", "file")
    assert SecretStore().kind == "file"


def test_prefer_system_without_one_is_an_error() -> None:
    with pytest.raises(SecretsUnavailable, match="no usable system keyring"):
        SecretStore(prefer="system")


def test_system_keyring_errors_become_kapka_errors() -> None:
    keyring.set_keyring(LockedKeyring())
    store = SecretStore()
    with pytest.raises(SecretsUnavailable) as caught:
        store.get_api_key("prod-admin")
    assert "KAPKA_SECRETS_BACKEND=file" in caught.value.message


def test_file_store_round_trip(tmp_path: Path, fast_kdf: ScryptParams) -> None:
    store = file_store(tmp_path, fast_kdf)
    assert store.get_api_key("prod-admin") is None  # no file yet: nothing to unlock for
    with pytest.raises(SecretsLocked, match="locked"):
        store.set_api_key("prod-admin", API_KEY)
    store.unlock("correct horse")
    assert not store.needs_unlock
    store.set_api_key("prod-admin", Secret(API_KEY))
    assert store.file_exists

    key = store.get_api_key("prod-admin")
    assert isinstance(key, Secret) and key.reveal() == API_KEY
    assert API_KEY not in repr(key) and API_KEY not in str(key) and API_KEY not in f"{key}"
    assert API_KEY not in repr(vars(store))

    again = file_store(tmp_path, fast_kdf)
    assert again.needs_unlock
    with pytest.raises(SecretsLocked, match="locked"):
        again.get_api_key("prod-admin")
    with pytest.raises(SecretsLocked, match="does not open"):
        again.unlock("wrong")
    again.unlock("correct horse")
    assert again.get_api_key("prod-admin") == Secret(API_KEY)
    assert again.delete_api_key("prod-admin") is True
    assert store.get_api_key("prod-admin") is None


def test_lock_and_change_passphrase(tmp_path: Path, fast_kdf: ScryptParams) -> None:
    store = file_store(tmp_path, fast_kdf)
    store.unlock("correct horse")
    store.set_api_key("prod-admin", API_KEY)
    store.change_passphrase("battery staple")
    store.lock()
    assert store.needs_unlock
    with pytest.raises(SecretsLocked):
        store.unlock("correct horse")
    store.unlock("battery staple")
    assert store.get_api_key("prod-admin") == Secret(API_KEY)


def test_change_passphrase_needs_the_file(memory: MemoryKeyring) -> None:
    with pytest.raises(SecretsUnavailable):
        SecretStore().change_passphrase("x")


def test_passphrase_from_environment(
    tmp_path: Path, fast_kdf: ScryptParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAPKA_SECRETS_PASSPHRASE", "correct horse")
    store = file_store(tmp_path, fast_kdf)
    assert not store.needs_unlock
    store.set_api_key("prod-admin", API_KEY)
    assert file_store(tmp_path, fast_kdf).get_api_key("prod-admin") == Secret(API_KEY)

    monkeypatch.setenv("KAPKA_SECRETS_PASSPHRASE", "wrong")
    with pytest.raises(SecretsLocked) as caught:
        file_store(tmp_path, fast_kdf)
    assert "KAPKA_SECRETS_PASSPHRASE" in caught.value.message
    assert "wrong" not in caught.value.message


def test_empty_values_are_refused(tmp_path: Path, fast_kdf: ScryptParams) -> None:
    store = file_store(tmp_path, fast_kdf)
    store.unlock("correct horse")
    with pytest.raises(ValueError):
        store.set_api_key("prod-admin", "")
    with pytest.raises(ValueError):
        store.set_api_key("", API_KEY)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True), ("pin", True), ("api_key", True), ("apiKey", True),
        ("token", True), ("secret", True), ("client_secret", True), ("PIN_CODE", True),
        ("passphrase", True), ("private-key", True), ("Authorization", True),
        ("api_key_ref", False), ("token_id", False), ("key_label", False), ("api_key_id", False),
        ("keymap", False), ("pinned", False), ("fingerprint", False), ("user", False),
        ("roles", False), ("url", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_find_secret_key_walks_tables() -> None:
    assert find_secret_key({"a": {"b": {"password": "x"}}}) == "a.b.password"
    assert find_secret_key({"a": {"api_key_ref": "x"}}) is None
