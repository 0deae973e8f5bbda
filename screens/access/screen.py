"""``AccessRightsScreen``: who may call which service of one client — by service, by subject,
and as a matrix — with one change set that is previewed and applied together.

Nothing is sent while the operator stages grants and revocations; ``p`` (or enter in the matrix)
shows the change set, and applying it goes through ``backend.acl`` (the fewest calls, throttled,
a result per item). Plans from a rights file, export and copying between subjects are here too
(``screens/access/rights_actions.py``).
"""

from __future__ import annotations

from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, ProgressBar, Static, TabbedContent, TabPane

from backend.i18n import N_, _, ngettext
from screens.access.by_service import ByServiceView, RightsView
from screens.access.by_subject import BySubjectView
from screens.access.common import explain_disabled_key, write_reason
from screens.access.data import AccessData, load_access
from screens.access.discard import DiscardGuard
from screens.access.endpoint_rights import DETAIL_WIDTH, cell_detail
from screens.access.matrix import AccessMatrix
from screens.access.matrix_model import MatrixModel, pending_summary
from screens.access.rights_actions import RightsActions
from screens.access.staging import StagingActions
from screens.base import KapkaScreen, describe_exception
from screens.widgets.error_panel import ErrorPanel

VIEWS = {"service": "tab-service", "subject": "tab-subject", "matrix": "tab-matrix"}
LEGEND = N_("✓ right  ◐ some endpoints only  · none  + grant staged  ✗ revocation staged  "
           "[ ] cursor  (v or shift+arrows select)")


