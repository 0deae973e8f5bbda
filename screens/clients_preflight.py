"""Before a client's registration request: what X-Road needs, each read from the server.

The central server approves a client only when the request is signed with a valid signing
certificate of the client's member, reaches it through the management services, and comes from a
registered security server (its authentication certificate) whose token is logged in. A failed
check says what to do; a check Kapka could not read (a key without the role) says so and does not
block.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from backend.api.errors import PermissionDenied
from backend.api.models import Token
from backend.api.service_models import Client
from backend.errors import KapkaError
from backend.i18n import _
from screens.clients_rules import member_id_of
from screens.widgets.checklist import Check, StatusChecklist
from screens.widgets.choices import bracketed

OCSP_GOOD = "OCSP_RESPONSE_GOOD"


def _not_read(error: KapkaError) -> str:
    if isinstance(error, PermissionDenied):
        return _("not checked: this API key may not read it")
    return _("not checked: {error}").format(error=error.message)


def sign_check(client: Client, certificates: list[Any] | None, error: KapkaError | None) -> Check:
    member = member_id_of(client)
    label = _("A valid signing certificate of {member} on this server").format(member=member)
    if client.has_valid_local_sign_cert:
        good = [cert for cert in certificates or [] if cert.ocsp_status == OCSP_GOOD and cert.active]
        detail = (_("{n} with OCSP good, valid until {date}").format(
            n=len(good), date=max(c.certificate_details.not_after for c in good).date())
            if good else _("the server says so"))
        return Check(label, True, detail)
    if client.has_valid_local_sign_cert is None and error is not None:
        return Check(label, None, _not_read(error))
    found = len(certificates or [])
    return Check(label, False, _(
        "none valid ({n} found): generate a signing key and CSR for {member}, import the "
        "certificate the CA issues and activate it (Keys, k)").format(n=found, member=member))


def globalconf_check(diagnostics: Any, error: KapkaError | None) -> Check:
    label = _("Management services reachable (global configuration OK)")
    if error is not None:
        return Check(label, None, _not_read(error))
    status = getattr(diagnostics, "status_class", None)
    if status == "OK":
        return Check(label, True, _("global configuration downloaded"))
    return Check(label, False, _("global configuration status {status}: check the connection to "
                                 "the central server (Dashboard)").format(status=status or "?"))


def token_checks(tokens: list[Token] | None, error: KapkaError | None) -> list[Check]:
    server = _("This security server is registered (its authentication certificate)")
    login = _("The token is logged in (the request is signed)")
    if tokens is None:
        why = _not_read(error) if error is not None else _("not checked")
        return [Check(server, None, why), Check(login, None, why)]
    auth = [cert for token in tokens for key in token.keys if key.usage == "AUTHENTICATION"
            for cert in key.certificates]
    registered = [cert for cert in auth if cert.status == "REGISTERED"]
    if registered:
        server_check = Check(server, True, _("certificate {hash}…").format(
            hash=registered[0].certificate_details.hash[:16]))
    else:
        states = ", ".join(sorted({cert.status for cert in auth})) or _("no certificate")
        server_check = Check(server, False, _("{states}: register the authentication certificate "
                                              "first (Keys, k)").format(states=states))
    holders = [token for token in tokens
               if any(key.usage == "SIGNING" and key.certificates for key in token.keys)]
    logged_in = all(token.logged_in for token in holders) if holders else \
        any(token.logged_in for token in tokens)
    login_check = Check(login, logged_in, "" if logged_in else _("log in to the token (Keys, k)"))
    return [server_check, login_check]


async def read_preflight(server: Any, client_id: str) -> tuple[Client, list[Check]]:
    """The client as the server has it now, and the checks before its registration."""
    client = await server.clients.get(client_id)
    certificates, cert_error = None, None
    try:
        certificates = await server.clients.sign_certificates(client_id)
    except KapkaError as error:
        cert_error = error
    diagnostics, conf_error = None, None
    try:
        diagnostics = await server.globalconf_diagnostics()
    except KapkaError as error:
        conf_error = error
    tokens, token_error = None, None
    try:
        tokens = await server.tokens()
    except KapkaError as error:
        token_error = error
    return client, [sign_check(client, certificates, cert_error),
                    globalconf_check(diagnostics, conf_error), *token_checks(tokens, token_error)]


class PreflightDialog(ModalScreen[bool]):
    """The checklist; Register is offered once no check fails. Dismisses True to register."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="clients.preflight.cancel")]

    DEFAULT_CSS = """
    PreflightDialog { align: center middle; }
    PreflightDialog > Vertical {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PreflightDialog #preflight-title { text-style: bold; margin-bottom: 1; }
    PreflightDialog StatusChecklist { border: round $primary 40%; padding: 0 1; }
    PreflightDialog #preflight-problem { color: $text-error; height: auto; }
    PreflightDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    PreflightDialog Button { margin-left: 1; }
    """

    def __init__(self, server: Any, client: Client) -> None:
        super().__init__()
        self.server = server
        self.client = client
        self.checks: list[Check] = []
        self.loads = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(_("Register {client}").format(client=self.client.id), id="preflight-title",
                        markup=False)
            yield Static(_("Kapka sends the registration request through the management services "
                           "to the central server, whose administrators approve it. Before that, "
                           "X-Road needs:"), markup=False)
            checks = StatusChecklist(id="preflight-checks")
            checks.border_title = _("Before registering")
            yield checks
            yield Static("", id="preflight-problem", markup=False)
            with Horizontal():
                yield Button(bracketed(_("Cancel")), id="preflight-cancel", compact=True)
                yield Button(bracketed(_("Check again")), id="preflight-recheck", compact=True)
                yield Button(bracketed(_("Register")), id="preflight-register", variant="primary",
                             compact=True, disabled=True)

    def on_mount(self) -> None:
        self.query_one("#preflight-cancel", Button).focus()
        self.query_one(StatusChecklist).show([Check(_("Reading the server…"), None)])
        self.check()

    @property
    def ready(self) -> bool:
        return bool(self.checks) and not any(check.ok is False for check in self.checks)

    @work(exclusive=True, group="clients-preflight", exit_on_error=False)
    async def check(self) -> None:
        problem = self.query_one("#preflight-problem", Static)
        try:
            self.client, self.checks = await read_preflight(self.server, self.client.id)
        except KapkaError as error:
            self.checks = []
            problem.update(f"{error.title}: {error.message}")
        else:
            problem.update("" if self.client.status == "SAVED" else _(
                "The client is {status} now; only a saved client can be registered.").format(
                status=self.client.status))
        self.query_one(StatusChecklist).show(self.checks)
        register = self.query_one("#preflight-register", Button)
        register.disabled = not self.ready or self.client.status != "SAVED"
        if not register.disabled:
            register.focus()
        self.loads += 1

    @on(Button.Pressed, "#preflight-recheck")
    def _recheck(self) -> None:
        self.check()

    @on(Button.Pressed, "#preflight-register")
    def _register(self) -> None:
        if self.ready:
            self.dismiss(True)

    @on(Button.Pressed, "#preflight-cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
