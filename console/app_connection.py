"""The app's connection to one security server: connecting, identity, alerts, the wizard offer."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual import work

from backend.errors import KapkaError
from backend.i18n import _
from console.config import Profile
from screens.base import describe_exception
from screens.dashboard import DashboardScreen
from screens.widgets.server_header import HeaderInfo
from screens.widgets.status_line import AlertsInfo

if TYPE_CHECKING:
    from backend.api.client import SecurityServerClient, ServerIdentity


class ConnectionMixin:
    """Part of ``KapkaApp``: the current server and how it got there."""

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
        try:
            store = await self.connector.load_secrets()  # probing the keyring takes a moment
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

