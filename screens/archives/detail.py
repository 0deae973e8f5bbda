"""``RecordScreen``: one record — where it is, its message, its verification, and its export.

The container is read from its archive on a worker thread (checksum checked; ``.zip.gpg`` decrypted
with the configured GnuPG home), shown, then verified layer by layer against the verification
configuration, with the container's line in its file's linkinginfo. ``e`` saves the very bytes
shown as ``<entry>.asice`` for evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from backend.archive.asic import AsicError, parse_container
from backend.archive.evidence import export_container
from backend.archive.files import ArchiveError, open_archive
from backend.archive.search import ArchiveSearch, RecordDetail
from backend.archive.verify import ContainerVerifier, RecordReport, verify_record
from backend.errors import KapkaError
from backend.i18n import _
from screens.archives.export import ExportDirectoryDialog, audit
from screens.archives.format import size_text, time_text
from screens.archives.message_render import Message as RecordMessage
from screens.archives.message_render import message_renderable, read_message
from screens.archives.report_render import record_renderable, status_text
from screens.archives.session import ArchiveSession
from screens.base import KapkaScreen, describe_exception
from screens.widgets.error_panel import ErrorPanel


@dataclass(frozen=True)
class Loaded:
    detail: RecordDetail
    data: bytes
    message: RecordMessage | None
    problem: str | None  # why the container could not be parsed
    damaged: str | None = None  # the container's bytes do not match the archive's checksum


def facts_text(detail: RecordDetail) -> Text:
    line = detail.line
    rows = [
        (_("query id"), line.query_id),
        (_("direction"), _("response") if line.response else _("request")),
        (_("kind"), line.kind.upper()),
        (_("time"), time_text(line.time) + " UTC"),
        (_("client"), line.client or "—"),
        (_("service"), line.service or "—"),
        (_("request id"), detail.request_id or "—"),
        (_("user id"), detail.user_id or "—"),
        (_("archive"), line.file_path),
        (_("entry"), detail.entry + ("  " + _("(record id {id})").format(id=detail.record_id)
                                     if detail.record_id else "")),
        (_("size"), size_text(line.size)),
    ]
    if detail.member or detail.group:
        rows.append((_("member"), detail.member or detail.group or ""))
    width = max(len(label) for label, _value in rows)
    text = Text()
    for number, (label, value) in enumerate(rows):
        text.append(("\n" if number else "") + label.ljust(width) + "  ", style="dim")
        text.append(value)
    if detail.issue_message:
        text.append("\n" + detail.issue_message, style="bold red")
    return text


class RecordScreen(KapkaScreen):
    """The record ``record_id`` of ``session``'s index."""

    SCREEN_TITLE = _("Message-log record")

    BINDINGS = [
        Binding("e", "export", _("Export .asice"), id="archives.record.export",
                tooltip=_("Save the record's ASiC-E container (for evidence, verifiable on its own)")),
        Binding("escape", "back", _("Back"), id="archives.record.back"),
    ]

    DEFAULT_CSS = """
    RecordScreen #record-body { height: 1fr; padding: 0 1; }
    RecordScreen .record-heading { text-style: bold; margin-top: 1; color: $accent; }
    RecordScreen #record-facts { height: auto; }
    RecordScreen #record-verification { height: auto; }
    RecordScreen #record-message { height: auto; }
    """

    class Ready(Message):
        def __init__(self, loaded: Loaded) -> None:
            super().__init__()
            self.loaded = loaded

    class Verified(Message):
        def __init__(self, report: RecordReport, note: str | None) -> None:
            super().__init__()
            self.report = report
            self.note = note

    class Failed(Message):
        def __init__(self, title: str, message: str) -> None:
            super().__init__()
            self.title = title
            self.message = message

    def __init__(self, session: ArchiveSession, record_id: int) -> None:
        super().__init__()
        self.session = session
        self.record_id = record_id
        self.loaded: Loaded | None = None
        self.report: RecordReport | None = None
        self.exported: Path | None = None  # the last export (tests)

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with VerticalScroll(id="record-body"):
            yield ErrorPanel(id="record-error")
            yield Static(_("Reading the record from its archive…"), id="record-facts")
            yield Label(_("Verification"), classes="record-heading")
            yield Static(_("Waiting for the container…"), id="record-verification")
            yield Label(_("Message"), classes="record-heading")
            yield Static("", id="record-message")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one("#record-body").focus()
        self.load()

    @work(thread=True, exclusive=True, group="record", exit_on_error=False)
    def load(self) -> None:
        try:
            with ArchiveSearch(self.session.index_path, self.session.archive_dir) as search:
                detail = search.record(self.record_id)
                if detail is None:
                    raise KapkaError(_("The record is no longer in the index (its archive was removed or "
                                       "changed). Go back and search again."), _("Record not found"))
                try:
                    data, damaged = search.read_container(detail, gpg_home=self.session.gpg_home), None
                except ArchiveError as error:  # altered? show it all the same, and what is wrong
                    data, damaged = self._unchecked(detail), error.message
        except Exception as error:
            self.post_message(self.Failed(*describe_exception(error)))
            return
        try:
            message, problem = read_message(parse_container(data)), None
        except AsicError as error:
            message, problem = None, error.message
        self.post_message(self.Ready(Loaded(detail, data, message, problem, damaged)))
        conf, note = self.session.verification_conf()
        try:  # the container and its line in the file's linkinginfo
            report = verify_record(detail.archive, detail.entry, verifier=ContainerVerifier(conf),
                                   gpg_home=self.session.gpg_home)
        except Exception as error:  # a crafted container must be reported, never end the screen
            self.post_message(self.Failed(*describe_exception(error)))
            return
        self.post_message(self.Verified(report, note))

    def _unchecked(self, detail: RecordDetail) -> bytes:
        """The entry's bytes without the checksum check (raises when the archive cannot be read)."""
        with open_archive(detail.archive, gpg_home=self.session.gpg_home) as archive:
            return archive.read(detail.entry, check_crc=False)

    def on_record_screen_ready(self, event: RecordScreen.Ready) -> None:
        loaded = self.loaded = event.loaded
        detail = loaded.detail
        self.title = _("Record {query_id}").format(query_id=detail.line.query_id)
        facts = facts_text(detail)
        if loaded.damaged:
            facts = Text.assemble(("⚠ " + loaded.damaged + "\n", "bold red"), facts)
        self.query_one("#record-facts", Static).update(facts)
        self.query_one("#record-verification", Static).update(_("Verifying…"))
        if loaded.message is not None:
            self.query_one("#record-message", Static).update(message_renderable(loaded.message))
        else:
            self.query_one("#record-message", Static).update(Text(
                _("The container cannot be opened: {problem}").format(problem=loaded.problem),
                style="bold red"))
        audit(self.app, "archive.record_viewed", _("Viewed message-log record {query_id}").format(
            query_id=detail.line.query_id), archive=detail.line.file_path, entry=detail.entry)
        self.refresh_bindings()

    def on_record_screen_verified(self, event: RecordScreen.Verified) -> None:
        self.report = event.report
        self.query_one("#record-verification", Static).update(Group(
            Text.assemble(_("Container: "), status_text(event.report.status)),
            record_renderable(event.report, event.note),
            Text(_("The rest of its archive file and the links between files: v on the archives screen."),
                 style="dim")))

    def on_record_screen_failed(self, event: RecordScreen.Failed) -> None:
        self.query_one(ErrorPanel).show_error(title=event.title, message=event.message)
        self.query_one("#record-facts", Static).update("")
        self.query_one("#record-verification", Static).update("")

    def on_error_panel_retry(self) -> None:
        self.query_one(ErrorPanel).clear()
        self.load()

    # -- export -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export" and self.loaded is None:
            return None
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action == "export" and self.loaded is None:
            return _("the record is not read yet")
        return super().disabled_reason(action)

    def action_export(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return

        def chosen(directory: Path | None) -> None:
            if directory is not None:
                self.session.last_export_dir = directory
                self.save(loaded, directory)

        self.app.push_screen(ExportDirectoryDialog(
            _("Export the record's container"),
            _("Saves {entry} ({size}), the record's ASiC-E container exactly as archived: message, "
              "signature, hash chains and timestamp, verifiable on its own.").format(
                entry=loaded.detail.entry, size=size_text(len(loaded.data))),
            directory=self.session.last_export_dir), chosen)

    @work(thread=True, group="record-export", exit_on_error=False)
    def save(self, loaded: Loaded, directory: Path) -> None:
        try:
            with ArchiveSearch(self.session.index_path, self.session.archive_dir) as search:
                path = export_container(search, loaded.detail, directory, data=loaded.data)
        except Exception as error:
            title, message = describe_exception(error)
            self.app.notify(message, title=title, severity="error", markup=False)
            return
        self.app.call_from_thread(self.saved, loaded, path)

    def saved(self, loaded: Loaded, path: Path) -> None:
        self.exported = path
        summary = _("Exported message-log record {query_id} to {path}").format(
            query_id=loaded.detail.line.query_id, path=path)
        audit(self.app, "archive.record_exported", summary, archive=loaded.detail.line.file_path,
            entry=loaded.detail.entry, path=str(path))
        self.notify(_("Saved {path} ({size}).").format(path=path, size=size_text(len(loaded.data))),
                    title=_("Container exported"), markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()
