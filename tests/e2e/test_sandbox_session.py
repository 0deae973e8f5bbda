"""``kapka --sandbox`` end to end in a pseudo-terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.sandbox.state import SandboxState
from tests.e2e.terminal import exits_with, quit_with_0, see, see_dashboard

pytestmark = pytest.mark.e2e


def initialised_sandbox(data: Path) -> Path:
    """A sandbox data dir whose server is initialised (anchor, owner, server code, PIN)."""
    state = SandboxState.open(data)
    try:
        state.import_own_anchor()
        state.initialize("GOV", "70000001", "SS1", "Sandbox-PIN-2026")
    finally:
        state.close()
    return data


def test_kapka_sandbox_shows_the_dashboard_and_q_quits_with_0(spawn_kapka, tmp_path: Path) -> None:
    data = initialised_sandbox(tmp_path / "sandbox")  # a fresh one opens the setup wizard
    child = spawn_kapka("--sandbox", "--sandbox-data", str(data))
    # real data from the sandbox: its software token is listed once the workers have loaded
    see_dashboard(child)
    quit_with_0(child, "q")


def test_version_and_help(spawn_kapka) -> None:
    child = spawn_kapka("--version")
    see(child, r"kapka \d+\.\d+\.\d+")
    exits_with(child, 0)
    child = spawn_kapka("--help")
    see(child, "--sandbox")
    see(child, "sandbox")
    exits_with(child, 0)


def test_an_unreadable_config_file_is_a_clear_message_not_a_traceback(spawn_kapka,
                                                                      tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[profiles.default\nurl = 'https://localhost:4000/api/v1'\n")
    child = spawn_kapka("--config", str(config))
    output = exits_with(child, 2)  # and no traceback
    assert str(config) in output.replace("\r\n", "")
