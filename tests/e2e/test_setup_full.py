"""The whole setup wizard in a pseudo-terminal, typed as an operator types over SSH.

A fresh sandbox data dir → anchor, owner, PIN, timestamping → (kapka restarted: the token is
logged out, the wizard resumes) token login → the authentication and the signing key with their
CSRs → the CSR files saved → signed outside the console with ``kapka sandbox ca sign``, as the
certification centre would → one certificate imported by its path, the other pasted as PEM →
the authentication certificate activated and registered → the central server's approval →
done, and the dashboard lists both certificates registered and active.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pexpect
import pytest

from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from tests.e2e.conftest import KAPKA, kapka_env
from tests.e2e.test_setup_wizard import (
    CLEAR_LINE,
    CTRL_Q,
    DOWN,
    ENTER,
    PIN,
    TAB,
    keys,
    write_anchor,
)

pytestmark = pytest.mark.e2e

#: the central server approves this long after the request: the wizard shows step 10 meanwhile
APPROVAL_DELAY_SECONDS = 5
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # what a terminal sends around a paste
SGR = r"(?:\s|\x1b\[[0-9;:]*m)+"  # blanks and colour changes between words on the screen


def chosen(label: str) -> str:
    """A chosen radio button, "(•) label", as a regex over the terminal's output."""
    colour = r"(?:\x1b\[[0-9;:]*m)*"
    return rf"\({colour}•{colour}\){SGR}{re.escape(label)}"


def shown(stream: str, lines: int = 30) -> str:
    """The end of what the terminal was sent, roughly as text (one line per cursor move)."""
    text = re.sub(r"\x1b\[\d+;\d+H", "\n", stream)
    text = re.sub(r"\x1b(?:\[[0-9;:?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|.)", "", text)
    rows = [row.rstrip() for row in text.splitlines() if row.strip()]
    return "\n".join(rows[-lines:])


def see(child: pexpect.spawn, pattern: str, timeout: float = 30) -> None:
    """Wait until ``pattern`` (a regex) is on the screen; else fail with what the screen shows."""
    try:
        child.expect(pattern, timeout=timeout)
    except (pexpect.TIMEOUT, pexpect.EOF) as error:
        raise AssertionError(f"{pattern!r} did not appear within {timeout} s "
                             f"({type(error).__name__}); the terminal was sent lately:\n"
                             f"{shown(child.before or '')}") from None


def fresh_sandbox(data_dir: Path) -> None:
    """A new sandbox data dir (nothing imported) whose central server approves after a while."""
    state = SandboxState.open(data_dir)  # the admin password goes to a file kapka reads
    try:
        centralserver.set_request_delay(state, APPROVAL_DELAY_SECONDS)
    finally:
        state.close()


