"""Clients, services and access rights end to end, typed as an operator types over SSH.

The sandbox runs on its own (``kapka sandbox --port 0``), as a security server the operator
reaches with an ordinary profile; the console and the command line both use that profile. In the
console: log in to the token → add the subsystem ``registry`` from the global configuration →
register it after the preflight (the central server approves at once) → publish a WSDL and an
OpenAPI 3 description served on loopback → in the access-rights matrix add three subjects (found
by subsystem code, by global-group code and by name) and grant them every service. Then, in the
shell: ``kapka acl export``, an edit of the file, ``kapka acl plan``, ``kapka acl apply --yes``;
back in the console, ctrl+r shows the server's rights as the file says.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from backend.api.models import ROLES
from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from console.filekeyring import ScryptParams
from console.secrets import SecretStore
from tests.e2e.conftest import KAPKA, kapka_env
from tests.sandboxes import PIN, Templates

pytestmark = pytest.mark.e2e

DOWN, UP, RIGHT, TAB, BACKTAB, ENTER, ESCAPE = "\x1b[B", "\x1b[A", "\x1b[C", "\t", "\x1b[Z", "\r", "\x1b"
HOME, CTRL_LEFT, CTRL_R, CLEAR_LINE, SPACE = "\x1b[H", "\x1b[1;5D", "\x12", "\x15", " "
SECRETS_PASSPHRASE = "e2e secrets passphrase"
PROFILE = "sandbox"
CLIENT = "SANDBOX-KG:GOV:70000001:registry"
PERMITS = "SANDBOX-KG:GOV:70000002:permits"
OWNERS = "SANDBOX-KG:security-server-owners"
TRACKING = "SANDBOX-KG:COM:50010001:tracking"
CADASTRE = "SANDBOX-KG:GOV:70000003:cadastre"
SERVICES = ["inventory", "xroadBigAttachment.v1", "xroadGetRandom.v1", "xroadSmallAttachment.v1"]
SGR = r"(?:\s|\x1b\[[0-9;:]*m)+"  # blanks and colour changes between words on the screen


def shown(stream: str, lines: int = 30) -> str:
    """The end of what the terminal was sent, roughly as text (one line per cursor move)."""
    text = re.sub(r"\x1b\[\d+;\d+H", "\n", stream)
    text = re.sub(r"\x1b(?:\[[0-9;:?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|.)", "", text)
    rows = [row.rstrip() for row in text.splitlines() if row.strip()]
    return "\n".join(rows[-lines:])


def see(child: pexpect.spawn, pattern: str, timeout: float = 20) -> None:
    """Wait until ``pattern`` (a regex) is on the screen; else fail with what the screen shows."""
    try:
        child.expect(pattern, timeout=timeout)
    except (pexpect.TIMEOUT, pexpect.EOF) as error:
        raise AssertionError(f"{pattern!r} did not appear within {timeout} s "
                             f"({type(error).__name__}); the terminal was sent lately:\n"
                             f"{shown(child.before or '')}") from None


def keys(child: pexpect.spawn, *presses: str) -> None:
    """One key (or one typed word) at a time; each send waits ``delaybeforesend`` first."""
    for press in presses:
        child.send(press)


def typed(child: pexpect.spawn, text: str, attempts: int = 3) -> None:
    """Type ``text`` into the focused field and see it arrive; as a person would, type again what a
    busy terminal dropped."""
    for _attempt in range(attempts):
        child.send(text)
        try:
            child.expect(re.escape(text), timeout=5)
            return
        except pexpect.TIMEOUT:
            child.send(CLEAR_LINE)
    raise AssertionError(f"{text!r} never appeared in the field; the terminal was sent lately:\n"
                         f"{shown(child.before or '')}")


# -- the security server and the operator's profile -------------------------------------------------

def registered_server(templates: Templates, data_dir: Path) -> str:
    """A copy of the populated sandbox whose authentication certificate is registered and whose
    central server approves client registrations at once; an API key with every role."""
    shutil.copytree(templates.populated, data_dir)
    state = SandboxState.open(data_dir)
    try:
        state.login_token(PIN)
        state.register_certificate(templates.ids["auth_hash"], "ss1.example.kg")
        centralserver.approve_pending(state)
        centralserver.set_request_delay(state, 0)
        _key_id, key = state.create_api_key(list(ROLES))
    finally:
        state.close()  # the server process opens it; the token starts logged out there
    return key


def operator_env(home: Path) -> dict[str, str]:
    """The operator's environment: Kapka's encrypted secrets file, unlocked by its passphrase."""
    return {**kapka_env(home), "KAPKA_SECRETS_BACKEND": "file",
            "KAPKA_SECRETS_PASSPHRASE": SECRETS_PASSPHRASE}


def save_profile(home: Path, url: str, certificate: Path, api_key: str) -> None:
    """The profile the connect screen saves: the URL, the server's certificate file, the key."""
    config = home / "config" / "kapka" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'default_profile = "{PROFILE}"\n\n[profiles.{PROFILE}]\nurl = "{url}"\n'
                      f'trust = "file"\ncertificate = "{certificate}"\n'
                      f'api_key_ref = "profile/{PROFILE}"\n')
    store = SecretStore(home / "data" / "kapka" / "secrets.kapka", prefer="file",
                        kdf=ScryptParams(n=2**12, r=8, p=1))
    store.unlock(SECRETS_PASSPHRASE)
    store.set_api_key(f"profile/{PROFILE}", api_key)


