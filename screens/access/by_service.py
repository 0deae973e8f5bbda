"""The service-based view: the client's services, and who may call the highlighted one.

Grants and revocations made here are staged in the same change set as the matrix's; the screen
previews and applies them together. They are service-level; rights on single REST endpoints are
listed (◐ when a subject has only those) and stay as they are.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from backend.i18n import _, ngettext
from screens.access.common import write_reason
from screens.access.endpoint_rights import endpoint_list, endpoint_only_message
from screens.access.matrix_model import (
    GRANT,
    REVOKE,
    CellState,
    MatrixModel,
    kind_word,
    parse_filter,
)

#: how wide the endpoints of a right are listed in the views
ENDPOINTS_WIDTH = 40


def state_word(state: CellState) -> str:
    return {"granted": _("✓ right"), "partial": _("◐ endpoints"), "pending-grant": _("+ grant"),
            "pending-revoke": _("✗ revoke"), "none": _("· none")}[state]


def count_text(rights: int, partial: int, staged: bool) -> str:
    """A list's count: service-level rights, then those on some endpoints only (◐)."""
    return f"{rights}" + (f" + {partial} ◐" if partial else "") + (" *" if staged else "")


def endpoints_hint(states: list[CellState]) -> str:
    """What a ◐ in the right-hand list means, when there is one."""
    if "partial" not in states:
        return ""
    return " " + _("◐: rights on some endpoints only; they stay as they are (a rights file "
                   "changes them).")


