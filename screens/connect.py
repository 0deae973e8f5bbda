"""The connect screen: server URL, TLS trust, API key; saved only once the connection works."""

from __future__ import annotations

import getpass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from backend.api.fingerprints import COMPARE_COMMAND, DEFAULT_SERVER_CERTIFICATE
from backend.api.models import ROLES
from backend.errors import KapkaError
from backend.i18n import N_, _
from screens.base import KapkaScreen, describe_exception, is_read_only
from screens.connect_form import ConnectForm, FormProblem, read_form
from screens.widgets.choices import Checklist, Choice, Tick, bracketed, cursor_to_pressed
from screens.widgets.error_panel import ErrorPanel
from screens.widgets.fingerprint import FingerprintPanel

DEFAULT_URL = "https://localhost:4000/api/v1"
ROLE_LABELS = {
    "XROAD_SECURITY_OFFICER": N_("security officer"),
    "XROAD_REGISTRATION_OFFICER": N_("registration officer"),
    "XROAD_SERVICE_ADMINISTRATOR": N_("service administrator"),
    "XROAD_SYSTEM_ADMINISTRATOR": N_("system administrator"),
    "XROAD_SECURITYSERVER_OBSERVER": N_("observer"),
}


def _current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


class ConnectScreen(KapkaScreen):
    """Connect to a server: a new profile, or a saved one that could not connect."""

    SCREEN_TITLE = _("Connect")
    DANGEROUS_ACTIONS = frozenset({"create_key"})

    BINDINGS = [
        Binding("ctrl+o", "connect", _("Connect"), id="connect.connect",
                tooltip=_("Try the connection and save the profile when it works")),
        Binding("ctrl+k", "create_key", _("Create key"), id="connect.create_key",
                tooltip=_("Create an API key with a Linux user's password (changes the server)")),
        Binding("escape", "back", _("Back"), id="connect.back"),
    ]

    DEFAULT_CSS = """
    ConnectScreen #connect-form { height: 1fr; padding: 0 1; }
    ConnectScreen .row { height: auto; margin-top: 1; }
    ConnectScreen .row-label { width: 17; text-style: bold; }
    ConnectScreen .row Input { width: 1fr; }
    ConnectScreen .field-label { margin-top: 1; text-style: bold; }
    ConnectScreen #probe { margin-top: 1; }
    ConnectScreen #read-only { margin-top: 1; }
    ConnectScreen .hint { color: $text-muted; }
    ConnectScreen .field-problem { display: none; color: $text-error; text-style: bold; }
    ConnectScreen .field-problem.-shown { display: block; }
    ConnectScreen .mode-box { height: auto; }
    ConnectScreen .mode-box.-hidden { display: none; }
    ConnectScreen RadioSet { width: 100%; }
    ConnectScreen RadioSet:blur > RadioButton.-selected > .toggle--label { background: transparent; }
    ConnectScreen #connect-buttons { height: auto; margin-top: 1; }
    ConnectScreen #connect-buttons Button { margin-right: 1; }
    ConnectScreen #connect-status { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, *, profile: Any = None, error: KapkaError | tuple[str, str] | None = None,
                 retry_profile: str | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.initial_error = error
        self.retry_profile = retry_profile
        self.probed: Any = None  # the ServerCertificate read with "Read the certificate"
        self.probed_url: str | None = None
        self.created_key: Any = None  # a key created here, kept for a retry (never shown)
        self.created_for: tuple[str, str] | None = None  # (url, user) it was created with
        self.busy = False

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        profile = self.profile
        connector = self.app.connector
        default_cert = connector.default_certificate()
        if profile is not None:
            trust_file = profile.trust == "file"
            cert_path = profile.certificate if trust_file else str(default_cert or "")
        else:
            trust_file = default_cert is not None
            cert_path = str(default_cert or "")

        def row(label: str, field: Input) -> Horizontal:
            return Horizontal(Label(label, classes="row-label"), field, classes="row")

        yield from self.compose_header()
        with VerticalScroll(id="connect-form"):
            yield ErrorPanel(id="connect-error")
            yield Static(_("Connect Kapka to the admin API of an X-Road security server. Nothing "
                           "is saved until the connection works."), classes="hint")
            yield row(_("Profile name"), Input(profile.name if profile else "default",
                                              id="profile-name", compact=True))
            yield Static("", id="profile-name-problem", classes="field-problem", markup=False)
            yield row(_("Admin API URL"), Input(profile.url if profile else DEFAULT_URL, id="url",
                                               compact=True))
            yield Static("", id="url-problem", classes="field-problem", markup=False)

            yield Label(_("Trust the server's TLS certificate"), classes="field-label")
            with RadioSet(id="trust-mode", compact=True):
                yield Choice(_("Certificate file (on the server itself)"), trust_file,
                             id="trust-file")
                yield Choice(_("Trust on first use: compare and pin its fingerprint"),
                             not trust_file, id="trust-pin")
            with Vertical(id="trust-file-box", classes="mode-box"):
                yield row(_("Certificate file"), Input(
                    cert_path, id="certificate-path", compact=True,
                    placeholder=str(DEFAULT_SERVER_CERTIFICATE)))
                yield Static(_("On a security server: {path} (your user needs read "
                               "access).").format(path=DEFAULT_SERVER_CERTIFICATE),
                             classes="hint", markup=False)
            yield Static("", id="certificate-path-problem", classes="field-problem", markup=False)
            with Vertical(id="trust-pin-box", classes="mode-box"):
                if profile is not None and profile.trust == "pinned" and profile.fingerprint:
                    yield Static(_("Pinned until now: {fingerprint}").format(
                        fingerprint=profile.fingerprint), classes="hint", markup=False)
                yield Button(bracketed(_("Read the server's certificate")), id="probe",
                             compact=True)
                yield FingerprintPanel(COMPARE_COMMAND, id="fingerprint-panel")
            yield Static("", id="probe-problem", classes="field-problem", markup=False)

            yield Label(_("API key"), classes="field-label")
            with RadioSet(id="key-mode", compact=True):
                yield Choice(_("Paste an existing API key"), True, id="key-paste")
                yield Choice(self._create_label(), False, id="key-create",
                             disabled=is_read_only(self))
            with Vertical(id="key-paste-box", classes="mode-box"):
                yield row(_("API key"), Input(id="api-key", password=True, compact=True,
                                              placeholder=_("pasted, never shown")))
            with Vertical(id="key-create-box", classes="mode-box"):
                yield row(_("Linux user"), Input(
                    profile.username if profile and profile.username else _current_user(),
                    id="username", compact=True))
                yield row(_("Password"), Input(id="password", password=True, compact=True,
                                               placeholder=_("used once, not stored")))
                yield Label(_("Roles of the new key"), classes="row-label")
                yield Checklist(((f"{_(ROLE_LABELS[role])} ({role})", role, True) for role in ROLES),
                                id="roles")
                yield Static(_("The password goes once to /api-keys on this server (localhost) "
                               "and is not stored. The user needs the system administrator "
                               "role."), classes="hint")
            yield Static("", id="api-key-problem", classes="field-problem", markup=False)
            yield Static(_("The key will be kept in: {where}").format(
                where=connector.secrets_description), id="secret-backend", classes="hint",
                markup=False)
            yield Tick(_("Read-only profile: Kapka never changes this server"),
                       bool(profile and profile.read_only), id="read-only", compact=True)
            with Horizontal(id="connect-buttons"):
                yield Button(bracketed(_("Connect")), id="connect", variant="primary",
                             compact=True)
                if self._can_go_back():
                    yield Button(bracketed(_("Back")), id="back", compact=True)
            yield Static("", id="connect-status", markup=False)
        yield from self.compose_footer()

    def _create_label(self) -> str:
        label = _("Create one with my Linux user name and password")
        if is_read_only(self):
            label += " " + _("(disabled: read-only, creating a key changes the server)")
        return label

    def on_mount(self) -> None:
        for radio_set in self.query(RadioSet):
            cursor_to_pressed(radio_set)
        self._sync_modes()
        if self.initial_error is not None:
            self.show_problem(self.initial_error)
        else:
            self.query_one("#url", Input).focus()

    def _can_go_back(self) -> bool:
        return getattr(self.app, "server", None) is not None and len(self.app.screen_stack) > 2

    # -- modes ------------------------------------------------------------------------------

    @on(RadioSet.Changed)
    def _mode_changed(self) -> None:
        self._sync_modes()

    def _sync_modes(self) -> None:
        pin = self.query_one("#trust-pin", RadioButton).value
        self.query_one("#trust-file-box").set_class(pin, "-hidden")
        self.query_one("#trust-pin-box").set_class(not pin, "-hidden")
        create = self.query_one("#key-create", RadioButton).value
        self.query_one("#key-paste-box").set_class(create, "-hidden")
        self.query_one("#key-create-box").set_class(not create, "-hidden")

    @property
    def trust_mode(self) -> str:
        return "pinned" if self.query_one("#trust-pin", RadioButton).value else "file"

    @property
    def key_mode(self) -> str:
        return "create" if self.query_one("#key-create", RadioButton).value else "paste"

    @on(Input.Changed, "#url")
    def _url_changed(self, event: Input.Changed) -> None:
        if self.probed is not None and event.value.strip() != self.probed_url:
            self.probed = None
            self.query_one(FingerprintPanel).reset()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self._can_go_back()
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self._can_go_back():
            self.dismiss(None)

    def action_create_key(self) -> None:
        self.query_one("#key-create", RadioButton).value = True
        self._sync_modes()
        self.query_one("#password", Input).focus()

    def action_connect(self) -> None:
        if not self.busy:
            self.submit()

    @on(Button.Pressed, "#connect")
    def _connect_pressed(self) -> None:
        self.action_connect()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    @on(Button.Pressed, "#probe")
    def _probe_pressed(self) -> None:
        self.probe()

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        if self.retry_profile is not None:
            self.app.connect_profile(self.retry_profile)
        else:
            self.action_connect()

    # -- messages ---------------------------------------------------------------------------

    def show_problem(self, error: KapkaError | Exception | tuple[str, str]) -> None:
        """A failure of the whole connection, at the top, with Retry."""
        if isinstance(error, tuple):
            title, message = error
        else:
            title, message = describe_exception(error)
        panel = self.query_one("#connect-error", ErrorPanel)
        panel.show_error(title=title, message=message)
        self.query_one("#connect-form", VerticalScroll).scroll_home(animate=False)
        self.query_one("#error-retry", Button).focus()

    def field_problem(self, field: str, message: str) -> None:
        problem = self.query_one(f"#{field}-problem", Static)
        problem.update(message)
        problem.add_class("-shown")
        focus = {"api-key": "#api-key" if self.key_mode == "paste" else "#password",
                 "probe": "#probe"}.get(field, f"#{field}")
        self.query_one(focus).focus()

    def clear_problems(self) -> None:
        for problem in self.query(".field-problem"):
            problem.remove_class("-shown")
        self.query_one("#connect-error", ErrorPanel).clear()

    def _status(self, text: str) -> None:
        self.query_one("#connect-status", Static).update(text)

    # -- workers ----------------------------------------------------------------------------

    @work(exclusive=True, group="connect-probe", exit_on_error=False)
    async def probe(self) -> None:
        self.clear_problems()
        url = self.query_one("#url", Input).value.strip()
        connector = self.app.connector
        try:
            connector.check_url(url)
        except KapkaError as error:
            self.field_problem("url", error.message)
            return
        self._status(_("Reading the certificate of {url}…").format(url=url))
        try:
            certificate = await connector.probe(url)
        except KapkaError as error:
            self._status("")
            self.field_problem("probe", f"{error.title}: {error.message}")
            return
        self.probed, self.probed_url = certificate, url
        pinned = self.profile.fingerprint if self.profile is not None and \
            self.profile.trust == "pinned" else None
        panel = self.query_one(FingerprintPanel)
        panel.show(certificate, pinned=pinned)
        self._status(_("Compare the fingerprint with the server's, then tick the box."))
        panel.query_one("#fingerprint-confirmed").focus()

    @work(exclusive=True, group="connect-submit", exit_on_error=False)
    async def submit(self) -> None:
        self.clear_problems()
        try:
            form = read_form(self)
        except FormProblem as problem:
            self.field_problem(problem.field, problem.message)
            return
        self.busy = True
        try:
            await self._connect(form)
        except Exception as error:  # every failure is shown here, nothing is half-saved
            self._status("")
            self.show_problem(error)
        finally:
            self.busy = False

    async def _connect(self, form: ConnectForm) -> None:
        app: Any = self.app
        connector = app.connector
        if not await app.ensure_secrets_unlocked():
            raise KapkaError(_("Kapka's secrets file stays locked, so the API key cannot be "
                               "saved. Connect again and type its passphrase."),
                             _("Secrets locked"))
        key = form.api_key
        if key is None and self.created_key is not None and \
                self.created_for == (form.profile.url, form.username):
            key = self.created_key  # created by an earlier attempt that failed later
        if key is None:
            self._status(_("Creating an API key for {user}…").format(user=form.username))
            if form.certificate is not None:
                trust = connector.pending_trust(form.profile.name, form.certificate)
            elif form.profile.trust == "file":
                trust = connector.check_certificate_file(form.profile.certificate)
            else:
                trust = connector.trust_for(form.profile)
            try:
                key = await connector.create_api_key(form.profile.url, trust, form.username,
                                                     form.password, form.roles)
            finally:
                connector.discard_pending(form.profile.name)
                self.query_one("#password", Input).value = ""
            self.created_key, self.created_for = key, (form.profile.url, form.username)
            self._status(_("The API key was created; connecting with it…"))
        else:
            self._status(_("Connecting to {url}…").format(url=form.profile.url))
        client, identity, saved = await connector.establish(form.profile, key,
                                                            certificate=form.certificate)
        self._status(_("Connected."))
        self.query_one("#api-key", Input).value = ""
        self.created_key = None
        app.connection_established(client, identity, profile=saved, label=saved.name)