@pytest.fixture
def terminals() -> Iterator[list[pexpect.spawn]]:
    """Processes started in pseudo-terminals (each writing what it shows to a log file in the
    test's directory); ended after the test."""
    children: list[pexpect.spawn] = []
    yield children
    for child in reversed(children):
        if child.isalive():
            child.terminate(force=True)
        if child.logfile_read is not None:
            child.logfile_read.close()


def start(children: list[pexpect.spawn], home: Path, *args: str) -> pexpect.spawn:
    child = pexpect.spawn(str(KAPKA), list(args), env=operator_env(home), dimensions=(24, 80),
                          encoding="utf-8", timeout=30, codec_errors="replace", cwd=str(home))
    child.logfile_read = (home / f"terminal-{len(children)}.log").open("w")
    children.append(child)
    return child


def shell(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``kapka ARGS`` in the operator's shell, outside the console."""
    return subprocess.run([str(KAPKA), *args], env=operator_env(home), capture_output=True,
                          text=True, timeout=60, check=False, cwd=str(home))


# -- the test ----------------------------------------------------------------------------------------

def test_add_register_publish_grant_then_rights_as_code(templates: Templates, description_server,
                                                        terminals, tmp_path: Path) -> None:
    home = tmp_path
    api_key = registered_server(templates, tmp_path / "sandbox")
    server = start(terminals, home, "sandbox", "--port", "0", "--data", str(tmp_path / "sandbox"))
    see(server, r"API:\s+(https://127\.0\.0\.1:\d+/api/v1)")
    url = server.match.group(1)
    see(server, r"Certificate:\s+(\S+)")
    certificate = (home / server.match.group(1)).resolve()
    see(server, "Serving until interrupted")
    save_profile(home, url, certificate, api_key)
    wsdl = description_server.url("wsdl/valid.wsdl")
    openapi = description_server.url("openapi/valid.yaml")

    console = start(terminals, home)
    console.delaybeforesend = 0.2  # a person's pace: each key lands after the screen has moved on
    see(console, "Dashboard")
    see(console, "softToken-0")

    # the token is logged out after the server's start: log in on the keys screen
    keys(console, "k")
    see(console, "LOGGED OUT")
    keys(console, "l")
    see(console, "Log in to softToken-0")
    keys(console, PIN, ENTER)
    see(console, "Logged in to softToken-0")

    # 1 add the subsystem registry from the global configuration, then register it
    keys(console, ESCAPE, "l")
    see(console, "Members and their subsystems")
    see(console, "★ owner")
    keys(console, "n")
    see(console, "Add a member or subsystem")
    see(console, r"\d+ members and subsystems are not clients of this server yet")
    keys(console, "70000001:registry", ENTER)  # the search, then enter: into the list
    keys(console, ENTER)  # the line found fills the fields
    see(console, "70000001" + SGR + "▎")  # the member code field, filled
    keys(console, TAB, TAB, TAB, TAB, TAB)  # class, member code, subsystem code, Cancel, Add
    see(console, r"\[ Add \]")
    keys(console, ENTER)
    see(console, f"Register {CLIENT}")
    see(console, "The token is logged in")  # every check read; Register has the focus
    keys(console, ENTER)
    see(console, "registration request for")
    see(console, r"registry" + SGR + r"· registered")  # approved at once by the central server

    # 2 its services: a WSDL, then an OpenAPI 3 description with the REST service code
    keys(console, ENTER)
    see(console, r"Services" + SGR + "0 descriptions, 0 services")
    keys(console, "s")
    see(console, f"Services of {CLIENT}")
    keys(console, "n")
    see(console, "Add a service description")
    keys(console, wsdl, ENTER)
    see(console, "xroadGetRandom.v1")
    see(console, r"DISABLED \(Out of order\) · 3")  # X-Road adds a description disabled
    keys(console, "n")
    see(console, "Add a service description")
    keys(console, BACKTAB, DOWN, ENTER)  # the kind: OpenAPI 3, the second choice
    see(console, r"Service code \(how clients address the REST service\)")
    keys(console, TAB, openapi, ENTER, "inventory", ENTER)
    see(console, "inventory" + SGR + "· 60 s")
    see(console, "GET" + SGR + "/test")  # the endpoints of the OpenAPI file
    assert description_server.hits("wsdl/valid.wsdl") >= 1
    assert description_server.hits("openapi/valid.yaml") >= 1

    # 3 the access-rights matrix: three subjects, every service granted to each
    keys(console, ESCAPE)
    see(console, r"Services" + SGR + "2 descriptions, 4 services")
    keys(console, "a")
    see(console, "4 services, 0 subjects, 0 rights")
    keys(console, "3")
    see(console, r"\+ adds a subject")
    keys(console, "+")
    see(console, r"Add subjects")
    see(console, r"\d+ found, 0 chosen")
    for search, chosen in (("permits", 1), ("security-server-owners", 2), ("Tien-Shan", 3)):
        keys(console, CLEAR_LINE)
        typed(console, search)  # by subsystem code, group code, member name
        keys(console, ENTER)
        see(console, rf"(?<!\d)1 found, {chosen - 1} chosen")
        keys(console, SPACE)  # tick the highlighted line: the one found
        see(console, rf"(?<!\d)1 found, {chosen} chosen")
        keys(console, BACKTAB)
    keys(console, TAB, TAB, TAB, ENTER)  # the list, Cancel, Add
    see(console, r"service \\ subject")
    see(console, "tracking")
    keys(console, HOME, CTRL_LEFT, "v", DOWN, DOWN, DOWN, RIGHT, RIGHT, "g")
    see(console, r"\+ grant pending: xroadSmallAttachment\.v1")  # the cell under the cursor
    see(console, "12 grants pending")
    keys(console, "p")
    see(console, "12 grants, 0 revocations")
    keys(console, TAB, ENTER)  # Cancel has the focus; Apply is next to it
    see(console, "12 applied, 0 failed, 0 not sent")
    keys(console, ENTER)  # Close
    see(console, "4 services, 3 subjects, 12 rights")

    # 4 rights as code, in the shell
    rights = home / "rights.toml"
    exported = shell(home, "acl", "export", "-o", str(rights))
    assert exported.returncode == 0, exported.stderr
    assert "12 rights of 1 client(s)" in exported.stderr
    document = tomllib.loads(rights.read_text())
    [client] = document["clients"]
    assert client["id"] == CLIENT
    assert {code: sorted(service["subjects"]) for code, service in client["services"].items()} == {
        code: sorted([PERMITS, OWNERS, TRACKING]) for code in SERVICES}

    # the operator's edit: inventory for permits only; xroadGetRandom also for the cadastre
    text = rights.read_text()
    text, revoked = re.subn(r"(\[clients\.services\.inventory\]\s*\n)subjects = \[[^\]]*\]",
                            rf'\1subjects = ["{PERMITS}"]', text)
    text, granted = re.subn(r'(\[clients\.services\."xroadGetRandom\.v1"\][^\n]*\nsubjects = \[\n)',
                            rf'\1    "{CADASTRE}",  # Chui Valley Land Cadastre Agency\n', text)
    assert (revoked, granted) == (1, 1), text
    rights.write_text(text)

    planned = shell(home, "acl", "plan", str(rights))
    assert planned.returncode == 0, planned.stderr
    plan = planned.stdout
    assert "1 grant, 2 revocations" in plan, plan
    assert f"+ {CADASTRE}" in plan and f"- {OWNERS}" in plan and f"- {TRACKING}" in plan, plan

    applied = shell(home, "acl", "apply", str(rights), "--yes")
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert "3 applied, 0 failed, 0 not sent." in applied.stdout, applied.stdout
    again = shell(home, "acl", "plan", str(rights))
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout

    # 5 back in the console: the server's rights as the file says
    keys(console, CTRL_R)
    see(console, "4 services, 4 subjects, 11 rights")
    see(console, "cadastre")
    keys(console, "q")
    console.expect(pexpect.EOF, timeout=20)
    console.close()
    assert console.exitstatus == 0
    server.sendintr()
    server.expect(pexpect.EOF, timeout=20)
