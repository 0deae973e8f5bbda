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
import tomllib
from pathlib import Path

import pexpect
import pytest

from backend.api.models import ROLES
from backend.sandbox import centralserver
from backend.sandbox.state import SandboxState
from console.filekeyring import ScryptParams
from console.secrets import SecretStore
from tests.e2e.terminal import SGR, Key, keys, quit_with_0, see, see_dashboard, shell, submit
from tests.sandboxes import PIN, Templates

pytestmark = pytest.mark.e2e

SECRETS_PASSPHRASE = "e2e secrets passphrase"
#: the operator's environment: Kapka's encrypted secrets file, unlocked by its passphrase
OPERATOR_ENV = {"KAPKA_SECRETS_BACKEND": "file", "KAPKA_SECRETS_PASSPHRASE": SECRETS_PASSPHRASE}
PROFILE = "sandbox"
CLIENT = "SANDBOX-KG:GOV:70000001:registry"
PERMITS = "SANDBOX-KG:GOV:70000002:permits"
OWNERS = "SANDBOX-KG:security-server-owners"
TRACKING = "SANDBOX-KG:COM:50010001:tracking"
CADASTRE = "SANDBOX-KG:GOV:70000003:cadastre"
SERVICES = ["inventory", "xroadBigAttachment.v1", "xroadGetRandom.v1", "xroadSmallAttachment.v1"]


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


# -- the test ----------------------------------------------------------------------------------------

def test_add_register_publish_grant_then_rights_as_code(templates: Templates, description_server,
                                                        spawn_kapka, tmp_path: Path) -> None:
    home = tmp_path
    api_key = registered_server(templates, tmp_path / "sandbox")
    server = spawn_kapka("sandbox", "--port", "0", "--data", str(tmp_path / "sandbox"),
                         extra_env=OPERATOR_ENV)
    see(server, r"API:\s+(https://127\.0\.0\.1:\d+/api/v1)")
    url = server.match.group(1)
    see(server, r"Certificate:\s+(\S+)")
    certificate = (home / server.match.group(1)).resolve()
    see(server, "Serving until interrupted")
    save_profile(home, url, certificate, api_key)
    wsdl = description_server.url("wsdl/valid.wsdl")
    openapi = description_server.url("openapi/valid.yaml")

    console = spawn_kapka(extra_env=OPERATOR_ENV)
    see_dashboard(console)

    # the token is logged out after the server's start: log in on the keys screen
    keys(console, "k")
    see(console, "LOGGED OUT")
    keys(console, "l")
    see(console, "Log in to softToken-0")
    keys(console, PIN, Key.ENTER)
    see(console, "Logged in to softToken-0")

    # 1 add the subsystem registry from the global configuration, then register it
    keys(console, Key.ESCAPE, "l")
    see(console, "Members and their subsystems")
    see(console, "★ owner")
    keys(console, "n")
    see(console, "Add a member or subsystem")
    see(console, r"\d+ members and subsystems are not clients of this server yet")
    submit(console, "70000001:registry")  # the search, then enter: into the list
    keys(console, Key.ENTER)  # the line found fills the fields
    see(console, "70000001" + SGR + "▎")  # the member code field, filled
    keys(console, *[Key.TAB] * 5)  # class, member code, subsystem code, Cancel, Add
    see(console, r"\[ Add \]")
    keys(console, Key.ENTER)
    see(console, f"Register {CLIENT}")
    see(console, "The token is logged in")  # every check read; Register has the focus
    keys(console, Key.ENTER)
    see(console, "registration request for")
    see(console, r"registry" + SGR + r"· registered")  # approved at once by the central server

    # 2 its services: a WSDL, then an OpenAPI 3 description with the REST service code
    keys(console, Key.ENTER)
    see(console, r"Services" + SGR + "0 descriptions, 0 services")
    keys(console, "s")
    see(console, f"Services of {CLIENT}")
    keys(console, "n")
    see(console, "Add a service description")
    submit(console, wsdl)
    see(console, "xroadGetRandom.v1")
    see(console, r"DISABLED \(Out of order\) · 3")  # X-Road adds a description disabled
    keys(console, "n")
    see(console, "Add a service description")
    keys(console, Key.BACKTAB, Key.DOWN, Key.ENTER)  # the kind: OpenAPI 3, the second choice
    see(console, r"Service code \(how clients address the REST service\)")
    keys(console, Key.TAB)
    submit(console, openapi)  # then the service code
    submit(console, "inventory")
    see(console, "inventory" + SGR + "· 60 s")
    see(console, "GET" + SGR + "/test")  # the endpoints of the OpenAPI file
    assert description_server.hits("wsdl/valid.wsdl") >= 1
    assert description_server.hits("openapi/valid.yaml") >= 1

    # 3 the access-rights matrix: three subjects, every service granted to each
    keys(console, Key.ESCAPE)
    see(console, r"Services" + SGR + "2 descriptions, 4 services")
    keys(console, "a")
    see(console, "4 services, 0 subjects, 0 rights")
    keys(console, "3")
    see(console, r"\+ adds a subject")
    keys(console, "+")
    see(console, r"Add subjects")
    see(console, r"\d+ found, 0 chosen")
    for search, chosen in (("permits", 1), ("security-server-owners", 2), ("Tien-Shan", 3)):
        submit(console, search)  # by subsystem code, group code, member name
        see(console, rf"(?<!\d)1 found, {chosen - 1} chosen")
        keys(console, Key.SPACE)  # tick the highlighted line: the one found
        see(console, rf"(?<!\d)1 found, {chosen} chosen")
        keys(console, Key.BACKTAB)
    keys(console, Key.TAB, Key.TAB, Key.TAB, Key.ENTER)  # the list, Cancel, Add
    see(console, r"service \\ subject")
    see(console, "tracking")
    keys(console, Key.HOME, Key.CTRL_LEFT, "v", Key.DOWN, Key.DOWN, Key.DOWN, Key.RIGHT, Key.RIGHT, "g")
    see(console, r"\+ grant pending: xroadSmallAttachment\.v1")  # the cell under the cursor
    see(console, "12 grants pending")
    keys(console, "p")
    see(console, "12 grants, 0 revocations")
    keys(console, Key.TAB, Key.ENTER)  # Cancel has the focus; Apply is next to it
    see(console, "12 applied, 0 failed, 0 not sent")
    keys(console, Key.ENTER)  # Close
    see(console, "4 services, 3 subjects, 12 rights")

    # 4 rights as code, in the shell
    rights = home / "rights.toml"
    exported = shell(home, "acl", "export", "-o", str(rights), extra_env=OPERATOR_ENV)
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

    planned = shell(home, "acl", "plan", str(rights), extra_env=OPERATOR_ENV)
    assert planned.returncode == 0, planned.stderr
    plan = planned.stdout
    assert "1 grant, 2 revocations" in plan, plan
    assert f"+ {CADASTRE}" in plan and f"- {OWNERS}" in plan and f"- {TRACKING}" in plan, plan

    applied = shell(home, "acl", "apply", str(rights), "--yes", extra_env=OPERATOR_ENV)
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert "3 applied, 0 failed, 0 not sent." in applied.stdout, applied.stdout
    again = shell(home, "acl", "plan", str(rights), extra_env=OPERATOR_ENV)
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout

    # 5 back in the console: the server's rights as the file says
    keys(console, Key.CTRL_R)
    see(console, "4 services, 4 subjects, 11 rights")
    see(console, "cadastre")
    quit_with_0(console)
    server.sendintr()
    server.expect(pexpect.EOF, timeout=20)
