"""The Files tab: one line per archive file (period, records, size, group, chain) and the details of
the file under the cursor; enter shows its records. The Retention tab's text is built here too."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from backend.archive.fileinfo import FileInfo
from backend.archive.verify.report import Status
from backend.i18n import _, ngettext
from screens.archives.format import count_text, size_text, time_text
from screens.archives.report_render import STYLES, finding_text
from screens.archives.retention import retention, retention_lines
from screens.archives.session import ArchiveSession

STATE_STYLES = {Status.PASS: "", Status.UNVERIFIED: "yellow", Status.FAIL: "bold red"}


def period_text(info: FileInfo) -> str:
    if info.start is None:
        return "—"
    end = time_text(info.end)
    same_day = info.end is not None and time_text(info.start)[:10] == end[:10]
    return f"{time_text(info.start)[:16]} → {end[11:16] if same_day else end[:16]}"


def file_detail(session: ArchiveSession, info: FileInfo) -> Text:
    """Everything known of one file: where, when, how much, its links, its problems, its last check."""
    state = session.state_of(info)
    text = Text.assemble((info.path, "bold"), "\n")
    facts = [period_text(info), ngettext("{n} record", "{n} records", info.records).format(
        n=count_text(info.records)), size_text(info.size)]
    if info.encrypted:
        facts.append(_("encrypted"))
    if info.member or info.group:
        facts.append(_("group {name}").format(name=info.member or info.group))
    text.append("   ".join(facts) + "\n", style="dim")
    if info.link_algorithm is not None:
        previous = info.link_previous_name
        link = (_("first in its chain ({algorithm})") if previous in (None, "-") else
                _("follows {name} ({algorithm})"))
        text.append(link.format(name=previous, algorithm=info.link_algorithm) + "\n")
    if info.error:
        text.append(f"{info.error_title}: {info.error}\n", style="yellow")
    for problem in info.problems:
        where = f"{problem.entry}: " if problem.entry else ""
        text.append(f"{where}{problem.message}\n", style="bold red")
    for finding in state.findings:
        if finding.status is not Status.PASS:
            text.append_text(finding_text(finding))
            text.append("\n")
    verdict = session.verdicts.get(info.path)
    if verdict is None:
        text.append(_("Not verified yet (v verifies the directory)."), style="dim")
    else:
        kind = _("every layer") if verdict.full else _("links only")
        text.append(_("Last verified {time} ({kind}): ").format(time=verdict.verified_at, kind=kind))
        text.append(verdict.status, style=STYLES[Status(verdict.status)])
        for problem in verdict.problems:
            text.append("\n  " + problem, style="dim")
    return text


class FilesPane(Vertical):
    """The archive files of a session; posts ``Chosen`` for enter on a file."""

    DEFAULT_CSS = """
    FilesPane { height: 1fr; }
    FilesPane DataTable { height: 1fr; }
    FilesPane #file-detail { height: auto; max-height: 8; border-top: solid $primary 40%; padding: 0 1; }
    """

    class Chosen(Message):
        def __init__(self, info: FileInfo) -> None:
            super().__init__()
            self.info = info

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.session: ArchiveSession | None = None
        self.by_path: dict[str, FileInfo] = {}

    def compose(self) -> ComposeResult:
        yield DataTable(id="files-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="file-detail"):
            yield Static(_("The archive files appear here once they are indexed."), id="file-detail-text",
                         markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("chain"), _("period (UTC)"), _("records"), _("size"), _("group"), _("file"))

    def show(self, session: ArchiveSession) -> None:
        self.session = session
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.by_path = {info.path: info for info in session.files}
        for info in session.files:
            state = session.state_of(info)
            table.add_row(Text(state.word, style=STATE_STYLES[state.status]), period_text(info),
                          Text(count_text(info.records), justify="right"),
                          Text(size_text(info.size), justify="right"), info.member or info.group or "",
                          info.path, key=info.path)
        if session.files:
            table.move_cursor(row=min(keep, len(session.files) - 1))
            self._detail(session.files[table.cursor_row])
        else:
            self.query_one("#file-detail-text", Static).update(_(
                "No archive files (mlog-*.zip, mlog-*.zip.gpg) in {dir}.").format(dir=session.archive_dir))

    def _detail(self, info: FileInfo) -> None:
        if self.session is not None:
            self.query_one("#file-detail-text", Static).update(file_detail(self.session, info))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        info = self.by_path.get(str(event.row_key.value))
        if info is not None:
            self._detail(info)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        info = self.by_path.get(str(event.row_key.value))
        if info is not None:
            self.post_message(self.Chosen(info))


def retention_text(session: ArchiveSession) -> Text:
    summary = retention(session.files, session.settings.retention_years, session.missing())
    text = Text()
    styles = {"": "", "warning": "bold yellow", "muted": "dim"}
    for number, (style, line) in enumerate(retention_lines(summary)):
        text.append(("\n\n" if number else "") + line, style=styles[style])
    return text
