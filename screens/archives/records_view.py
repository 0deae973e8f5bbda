"""``RecordsView``: the records of a search drawn line by line (Line API), only the lines in view.

A ``DataTable`` keeps and measures every row; this view's virtual height is the number of matches
and each repaint asks ``RecordSource`` for the lines on screen. A line whose page is not loaded yet
is drawn as a dim placeholder and filled in when the reader thread brings the page. The first line
is a fixed header. Keys: arrows, PgUp/PgDn, Home/End, enter opens the record under the cursor.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from backend.archive.search import RecordLine
from backend.i18n import _
from screens.archives.format import clip, clip_middle, clip_path, short_size_text, time_text
from screens.archives.source import PAGE_SIZE, RecordSource

HEADER_LINES = 1
TIME, DIRECTION, KIND, SIZE = 19, 3, 4, 7
# below WIDE cells, for room for the identifiers: the time without seconds, sizes as 5.3K
SHORT_TIME, SHORT_SIZE = 16, 5
WIDE = 100
GAPS = 6  # one cell between each two of the seven columns
# The flexible space goes to the query id first: the identifier an operator looks for. At 80 columns
# the three get their least useful widths (a query id's start and end, a subsystem code, a service
# code); the query id then takes two cells of every three until a UUID fits whole, and grows again
# only once the client and service have had 40 cells more.
QUERY_LEAST, CLIENT_LEAST, SERVICE_LEAST = 20, 11, 13
UUID = 36
QUERY_WAITS = 40
MIN_FLEX = 6  # narrower than 80 columns the three shrink together, none below this


def time_width(width: int) -> int:
    return TIME if width >= WIDE else SHORT_TIME


def size_width(width: int) -> int:
    return SIZE if width >= WIDE else SHORT_SIZE


def column_widths(width: int) -> tuple[int, int, int]:
    """Widths of query id, client and service in a line ``width`` cells wide (they take what the
    time, direction, kind and size columns leave)."""
    flexible = width - (time_width(width) + DIRECTION + KIND + size_width(width) + GAPS)
    least = QUERY_LEAST + CLIENT_LEAST + SERVICE_LEAST
    if flexible < least:
        query = max(MIN_FLEX, flexible * QUERY_LEAST // least)
        client = max(MIN_FLEX, flexible * CLIENT_LEAST // least)
        return query, client, max(MIN_FLEX, flexible - query - client)
    extra = flexible - least
    to_uuid = UUID - QUERY_LEAST
    query = QUERY_LEAST + min(extra * 2 // 3, to_uuid) + max(extra - to_uuid * 3 // 2 - QUERY_WAITS, 0) // 3
    rest = flexible - query
    client = CLIENT_LEAST + (rest - CLIENT_LEAST - SERVICE_LEAST) // 2
    return query, client, rest - client


def _right(text: str, width: int) -> str:
    cells = cell_len(text)
    return " " * (width - cells) + text if cells <= width else clip(text, width)


def line_text(line: RecordLine, width: int) -> str:
    query, client, service = column_widths(width)
    direction = _("res") if line.response else _("req")
    moment = time_text(line.time)[:time_width(width)]
    return " ".join((clip(moment, time_width(width)), clip(direction, DIRECTION),
                     clip_middle(line.query_id, query), clip_path(line.client or "—", client),
                     clip_path(line.service or "—", service), clip(line.kind.upper(), KIND),
                     _right(short_size_text(line.size, compact=width < WIDE), size_width(width))))


def header_text(width: int) -> str:
    query, client, service = column_widths(width)
    return " ".join((clip(_("time (UTC)"), time_width(width)), clip(_("dir"), DIRECTION),
                     clip(_("query id"), query), clip(_("client"), client), clip(_("service"), service),
                     clip(_("kind"), KIND), _right(_("size"), size_width(width))))


class RecordsView(ScrollView, can_focus=True):
    """The lines of ``source``; posts ``Chosen`` on enter and ``CursorMoved`` when the cursor moves."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"records-view--header", "records-view--cursor",
                                             "records-view--pending", "records-view--response"}

    DEFAULT_CSS = """
    RecordsView {
        width: 100%; height: 1fr; background: $surface; overflow-x: hidden; scrollbar-size-vertical: 1;
    }
    RecordsView > .records-view--header { background: $panel; text-style: bold; }
    RecordsView > .records-view--cursor { background: $primary 40%; }
    RecordsView:focus > .records-view--cursor { background: $accent; color: $text; text-style: bold; }
    RecordsView > .records-view--pending { color: $text-muted; }
    RecordsView > .records-view--response { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", _("Up"), show=False),
        Binding("down", "move(1)", _("Down"), show=False),
        Binding("pageup", "page(-1)", _("Page up"), show=False),
        Binding("pagedown", "page(1)", _("Page down"), show=False),
        Binding("home", "edge(0)", _("First record"), show=False),
        Binding("end", "edge(1)", _("Last record"), show=False),
        Binding("enter", "choose", _("Open"), id="archives.records.open",
                tooltip=_("The record under the cursor: message, verification, export")),
    ]

    class Chosen(Message):
        def __init__(self, line: RecordLine) -> None:
            super().__init__()
            self.line = line

    class CursorMoved(Message):
        def __init__(self, view: RecordsView) -> None:
            super().__init__()
            self.view = view

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RecordsView.CursorMoved)

    class PageLoaded(Message):
        def __init__(self, page: int, generation: int) -> None:
            super().__init__()
            self.page = page
            self.generation = generation

    def __init__(self, source: RecordSource | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source or RecordSource()
        self.cursor = 0
        self._styles: dict[str, Style] = {}
        self.renders = 0  # lines drawn (tests, benchmark)

    # -- data -----------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self.source.count

    def data_changed(self, *, keep_cursor: bool = False) -> None:
        """The source has another search or count: size, cursor and repaint."""
        if not keep_cursor:
            self.cursor = 0
            self.scroll_to(0, 0, animate=False, immediate=True)
        self.cursor = min(self.cursor, max(self.count - 1, 0))
        self._update_virtual_size()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, HEADER_LINES + self.count)

    def on_mount(self) -> None:
        self._update_virtual_size()

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._follow_cursor()

    @property
    def current(self) -> RecordLine | None:
        return self.source.get(self.cursor) if self.count else None

    @property
    def visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - HEADER_LINES, 1)

    # -- drawing --------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def _style(self, name: str | None = None) -> Style:
        key = name or ""
        style = self._styles.get(key)
        if style is None:
            style = self.rich_style
            if name:
                style = style + self.get_component_rich_style(f"records-view--{name}")
            self._styles[key] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        self.renders += 1
        if y < HEADER_LINES:
            return Strip([Segment(clip(" " + header_text(width - 1), width), self._style("header"))], width)
        index = int(self.scroll_y) + y - HEADER_LINES
        if index >= self.count:
            return Strip.blank(width, self.rich_style)
        line = self.source.get(index)
        if line is None:
            line = self._load(index)
        if line is None:
            return Strip([Segment(clip("  …", width), self._style("pending"))], width)
        style = self._style("cursor" if index == self.cursor else ("response" if line.response else None))
        return Strip([Segment(clip(" " + line_text(line, width - 1), width), style)], width)

    def _load(self, index: int) -> RecordLine | None:
        """Line ``index`` fetched now when pages are cheap, else asked of the reader (None meanwhile)."""
        page = index // PAGE_SIZE
        if self.source.fetch_now(page):
            return self.source.get(index)
        if self.source.request(page):
            self.call_later(self._read_pages)
        return None

    def _read_pages(self) -> None:
        self._reader()

    @work(thread=True, group="record-pages", exit_on_error=False)
    def _reader(self) -> None:
        """Fetch requested pages until none is left (newest request first)."""
        while (request := self.source.next_request()) is not None:
            page, generation = request
            if self.source.fetch(page, generation):
                self.post_message(self.PageLoaded(page, generation))

    def on_records_view_page_loaded(self, event: RecordsView.PageLoaded) -> None:
        event.stop()
        if event.generation == self.source.generation:
            first = event.page * PAGE_SIZE - int(self.scroll_y) + HEADER_LINES
            if first < self.size.height and first + PAGE_SIZE > 0:
                self.refresh()
            if event.page == self.cursor // PAGE_SIZE:
                self.post_message(self.CursorMoved(self))

    # -- the cursor -----------------------------------------------------------------------------

    def _follow_cursor(self) -> None:
        rows = self.visible_rows
        y = int(self.scroll_y)
        if self.cursor < y:
            y = self.cursor
        elif self.cursor >= y + rows:
            y = self.cursor - rows + 1
        if y != int(self.scroll_y):
            self.scroll_to(0, y, animate=False, immediate=True)

    def move_to(self, index: int) -> None:
        if not self.count:
            return
        index = max(0, min(index, self.count - 1))
        if index != self.cursor:
            previous, self.cursor = self.cursor, index
            top = int(self.scroll_y)
            self._follow_cursor()
            if int(self.scroll_y) == top:  # only the two lines changed
                for row in (previous, index):
                    self.refresh_line(row + HEADER_LINES)
            self.post_message(self.CursorMoved(self))

    def action_move(self, rows: int) -> None:
        self.move_to(self.cursor + rows)

    def action_page(self, direction: int) -> None:
        rows = self.visible_rows
        target = self.cursor + direction * rows
        self.scroll_to(0, max(0, int(self.scroll_y) + direction * rows), animate=False, immediate=True)
        self.move_to(target)
        self.refresh()

    def action_edge(self, end: int) -> None:
        self.move_to(self.count - 1 if end else 0)

    def action_choose(self) -> None:
        line = self.current
        if line is not None:
            self.post_message(self.Chosen(line))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER_LINES:
            return
        index = int(self.scroll_y) + offset.y - HEADER_LINES
        if index < self.count:
            self.move_to(index)
            if event.chain >= 2:
                self.action_choose()
