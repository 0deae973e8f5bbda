"""``kapka --sandbox --fresh`` through the setup wizard, typed as an operator types over SSH."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from tests.e2e.terminal import Key, keys, quit_with_0, see, shell, submit
from tests.sandboxes import PIN

pytestmark = pytest.mark.e2e


def write_anchor(data_dir: Path, target: Path, home: Path) -> str:
    """``kapka sandbox anchor``: the instance's anchor, as its operator would hand it over."""
    done = shell(home, "sandbox", "anchor", "--data", str(data_dir), "-o", str(target))
    assert done.returncode == 0, done.stderr
    return done.stdout


def anchor_owner_pin_and_timestamping(child: pexpect.spawn, anchor: Path) -> None:
    """Steps 1 to 4 of the wizard, from its first screen, by keyboard; it ends on step 6 (the
    initialisation logged the token in)."""
    # 1: type the path over the one offered, compare, tick, upload
    submit(child, str(anchor))
    see(child, "Hash")
    see(child, "SANDBOX-KG")
    keys(child, " ", Key.TAB, Key.ENTER)  # tick "I compared it", then Upload
    see(child, "Step 2 of 11")

    # 2: member class GOV (the second of COM, GOV, NGO), member code, server code
    see(child, "NGO")
    keys(child, Key.DOWN, Key.ENTER, Key.TAB, "70000001")
    see(child, "Ala-Too State Registry Service")
    keys(child, Key.TAB, "SS1", Key.ENTER)
    see(child, "Step 3 of 11")

    # 3: the PIN twice; it never appears on the screen
    keys(child, PIN, Key.TAB, PIN, Key.ENTER)
    see(child, "Step 4 of 11")
    assert PIN not in child.before

    # 4: the timestamping service, then on to the keys (the token is logged in)
    see(child, "Kapka Sandbox TSA")
    keys(child, Key.DOWN, Key.ENTER, Key.TAB, Key.ENTER)
    see(child, "Step 6 of 11")


def test_anchor_owner_and_pin_by_keyboard(spawn_kapka, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    anchor = tmp_path / "configuration-anchor.xml"
    child = spawn_kapka("--sandbox", "--fresh", "--sandbox-data", str(data_dir))
    see(child, "Step 1 of 11")
    see(child, "Choose it")
    printed = write_anchor(data_dir, anchor, tmp_path)
    assert "SANDBOX-KG" in printed

    anchor_owner_pin_and_timestamping(child, anchor)
    quit_with_0(child, Key.CTRL_Q)
