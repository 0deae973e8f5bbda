"""Step 9: register the authentication certificate with the central server, after a preflight."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Static

from backend.i18n import _
from screens.setup.flow import OCSP_GOOD, SetupState
from screens.setup.step_base import StepPanel
from screens.widgets.checklist import Check, StatusChecklist
from screens.widgets.choices import bracketed

RECHECK_SECONDS = 10.0  # while a precondition fails; X-Road limits requests per minute
ADDRESS = re.compile(r"^[A-Za-z0-9.\-:\[\]]+$")


def address_problem(address: str) -> str:
    if not address:
        return _("Type the server's public DNS name or IP address.")
    if len(address) > 255 or not ADDRESS.match(address):
        return _("An address is a DNS name or an IP address: letters, digits, '.', '-' and, "
                 "for IPv6, ':'; no spaces, no URL.")
    host = address.strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host.lower() in ("localhost", "localhost.localdomain")
    if loopback:
        return _("{address} is this host's loopback address; the central server and the other "
                 "security servers cannot reach the server there.").format(address=address)
    return ""


def default_address(base_url: str) -> tuple[str, str]:
    """The address to offer, and where it came from (this blocks: DNS; call it in a thread)."""
    host = urlsplit(base_url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in ("localhost", "")
    if not loopback:
        return host, _("Kapka filled in the host name of the server it is connected to; use "
                       "the public DNS name or IP address the central server and other security "
                       "servers reach it at.")
    return socket.getfqdn(), _("Kapka filled in this host's name as the operating system "
                               "reports it (socket.getfqdn()); use the public DNS name or IP "
                               "address the central server and other security servers reach "
                               "this server at.")


def _auth_detail(cert: Any) -> str:
    if cert is None:
        return _("not imported")
    if cert.ocsp_verify_before_activation_error:
        return _("OCSP: {error}").format(error=cert.ocsp_verify_before_activation_error)
    if not cert.active:
        return _("not active: activate it first (X-Road checks its OCSP status then)")
    if cert.ocsp_status is None:  # X-Road shows it only for registered certificates
        return _("OCSP checked when it was activated")
    return _("OCSP: {status}").format(status=cert.ocsp_status)


def preflight(state: SetupState, globalconf: object | None, error: str = "") -> list[Check]:
    """The conditions X-Road needs before a registration, each read from the server."""
    auth, sign = state.auth, state.sign
    auth_cert = auth.certificate if auth else None
    sign_cert = sign.certificate if sign else None
    status_class = getattr(globalconf, "status_class", None)
    return [
        Check(_("Software token logged in"), state.logged_in,
              "" if state.logged_in else _("log in again (step 5)")),
        Check(_("Authentication certificate imported and active, OCSP good"),
              auth_cert is not None and auth_cert.active
              and auth_cert.ocsp_status in (None, OCSP_GOOD)
              and not auth_cert.ocsp_verify_before_activation_error,
              _auth_detail(auth_cert)),
        Check(_("Signing certificate OCSP good"),
              sign_cert is not None and sign_cert.ocsp_status == OCSP_GOOD,
              _("OCSP: {status}").format(status=sign_cert.ocsp_status or "?") if sign_cert
              else _("not imported")),
        Check(_("Global configuration valid"), None if globalconf is None and not error
              else status_class == "OK",
              error or (_("status: {status}").format(status=status_class) if status_class
                        else "")),
    ]


class RegisterStep(StepPanel):
    """The address, the preflight checklist, then ``PUT …/register``."""

    STEP = 9

    DEFAULT_CSS = """
    RegisterStep Input { width: 50; }
    RegisterStep #register-checks { margin-top: 1; border: round $primary 40%; padding: 0 1; }
    RegisterStep #register-address-problem { color: $text-error; height: auto; }
    """

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.checks_ok = False
        self.activated = False  # by this step: Register takes the focus once the checks pass

    def compose(self) -> ComposeResult:
        yield Static(_("The central server learns about this security server when it approves "
                       "the registration of its authentication certificate. Kapka sends the "
                       "request with the address the server is reached at."), classes="intro")
        yield Label(_("Server address (public DNS name or IP)"), classes="field-label")
        yield Input(id="register-address")
        yield Static("", id="register-address-hint", classes="hint", markup=False)
        yield Static("", id="register-address-problem", markup=False)
        checks = StatusChecklist(id="register-checks")
        checks.border_title = _("Before registering")
        yield checks
        # a row of its own: beside Register and Check again it would not fit 80 columns
        with Horizontal(classes="actions", id="register-activate-row"):
            yield self.action_button(_("Activate the authentication certificate"),
                                     "register-activate")
        with Horizontal(classes="actions"):
            yield self.action_button(_("Register"), "register-send")
            yield Button(bracketed(_("Check again")), id="register-recheck", compact=True)
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def on_mount(self) -> None:
        self.query_one(StatusChecklist).show(preflight(self.state, None))
        self._update_button()
        self.fill_address()
        self.check_loop()

    @work(exclusive=True, group="setup-register-address", exit_on_error=False)
    async def fill_address(self) -> None:
        address, hint = await asyncio.to_thread(default_address, self.client.base_url)
        field = self.query_one("#register-address", Input)
        if not field.value:
            field.value = address
        self.query_one("#register-address-hint", Static).update(hint)
        field.focus()

    @work(exclusive=True, group="setup-register-checks", exit_on_error=False)
    async def check_loop(self) -> None:
        """Read the preconditions now, and again every RECHECK_SECONDS while one fails."""
        from screens.setup.flow import read_setup_state

        while True:
            error = ""
            globalconf = None
            try:
                state = await read_setup_state(self.client)
                globalconf = await self.client.globalconf_diagnostics()
            except Exception as failure:  # a check that cannot be read is a ✗ with the reason
                state, error = self.state, str(failure)
            self.state = state
            checks = preflight(state, globalconf, error)
            self.query_one(StatusChecklist).show(checks)
            self.checks_ok = all(check.ok for check in checks)
            self._update_button()
            if self.checks_ok:
                if self.activated:  # the activation button is gone: on to the next action
                    self.activated = False
                    self._focus_next_action()
                return
            await asyncio.sleep(RECHECK_SECONDS)

    @on(Button.Pressed, "#register-recheck")
    def _recheck(self, event: Button.Pressed) -> None:
        event.stop()
        self.check_loop()

    @on(Input.Changed, "#register-address")
    def _address_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._update_button()

    @property
    def needs_activation(self) -> bool:
        auth = self.state.auth
        return auth is not None and auth.certificate is not None and not auth.certificate.active

    @on(Button.Pressed, "#register-activate")
    def _activate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        auth = self.state.auth
        if auth is not None and auth.cert_hash and not self.read_only:
            self.activate(auth.cert_hash)

    @work(exclusive=True, group="setup-register-activate", exit_on_error=False)
    async def activate(self, cert_hash: str) -> None:
        self.clear_problem()
        self.busy(True, "register-activate")
        try:
            await self.client.certificates.activate(cert_hash)
        except Exception as error:  # said in words in the step
            self.show_error(error)
            self._update_button()
            return
        self.note(_("The authentication certificate is active."))
        self.activated = True
        self.check_loop()

    def _update_button(self) -> None:
        activate = self.query_one("#register-activate", Button)
        activate.display = self.needs_activation
        self.query_one("#register-activate-row").display = self.needs_activation
        activate.disabled = self.read_only or not self.needs_activation
        address = self.query_one("#register-address", Input).value.strip()
        problem = address_problem(address) if address else ""
        self.query_one("#register-address-problem", Static).update(problem)
        ready = self.checks_ok and bool(address) and not problem
        self.query_one("#register-send", Button).disabled = self.read_only or not ready

    def _focus_next_action(self) -> None:
        """Register when it can be sent, else the address that keeps it disabled (unless the
        operator is typing the address: enter there registers too)."""
        send = self.query_one("#register-send", Button)
        if self.query_one("#register-address", Input).has_focus:
            return
        if not send.disabled:
            send.focus()
        elif not self.read_only:
            self.query_one("#register-address", Input).focus()

    @on(Input.Submitted, "#register-address")
    @on(Button.Pressed, "#register-send")
    def _register_pressed(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        address = self.query_one("#register-address", Input).value.strip()
        auth = self.state.auth
        if self.read_only or not self.checks_ok or address_problem(address) or auth is None:
            return
        assert auth.cert_hash is not None
        self.register(auth.cert_hash, address)

    @work(exclusive=True, group="setup-register", exit_on_error=False)
    async def register(self, cert_hash: str, address: str) -> None:
        self.clear_problem()
        self.busy(True, "register-send")
        self.note(_("Sending the registration request to the central server…"))
        try:
            await self.client.certificates.register(cert_hash, address)
        except Exception as error:  # said in words in the step
            self.note("")
            self.show_error(error)
            self._update_button()
            return
        self.note(_("Registration requested."))
        self.post_message(self.Completed())
