"""``KapkaApp``: the app shell — themes, keys, the connection, the screens, the status line."""

from __future__ import annotations

import asyncio
import dataclasses
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.reactive import var
from textual.screen import ModalScreen
from textual.theme import Theme
from textual.worker import Worker

import console
from backend.errors import KapkaError
from backend.i18n import _
from console.commands import KapkaCommands
from console.config import Config, Profile
from screens.base import describe_exception, report_worker_error
from screens.dashboard import DashboardScreen
from screens.widgets.server_header import HeaderInfo
from screens.widgets.status_line import AlertsInfo

if TYPE_CHECKING:
    from backend.api.client import SecurityServerClient, ServerIdentity
    from backend.api.errors import WarningsDetected
    from backend.api.writes import WriteRequest
    from console.connector import Connector

THEMES_FILE = "kapka_themes.toml"
DARK_THEME, LIGHT_THEME = "kapka-dark", "kapka-light"


def themes_dir() -> Path:
    """``themes/``: shipped inside the wheel as ``console/themes``, beside ``console/`` in a checkout."""
    here = Path(console.__file__).parent
    shipped = here / "themes"
    return shipped if shipped.is_dir() else here.parent / "themes"


def load_themes(path: Path | None = None) -> list[Theme]:
    """The themes defined in ``kapka_themes.toml`` (one table per theme, Theme's fields as keys)."""
    path = path or themes_dir() / THEMES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise KapkaError(_("Kapka could not read its themes from {path}: {error}. Reinstall "
                           "Kapka.").format(path=path, error=error), _("Themes")) from error
    themes = []
    for name, fields in data.items():
        try:
            themes.append(Theme(name=name, **fields))
        except (TypeError, ValueError) as error:
            raise KapkaError(_("Theme {name} in {path} is not valid: {error}").format(
                name=name, path=path, error=error), _("Themes")) from error
    return themes


