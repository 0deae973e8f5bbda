"""Searching the records and exporting the result: the records part of ``ArchivesScreen``.

A search without a filter is counted at once (the files keep their counts); any other is counted on
a worker thread, which also reads the first page, so that the first matching line comes with the
count. The filter bar's words are in ``screens.archives.filters``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widgets import Input, Static

from backend.archive.evidence import export_csv
from backend.archive.search import ArchiveSearch, RecordFilter
from backend.i18n import _, ngettext
from screens.archives.export import ExportDirectoryDialog, audit
from screens.archives.files_view import FilesPane
from screens.archives.filters import FilterError, describe, parse_filter
from screens.archives.format import count_text
from screens.base import describe_exception

if TYPE_CHECKING:
    from backend.errors import KapkaError
    from screens.archives.records_view import RecordsView
    from screens.archives.session import ArchiveSession
    from screens.archives.source import RecordSource


class Counted(Message):
    """The count (and first page) of search ``generation`` is in the source."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class RecordsSearch:
    """Mixed into ``ArchivesScreen`` (which has ``session``, ``source``, ``records`` and ``_problem``)."""

    session: ArchiveSession
    source: RecordSource
    records: RecordsView
    exported: Path | None
    _problem: KapkaError | None
    app: Any
    query_one: Any
    post_message: Any
    notify: Any
    action_tab: Any

    def _search(self, flt: RecordFilter, search: ArchiveSearch | None = None) -> None:
        source = self.source
        generation = source.reset(flt, search)
        if flt.is_empty:  # the files keep their counts: instant
            source.compute_count(generation)
            self._counted()
        else:
            self._set_count(_("Searching…"))
            self._count_worker(generation)

    @work(thread=True, exclusive=True, group="archives-count", exit_on_error=False)
    def _count_worker(self, generation: int) -> None:
        """Count, and read the first page with it: one trip to the thread before the first line."""
        count = self.source.compute_count(generation)
        if count is not None:
            if count:
                self.source.fetch(0, generation)
            self.post_message(Counted(generation))

    def on_counted(self, event: Counted) -> None:  # (``@on`` is not seen in a plain mixin)
        if event.generation == self.source.generation:
            self._counted()

    def _counted(self) -> None:
        self.records.data_changed()
        self._set_count(self._count_text())

    def _count_text(self) -> str:
        source = self.source
        if source.search is None:
            return _("Indexing…") if self._problem is None else ""
        total = self.session.total_records() or source.count
        if source.filter.is_empty:
            text = ngettext("{n} record", "{n} records", source.count).format(n=count_text(source.count))
        else:
            text = _("{n} of {total} records match").format(n=count_text(source.count),
                                                             total=count_text(total))
        if source.count:
            text += "  " + _("(enter opens a record)")
        return text

    def _set_count(self, text: str | Text, *, problem: bool = False) -> None:
        count = self.query_one("#records-count", Static)
        count.update(text)
        count.set_class(problem, "-problem")

    def _file_ids(self) -> dict[str, int]:
        return {info.name: info.id for info in self.session.files}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "records-filter":
            return
        event.stop()
        try:
            flt = parse_filter(event.value, self._file_ids())
        except FilterError as error:
            self._set_count(error.message, problem=True)
            return
        self.apply_filter(flt)
        self.records.focus()

    def apply_filter(self, flt: RecordFilter) -> None:
        if self.source.search is None:
            self._set_count(_("The index is not ready yet."), problem=True)
            return
        self._search(flt)

    def on_files_pane_chosen(self, event: FilesPane.Chosen) -> None:
        flt = RecordFilter(file_id=event.info.id)
        self.query_one("#records-filter", Input).value = describe(flt, {event.info.id: event.info.name})
        self.action_tab("records")
        self.apply_filter(flt)

    def action_export_csv(self) -> None:
        source = self.source
        if source.search is None or not source.count:
            self.notify(_("There are no records to export."), title=_("Nothing to export"),
                        severity="warning")
            return

        def chosen(directory: Path | None) -> None:
            if directory is not None:
                self.session.last_export_dir = directory
                self.save_csv(source.filter, directory)

        self.app.push_screen(ExportDirectoryDialog(
            _("Export the search result as CSV"),
            ngettext("Saves {n} record of the current search (time, direction, query id, client, service, "
                     "kind, size, archive) as a CSV file.",
                     "Saves {n} records of the current search (time, direction, query id, client, service, "
                     "kind, size, archive) as a CSV file.", source.count).format(n=count_text(source.count)),
            directory=self.session.last_export_dir), chosen)

    @work(thread=True, group="archives-export", exit_on_error=False)
    def save_csv(self, flt: RecordFilter, directory: Path) -> None:
        try:
            with ArchiveSearch(self.session.index_path, self.session.archive_dir) as search:
                path, count = export_csv(search, flt, directory)
        except Exception as error:
            title, message = describe_exception(error)
            self.app.notify(message, title=title, severity="error", markup=False)
            return
        self.app.call_from_thread(self._csv_saved, flt, path, count)

    def _csv_saved(self, flt: RecordFilter, path: Path, count: int) -> None:
        self.exported = path
        audit(self.app, "archive.records_exported", _("Exported {n} message-log records to {path}").format(
            n=count, path=path), filter=describe(flt), path=str(path), records=count)
        self.notify(ngettext("Saved {n} record to {path}.", "Saved {n} records to {path}.", count).format(
            n=count_text(count), path=path), title=_("CSV exported"), markup=False)