class RightsView(Vertical):
    """What the two list views share: a filter, a left list, a right list, staging keys."""

    DEFAULT_CSS = """
    RightsView { height: 1fr; }
    RightsView Horizontal { height: 1fr; }
    RightsView DataTable { height: 1fr; width: 1fr; border: round $primary 40%; }
    RightsView DataTable:focus { border: round $accent; }
    RightsView .view-hint { color: $text-muted; height: auto; }
    """

    #: the view's actions that stage changes
    WRITE_ACTIONS = frozenset({"add", "remove", "undo"})

    class Staged(Message):
        """The view changed the change set."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = MatrixModel([], [], [])
        self.filter_text = ""
        self.stale = False  # the model changed while the view was hidden

    @property
    def left(self) -> DataTable[Any]:
        return self.query_one(".view-left", DataTable)

    @property
    def right(self) -> DataTable[Any]:
        return self.query_one(".view-right", DataTable)

    def compose_lists(self, left_title: str, right_title: str) -> ComposeResult:
        yield Input(placeholder=_("/ filter"), classes="view-filter", compact=True)
        with Horizontal():
            left: DataTable[Any] = DataTable(cursor_type="row", classes="view-left")
            left.border_title = left_title
            yield left
            right: DataTable[Any] = DataTable(cursor_type="row", classes="view-right")
            right.border_title = right_title
            yield right
        yield Static("", classes="view-hint", markup=False)

    def set_model(self, model: MatrixModel) -> None:
        self.model = model
        self.refresh_view()

    def refresh_view(self) -> None:
        """Fill both lists from the model (subclasses), keeping the highlighted rows."""
        self.stale = False
        self.fill_left()

    def fill_left(self) -> None:
        raise NotImplementedError

    def focus_filter(self) -> None:
        self.query_one(".view-filter", Input).focus()

    @on(Input.Changed, ".view-filter")
    def _filtered(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self.refresh_view()

    @on(Input.Submitted, ".view-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.left.focus()

    @on(DataTable.RowHighlighted, ".view-left")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.fill_right()

    def fill_right(self) -> None:
        raise NotImplementedError

    def _keep_cursor(self, table: DataTable[Any], key: str | None) -> None:
        if key is None:
            return
        try:
            table.move_cursor(row=table.get_row_index(key), animate=False)
        except Exception:  # the row is gone (filtered out): the cursor stays at the top
            return

    def selected_key(self, table: DataTable[Any]) -> str | None:
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.WRITE_ACTIONS and write_reason(self):
            return None
        return True

    def disabled_reason(self, action: str) -> str | None:
        return write_reason(self) if action in self.WRITE_ACTIONS else None

    def stage(self, kind: str, cells: list[tuple[str, str]]) -> None:
        if self.model.stage(GRANT if kind == GRANT else REVOKE, cells):
            self.refresh_view()
            self.post_message(self.Staged())
        elif kind == REVOKE and (untouched := self.model.endpoint_only(cells)):
            self.notify(endpoint_only_message(len(untouched)), title=_("Endpoint rights stay"),
                        markup=False)

    def undo(self, cell: tuple[str, str]) -> None:
        if self.model.pending.pop(cell, None) is not None:
            self.model.version += 1
            self.refresh_view()
            self.post_message(self.Staged())


class ByServiceView(RightsView):
    """Services on the left; the subjects with a right to the highlighted one on the right."""

    BINDINGS = [
        Binding("a", "add", _("Grant to…"), id="access.service.add",
                tooltip=_("Choose subjects to give access to this service")),
        Binding("d,delete", "remove", _("Revoke"), id="access.service.remove",
                tooltip=_("Stage the revocation of the highlighted subject's right")),
        Binding("u", "undo", _("Undo"), id="access.service.undo",
                tooltip=_("Drop the staged change of the highlighted subject")),
    ]

    def compose(self) -> ComposeResult:
        yield from self.compose_lists(_("Services"), _("Who may call it"))

    def on_mount(self) -> None:
        self.left.add_columns(_("Service"), _("Subjects"), _("Title"))
        self.right.add_columns(_("Right"), _("Subject"), _("Endpoints"), _("Kind"), _("Name"))

    @property
    def service(self) -> str | None:
        """The highlighted service's rights code (``ServiceRow.key``)."""
        code = self.selected_key(self.left)
        row = self.model.row_for(code) if code is not None else None
        return row.key if row is not None else None

    def fill_left(self) -> None:
        keep = self.selected_key(self.left)
        query, _subjects = parse_filter(self.filter_text)
        table = self.left
        table.clear()
        model = self.model
        pending_services = {service for service, _subject in model.pending}
        counts = Counter(service for service, _subject in model.rights)
        partial = Counter(service for service, _subject in model.endpoint_only(model.endpoint_rights))
        for row in model.services:
            if query and query not in row.search_text:
                continue
            table.add_row(row.code, count_text(counts[row.key], partial[row.key],
                                               row.key in pending_services), row.title, key=row.code)
        self._keep_cursor(table, keep)
        self.fill_right()

    def fill_right(self) -> None:
        table = self.right
        keep = self.selected_key(table)
        table.clear()
        service = self.service
        hint = self.query_one(".view-hint", Static)
        if service is None:
            hint.update(_("No service matches the filter.") if self.model.services
                        else _("This client has no services."))
            return
        subjects = self.model.subjects_of(service)
        for col, state in subjects:
            endpoints = endpoint_list(self.model.endpoints(service, col.id), ENDPOINTS_WIDTH)
            table.add_row(state_word(state), col.label, endpoints, kind_word(col.kind), col.name,
                          key=col.id)
        self._keep_cursor(table, keep)
        hint.update(ngettext(
            "{service}: {n} subject. a grants access to more, d revokes the highlighted one, "
            "u drops its staged change; * marks staged changes.",
            "{service}: {n} subjects. a grants access to more, d revokes the highlighted one, "
            "u drops its staged change; * marks staged changes.", len(subjects)).format(
            service=self.selected_key(self.left), n=len(subjects))
            + endpoints_hint([state for _col, state in subjects]))

    def action_add(self) -> None:
        service = self.service
        if service is None:
            return
        have = {col.id for col, state in self.model.subjects_of(service)
                if state not in ("none", "partial")}  # ◐: the whole service can still be granted
        self.post_message(PickSubjects(service, have))

    def action_remove(self) -> None:
        service, subject = self.service, self.selected_key(self.right)
        if service is not None and subject is not None:
            self.stage(REVOKE, [(service, subject)])

    def action_undo(self) -> None:
        service, subject = self.service, self.selected_key(self.right)
        if service is not None and subject is not None:
            self.undo((service, subject))


class PickSubjects(Message):
    """Choose subjects to grant ``service`` to (the screen opens the candidate search)."""

    def __init__(self, service: str, exclude: set[str]) -> None:
        super().__init__()
        self.service = service
        self.exclude = exclude
