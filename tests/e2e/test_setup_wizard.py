"""``kapka --sandbox --fresh`` through the setup wizard, typed as an operator types over SSH."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.e2e.conftest import KAPKA, kapka_env

pytestmark = pytest.mark.e2e

PIN = "Tunduk-PIN-2024"
DOWN, TAB, ENTER, CLEAR_LINE, CTRL_Q = "\x1b[B", "\t", "\r", "\x15", "\x11"


def keys(child: pexpect.spawn, *presses: str) -> None:
    """One key (or one typed word) at a time, as a person types: each send waits a moment."""
    for press in presses:
        child.send(press)


def write_anchor(data_dir: Path, target: Path, home: Path) -> str:
    """``kapka sandbox anchor``: the instance's anchor, as its operator would hand it over."""
    done = subprocess.run([str(KAPKA), "sandbox", "anchor", "--data", str(data_dir), "-o",
                           str(target)], env=kapka_env(home), capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_anchor_owner_and_pin_by_keyboard(spawn_kapka, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    anchor = tmp_path / "configuration-anchor.xml"
    child = spawn_kapka("--sandbox", "--fresh", "--sandbox-data", str(data_dir))
    child.delaybeforesend = 0.2  # a person's pace: each key lands after the screen has moved on
    child.expect("Step 1 of 11")
    child.expect("Choose it")
    printed = write_anchor(data_dir, anchor, tmp_path)
    assert "SANDBOX-KG" in printed

    # 1: type the path over the one offered, compare, tick, upload
    keys(child, CLEAR_LINE, str(anchor), ENTER)
    child.expect("Hash")
    child.expect("SANDBOX-KG")
    keys(child, " ", TAB, ENTER)  # tick "I compared it", then Upload
    child.expect("Step 2 of 11")

    # 2: member class GOV (the second of COM, GOV, NGO), member code, server code
    child.expect("NGO")
    keys(child, DOWN, ENTER, TAB, "70000001")
    child.expect("Ala-Too State Registry Service")
    keys(child, TAB, "SS1", ENTER)
    child.expect("Step 3 of 11")

    # 3: the PIN twice; it never appears on the screen
    keys(child, PIN, TAB, PIN, ENTER)
    child.expect("Step 4 of 11")
    assert PIN not in child.before

    # 4: the timestamping service, then on to the keys (the token is logged in)
    child.expect("Kapka Sandbox TSA")
    keys(child, DOWN, ENTER, TAB, ENTER)
    child.expect("Step 6 of 11")
    child.send(CTRL_Q)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Traceback" not in (child.before or "")

