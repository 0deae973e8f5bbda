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
from pathlib import Path

import pytest

from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from tests.e2e.terminal import SGR, Key, keys, quit_with_0, see, see_dashboard, shell, submit, typed
from tests.e2e.test_setup_wizard import anchor_owner_pin_and_timestamping, write_anchor
from tests.sandboxes import PIN

pytestmark = pytest.mark.e2e

#: the central server approves this long after the request: the wizard shows step 10 meanwhile
APPROVAL_DELAY_SECONDS = 5


def chosen(label: str) -> str:
    """A chosen radio button, "(•) label", as a regex over the terminal's output."""
    colour = r"(?:\x1b\[[0-9;:]*m)*"
    return rf"\({colour}•{colour}\){SGR}{re.escape(label)}"


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
    done = shell(home, "sandbox", "ca", "sign", str(csr), "-o", str(cert), "--data", str(data_dir))
    assert done.returncode == 0, done.stderr
    return cert


def test_a_fresh_sandbox_to_registered_active_certificates_by_keyboard(
        spawn_kapka, tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    fresh_sandbox(data_dir)
    anchor = tmp_path / "configuration-anchor.xml"
    assert "SANDBOX-KG" in write_anchor(data_dir, anchor, tmp_path)
    csr_dir = tmp_path / "csrs"
    csr_dir.mkdir()

    child = spawn_kapka("--sandbox", "--sandbox-data", str(data_dir))
    see(child, "Step 1 of 11")
    see(child, "Choose it")

    anchor_owner_pin_and_timestamping(child, anchor)  # steps 1 to 4
    quit_with_0(child, Key.CTRL_Q)

    # a restart logs the token out (like xroad-signer's); the server remembers the rest
    child = spawn_kapka("--sandbox", "--sandbox-data", str(data_dir))
    see_dashboard(child)
    keys(child, "s")
    # 5 the token login
    see(child, "Step 5 of 11")
    see(child, "not shown as you type")
    keys(child, PIN, Key.ENTER)

    # 6 the authentication key: the test CA (second of two), the CN and the country typed
    see(child, "Step 6 of 11")
    see(child, "Kapka Sandbox Test CA")
    keys(child, Key.DOWN, Key.ENTER)
    see(child, r"Server DNS name \(CN\)")
    keys(child, Key.TAB, Key.CLEAR_LINE)
    typed(child, "ss1.example.kg")
    keys(child, Key.TAB, Key.CLEAR_LINE, "KG", Key.TAB)
    see(child, "C=KG")  # the subject as it will be sent, above the CSR format (the CA's DER)
    keys(child, Key.TAB, Key.TAB, Key.ENTER)  # the key label, Generate
    # … then the owner's signing key: its only CA is chosen, the country comes from the first CSR
    see(child, "Now the signing key of the owner")
    see(child, r"\(businessCategory\)")  # the subject fields of the CA's signing profile
    keys(child, Key.TAB, Key.TAB)  # the country, the format
    see(child, "C=KG")
    keys(child, Key.TAB, Key.TAB, Key.ENTER)  # the key label, Generate

    # 7 the CSR files, saved in a directory of the operator's choice
    see(child, "Step 7 of 11")
    see(child, chosen("DER"))  # the format the CA takes; the focus is on the directory below
    submit(child, str(csr_dir))
    see(child, "saved")
    see(child, "saved")
    requests = {usage: next(csr_dir.glob(f"{usage}_csr_*.der")) for usage in ("auth", "sign")}
    keys(child, Key.ENTER)  # Next: import the certificates (it has the focus after saving)

    # the certification centre signs them, outside the console
    certs = {usage: ca_sign(data_dir, csr, tmp_path) for usage, csr in requests.items()}

    # 8 the authentication certificate by its path …
    see(child, "Step 8 of 11")
    see(child, r"\.der; a typed path")  # the file picker, with the focus on its path
    submit(child, str(certs["auth"]))
    see(child, "Imported the authentication certificate")  # the notification, and the step
    see(child, "imported: the authentication certificate")  # read again from the server
    # … the signing certificate pasted as PEM: it lands in the box for it, the button after it
    # takes the focus
    keys(child, Key.PASTE_START + certs["sign"].read_text() + Key.PASTE_END)
    see(child, "-----BEGIN CERTIFICATE-----")
    keys(child, Key.ENTER)  # Check and import the pasted certificate
    see(child, "Imported the signing certificate")

    # 9 the address, the activation the preflight asks for, the registration
    see(child, "Step 9 of 11")
    see(child, "Kapka filled in")  # the offered address is there, the focus on it
    keys(child, Key.CLEAR_LINE)
    typed(child, "ss1.example.kg")
    see(child, "activate it first")
    keys(child, Key.TAB)  # Activate the authentication certificate, on a row above Register …
    see(child, r"\[ Check again \]")  # … which leaves room for every button at 80 columns
    keys(child, Key.ENTER)
    see(child, "The authentication certificate is active")
    see(child, "✓" + SGR + "Authentication certificate")  # the checks pass: Register has the focus
    keys(child, Key.ENTER)

    # 10 the wizard polls until the central server approves (every 10 s)
    see(child, "Step 10 of 11")
    see(child, "REGISTRATION_IN_PROGRESS")
    see(child, "Setup complete", timeout=45)
    see(child, "The security server is set up")
    keys(child, Key.ENTER)  # Go to the dashboard

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
