"""A throwaway GnuPG home with a key without passphrase, and archives encrypted as X-Road does it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

USER_ID = "Kapka Test Archive Key <archives@kapka.invalid>"


def gpg_available() -> bool:
    return shutil.which("gpg") is not None


def _gpg(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["gpg", "--homedir", str(home), "--batch", "--no-tty", "--yes", *args],
                          capture_output=True, check=True, timeout=120)


def make_home(path: Path, passphrase: str = "") -> Path:
    """A GnuPG home (mode 0700) holding one signing and encryption key (X-Road's have no passphrase)."""
    path.mkdir(mode=0o700, parents=True)
    _gpg(path, "--pinentry-mode", "loopback", "--passphrase", passphrase, "--quick-gen-key", USER_ID,
         "future-default", "default", "never")
    return path


def empty_home(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    return path


def encrypt(home: Path, source: Path, target: Path, passphrase: str = "") -> Path:
    """``target`` as X-Road's ``GPGOutputStream`` writes it: signed and encrypted, not compressed."""
    _gpg(home, "--pinentry-mode", "loopback", "--passphrase", passphrase, "--encrypt", "--sign",
         "--trust-model", "always", "--compress-algo", "none", "--recipient", USER_ID, "--output",
         str(target), str(source))
    return target


def stop_agent(home: Path) -> None:
    """End the gpg-agent that gpg started for ``home``."""
    if shutil.which("gpgconf"):
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True,
                       check=False, timeout=30)


@pytest.fixture
def gpg_home(tmp_path: Path) -> Iterator[Path]:
    """A throwaway GnuPG home with an archive key; skipped only when gpg is not installed."""
    if not gpg_available():
        pytest.skip("gpg is not installed")
    home = make_home(tmp_path / "gnupg")
    try:
        yield home
    finally:
        stop_agent(home)
