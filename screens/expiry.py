"""The expiry overview: every certificate on the tokens by days left, with renewal progress.

Warnings at 30, 14 and 7 days and for expired certificates, said in words and marks as well as
colour (NO_COLOR terminals). Enter shows the certificate on the keys screen; R renews it.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from backend.i18n import N_, _
from screens.base import KapkaScreen, describe_exception
from screens.dashboard_render import (
    CRITICAL_DAYS,
    SOON_DAYS,
    URGENT_DAYS,
    CertificateRow,
    certificate_rows,
    certificate_summary,
    expiry_text,
)
from screens.renew_state import Renewal, renewals_in_progress
from screens.widgets.error_panel import ErrorPanel

LEVEL_WORDS = {"expired": N_("EXPIRED"), "critical": N_("≤ 7 days"), "urgent": N_("≤ 14 days"),
               "soon": N_("≤ 30 days"), "ok": N_("ok")}
LEVEL_COLOURS = {"expired": "text-error", "critical": "text-error", "urgent": "text-warning",
                 "soon": "text-warning"}


def renewal_cell(row: CertificateRow, renewals: dict[str, Renewal]) -> str:
    renewal = renewals.get(row.hash)
    if renewal is None:
        return "—"
    if renewal.old.hash != row.hash:
        return _("new, replaces an older one")
    step = renewal.current
    return step.title if step is not None else _("in progress")


class ExpiryScreen(KapkaScreen):
    """Certificates sorted by days left (expired first)."""

    SCREEN_TITLE = _("Certificate expiry")

    BINDINGS = [
        Binding("r", "refresh", _("Refresh"), id="expiry.refresh",
                tooltip=_("Load the certificates again")),
        Binding("enter", "show", _("Show in keys"), id="expiry.show",
                tooltip=_("The selected certificate on the keys screen")),
        Binding("R", "renew", _("Renew"), id="expiry.renew",
                tooltip=_("The guided renewal of the selected certificate")),
        Binding("escape", "back", _("Back"), id="expiry.back"),
    ]

    DEFAULT_CSS = """
    ExpiryScreen #expiry-body { height: 1fr; padding: 0 1; }
    ExpiryScreen #expiry-summary { height: auto; text-style: bold; }
    ExpiryScreen #expiry-legend { height: auto; color: $text-muted; margin-bottom: 1; }
    ExpiryScreen DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[CertificateRow] = []
        self.renewals: dict[str, Renewal] = {}
        self.loads = 0

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="expiry-body"):
            yield ErrorPanel(id="expiry-error")
            yield Static(_("Loading…"), id="expiry-summary", markup=False)
            yield Static(_("Marks: EXPIRED; !!! within {critical} days; !! within {urgent}; ! "
                           "within {soon}. Enter: show in keys; R: renew.").format(
                critical=CRITICAL_DAYS, urgent=URGENT_DAYS, soon=SOON_DAYS),
                id="expiry-legend", markup=False)
            table: DataTable[Text] = DataTable(id="expiry-table", cursor_type="row",
                                               zebra_stripes=True)
            yield table
        yield from self.compose_footer()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#expiry-table", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns(_("Expires in"), _("Warning"), _("Usage"), _("Status"),
                               _("Active"), _("OCSP"), _("Not after"), _("Subject"),
                               _("Renewal"))
        self.table.focus()
        self.load()

    @work(exclusive=True, group="expiry-load", exit_on_error=False)
    async def load(self) -> None:
        panel = self.query_one("#expiry-error", ErrorPanel)
        try:
            tokens = await self.app.server.tokens()
        except Exception as error:  # shown with Retry
            title, message = describe_exception(error)
            panel.show_error(title=title, message=message, hint=_("Press r to try again."))
            return
        panel.clear()
        self.rows = certificate_rows(tokens)
        self.renewals = renewals_in_progress(tokens)
        self.query_one("#expiry-summary", Static).update(certificate_summary(self.rows))
        self._fill()
        self.loads += 1

    def _colour(self, level: str) -> Style:
        variable = LEVEL_COLOURS.get(level)
        if variable is None:
            return Style()
        try:
            colour = Color.parse(self.app.theme_variables.get(variable, "")).rich_color
        except ColorParseError:
            colour = None
        return Style(color=colour, bold=level in ("expired", "critical"))

    def _fill(self) -> None:
        table = self.table
        table.clear()
        for row in self.rows:
            style = self._colour(row.level)
            ocsp = row.ocsp_status.removeprefix("OCSP_RESPONSE_") if row.ocsp_status else "—"
            table.add_row(
                Text(expiry_text(row), style=style), Text(_(LEVEL_WORDS[row.level]), style=style),
                Text(row.usage), Text(row.status),
                Text(_("yes") if row.active else _("no")), Text(ocsp),
                Text(row.not_after.astimezone().strftime("%Y-%m-%d")), Text(row.subject),
                Text(renewal_cell(row, self.renewals)), key=row.hash)

    @property
    def selected(self) -> CertificateRow | None:
        index = self.table.cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("show", "renew") and self.selected is None:
            return None
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action in ("show", "renew") and self.selected is None:
            return _("no certificate")
        return super().disabled_reason(action)

    @on(DataTable.RowSelected, "#expiry-table")
    def _row_selected(self) -> None:
        self.action_show()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_show(self) -> None:
        row = self.selected
        if row is None:
            return
        app = self.app
        app.pop_screen()
        select = getattr(app.screen, "select", None)
        if not callable(select):
            app.show_keys(select=row.hash)
        elif not select(f"cert:{row.hash}"):
            app.notify(_("The certificate is no longer on the token."), severity="warning")

    def action_renew(self) -> None:
        row = self.selected
        if row is None:
            return
        from screens.renew import RenewScreen

        self.app.push_screen(RenewScreen(row.hash))
