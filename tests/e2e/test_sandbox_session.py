"""``kapka --sandbox`` end to end in a pseudo-terminal."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from backend.sandbox.state import SandboxState

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
    child.expect("Dashboard")
    # real data from the sandbox: its software token is listed once the workers have loaded
    child.expect("softToken-0")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before


def test_version_and_help(spawn_kapka) -> None:
    child = spawn_kapka("--version")
    child.expect(r"kapka \d+\.\d+\.\d+")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = spawn_kapka("--help")
    child.expect("--sandbox")
    child.expect("sandbox")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_an_unreadable_config_file_is_a_clear_message_not_a_traceback(spawn_kapka,
                                                                      tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[profiles.default\nurl = 'https://localhost:4000/api/v1'\n")
    child = spawn_kapka("--config", str(config))
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert "Traceback" not in output
    assert str(config) in output.replace("\r\n", "")
    assert child.exitstatus == 2