def ca_sign(data_dir: Path, csr: Path, home: Path) -> Path:
    """``kapka sandbox ca sign CSR -o CERT.pem``: the certification centre's answer."""
    cert = csr.with_suffix(".pem")
    done = subprocess.run([str(KAPKA), "sandbox", "ca", "sign", str(csr), "-o", str(cert),
                           "--data", str(data_dir)], env=kapka_env(home), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return cert


def quit_with_0(child: pexpect.spawn, key: str) -> None:
    child.send(key)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "Traceback" not in (child.before or "")


def test_a_fresh_sandbox_to_registered_active_certificates_by_keyboard(
        spawn_kapka, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    fresh_sandbox(data_dir)
    anchor = tmp_path / "configuration-anchor.xml"
    assert "SANDBOX-KG" in write_anchor(data_dir, anchor, tmp_path)
    csr_dir = tmp_path / "csrs"
    csr_dir.mkdir()

    child = spawn_kapka("--sandbox", "--sandbox-data", str(data_dir))
    child.delaybeforesend = 0.2  # a person's pace: each key lands after the screen has moved on
    see(child, "Step 1 of 11")
    see(child, "Choose it")

    # 1 the anchor: its path, the hash compared, ticked, uploaded
    keys(child, CLEAR_LINE, str(anchor), ENTER)
    see(child, "SANDBOX-KG")
    keys(child, " ", TAB, ENTER)
    # 2 the owner: GOV (of COM, GOV, NGO), member code (its name is looked up), server code
    see(child, "Step 2 of 11")
    see(child, "NGO")
    keys(child, DOWN, ENTER, TAB, "70000001")
    see(child, "Ala-Too State Registry Service")
    keys(child, TAB, "SS1", ENTER)
    # 3 the PIN twice; 4 the timestamping service
    see(child, "Step 3 of 11")
    keys(child, PIN, TAB, PIN, ENTER)
    see(child, "Step 4 of 11")
    see(child, "Kapka Sandbox TSA")
    keys(child, DOWN, ENTER, TAB, ENTER)
    see(child, "Step 6 of 11")  # the initialisation logged the token in
    quit_with_0(child, CTRL_Q)

    # a restart logs the token out (like xroad-signer's); the server remembers the rest
    child = spawn_kapka("--sandbox", "--sandbox-data", str(data_dir))
    child.delaybeforesend = 0.2
    see(child, "Dashboard")
    see(child, "softToken-0")
    keys(child, "s")
    # 5 the token login
    see(child, "Step 5 of 11")
    see(child, "not shown as you type")
    keys(child, PIN, ENTER)

    # 6 the authentication key: the test CA (second of two), the CN and the country typed
    see(child, "Step 6 of 11")
    see(child, "Kapka Sandbox Test CA")
    keys(child, DOWN, ENTER)
    see(child, r"Server DNS name \(CN\)")
    keys(child, TAB, CLEAR_LINE, "ss1.example.kg", TAB, CLEAR_LINE, "KG", TAB)
    see(child, "C=KG")  # the subject as it will be sent, above the CSR format (the CA's DER)
    keys(child, TAB, TAB, ENTER)  # the key label, Generate
    # … then the owner's signing key: its only CA is chosen, the country comes from the first CSR
    see(child, "Now the signing key of the owner")
    see(child, r"\(businessCategory\)")  # the subject fields of the CA's signing profile
    keys(child, TAB, TAB)  # the country, the format
    see(child, "C=KG")
    keys(child, TAB, TAB, ENTER)  # the key label, Generate

    # 7 the CSR files, saved in a directory of the operator's choice
    see(child, "Step 7 of 11")
    see(child, chosen("DER"))  # the format the CA takes; the focus is on the directory below
    keys(child, CLEAR_LINE, str(csr_dir), ENTER)
    see(child, "saved")
    see(child, "saved")
    requests = {usage: next(csr_dir.glob(f"{usage}_csr_*.der")) for usage in ("auth", "sign")}
    keys(child, ENTER)  # Next: import the certificates (it has the focus after saving)

    # the certification centre signs them, outside the console
    certs = {usage: ca_sign(data_dir, csr, tmp_path) for usage, csr in requests.items()}

    # 8 the authentication certificate by its path …
    see(child, "Step 8 of 11")
    see(child, r"\.der; a typed path")  # the file picker, with the focus on its path
    keys(child, CLEAR_LINE, str(certs["auth"]), ENTER)
    see(child, "Imported the authentication certificate")  # the notification, and the step
    see(child, "imported: the authentication certificate")  # read again from the server
    # … the signing certificate pasted as PEM: it lands in the box for it, the button after it
    # takes the focus
    keys(child, PASTE_START + certs["sign"].read_text() + PASTE_END)
    see(child, "-----BEGIN CERTIFICATE-----")
    keys(child, ENTER)  # Check and import the pasted certificate
    see(child, "Imported the signing certificate")

    # 9 the address, the activation the preflight asks for, the registration
    see(child, "Step 9 of 11")
    see(child, "Kapka filled in")  # the offered address is there, the focus on it
    keys(child, CLEAR_LINE, "ss1.example.kg")
    see(child, "activate it first")
    keys(child, TAB)  # Activate the authentication certificate, on a row above Register …
    see(child, r"\[ Check again \]")  # … which leaves room for every button at 80 columns
    keys(child, ENTER)
    see(child, "The authentication certificate is active")
    see(child, "✓" + SGR + "Authentication certificate")  # the checks pass: Register has the focus
    keys(child, ENTER)

    # 10 the wizard polls until the central server approves (every 10 s)
    see(child, "Step 10 of 11")
    see(child, "REGISTRATION_IN_PROGRESS")
    see(child, "Setup complete", timeout=45)
    see(child, "The security server is set up")
    keys(child, ENTER)  # Go to the dashboard

    see(child, "Dashboard")
    for usage in ("auth", "sign"):
        see(child, usage + SGR + "REGISTERED" + SGR + "yes")
    quit_with_0(child, "q")

    state = SandboxState.open(data_dir)
    try:
        found = {key["usage"]: state.certificates(key["id"]) for key in state.keys("0")}
        assert state.owner_member_id() == "SANDBOX-KG:GOV:70000001"
    finally:
        state.close()
    assert sorted(found) == ["AUTHENTICATION", "SIGNING"]
    for certificates in found.values():
        assert [(cert["status"], bool(cert["active"])) for cert in certificates] == [
            ("REGISTERED", True)]
