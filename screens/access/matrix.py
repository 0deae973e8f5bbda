"""``AccessMatrix``: services × subjects, drawn line by line (Line API), only what is in view.

A ``DataTable`` would measure and keep every one of 150,000 cells; this widget asks the model
(``matrix_model.MatrixModel``) for the rows and columns on screen at each repaint. The subject
header (top line) and the service column (left) stay in place while the cells scroll.

Marks read without colour: ✓ a right, ◐ rights on some REST endpoints of the service only, · none,
+ a grant pending, ✗ a revocation pending; the cursor's cell is drawn in brackets ``[✓]``.
Staging is service-level: space on a ◐ cell stages a grant of the whole service, and ``r`` finds
nothing to revoke there (it says so); rights on single endpoints stay as they are.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from backend.i18n import N_, _
from screens.access.common import ACL_PERMISSIONS, permissions
from screens.access.endpoint_rights import endpoint_only_message
from screens.access.matrix_model import GRANT, REVOKE, CellState, MatrixModel
from screens.base import is_read_only

MARKS: dict[CellState, str] = {"granted": "✓", "partial": "◐", "none": "·", "pending-grant": "+",
                               "pending-revoke": "✗"}
COLUMN_WIDTH = 9
HEADER_LINES = 2  # the subject header: its owner or kind, then its code
ROW_HEADER_MIN, ROW_HEADER_MAX = 14, 36

#: the matrix's actions that stage changes (refused in read-only mode)
STAGING_ACTIONS = frozenset({"toggle", "grant", "revoke"})


def clip(text: str, width: int) -> str:
    """``text`` in exactly ``width`` cells: padded, or cut with an ellipsis."""
    if len(text) <= width:
        return text.ljust(width)
    return text[: max(width - 1, 0)] + "…" if width > 0 else ""


class AccessMatrix(ScrollView, can_focus=True):
    """The matrix; posts ``CursorMoved`` when the cursor moves and ``Staged`` on every change."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "access-matrix--header", "access-matrix--row-header", "access-matrix--crosshair",
        "access-matrix--cursor", "access-matrix--selected", "access-matrix--granted",
        "access-matrix--none", "access-matrix--pending-grant", "access-matrix--pending-revoke",
        "access-matrix--partial",
    }

    DEFAULT_CSS = """
    AccessMatrix { height: 1fr; background: $surface; }
    AccessMatrix > .access-matrix--header { background: $panel; text-style: bold; }
    AccessMatrix > .access-matrix--row-header { color: $text; }
    AccessMatrix > .access-matrix--crosshair { background: $primary 25%; text-style: bold; }
    AccessMatrix > .access-matrix--cursor { background: $accent; color: $text; text-style: bold; }
    AccessMatrix > .access-matrix--selected { background: $accent 35%; }
    AccessMatrix > .access-matrix--granted { color: $text-success; text-style: bold; }
    AccessMatrix > .access-matrix--partial { color: $text-primary; text-style: bold; }
    AccessMatrix > .access-matrix--none { color: $text-muted; }
    AccessMatrix > .access-matrix--pending-grant { color: $text-warning; text-style: bold; }
    AccessMatrix > .access-matrix--pending-revoke { color: $text-error; text-style: bold; }
    """

    HELP_SCOPE = N_("Access matrix")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", _("Up"), show=False),
        Binding("down", "move(1, 0)", _("Down"), show=False),
        Binding("left", "move(0, -1)", _("Left"), show=False),
        Binding("right", "move(0, 1)", _("Right"), show=False),
        Binding("shift+up", "extend(-1, 0)", _("Select up"), show=False),
        Binding("shift+down", "extend(1, 0)", _("Select down"), show=False),
        Binding("shift+left", "extend(0, -1)", _("Select left"), show=False),
        Binding("shift+right", "extend(0, 1)", _("Select right"), show=False),
        Binding("pageup", "page(-1)", _("Page up"), show=False),
        Binding("pagedown", "page(1)", _("Page down"), show=False),
        Binding("home", "edge('top')", _("First service"), show=False),
        Binding("end", "edge('bottom')", _("Last service"), show=False),
        Binding("ctrl+left", "edge('left')", _("First subject"), show=False),
        Binding("ctrl+right", "edge('right')", _("Last subject"), show=False),
        Binding("space", "toggle", _("Toggle"), id="access.matrix.toggle",
                tooltip=_("Stage a grant (or a revocation) of the cell's service-level right; "
                          "again to drop it. Rights on single endpoints stay")),
        Binding("v", "select", _("Select"), show=False, id="access.matrix.select",
                tooltip=_("Start (or drop) a selection; move to extend it")),
        Binding("g", "grant", _("Grant"), id="access.matrix.grant",
                tooltip=_("Stage grants for the selection")),
        Binding("r", "revoke", _("Revoke"), id="access.matrix.revoke",
                tooltip=_("Stage revocations for the selection")),
        Binding("enter", "preview", _("Preview"), show=False, id="access.matrix.preview",
                tooltip=_("The staged changes, and applying them")),
        Binding("escape", "unselect", _("Drop selection"), show=False),
    ]

    class CursorMoved(Message):
        """The cursor is on another cell (or the data changed under it)."""

        def __init__(self, matrix: AccessMatrix) -> None:
            super().__init__()
            self.matrix = matrix

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, AccessMatrix.CursorMoved)

    class PreviewAsked(Message):
        """Enter: the operator wants to see the staged changes."""

    class Staged(Message):
        """The change set changed."""

        def __init__(self, matrix: AccessMatrix, changed: int) -> None:
            super().__init__()
            self.matrix = matrix
            self.changed = changed

    def __init__(self, model: MatrixModel | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model or MatrixModel([], [], [])
        self._component_styles: dict[str, Style] = {}
        self._longest: tuple[MatrixModel, int] | None = None  # the model's longest service code
        self.renders = 0  # lines drawn (for tests and the benchmark)

    # -- the model ------------------------------------------------------------------------------

    def set_model(self, model: MatrixModel) -> None:
        self.model = model
        self.data_changed()

    def data_changed(self) -> None:
        """The model's rows, columns or cells changed: size, scroll and repaint."""
        self._update_virtual_size()
        self._follow_cursor()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def set_filter(self, text: str) -> None:
        self.model.set_filter(text)
        self.data_changed()

    @property
    def row_header_width(self) -> int:
        if self._longest is None or self._longest[0] is not self.model:
            self._longest = (self.model, max((len(row.code) for row in self.model.services),
                                             default=0))
        wanted = max(ROW_HEADER_MIN, min(self._longest[1] + 2, ROW_HEADER_MAX))
        return min(wanted, max(self.scrollable_content_region.width // 2, 8))

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.row_header_width + self.model.col_count * COLUMN_WIDTH,
                                 HEADER_LINES + self.model.row_count)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._follow_cursor()

    def notify_style_update(self) -> None:
        self._component_styles.clear()
        super().notify_style_update()

    def _style(self, *names: str) -> Style:
        """The widget's style with these component styles on top (cached until restyled)."""
        key = " ".join(names)
        style = self._component_styles.get(key)
        if style is None:
            style = self.rich_style
            for name in names:
                style = style + self.get_component_rich_style(f"access-matrix--{name}")
            self._component_styles[key] = style
        return style

    # -- drawing --------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        self.renders += 1
        if y < HEADER_LINES:
            return self._header_line(y, scroll_x, width)
        row = scroll_y + y - HEADER_LINES
        if row >= self.model.row_count:
            return Strip.blank(width, self.rich_style)
        return self._row_line(row, scroll_x, width)

    def _cells(self, scroll_x: int, width: int, cell: Any) -> Strip:
        """The cell part of a line: the columns in view, cut to the pixels in view."""
        cells_width = max(width - self.row_header_width, 0)
        if cells_width == 0 or not self.model.col_count:
            return Strip.blank(cells_width, self.rich_style)
        first = scroll_x // COLUMN_WIDTH
        last = min((scroll_x + cells_width - 1) // COLUMN_WIDTH, self.model.col_count - 1)
        segments = [cell(col) for col in range(first, last + 1)]
        strip = Strip(segments, (last - first + 1) * COLUMN_WIDTH)
        start = scroll_x - first * COLUMN_WIDTH
        return strip.crop_extend(start, start + cells_width, self.rich_style)

    def _header_line(self, line: int, scroll_x: int, width: int) -> Strip:
        """Header line 0: a subsystem's member code (or "global"/"local"); 1: its code."""
        model = self.model
        header = self._style("header")
        crosshair = self._style("header", "crosshair")
        title = _("service \\ subject") if line == HEADER_LINES - 1 else ""
        left = Strip([Segment(clip(" " + title, self.row_header_width - 1) + " ", header)],
                     self.row_header_width)

        def cell(col: int) -> Segment:
            text = model.subject_at(col).header[line]
            label = clip(text, COLUMN_WIDTH - 1).strip().center(COLUMN_WIDTH - 1) + " "
            return Segment(label, crosshair if col == model.col else header)

        return Strip.join([left, self._cells(scroll_x, width, cell)]).crop(0, width)

    def _row_line(self, row: int, scroll_x: int, width: int) -> Strip:
        model = self.model
        service = model.service_at(row)
        on_row = row == model.row
        head_style = self._style("row-header", "crosshair") if on_row else self._style("row-header")
        left = Strip([Segment(clip(" " + service.code, self.row_header_width), head_style)],
                     self.row_header_width)
        pad = (COLUMN_WIDTH - 3) // 2
        tail = COLUMN_WIDTH - 3 - pad

        def cell(col: int) -> Segment:
            state = model.state(service.key, model.subject_at(col).id)
            if on_row and col == model.col:
                return Segment(" " * pad + "[" + MARKS[state] + "]" + " " * tail,
                               self._style(state, "cursor"))
            selected = model.anchor is not None and model.is_selected(row, col)
            return Segment(" " * (pad + 1) + MARKS[state] + " " * (tail + 1),
                           self._style(state, "selected") if selected else self._style(state))

        return Strip.join([left, self._cells(scroll_x, width, cell)]).crop(0, width)

    # -- following the cursor -------------------------------------------------------------------

    def _view(self) -> tuple[int, int]:
        """(rows, columns) of cells that fit."""
        region = self.scrollable_content_region
        rows = max(region.height - HEADER_LINES, 1)
        cols = max((region.width - self.row_header_width) // COLUMN_WIDTH, 1)
        return rows, cols

    def _follow_cursor(self) -> bool:
        """Scroll so that the cursor's cell is in view; True when it scrolled."""
        rows, cols = self._view()
        model = self.model
        y = int(self.scroll_y)
        if model.row < y:
            y = model.row
        elif model.row >= y + rows:
            y = model.row - rows + 1
        x = int(self.scroll_x)  # whole columns, so that headers and cells line up
        if model.col * COLUMN_WIDTH < x:
            x = model.col * COLUMN_WIDTH
        elif model.col >= x // COLUMN_WIDTH + cols:
            x = (model.col - cols + 1) * COLUMN_WIDTH
        if (x, y) != (int(self.scroll_x), int(self.scroll_y)):
            self.scroll_to(x, y, animate=False, immediate=True)
            return True
        return False

    def _moved(self, was: tuple[int, int] | None = None, selected: bool = False) -> None:
        """After a cursor move from ``was``: repaint the header and the two rows when nothing
        scrolled and no selection changed, else everything in view."""
        scrolled = self._follow_cursor()
        if was is None or scrolled or selected or self.model.anchor is not None:
            self.refresh()
        else:
            width = self.size.width
            top = int(self.scroll_y) - HEADER_LINES
            self.refresh(Region(0, 0, width, HEADER_LINES),
                         *(Region(0, row - top, width, 1) for row in {was[0], self.model.row}))
        self.post_message(self.CursorMoved(self))

    # -- actions --------------------------------------------------------------------------------

    def action_move(self, rows: int, cols: int) -> None:
        was, selected = (self.model.row, self.model.col), self.model.anchor is not None
        self.model.move(rows, cols)
        self._moved(was, selected)

    def action_extend(self, rows: int, cols: int) -> None:
        self.model.move(rows, cols, extend=True)
        self._moved()

    def action_page(self, direction: int) -> None:
        rows, _cols = self._view()
        self.model.move(direction * rows, 0, extend=False)
        self._moved()

    def action_edge(self, where: str) -> None:
        model = self.model
        row, col = model.row, model.col
        if where == "top":
            row = 0
        elif where == "bottom":
            row = model.row_count - 1
        elif where == "left":
            col = 0
        else:
            col = model.col_count - 1
        model.move_to(row, col)
        self._moved()

    def action_select(self) -> None:
        self.model.start_selection()
        self.refresh()

    def action_unselect(self) -> None:
        self.model.clear_selection()
        self.refresh()

    def action_toggle(self) -> None:
        current = self.model.current
        if current is None:
            return
        self.model.toggle((current[0].key, current[1].id))
        self.refresh()
        self.post_message(self.Staged(self, 1))

    def action_preview(self) -> None:
        self.post_message(self.PreviewAsked())

    def action_grant(self) -> None:
        self._stage(GRANT)

    def action_revoke(self) -> None:
        self._stage(REVOKE)

    def _stage(self, kind: str) -> None:
        model = self.model
        untouched = len([cell for cell in model.endpoint_only(model.selected_cells())
                         if cell not in model.pending]) if kind == REVOKE else 0
        changed = model.stage_selection(GRANT if kind == GRANT else REVOKE)
        self.refresh()
        self.post_message(self.Staged(self, changed))
        if untouched:
            self.notify(endpoint_only_message(untouched), title=_("Endpoint rights stay"),
                        markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in STAGING_ACTIONS and self.disabled_reason(action):
            return None
        if action == "unselect":  # escape goes on to the screen when nothing is selected
            return self.model.anchor is not None
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why a change cannot be staged: read-only mode, or an API key without the role."""
        if action not in STAGING_ACTIONS:
            return None
        if is_read_only(self):
            return _("read-only mode: access rights are shown, not changed")
        held = permissions(self)
        if held is not None and not held & ACL_PERMISSIONS:
            return _("this API key lacks the service administrator role")
        return None

    # -- the mouse ------------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER_LINES or offset.x < self.row_header_width:
            return
        row = int(self.scroll_y) + offset.y - HEADER_LINES
        col = (int(self.scroll_x) + offset.x - self.row_header_width) // COLUMN_WIDTH
        if row < self.model.row_count and col < self.model.col_count:
            self.model.move_to(row, col, extend=event.shift)
            self._moved()
