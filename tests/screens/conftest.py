"""Screen tests: the app at 80×24 against the in-process sandbox, each test in its own home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring.core
import pytest
from keyring.backends import fail
from screen_support import ADMIN_PASSWORD, FAST_KDF, PASSPHRASE, PIN, Initialised

import console.connector
from backend.sandbox.state import SandboxState
from console.audit import AuditJournal
from console.config import Config
from console.secrets import SecretStore


@pytest.fixture(autouse=True)
def _screen_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Own home and XDG dirs, no system keyring, no server certificate of the host."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("KAPKA_CONFIG", "KAPKA_SECRETS_PASSPHRASE", "KAPKA_SECRETS_BACKEND", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    # a host with X-Road installed must not change what the connect screen offers
    monkeypatch.setattr(console.connector, "DEFAULT_SERVER_CERTIFICATE",
                        tmp_path / "no-such-server.crt")
    return home


# -- the sandbox --------------------------------------------------------------------------------

@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxState]:
    """A fresh sandbox: nothing imported, nothing initialised."""
    state = SandboxState.open(tmp_path / "sandbox", admin_password=ADMIN_PASSWORD)
    yield state
    state.close()


@pytest.fixture
def initialised(sandbox: SandboxState) -> Initialised:
    """Anchor, owner, server code, token logged in, a TSA, an auth and a sign certificate."""
    sandbox.import_own_anchor()
    sandbox.initialize("GOV", "70000001", "SS1", PIN)
    member = sandbox.owner_member_id()
    assert member is not None
    auth_key = sandbox.generate_key("auth key")
    auth_hash = sandbox.issue_certificate(auth_key, "AUTHENTICATION", member, days=365)
    sign_key = sandbox.generate_key("sign key")
    sign_hash = sandbox.issue_certificate(sign_key, "SIGNING", member, days=10)
    sandbox.add_timestamping_service(sandbox.seed.timestamping_services[0].name)
    return Initialised(sandbox, auth_hash, sign_hash, member)


# -- the console's objects ----------------------------------------------------------------------

@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config.load(tmp_path / "home" / ".config" / "kapka" / "config.toml")


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    """An unlocked encrypted-file store (the host has no keyring, as over SSH)."""
    store = SecretStore(file_path=tmp_path / "secrets.kapka", prefer="file", kdf=FAST_KDF)
    store.unlock(PASSPHRASE)
    return store


@pytest.fixture
def journal(tmp_path: Path) -> AuditJournal:
    return AuditJournal(tmp_path / "audit.jsonl", operator="tester")


