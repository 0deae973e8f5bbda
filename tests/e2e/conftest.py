"""Start ``kapka`` in a pseudo-terminal, as an operator would over SSH."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

KAPKA = Path(sys.executable).with_name("kapka")


def kapka_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAPKA_", "XDG_"))}
    env.update(
        TERM="xterm-256color",
        COLUMNS="80",
        LINES="24",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


@pytest.fixture
def spawn_kapka(tmp_path: Path) -> Iterator:
    children: list[pexpect.spawn] = []

    def spawn(*args: str) -> pexpect.spawn:
        if not KAPKA.exists():
            pytest.fail(f"the kapka command is not installed next to {sys.executable}")
        child = pexpect.spawn(str(KAPKA), list(args), env=kapka_env(tmp_path),
                              dimensions=(24, 80), encoding="utf-8", timeout=30,
                              codec_errors="replace")
        children.append(child)
        return child

    yield spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)