class KapkaApp(App[int]):
    """The console: one connection to one security server at a time."""

    TITLE = "Kapka"
    CSS_PATH = str(themes_dir() / "kapka.tcss")
    COMMANDS = App.COMMANDS | {KapkaCommands}
    ALERTS_INTERVAL: ClassVar[float] = 30.0  # X-Road limits requests per minute; not faster

    BINDINGS = [
        Binding("q", "quit", _("Quit"), id="app.quit", tooltip=_("Leave Kapka")),
        Binding("ctrl+q", "quit", _("Quit"), show=False, priority=True, id="app.quit_now"),
        Binding("question_mark,f1", "help", _("Help"), id="app.help",
                tooltip=_("Every key of this screen")),
        Binding("c", "connect_screen", _("Connect"), id="app.connect",
                tooltip=_("Switch profile or connect to another server")),
        Binding("s", "open_setup", _("Setup"), id="app.setup",
                tooltip=_("The setup wizard: from a fresh server to an active certificate")),
        Binding("k", "keys", _("Keys"), id="app.keys",
                tooltip=_("Tokens, keys and certificates of the server")),
        Binding("ctrl+t", "toggle_theme", _("Theme"), show=False, id="app.theme",
                tooltip=_("Switch between the dark and the light theme")),
        Binding("ctrl+p", "command_palette", _("Commands"), show=False, priority=True,
                id="app.command_palette"),
    ]

    header_info: var[HeaderInfo] = var(HeaderInfo())
    alerts_info: var[AlertsInfo | None] = var(None)

    def __init__(self, *, connector: Connector, config: Config, profile_name: str | None = None,
                 client: SecurityServerClient | None = None, profile_label: str | None = None,
                 read_only: bool = False,
                 pending_client: Callable[[], Awaitable[SecurityServerClient]] | None = None,
                 setup_wizard: bool = True,
                 ) -> None:
        super().__init__()
        self.connector = connector
        self.config = config
        self.profile_name = profile_name
        self.profile: Profile | None = None
        self.profile_label = profile_label
        self.server: SecurityServerClient | None = None
        self.identity: ServerIdentity | None = None
        self._initial_client = client
        self._pending_client = pending_client
        # True while a client is on its way (``pending_client``): the dashboard waits for it
        self.server_pending = pending_client is not None
        self._owns_server = False
        self._read_only = read_only
        # after connecting to a server that is not initialised, show the setup wizard
        self.setup_wizard = setup_wizard
        self._confirmed_writes: set[tuple[str, str]] = set()  # see operator_confirmed
        self._theme_problem: tuple[str, str] | None = None
        self._apply_themes()  # before the first screen: a theme change later restyles everything

    # -- state the screens read -------------------------------------------------------------

    @property
    def journal(self) -> Any:
        return self.connector.journal

    @property
    def read_only(self) -> bool:
        return self._read_only or self.connector.is_read_only(self.profile)

    # -- start ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self._theme_problem is not None:
            title, message = self._theme_problem
            self.notify(message, title=title, severity="warning", markup=False)
        self.set_keymap(dict(self.config.keymap))
        self.connector.confirmer = self.confirm_write
        self.header_info = HeaderInfo(read_only=self.read_only)
        if self._pending_client is not None:
            self.header_info = HeaderInfo(profile=self.profile_label, state="connecting",
                                          read_only=self.read_only)
            self.show_dashboard()
            self.call_after_refresh(self.await_pending_client)  # paint first, then connect
            return
        if self._initial_client is not None:
            client, self._initial_client = self._initial_client, None
            if client.transport.confirmer is None:
                client.transport.confirmer = self.confirm_write
            self._use_server(client, None, profile=None, label=self.profile_label or "",
                             owned=False)
            self.load_identity()
            return
        profile = self.config.profile(self.profile_name)
        if profile is not None:
            self.connect_profile(profile.name)
        elif self.profile_name is not None:
            self.show_connect(error=KapkaError(
                _("There is no profile named {name} in {file}. Connect here to create it.").format(
                    name=self.profile_name, file=self.config.path), _("Unknown profile")))
        else:
            self.show_connect()

    def _apply_themes(self) -> None:
        try:
            for theme in load_themes():
                self.register_theme(theme)
        except KapkaError as error:
            self._theme_problem = (error.title, error.message)
            return
        wanted = self.config.theme or DARK_THEME
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme = DARK_THEME
            self._theme_problem = (_("Theme"), _(
                "There is no theme {name}; using {default}. Themes: {names}.").format(
                name=wanted, default=DARK_THEME, names=", ".join(sorted(self.available_themes))))

    # -- screens ----------------------------------------------------------------------------

    def _show_main(self, screen: Any) -> None:
        """Make ``screen`` the one main screen (anything above it is closed)."""
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) == 2:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def show_dashboard(self) -> None:
        self._show_main(DashboardScreen())

    def show_keys(self, select: str | None = None) -> None:
        """The keys and certificates screen over the main screen (escape goes back)."""
        from screens.keys import KeysScreen

        if self.server is None:
            self.notify(_("Connect to a security server first (c)."), title=_("Not connected"),
                        severity="warning")
            return
        if isinstance(self.screen, ModalScreen):
            return  # a dialog waits for its answer; closing it here would leave its caller waiting
        while len(self.screen_stack) > 2 and not isinstance(self.screen, KeysScreen):
            self.pop_screen()
        if isinstance(self.screen, KeysScreen):
            if select:
                self.screen.select(f"cert:{select.upper()}")
            return
        self.push_screen(KeysScreen(select=select))

    def action_keys(self) -> None:
        self.show_keys()

    def show_setup(self) -> None:
        """The setup wizard (it reads from the server which step is next)."""
        from screens.setup.wizard import SetupWizardScreen

        if not isinstance(self.screen, SetupWizardScreen):
            self._show_main(SetupWizardScreen())

    def action_open_setup(self) -> None:
        if self.server is not None:
            self.show_setup()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_setup":  # offered on the dashboard, once connected
            return self.server is not None and isinstance(self.screen, DashboardScreen)
        if action == "keys":  # once connected, and not from inside a dialog
            return self.server is not None and not isinstance(self.screen, ModalScreen)
        return True

    def show_connect(self, *, error: KapkaError | tuple[str, str] | None = None,
                     profile: Profile | None = None, retry_profile: str | None = None) -> None:
        from screens.connect import ConnectScreen

        self._show_main(ConnectScreen(profile=profile, error=error, retry_profile=retry_profile))

    def action_connect_screen(self) -> None:
        """Switch profile: over the dashboard when connected (escape goes back), else the main."""
        from screens.connect import ConnectScreen

        if isinstance(self.screen, ConnectScreen):
            return
        self.workers.cancel_group(self, "connect")
        if self.server is not None:
            self.push_screen(ConnectScreen(profile=self.profile))
        else:
            self.show_connect(profile=self.config.profile(self.profile_name))

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_refresh_dashboard(self) -> None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, DashboardScreen):
                screen.action_refresh()
                return
        if self.server is not None:
            self.show_dashboard()

    def action_set_theme(self, name: str) -> None:
        self.theme = name
        if self.config.theme != name:
            self.config.theme = name
            try:
                self.config.save()
            except KapkaError as error:
                self.notify(error.message, title=error.title, severity="warning", markup=False)

    def action_toggle_theme(self) -> None:
        self.action_set_theme(LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME)

    # -- connection -------------------------------------------------------------------------

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect_profile(self, name: str) -> None:
        """Connect with a saved profile; on failure the connect screen says why, with Retry."""
        from screens.connecting import ConnectingScreen

        profile = self.config.profile(name)
        if profile is None:
            self.show_connect(error=KapkaError(
                _("There is no profile named {name}.").format(name=name), _("Unknown profile")))
            return
        self.profile_name = name
        self.header_info = HeaderInfo(profile=profile.name, url=profile.url, state="connecting",
                                      read_only=self._read_only or
                                      self.connector.is_read_only(profile))
        self._show_main(ConnectingScreen(profile.name, profile.url))
        store = self.connector.secrets
        try:
            # no secrets file yet: nothing to unlock, and the missing key is said below
            if store.file_exists and not await self.ensure_secrets_unlocked():
                raise KapkaError(
                    _("Kapka's secrets file stays locked, so there is no API key for profile "
                      "{name}. Retry and type the passphrase, or paste a key here.").format(
                        name=profile.name), _("Secrets locked"))
            client, identity = await self.connector.connect(profile)
        except Exception as error:  # shown on the connect screen, never as a traceback
            title, message = describe_exception(error)
            self.header_info = dataclasses.replace(self.header_info, state="failed")
            self.show_connect(error=(title, message), profile=profile, retry_profile=profile.name)
            return
        self.connection_established(client, identity, profile=profile, label=profile.name)

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def await_pending_client(self) -> None:
        """Take the client that was being prepared at start-up (``kapka --sandbox``)."""
        factory, self._pending_client = self._pending_client, None
        assert factory is not None
        try:
            client = await factory()
        except Exception as error:  # shown on the dashboard, never as a traceback
            self.server_pending = False
            self.header_info = dataclasses.replace(self.header_info, state="failed")
            title, message = describe_exception(error)
            for screen in self.screen_stack:
                if isinstance(screen, DashboardScreen):
                    screen.show_problem(title, message)
            return
        self.server_pending = False
        if client.transport.confirmer is None:
            client.transport.confirmer = self.confirm_write
        self._use_server(client, None, profile=None, label=self.profile_label or "", owned=True)
        self.load_identity()

    def give_up_connecting(self) -> None:
        self.workers.cancel_group(self, "connect")
        self.header_info = dataclasses.replace(self.header_info, state="disconnected")
        self.show_connect(profile=self.config.profile(self.profile_name))

    def connection_established(self, client: SecurityServerClient, identity: ServerIdentity, *,
                               profile: Profile | None, label: str) -> None:
        """A working connection: make it current and show the dashboard."""
        self._use_server(client, identity, profile=profile, label=label, owned=True)

    def _use_server(self, client: SecurityServerClient, identity: ServerIdentity | None, *,
                    profile: Profile | None, label: str, owned: bool) -> None:
        previous, previous_owned = self.server, self._owns_server
        self.server, self._owns_server = client, owned
        self.profile = profile
        if profile is not None:
            self.profile_name = profile.name
        self.profile_label = label
        self.identity = None
        self.header_info = HeaderInfo(profile=label or None, url=client.base_url,
                                      state="connecting", read_only=self.read_only)
        if identity is not None:
            self._apply_identity(identity)
        self.alerts_info = None
        self.refresh_bindings()
        self.show_dashboard()
        if self.setup_wizard:
            self.offer_setup(client)
        self.poll_alerts()
        if previous is not None and previous is not client and previous_owned:
            self.run_worker(previous.aclose(), group="close", exit_on_error=False)

    def _apply_identity(self, identity: ServerIdentity) -> None:
        self.identity = identity
        self.header_info = dataclasses.replace(
            self.header_info, state="connected", version=identity.version.version,
            node_type=identity.node_type, username=identity.user.username)

    def note_initialisation(self, initialised: bool, server_id: str | None) -> None:
        """The dashboard learned whether the server is initialised, and maybe its id."""
        self.header_info = dataclasses.replace(self.header_info, initialised=initialised,
                                               server_id=server_id)

    @work(exclusive=True, group="offer-setup", exit_on_error=False)
    async def offer_setup(self, client: SecurityServerClient) -> None:
        """Show the setup wizard instead of the dashboard while the server is not initialised."""
        try:
            status = await client.setup.status()
        except KapkaError:
            return  # the dashboard says what is wrong
        if client is self.server and not status.is_initialized and \
                isinstance(self.screen, DashboardScreen):
            self.show_setup()

    def refresh_identity(self) -> None:
        if self.server is not None and self.identity is None:
            self.load_identity()

    @work(exclusive=True, group="identity", exit_on_error=False)
    async def load_identity(self) -> None:
        client = self.server
        if client is None:
            return
        try:
            identity = await client.identity()
        except KapkaError:
            if client is self.server:  # the dashboard shows the reason in its own panel
                self.header_info = dataclasses.replace(self.header_info, state="failed")
            return
        if client is self.server:
            self._apply_identity(identity)

    @work(exclusive=True, group="alerts", exit_on_error=False)
    async def poll_alerts(self) -> None:
        """``GET /notifications/alerts`` now and every ALERTS_INTERVAL seconds."""
        while (client := self.server) is not None:
            try:
                data = await client.alerts()
            except KapkaError as error:
                info = AlertsInfo(error_title=error.title, error_message=error.message,
                                  checked_at=datetime.now(UTC))
            else:
                info = AlertsInfo.from_data(data, checked_at=datetime.now(UTC))
            if client is not self.server:
                return
            self.alerts_info = info
            await asyncio.sleep(self.ALERTS_INTERVAL)

    # -- asking the operator (from workers) -------------------------------------------------

    async def ensure_secrets_unlocked(self) -> bool:
        """Ask for the secrets file's passphrase if it is locked; False if the operator cancels."""
        from screens.passphrase import PassphraseScreen

        store = self.connector.secrets
        problem: str | None = None
        while store.needs_unlock:
            passphrase = await self.push_screen_wait(PassphraseScreen(
                where=store.backend_description, create=not store.file_exists, error=problem))
            if passphrase is None:
                return False
            try:
                await self.connector.unlock_secrets(passphrase)
            except KapkaError as error:
                problem = error.message
        return True

    @contextmanager
    def operator_confirmed(self, method: str, path: str) -> Iterator[None]:
        """A screen has asked the operator about this write itself, saying more than the
        generic dialog would (what goes with a deleted key): do not ask a second time."""
        self._confirmed_writes.add((method, path))
        try:
            yield
        finally:
            self._confirmed_writes.discard((method, path))

    async def confirm_write(self, request: WriteRequest) -> bool:
        """The transport's confirmer: a dangerous change is sent only after the operator agrees."""
        from screens.widgets.confirm import ConfirmDialog

        if (request.method, request.path) in self._confirmed_writes:
            return True

        server = self.server.base_url if self.server is not None else _("the server")
        effect = Content.assemble(
            _("Kapka will send this change to {server}:").format(server=server), "\n\n",
            (request.summary, "bold"), "\n", (f"{request.method} {request.path}", "$text-muted"))
        acknowledgement = _("delete") if request.method == "DELETE" else None
        return bool(await self.push_screen_wait(ConfirmDialog(
            _("Confirm change"), effect, confirm_label=_("Send"), acknowledgement=acknowledgement)))

    async def confirm_warnings(self, error: WarningsDetected) -> bool:
        """Show X-Road's warnings verbatim (codes and details) and ask before the resend."""
        from backend.api.messages import describe_warnings
        from screens.widgets.confirm import ConfirmDialog

        verbatim = "\n".join(
            "  " + warning.code + (": " + ", ".join(warning.metadata) if warning.metadata else "")
            for warning in error.warnings)
        summary = error.request.summary if error.request is not None else ""
        effect = Content.assemble(
            (summary, "bold"), "\n\n",
            _("The security server reports these warnings and changed nothing:"), "\n",
            describe_warnings(error.warnings), "\n\n",
            (_("As the server sent them:"), "$text-muted"), "\n", (verbatim, "$text-muted"),
            "\n\n", _("Send it again, ignoring these warnings?"))
        return bool(await self.push_screen_wait(ConfirmDialog(
            _("Warnings from the server"), effect, confirm_label=_("Ignore warnings and send"))))

    async def send_confirming_warnings(self, request: WriteRequest) -> bool:
        """Send a write; on X-Road's warnings, ask and resend ignoring them (call from a worker).

        Returns False when the operator declined the warnings (nothing was changed).
        """
        from backend.api.errors import WarningsDetected

        assert self.server is not None
        try:
            await self.server.transport.write(request)
        except WarningsDetected as error:
            if error.request is None or not await self.confirm_warnings(error):
                return False
            await self.server.transport.write(error.request.ignoring_warnings())
        return True

    # -- errors and the end -----------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    async def action_quit(self) -> None:
        self.exit(0, return_code=0)

    async def on_unmount(self) -> None:
        if self.server is not None and self._owns_server:
            await self.server.aclose()
