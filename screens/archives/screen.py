"""``ArchivesScreen``: the message-log archives of this host — records, files, retention.

The archive directory comes from the app (``app.archive_settings``). On opening, the records of the
index as it is are shown at once (the index lives in the user's cache directory) while a worker
brings it up to date — only new and changed files are read — with a progress bar; a first index is
built the same way. Needs no server connection: the archives are files on this host.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.lazy import Lazy
from textual.message import Message
from textual.widgets import Input, ProgressBar, Static, TabbedContent, TabPane

from backend.archive.index import IndexProgress, UpdateSummary
from backend.archive.search import ArchiveSearch, RecordFilter
from backend.errors import KapkaError
from backend.i18n import _, ngettext
from screens.archives.files_view import FilesPane, retention_text
from screens.archives.filters import filter_help
from screens.archives.format import count_text
from screens.archives.records_view import RecordsView
from screens.archives.search_actions import RecordsSearch
from screens.archives.session import ArchiveSession
from screens.archives.source import RecordSource
from screens.base import KapkaScreen, describe_exception
from screens.widgets.error_panel import ErrorPanel

TABS = {"records": "tab-records", "files": "tab-files", "retention": "tab-retention"}


def _close_with(search: ArchiveSearch, lock: threading.Lock) -> None:
    with lock:
        search.close()


class ArchivesScreen(RecordsSearch, KapkaScreen):
    """Browse, search, verify and export the archives of ``settings.archive_dir``."""

    SCREEN_TITLE = _("Message-log archives")
    HELP = _("Kapka reads message-log archives and never deletes, moves or changes them: there is no "
             "delete action. Verification and exports only read. Exports and record views are written "
             "to the audit journal.")

    BINDINGS = [
        Binding("slash", "filter", _("Filter"), id="archives.filter",
                tooltip=_("Search by query id, client, service, member, time range and kind")),
        Binding("v", "verify(True)", _("Verify"), id="archives.verify",
                tooltip=_("Verify every layer of every archive, in the background")),
        Binding("V", "verify(False)", _("Verify links"), show=False, id="archives.verify_links",
                tooltip=_("Check only the linkinginfo chains and the links between files (fast)")),
        Binding("e", "export_csv", _("Export CSV"), id="archives.export_csv",
                tooltip=_("Save the records of the current search as CSV")),
        Binding("ctrl+r", "update_index", _("Update index"), id="archives.update",
                tooltip=_("Read new and changed archive files into the index")),
        Binding("1", "tab('records')", _("Records"), show=False, id="archives.records"),
        Binding("2", "tab('files')", _("Files"), show=False, id="archives.files"),
        Binding("3", "tab('retention')", _("Retention"), show=False, id="archives.retention"),
        Binding("escape", "back", _("Back"), id="archives.back"),
    ]

    DEFAULT_CSS = """
    ArchivesScreen #archives-body { height: 1fr; }
    ArchivesScreen #archives-where { height: auto; padding: 0 1; }
    ArchivesScreen #archives-indexing { height: auto; padding: 0 1; }
    ArchivesScreen #archives-indexing.-hidden { display: none; }
    ArchivesScreen #archives-warning { height: auto; padding: 0 1; color: $text-warning; text-style: bold; }
    ArchivesScreen #archives-warning.-hidden { display: none; }
    ArchivesScreen TabbedContent { height: 1fr; }
    ArchivesScreen TabPane { height: 1fr; padding: 0; }
    ArchivesScreen #records-filter { margin: 0 1; }
    ArchivesScreen #records-count { height: 1; padding: 0 1; color: $text-muted; }
    ArchivesScreen #records-count.-problem { color: $text-error; text-style: bold; }
    ArchivesScreen #retention-body { padding: 1 2; }
    """

    class Indexing(Message):
        def __init__(self, progress: IndexProgress) -> None:
            super().__init__()
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ArchivesScreen.Indexing)

    class Indexed(Message):
        def __init__(self, summary: UpdateSummary | None, error: tuple[str, str] | None = None) -> None:
            super().__init__()
            self.summary = summary
            self.error = error

    def __init__(self, settings: Any) -> None:
        super().__init__()
        self.session = ArchiveSession(settings)
        self.source = RecordSource()
        self.indexing = False
        self.indexed = 0  # finished index updates (tests)
        self._stop = threading.Event()
        self.exported: Path | None = None  # the last export (tests)
        self._problem: KapkaError | None = None

    def _prepare(self) -> None:
        """Before the widgets exist: the index as it is, its count and first page, so that the screen's
        first paint shows records (the update comes after)."""
        self._problem = self.session.problem()
        if self._problem is not None:
            return
        try:
            search = self.session.open_search()
        except Exception as error:  # an index that cannot be opened is rebuilt by the update
            self.log.warning(f"archive index not opened: {error!r}")
            search = None
        if search is not None:
            generation = self.source.reset(RecordFilter(), search)
            if self.source.compute_count(generation):
                self.source.fetch(0, generation)

    def compose(self) -> ComposeResult:
        self._prepare()
        yield from self.compose_header()
        with Vertical(id="archives-body"):
            yield ErrorPanel(id="archives-error")
            yield Static(str(self.session.archive_dir), id="archives-where", markup=False)
            with Vertical(id="archives-indexing", classes="-hidden"):
                yield ProgressBar(id="archives-progress", show_eta=False)
                yield Static("", id="archives-progress-text", markup=False)
            yield Static("", id="archives-warning", classes="-hidden", markup=False)
            with TabbedContent(initial=TABS["records"]):
                with TabPane(_("Records"), id=TABS["records"]):
                    yield Input(placeholder=_("/ filter: {keys}").format(keys=filter_help()),
                                id="records-filter", compact=True)
                    yield Static(self._count_text(), id="records-count", markup=False)
                    yield RecordsView(self.source, id="records")
                with TabPane(_("Files"), id=TABS["files"]):
                    yield Lazy(FilesPane(id="files"))  # mounted after the first paint
                retention = Lazy(VerticalScroll(id="retention-scroll"))
                with TabPane(_("Retention"), id=TABS["retention"]), retention:
                    yield Static(_("Indexing…"), id="retention-body")
        yield from self.compose_footer()

    @property
    def records(self) -> RecordsView:
        return self.query_one("#records", RecordsView)

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_open)  # the tabs' contents are mounted by then
        if self._problem is None:
            self.update_index()

    def _first_open(self) -> None:
        self.records.focus()
        if self._problem is not None:
            self.open()

    def open(self) -> None:
        """Show the index as it is, then bring it up to date (or report why the directory is unusable)."""
        panel = self.query_one(ErrorPanel)
        problem = self._problem = self.session.problem()
        if problem is not None:
            panel.show_error(problem)
            self._set_count(Text(_("No records: the archive directory cannot be read."), style="bold"))
            return
        panel.clear()
        try:
            search = self.session.open_search()
        except Exception as error:  # an index that cannot be opened is rebuilt by the update
            self.log.warning(f"archive index not opened: {error!r}")
            search = None
        if search is not None:
            self._search(RecordFilter(), search)
        self.update_index()

    # -- the index --------------------------------------------------------------------------

    def action_update_index(self) -> None:
        if not self.indexing and self.session.problem() is None:
            self.update_index()

    def update_index(self) -> None:
        self.indexing = True
        self.query_one("#archives-indexing").remove_class("-hidden")
        self.query_one("#archives-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#archives-progress-text", Static).update(
            _("Bringing the index up to date…") if self.session.index_existed else
            _("Building the index of {dir} (only once; later only new files are read)…").format(
                dir=self.session.archive_dir))
        self._update_worker()

    @work(thread=True, exclusive=True, group="archives-index", exit_on_error=False)
    def _update_worker(self) -> None:
        try:
            summary = self.session.update(lambda p: self.post_message(self.Indexing(p)), self._stop.is_set)
        except Exception as error:
            self.post_message(self.Indexed(None, describe_exception(error)))
            return
        self.post_message(self.Indexed(summary))

    def on_archives_screen_indexing(self, event: ArchivesScreen.Indexing) -> None:
        state = event.progress
        bar = self.query_one("#archives-progress", ProgressBar)
        if state.files_total:
            bar.update(total=state.files_total, progress=state.files_done)
        if state.current:
            self.query_one("#archives-progress-text", Static).update(_(
                "Indexing {done} of {total} files, {records} records: {name}").format(
                done=state.files_done + 1, total=state.files_total, records=count_text(state.records),
                name=state.current))

    def on_archives_screen_indexed(self, event: ArchivesScreen.Indexed) -> None:
        self.indexing = False
        self.indexed += 1
        self.query_one("#archives-indexing").add_class("-hidden")
        if event.error is not None:
            self.query_one(ErrorPanel).show_error(title=event.error[0], message=event.error[1])
            return
        summary = event.summary
        assert summary is not None
        session = self.session
        self.query_one("#archives-where", Static).update(self._where(summary))
        for name, title, message in summary.failed[:3]:
            self.notify(f"{name}: {message}", title=title, severity="warning", timeout=10, markup=False)
        source = self.source
        if session.search is not None and source.search is not session.search:
            self._search(source.filter, session.search)
        stale, session.stale_search = session.stale_search, None
        if stale is not None:  # the reader may still be on it: closed once it lets go
            threading.Thread(target=_close_with, args=(stale, source.lock), daemon=True).start()
        self.show_files()

    def _where(self, summary: UpdateSummary) -> str:
        files = ngettext("{n} file", "{n} files", summary.files).format(n=count_text(summary.files))
        records = ngettext("{n} record", "{n} records", self.session.total_records()).format(
            n=count_text(self.session.total_records()))
        if summary.cancelled:
            note = _("indexing stopped; ctrl+r continues")
        elif not (summary.added or summary.changed or summary.removed):
            note = _("index reused, nothing changed ({seconds:.2f} s)").format(seconds=summary.seconds)
        else:
            note = _("index updated: {added} new, {changed} changed, {removed} gone; {read} records read in "
                     "{seconds:.1f} s").format(added=summary.added, changed=summary.changed,
                                               removed=summary.removed, read=count_text(summary.records),
                                               seconds=summary.seconds)
        return f"{self.session.archive_dir} — {files}, {records}; {note}"

    def show_files(self) -> None:
        if not self.query(FilesPane) or not self.query("#retention-body"):  # lazy: not mounted yet
            self.call_after_refresh(self.show_files)
            return
        session = self.session
        self.query_one(FilesPane).show(session)
        self.query_one("#retention-body", Static).update(retention_text(session))
        missing = session.missing()
        warning = self.query_one("#archives-warning", Static)
        warning.set_class(not missing, "-hidden")
        if missing:
            names = ", ".join(f.entry or "?" for f in missing[:3]) + (" …" if len(missing) > 3 else "")
            warning.update(ngettext(
                "⚠ {n} archive file is missing from its chain: {names} (Retention tab)",
                "⚠ {n} archive files are missing from their chains: {names} (Retention tab)",
                len(missing)).format(n=len(missing), names=names))

    @on(RecordsView.Chosen)
    def _record_chosen(self, event: RecordsView.Chosen) -> None:
        from screens.archives.detail import RecordScreen

        self.app.push_screen(RecordScreen(self.session, event.line.id))

    # -- actions ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.action_tab("records")
        self.query_one("#records-filter", Input).focus()

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = TABS[name]
        if name == "records":
            self.records.focus()
        elif name == "files":
            self.query_one("#files-table").focus()
        else:  # a focused widget in another tab would take that tab back to the front
            self.query_one("#retention-scroll").focus()

    def action_verify(self, full: bool = True) -> None:
        from screens.archives.verify_screen import VerifyScreen

        problem = self.session.problem()
        if problem is not None:
            self.notify(problem.message, title=problem.title, severity="warning", markup=False)
            return
        self.app.push_screen(VerifyScreen(self.session, full=full))

    def on_screen_resume(self) -> None:
        if self.session.index is not None and not self.indexing:
            self.show_files()  # a verification may have new verdicts

    @on(ErrorPanel.Retry)
    def _retry(self) -> None:
        self.open()

    def action_back(self) -> None:
        if self.focused is self.query_one("#records-filter"):
            self.records.focus()
            return
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self._stop.set()
        threading.Thread(target=self.session.close, args=(self.source.lock,), name="archives-close",
                         daemon=True).start()
