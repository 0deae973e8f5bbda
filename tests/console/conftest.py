"""Every console test runs in its own home: XDG directories under tmp_path, no real keyring."""

from __future__ import annotations

from pathlib import Path

import keyring.core
import pytest
from keyring.backends import fail

from console.filekeyring import ScryptParams

FAST_KDF = ScryptParams(n=2**12, r=8, p=1)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name in ("KAPKA_CONFIG", "KAPKA_SECRETS_PASSPHRASE", "KAPKA_SECRETS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    # the developer's own keyring is never asked: tests that want a system keyring set one
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    return home


@pytest.fixture
def fast_kdf() -> ScryptParams:
    return FAST_KDF
