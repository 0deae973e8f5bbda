"""``Section``: one dashboard card with a summary, an optional small table and its own error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color, ColorParseError
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

# a cell's level → the theme variable that colours it (the words in the cell carry the meaning too)
LEVEL_VARIABLES = {"ok": "text-success", "warning": "text-warning", "error": "text-error"}


class Section(Vertical):
    """A bordered card; ``show_error`` replaces its content with the error, for this card only."""

    DEFAULT_CSS = """
    Section {
        height: auto;
        border: round $primary 50%;
        border-title-color: $text-primary;
        border-title-style: bold;
        padding: 0 1;
    }
    Section.-error { border: round $error; }
    Section > .section-summary { height: auto; }
    Section > .section-summary.-blank { display: none; }
    Section > .section-message { display: none; height: auto; color: $text-error; }
    Section.-error > .section-message { display: block; }
    Section.-error > .section-summary, Section.-error > DataTable { display: none; }
    Section > DataTable { height: auto; max-height: 12; }
    Section.-with-summary > DataTable { margin-top: 1; }
    Section > DataTable.-empty { display: none; }
    """

    def __init__(self, title: str, *, columns: Sequence[str] = (), id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self.columns = tuple(columns)
        self.summary: Content = Content("")
        self.error_title: str | None = None
        self.error_message: str | None = None
        self.rows: list[tuple[str, ...]] = []
        self._cells: list[tuple[tuple[str, str], ...]] = []

    def compose(self) -> ComposeResult:
        yield Static("", classes="section-summary")
        yield Static("", classes="section-message", markup=False)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._recolour, init=False)

    @property
    def table(self) -> DataTable[Text]:
        """The section's table, made when it first has rows (first paint stays light)."""
        tables = self.query(DataTable)
        if tables:
            return tables.first()
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True,
                                           classes="-empty")
        self.mount(table)
        table.add_columns(*self.columns)
        return table

    def show_summary(self, summary: Content | str) -> None:
        self.summary = summary if isinstance(summary, Content) else Content(summary)
        self.error_title = self.error_message = None
        self.remove_class("-error")
        summary_widget = self.query_one(".section-summary", Static)
        summary_widget.update(self.summary)
        summary_widget.set_class(not self.summary.plain, "-blank")
        self.set_class(bool(self.summary.plain), "-with-summary")

    def show_rows(self, cells: Iterable[tuple[tuple[str, str], ...]]) -> None:
        """Fill the table; each cell is (text, level) with level "", "ok", "warning" or "error"."""
        self._cells = list(cells)
        self.rows = [tuple(text for text, _level in row) for row in self._cells]
        self._fill()

    def _fill(self) -> None:
        table = self.table
        table.clear()
        for row in self._cells:
            table.add_row(*(self._cell(text, level) for text, level in row))
        table.set_class(not self._cells, "-empty")

    def _cell(self, text: str, level: str) -> Text:
        variable = LEVEL_VARIABLES.get(level)
        if variable is None:
            return Text(text)
        try:
            colour = Color.parse(self.app.theme_variables.get(variable, "")).rich_color
        except ColorParseError:
            colour = None
        return Text(text, style=Style(color=colour, bold=level == "error"))

    def _recolour(self) -> None:
        if self.columns and self._cells:
            self._fill()

    def show_waiting(self, note: str) -> None:
        """Nothing to show yet: one line saying what the section waits for."""
        self.show_summary(Content.styled(note, "italic $text-muted"))

    def show_error(self, title: str, message: str) -> None:
        self.error_title, self.error_message = title, message
        self.add_class("-error")
        self.query_one(".section-message", Static).update(f"{title}: {message}")

    @property
    def summary_text(self) -> str:
        return self.summary.plain

    @property
    def message_text(self) -> str:
        return f"{self.error_title}: {self.error_message}" if self.error_title else ""