class AccessRightsScreen(DiscardGuard, StagingActions, RightsActions, KapkaScreen):
    """Access rights to the services of ``client_id``."""

    SCREEN_TITLE = _("Access rights")
    HELP = _("Marks: ✓ a service-level right, ◐ rights on some REST endpoints of the service only "
             "(the line under the matrix names them), · none, + a grant staged, ✗ a revocation "
             "staged. Changes staged here are service-level: space on a ◐ cell stages a grant of "
             "the whole service, and revoking a service-level right leaves rights on single "
             "endpoints in place (X-Road keeps them apart). Endpoint rights change through a "
             "rights file: e exports the rights, o plans the file.")

    BINDINGS = [
        Binding("1", "view('service')", _("By service"), show=False, id="access.by_service"),
        Binding("2", "view('subject')", _("By subject"), show=False, id="access.by_subject"),
        Binding("3", "view('matrix')", _("Matrix"), show=False, id="access.matrix"),
        Binding("slash", "filter", _("Filter"), id="access.filter",
                tooltip=_("Filter services (and subjects after @)")),
        Binding("p", "preview", _("Preview"), id="access.preview",
                tooltip=_("The staged changes, and applying them")),
        Binding("x", "drop_changes", _("Drop changes"), show=False, id="access.drop",
                tooltip=_("Forget every staged change")),
        Binding("plus", "add_subject", _("Add subject"), show=False, id="access.add_subject",
                tooltip=_("A subject column from the server's candidates")),
        Binding("l", "local_groups", _("Local groups"), id="access.local_groups",
                tooltip=_("The client's local groups and their members")),
        Binding("o", "plan_file", _("Plan file"), show=False, id="access.plan_file",
                tooltip=_("Compare a rights file with the server, then apply it")),
        Binding("e", "export", _("Export"), show=False, id="access.export",
                tooltip=_("Write the client's rights to a TOML or CSV file")),
        Binding("c", "copy_rights", _("Copy rights"), show=False, id="access.copy",
                tooltip=_("Give one subject the rights another one has")),
        Binding("ctrl+r", "reload", _("Reload"), id="access.reload",
                tooltip=_("Load the rights again (asks first when changes are staged)")),
        Binding("escape", "back", _("Back"), id="access.back"),
    ]

    #: narrow terminals put a view's two lists one above the other
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    DEFAULT_CSS = """
    AccessRightsScreen.-narrow RightsView Horizontal { layout: vertical; }
    AccessRightsScreen #access-body { height: 1fr; }
    AccessRightsScreen #access-title { height: auto; padding: 0 1; text-style: bold; }
    AccessRightsScreen #access-loading { height: auto; padding: 0 1; }
    AccessRightsScreen #access-loading.-hidden { display: none; }
    AccessRightsScreen TabbedContent { height: 1fr; }
    AccessRightsScreen TabPane { height: 1fr; padding: 0; }
    AccessRightsScreen #matrix-filter { margin: 0; }
    AccessRightsScreen #matrix-cell { height: 2; padding: 0 1; }
    AccessRightsScreen #matrix-legend { height: auto; padding: 0 1; color: $text-muted; }
    AccessRightsScreen #access-pending { height: 1; padding: 0 1; background: $panel; }
    AccessRightsScreen #access-pending.-pending { color: $text-warning; text-style: bold; }
    """

    def __init__(self, client_id: str, *, view: str = "service") -> None:
        super().__init__()
        self.client_id = client_id
        self.initial_view = VIEWS.get(view, VIEWS["service"])
        self.data: AccessData | None = None
        self.model = MatrixModel([], [], [])
        self.loads = 0
        self.busy = False
        self._reload_on_resume = False

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="access-body"):
            yield ErrorPanel(id="access-error")
            yield Static(_("Client {client}").format(client=self.client_id), id="access-title",
                         markup=False)
            yield ProgressBar(id="access-loading", show_eta=False)
            with TabbedContent(initial=self.initial_view):
                with TabPane(_("1 By service"), id="tab-service"):
                    yield ByServiceView(id="by-service")
                with TabPane(_("2 By subject"), id="tab-subject"):
                    yield BySubjectView(id="by-subject")
                with TabPane(_("3 Matrix"), id="tab-matrix"):
                    yield Input(placeholder=_("/ filter: service text, then @ and subject text"),
                                id="matrix-filter", compact=True)
                    yield AccessMatrix(id="matrix")
                    yield Static("", id="matrix-cell", markup=False)
                    yield Static(_(LEGEND), id="matrix-legend", markup=False)
            yield Static("", id="access-pending", markup=False)
        yield from self.compose_footer()

    @property
    def matrix(self) -> AccessMatrix:
        return self.query_one("#matrix", AccessMatrix)

    @property
    def error_panel(self) -> ErrorPanel:
        return self.query_one("#access-error", ErrorPanel)

    @property
    def views(self) -> list[RightsView]:
        return [self.query_one("#by-service", ByServiceView),
                self.query_one("#by-subject", BySubjectView)]

    def on_mount(self) -> None:
        self.title = _("Access rights: {client}").format(client=self.client_id)
        self._focus_view(self.initial_view)
        self.load()

    # -- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="access-load", exit_on_error=False)
    async def load(self, keep: list[Any] | None = None) -> None:
        """Load from the server; ``keep``: changes to stage again (ones not applied)."""
        server = getattr(self.app, "server", None)
        if server is None:
            self.error_panel.show_error(title=_("Not connected"), message=_(
                "Kapka is not connected to a security server. Press c to connect."))
            return
        bar = self.query_one("#access-loading", ProgressBar)
        bar.remove_class("-hidden")
        bar.update(total=None, progress=0)

        def progress(done: int, total: int) -> None:
            bar.update(total=total, progress=done)

        try:
            data = await load_access(server, self.client_id, progress)
        except Exception as error:  # shown in the panel, with Retry
            title, message = describe_exception(error)
            self.error_panel.show_error(title=title, message=message,
                                        hint=_("Press ctrl+r (or Retry) to try again."))
            return
        finally:
            bar.add_class("-hidden")
        self.show_data(data, keep=keep)
        self.loads += 1

    def show_data(self, data: AccessData, *, keep: list[Any] | None = None) -> None:
        """Show freshly loaded data; ``keep`` are changes to stage again (ones that failed, or
        staged before the reload)."""
        self.data = data
        self.model = data.model(self.model if self.loads else None)
        for change in keep or []:  # what no longer fits (granted meanwhile…) drops out here
            self.model.stage(change.kind, [(change.service, change.subject)])
        gone = len(keep or []) - len(self.model.pending)
        if gone > 0:
            self.notify(ngettext(
                "{n} staged change no longer differs from the server's rights and was dropped.",
                "{n} staged changes no longer differ from the server's rights and were dropped.",
                gone).format(n=gone), title=_("Reloaded"), markup=False)
        title = _("Client {client}: {services} services, {subjects} subjects, {rights} rights").format(
            client=self.client_id, services=len(data.services), subjects=len(self.model.subjects),
            rights=len(data.rights))
        on_endpoints = sum(len(endpoints) for endpoints in data.endpoint_rights.values())
        if on_endpoints:
            title += ngettext(" and {n} on single endpoints", " and {n} on single endpoints",
                              on_endpoints).format(n=on_endpoints)
        self.query_one("#access-title", Static).update(title)
        self.matrix.set_model(self.model)
        for view in self.views:
            view.model = self.model
        self._refresh_views()
        self.staged()

    def _refresh_views(self) -> None:
        """The list view on show follows the model now; a hidden one when it is shown (a
        table of 500 services is not rebuilt on every keystroke in the matrix)."""
        active = self.query_one(TabbedContent).active
        for view in self.views:
            view.stale = True
            if view.parent is not None and view.parent.id == active:
                view.refresh_view()

    def staged(self) -> None:
        """The change set changed: the status line and the other views follow."""
        pending = self.query_one("#access-pending", Static)
        text = pending_summary(self.model)
        if self.model.pending:
            text += " — " + _("p previews and applies, x drops them")
        pending.update(text, layout=False)  # one line, always: no layout pass per keystroke
        pending.set_class(bool(self.model.pending), "-pending")
        self.refresh_bindings()

    @on(AccessMatrix.Staged)
    def _matrix_staged(self, event: AccessMatrix.Staged) -> None:
        self._refresh_views()
        self.staged()
        self._cursor_moved()

    @on(RightsView.Staged)
    def _view_staged(self) -> None:
        self.matrix.data_changed()
        self._refresh_views()
        self.staged()

    @on(AccessMatrix.PreviewAsked)
    def _preview_asked(self) -> None:
        self.action_preview()

    @on(AccessMatrix.CursorMoved)
    def _cursor_moved(self) -> None:
        cell = self.query_one("#matrix-cell", Static)
        current = self.model.current
        if current is None:
            cell.update(_("Nothing matches the filter.") if self.model.filter_text
                        else _("No services or no subjects yet; + adds a subject."), layout=False)
            return
        width = cell.content_size.width or DETAIL_WIDTH  # not laid out yet: the widest
        cell.update(cell_detail(self.model, *current, width),
                    layout=False)  # a fixed two lines: no layout pass

    # -- the views --------------------------------------------------------------------------

    def action_view(self, view: str) -> None:
        tab = VIEWS.get(view, VIEWS["service"])
        self.query_one(TabbedContent).active = tab
        self._focus_view(tab)

    def _focus_view(self, tab: str) -> None:
        """Focus the view's main widget (focusing inside a pane also makes it the active one)."""
        if tab == VIEWS["matrix"]:
            self.matrix.focus()
        else:
            self.query_one("#by-service" if tab == VIEWS["service"] else "#by-subject",
                           RightsView).left.focus()

    @on(TabbedContent.TabActivated)
    def _tab(self) -> None:
        for view in self.views:
            if view.stale and view.parent is not None and \
                    view.parent.id == self.query_one(TabbedContent).active:
                view.refresh_view()
        self.refresh_bindings()

    def action_filter(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == VIEWS["matrix"]:
            self.query_one("#matrix-filter", Input).focus()
        else:
            self.query_one("#by-service" if active == VIEWS["service"] else "#by-subject",
                           RightsView).focus_filter()

    @on(Input.Changed, "#matrix-filter")
    def _matrix_filter(self, event: Input.Changed) -> None:
        self.matrix.set_filter(event.value)

    @on(Input.Submitted, "#matrix-filter")
    def _matrix_filter_done(self) -> None:
        self.matrix.focus()

    def on_key(self, event: events.Key) -> None:
        if not explain_disabled_key(self, event):
            self.leaving_key(event)

    # -- navigation -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("drop_changes",):
            return bool(self.model.pending) or None
        if action == "add_subject":
            return None if write_reason(self) else True
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action == "drop_changes" and not self.model.pending:
            return _("no changes are staged")
        if action == "add_subject":
            return write_reason(self)
        return super().disabled_reason(action)

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.unless_staged(_("Reloading"), self.load)

    def action_local_groups(self) -> None:
        from screens.access.local_groups import LocalGroupsScreen

        self._reload_on_resume = True
        self.app.push_screen(LocalGroupsScreen(self.client_id))

    def on_screen_resume(self) -> None:
        if self._reload_on_resume:  # local groups may have changed (a deleted group's rights)
            self._reload_on_resume = False
            self.load(keep=self.model.changes())  # the staged changes that still fit stay

    def action_back(self) -> None:
        self.unless_staged(_("Leaving the access rights"), self._leave)

    def _leave(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            show = getattr(self.app, "show_dashboard", None)
            if callable(show):
                show()

