"""Start ``kapka`` in a pseudo-terminal, as an operator would over SSH."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.e2e.terminal import KAPKA, PACE_SECONDS, SpawnKapka, kapka_env

__all__ = ["KAPKA", "kapka_env", "spawn_kapka"]  # the start-up benchmark imports them from here


@pytest.fixture
def spawn_kapka(tmp_path: Path) -> Iterator[SpawnKapka]:
    """``spawn_kapka(*args, extra_env=None, timeout=30)``: ``kapka ARGS`` in an 80×24
    pseudo-terminal, in the test's directory and with its environment (``kapka_env``, then
    ``extra_env``), keys sent at a person's pace. What each one shows and is sent is logged to
    ``terminal-N.log`` and ``keys-N.log`` there; those still running after the test are ended."""
    children: list[pexpect.spawn] = []

    def spawn(*args: str, extra_env: dict[str, str] | None = None,
              timeout: float = 30) -> pexpect.spawn:
        if not KAPKA.exists():
            pytest.fail(f"the kapka command is not installed next to {sys.executable}")
        child = pexpect.spawn(str(KAPKA), list(args), env=kapka_env(tmp_path, extra_env),
                              cwd=str(tmp_path), dimensions=(24, 80), encoding="utf-8",
                              timeout=timeout, codec_errors="replace")
        child.delaybeforesend = PACE_SECONDS
        child.logfile_read = (tmp_path / f"terminal-{len(children)}.log").open("w")
        child.logfile_send = (tmp_path / f"keys-{len(children)}.log").open("w")
        children.append(child)
        return child

    yield spawn
    for child in reversed(children):
        if child.isalive():
            child.terminate(force=True)
        child.logfile_read.close()
        child.logfile_send.close()
