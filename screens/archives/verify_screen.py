"""``VerifyScreen``: verify the archive directory in the background, with progress, and cancel it.

Every file's linkinginfo chain and links to the file before it; with ``full`` also every
container's structure, hash chains, timestamp and signature, and — when a verification
configuration is there — the signer certificates and OCSP responses. The report lists each file and,
under it, exactly what is broken: the entry, the layer, X-Road's code and the message; a file missing
from the middle of a chain is named. Escape (or Cancel) stops the run; what was verified so far is
shown.
"""

from __future__ import annotations

import threading
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, ProgressBar, Static, Tree

from backend.archive.verify import DirectoryReport, verify_directory
from backend.i18n import _
from screens.archives.export import audit
from screens.archives.format import size_text
from screens.archives.report_render import fill_tree, summary_text
from screens.archives.session import ArchiveSession
from screens.base import KapkaScreen, describe_exception
from screens.widgets.choices import bracketed


class VerifyScreen(KapkaScreen):
    """A verification run over ``session``'s directory."""

    SCREEN_TITLE = _("Verify message-log archives")

    BINDINGS = [
        Binding("escape", "cancel_or_back", _("Cancel / back"), id="archives.verify.cancel",
                tooltip=_("Stop the run (what was verified is shown), or go back when it is done")),
        Binding("r", "again", _("Run again"), id="archives.verify.again"),
    ]

    DEFAULT_CSS = """
    VerifyScreen #verify-body { height: 1fr; padding: 0 1; }
    VerifyScreen #verify-what { height: auto; }
    VerifyScreen #verify-conf { height: auto; color: $text-warning; }
    VerifyScreen #verify-conf.-ok { color: $text-muted; }
    VerifyScreen #verify-running { height: auto; margin-top: 1; }
    VerifyScreen #verify-running.-done { display: none; }
    VerifyScreen #verify-progress-text { height: auto; color: $text-muted; }
    VerifyScreen #verify-summary { height: auto; margin-top: 1; }
    VerifyScreen Tree { height: 1fr; }
    VerifyScreen Horizontal { height: auto; }
    """

    class Progress(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, VerifyScreen.Progress)

    class Done(Message):
        def __init__(self, report: DirectoryReport, seconds: float) -> None:
            super().__init__()
            self.report = report
            self.seconds = seconds

    class Started(Message):
        def __init__(self, note: str | None) -> None:
            super().__init__()
            self.note = note

    def __init__(self, session: ArchiveSession, *, full: bool = True) -> None:
        super().__init__()
        self.session = session
        self.full = full
        self.report: DirectoryReport | None = None
        self.running = False
        self._cancel = threading.Event()
        self.runs = 0

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        with Vertical(id="verify-body"):
            what = (_("Every layer: linkinginfo chains and links between files, container structure, hash "
                      "chains, timestamps, signatures, signer certificates and OCSP responses.") if self.full
                    else _("Links only: the linkinginfo chain of every file and the links between files "
                           "(fast; containers are hashed, not opened)."))
            yield Static(_("{dir}: {what}").format(dir=self.session.archive_dir, what=what), id="verify-what",
                         markup=False)
            yield Static("", id="verify-conf", markup=False)
            with Vertical(id="verify-running"):
                yield ProgressBar(id="verify-progress", show_eta=True)
                yield Static(_("Starting…"), id="verify-progress-text", markup=False)
                with Horizontal():
                    yield Button(bracketed(_("Cancel")), id="verify-cancel", compact=True)
            yield Static("", id="verify-summary")
            yield Tree(Text(_("Report")), id="verify-tree")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.show_root = False
        tree.display = False
        self.start()

    def start(self) -> None:
        self._cancel.clear()
        self.running = True
        self.report = None
        running = self.query_one("#verify-running")
        running.remove_class("-done")
        self.query_one("#verify-summary", Static).update("")
        self.query_one(Tree).display = False
        self.query_one("#verify-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#verify-cancel", Button).focus()
        self.run_verification()
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def run_verification(self) -> None:
        started = time.perf_counter()
        conf, note = self.session.verification_conf(fresh=True) if self.full else (None, None)
        self.post_message(self.Started(note))

        def progress(done: int, total: int) -> None:
            self.post_message(self.Progress(done, total))

        try:
            report = verify_directory(self.session.archive_dir, conf=conf, gpg_home=self.session.gpg_home,
                                      full=self.full, progress=progress, cancelled=self._cancel.is_set)
            if not report.cancelled:
                self.session.remember(report, full=self.full)
        except Exception as error:
            title, message = describe_exception(error)
            self.app.notify(message, title=title, severity="error", timeout=10, markup=False)
            self.app.call_from_thread(self._stopped)
            return
        self.post_message(self.Done(report, time.perf_counter() - started))

    def _stopped(self) -> None:
        self.running = False
        self.query_one("#verify-running").add_class("-done")
        self.refresh_bindings()

    def on_verify_screen_started(self, event: VerifyScreen.Started) -> None:
        conf = self.query_one("#verify-conf", Static)
        if not self.full:
            conf.update("")
        elif event.note:
            conf.update(event.note)
            conf.remove_class("-ok")
        else:
            conf.update(_("Verification configuration: {path}").format(
                path=self.session.settings.verification_conf))
            conf.add_class("-ok")

    def on_verify_screen_progress(self, event: VerifyScreen.Progress) -> None:
        if not self.running:
            return
        self.query_one("#verify-progress", ProgressBar).update(total=max(event.total, 1), progress=event.done)
        self.query_one("#verify-progress-text", Static).update(_("{done} of {total} of archive files").format(
            done=size_text(event.done), total=size_text(event.total)))

    def on_verify_screen_done(self, event: VerifyScreen.Done) -> None:
        report = self.report = event.report
        self.runs += 1
        self._stopped()
        summary = summary_text(report)
        summary.append("  " + _("({seconds:.1f} s)").format(seconds=event.seconds), style="dim")
        self.query_one("#verify-summary", Static).update(summary)
        tree = self.query_one(Tree)
        fill_tree(tree, report)
        tree.display = True
        tree.focus()
        totals = report.totals()
        summary = _("Verified message-log archives in {dir}: {status}").format(
            dir=self.session.archive_dir, status=report.status.value)
        audit(self.app, "archive.verified", summary, directory=str(self.session.archive_dir),
            full=self.full, cancelled=report.cancelled, status=report.status.value, files=totals["files"],
            records=totals["records"], records_failed=totals["records_failed"])

    # -- keys -------------------------------------------------------------------------------

    @on(Button.Pressed, "#verify-cancel")
    def cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.query_one("#verify-progress-text", Static).update(_("Cancelling…"))

    def action_cancel_or_back(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.app.pop_screen()

    def action_again(self) -> None:
        if not self.running:
            self.start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "again" and self.running:
            return None
        return super().check_action(action, parameters)

    def disabled_reason(self, action: str) -> str | None:
        if action == "again" and self.running:
            return _("a run is in progress")
        return super().disabled_reason(action)

    def on_unmount(self) -> None:
        self._cancel.set()
