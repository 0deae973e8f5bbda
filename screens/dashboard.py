"""The dashboard: the security server's state at a glance, each section loaded on its own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.lazy import Lazy
from textual.widgets import DataTable

from backend.api.errors import PermissionDenied
from backend.errors import KapkaError
from backend.i18n import _
from screens.base import KapkaScreen, describe_exception
from screens.dashboard_render import (
    certificate_cells,
    certificate_rows,
    certificate_summary,
    ocsp_rows,
    render_globalconf,
    render_initialisation,
    timestamping_rows,
    token_rows,
)
from screens.widgets.error_panel import ErrorPanel
from screens.widgets.section import Section


class DashboardScreen(KapkaScreen):
    """Initialisation, tokens, certificates, global configuration, timestamping and OCSP."""

    SCREEN_TITLE = _("Dashboard")

    BINDINGS = [
        Binding("r", "refresh", _("Refresh"), id="dashboard.refresh",
                tooltip=_("Load everything again from the server")),
    ]

    DEFAULT_CSS = """
    DashboardScreen #dashboard-body { height: 1fr; }
    DashboardScreen #dashboard-sections { height: auto; }
    DashboardScreen #dashboard-sections.-hidden { display: none; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0  # how many loads have finished (for tests and the status of the screen)
        self.certificates: list[Any] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(id="dashboard-body"):
            yield ErrorPanel(id="dashboard-error")
            with Vertical(id="dashboard-sections"):
                yield Section(_("Initialisation"), id="section-init")
                yield Section(_("Tokens"), id="section-tokens",
                              columns=(_("Token"), _("Type"), _("Status"), _("Logged in"),
                                       _("Keys")))
                # below the first screenful: mounted just after the first paint
                yield Lazy(_certificates_section())
                yield Lazy(Section(_("Global configuration"), id="section-globalconf"))
                yield Lazy(Section(_("Timestamping services"), id="section-timestamping",
                                   columns=(_("Status"), _("Last update"), _("URL"), _("Error"))))
                yield Lazy(Section(_("OCSP responders"), id="section-ocsp",
                                   columns=(_("Status"), _("Next update"), _("CA"), _("URL"),
                                            _("Error"))))
        yield from self.compose_footer()

    def section(self, name: str) -> Section:
        return self.query_one(f"#section-{name}", Section)

    @property
    def error_panel(self) -> ErrorPanel:
        return self.query_one("#dashboard-error", ErrorPanel)

    def on_mount(self) -> None:
        self.query_one("#dashboard-body").focus()
        self.load()

    async def _sections_mounted(self) -> None:
        """Wait for the lazily mounted sections (they follow the first paint)."""
        while not self.query("#section-ocsp"):
            await asyncio.sleep(0.005)

    def action_refresh(self) -> None:
        refresh_identity = getattr(self.app, "refresh_identity", None)
        if callable(refresh_identity):
            refresh_identity()
        self.load()

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.action_refresh()

    @on(DataTable.RowSelected)
    def _certificate_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a certificate opens it on the keys screen."""
        section = event.data_table.parent
        if getattr(section, "id", None) != "section-certificates":
            return
        index = event.cursor_row
        show_keys = getattr(self.app, "show_keys", None)
        if callable(show_keys) and 0 <= index < len(self.certificates):
            show_keys(select=self.certificates[index].hash)

    # -- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="dashboard", exit_on_error=False)
    async def load(self) -> None:
        """Every section at once; each shows its own result or its own error."""
        client = getattr(self.app, "server", None)
        if client is None and getattr(self.app, "server_pending", False):
            # the app shows a new dashboard once connected
            self.section("init").show_waiting(_("Connecting to the server…"))
            return
        if client is None:
            self.error_panel.show_error(
                title=_("Not connected"),
                message=_("Kapka is not connected to a security server. Press c to open the "
                          "connect screen."))
            self.query_one("#dashboard-sections").add_class("-hidden")
            return
        await self._sections_mounted()
        sections = {name: self.section(name) for name in
                    ("init", "tokens", "certificates", "globalconf", "timestamping", "ocsp")}
        for section in sections.values():
            section.loading = True
        results = await asyncio.gather(
            self._guard([sections["init"]], self._load_init(client)),
            self._guard([sections["tokens"], sections["certificates"]],
                        self._load_tokens(client)),
            self._guard([sections["globalconf"]], self._load_globalconf(client)),
            self._guard([sections["timestamping"]], self._load_timestamping(client)),
            self._guard([sections["ocsp"]], self._load_ocsp(client)),
        )
        errors = [error for error in results if error is not None]
        self.loads += 1
        if errors and len(errors) == len(results) and not _is_role_problem(errors):
            self._show_server_problem(errors[0])
        else:
            self.error_panel.clear()
            self.query_one("#dashboard-sections").remove_class("-hidden")

    async def _guard(self, sections: list[Section], loader: Awaitable[None]) -> Exception | None:
        try:
            await loader
        except Exception as error:  # every failure stays inside its section
            title, message = describe_exception(error)
            for section in sections:
                section.show_error(title, message)
            if not isinstance(error, KapkaError):
                self.log.error(f"dashboard section failed: {error!r}")
            return error
        finally:
            for section in sections:
                section.loading = False
        return None

    def _show_server_problem(self, error: Exception) -> None:
        self.show_problem(*describe_exception(error))

    def show_problem(self, title: str, message: str) -> None:
        """The server cannot be used at all: say why, with Retry, instead of the sections."""
        for name in ("init", "tokens", "certificates", "globalconf", "timestamping", "ocsp"):
            self.section(name).loading = False
        self.error_panel.show_error(
            title=title, message=message,
            hint=_("Press r (or Retry) to try again, or c to open the connect screen."))
        self.query_one("#dashboard-sections").add_class("-hidden")
        self.query_one("#error-retry").focus()

    async def _load_init(self, client: Any) -> None:
        status = await client.initialization_status()
        server_id = None
        if status.is_server_owner_initialized and status.is_server_code_initialized:
            try:
                server_id = await self.app.connector.server_id(client)
            except KapkaError:
                server_id = None  # the header then just says "initialised"
        note = getattr(self.app, "note_initialisation", None)
        if callable(note):
            note(status.is_initialized, server_id)
        self.section("init").show_summary(render_initialisation(status, server_id))

    async def _load_tokens(self, client: Any) -> None:
        tokens = await client.tokens()
        section = self.section("tokens")
        section.show_summary(_("No tokens.") if not tokens else "")
        section.show_rows(token_rows(tokens))
        rows = certificate_rows(tokens)
        self.certificates = rows
        certificates = self.section("certificates")
        certificates.show_summary(certificate_summary(rows))
        certificates.show_rows(certificate_cells(row) for row in rows)

    async def _load_globalconf(self, client: Any) -> None:
        self.section("globalconf").show_summary(
            render_globalconf(await client.globalconf_diagnostics()))

    async def _load_timestamping(self, client: Any) -> None:
        services = await client.timestamping_diagnostics()
        section = self.section("timestamping")
        section.show_summary(Content(_("No timestamping service is configured. Signed messages "
                                       "need one: add the approved TSA (POST "
                                       "/system/timestamping-services).")) if not services else "")
        section.show_rows(timestamping_rows(services))

    async def _load_ocsp(self, client: Any) -> None:
        cas = await client.ocsp_diagnostics()
        section = self.section("ocsp")
        section.show_summary(_("No certification authority is approved in the global "
                               "configuration yet.") if not cas else "")
        section.show_rows(ocsp_rows(cas))


def _certificates_section() -> Section:
    section = Section(_("Certificates"), id="section-certificates",
                      columns=(_("Expires in"), _("Usage"), _("Status"), _("Active"), _("OCSP"),
                               _("Not after"), _("Subject"), _("Token")))
    section.border_subtitle = _("enter or k: keys and certificates")
    return section


def _is_role_problem(errors: list[Exception]) -> bool:
    """403 everywhere is a key without the observer role, not a server problem: keep the cards."""
    return all(isinstance(error, PermissionDenied) for error in errors)
