"""``KapkaApp``: the app shell — themes, keys, the screens, the status line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual.screen import ModalScreen
from textual.worker import Worker

from backend.errors import KapkaError
from backend.i18n import _
from console.config import Config, Profile
from screens.base import report_worker_error
from screens.dashboard import DashboardScreen
from screens.widgets.server_header import HeaderInfo
from screens.widgets.status_line import AlertsInfo

if TYPE_CHECKING:
    from textual.command import Provider

    from backend.api.client import SecurityServerClient, ServerIdentity
    from console.archive_settings import ArchiveSettings
    from console.connector import Connector
from console.app_connection import ConnectionMixin
from console.app_dialogs import OperatorDialogsMixin
from console.theming import DARK_THEME, LIGHT_THEME, THEMES_FILE, load_themes, themes_dir

__all__ = ["DARK_THEME", "LIGHT_THEME", "THEMES_FILE", "KapkaApp", "load_themes", "themes_dir"]


def _kapka_commands() -> type[Provider]:
    """The command palette's provider, imported when the palette first opens."""
    from console.commands import KapkaCommands

    return KapkaCommands


class KapkaApp(ConnectionMixin, OperatorDialogsMixin, App[int]):
    """The console: one connection to one security server at a time."""

    TITLE = "Kapka"
    CSS_PATH = str(themes_dir() / "kapka.tcss")
    COMMANDS = App.COMMANDS | {_kapka_commands}
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
        Binding("a", "access", _("Access rights"), id="app.access",
                tooltip=_("Who may call which service of a client: by service, by subject, matrix")),
        Binding("l", "clients", _("Clients"), id="app.clients",
                tooltip=_("Members and subsystems of the server: add, register, remove")),
        Binding("m", "archives", _("Message log"), id="app.archives",
                tooltip=_("Message-log archives on this host: search, verify, export (no server "
                          "needed)")),
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
                 archive_settings: ArchiveSettings | None = None,
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
        # where the message-log archives are: the [archives] settings, or the sandbox's own
        self.archive_settings = archive_settings or config.archives
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
            # once on_mount has returned: a screen pushed while the app is still mounting is
            # painted in pieces, its first whole frame some frames later
            self.call_later(self.show_dashboard)
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
            self.call_later(self.show_connect, error=KapkaError(  # once mounted, as above
                _("There is no profile named {name} in {file}. Connect here to create it.").format(
                    name=self.profile_name, file=self.config.path), _("Unknown profile")))
        else:
            self.call_later(self.show_connect)

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

    def _held_for_staged(self, again: Callable[[], object]) -> bool:
        """A screen holding staged, unsent changes (access rights) asks before it is left, however it
        is left (keys are asked about by the screen itself; this covers the command palette).
        True when held: ``again`` runs once the operator has chosen Discard."""
        if not getattr(self.screen, "has_staged", False):
            return False
        self.screen.unless_staged_leaving(again)  # type: ignore[attr-defined]
        return True

    def show_dashboard(self) -> None:
        if self._held_for_staged(self.show_dashboard):
            return
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
        if self._held_for_staged(partial(self.show_keys, select)):
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, KeysScreen):
            self.pop_screen()
        if isinstance(self.screen, KeysScreen):
            if select:
                self.screen.select(f"cert:{select.upper()}")
            return
        self.push_screen(KeysScreen(select=select))

    def action_keys(self) -> None:
        self.show_keys()

    def show_clients(self, select: str | None = None) -> None:
        """The clients screen over the main screen (escape goes back)."""
        from screens.clients import ClientsScreen

        if self.server is None or isinstance(self.screen, ModalScreen):
            return
        if self._held_for_staged(partial(self.show_clients, select)):
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, ClientsScreen):
            self.pop_screen()
        if not isinstance(self.screen, ClientsScreen):
            self.push_screen(ClientsScreen(select=select))

    def action_clients(self) -> None:
        self.show_clients()

    def action_access(self, view: str = "service") -> None:
        """Ask which client, then show its access rights (``view``: service, subject, matrix)."""
        from screens.access.chooser import open_access

        open_access(self, view)

    def show_archives(self, *, verify: bool = False) -> None:
        """The message-log archives of this host (no server needed); ``verify`` starts a verification."""
        from screens.archives import ArchivesScreen

        if isinstance(self.screen, ModalScreen):
            return
        if self._held_for_staged(partial(self.show_archives, verify=verify)):
            return
        if any(isinstance(screen, ArchivesScreen) for screen in self.screen_stack):
            while not isinstance(self.screen, ArchivesScreen):
                self.pop_screen()
        else:
            self.push_screen(ArchivesScreen(self.archive_settings))
        if verify:
            self.call_after_refresh(self._verify_archives)

    def _verify_archives(self) -> None:
        verify = getattr(self.screen, "action_verify", None)
        if callable(verify):
            verify()

    def action_archives(self) -> None:
        self.show_archives()

    def show_setup(self) -> None:
        """The setup wizard (it reads from the server which step is next)."""
        from screens.setup.wizard import SetupWizardScreen

        if not isinstance(self.screen, SetupWizardScreen) and not self._held_for_staged(self.show_setup):
            self._show_main(SetupWizardScreen())

    def action_open_setup(self) -> None:
        if self.server is not None:
            self.show_setup()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_setup":  # offered on the dashboard, once connected
            return self.server is not None and isinstance(self.screen, DashboardScreen)
        if action in ("keys", "access", "clients"):  # once connected, not from inside a dialog
            return self.server is not None and not isinstance(self.screen, ModalScreen)
        if action == "archives":  # the archives are on this host: no server needed
            return not isinstance(self.screen, ModalScreen)
        return True

    def show_connect(self, *, error: KapkaError | tuple[str, str] | None = None,
                     profile: Profile | None = None, retry_profile: str | None = None) -> None:
        from screens.connect import ConnectScreen

        self._show_main(ConnectScreen(profile=profile, error=error, retry_profile=retry_profile))

    def action_connect_screen(self) -> None:
        """Switch profile: over the dashboard when connected (escape goes back), else the main."""
        from screens.connect import ConnectScreen

        if isinstance(self.screen, ConnectScreen) or self._held_for_staged(self.action_connect_screen):
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

    # -- errors and the end -----------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    async def action_quit(self) -> None:
        self.exit(0, return_code=0)

    async def on_unmount(self) -> None:
        if self.server is not None and self._owns_server:
            await self.server.aclose()
