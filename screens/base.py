"""What every Kapka screen shares: header, status line, footer, read-only checks, worker errors."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from backend.errors import KapkaError
from backend.i18n import _
from screens.widgets.server_header import HeaderInfo, ServerHeader
from screens.widgets.status_line import StatusLine


def describe_exception(error: BaseException | None) -> tuple[str, str]:
    """A title and a message for any error: a ``KapkaError`` as it is, anything else by its type."""
    if isinstance(error, KapkaError):
        return error.title, error.message
    if error is None:
        return _("Unexpected error"), _("The task failed without saying why.")
    detail = str(error) or type(error).__name__
    return _("Unexpected error"), _("{kind}: {detail}. Please report this, with what you did just "
                                    "before.").format(kind=type(error).__name__, detail=detail)


def report_worker_error(node: DOMNode, event: Worker.StateChanged) -> None:
    """The one place where a failed worker becomes a toast with a title (never a traceback)."""
    if event.state is not WorkerState.ERROR:
        return
    title, message = describe_exception(event.worker.error)
    node.log.error(f"worker {event.worker.name!r} failed: {event.worker.error!r}")
    node.app.notify(message, title=title, severity="error", timeout=10, markup=False)


def is_read_only(node: DOMNode) -> bool:
    return bool(getattr(node.app, "read_only", False))


class KapkaScreen(Screen[Any]):
    """A screen with the server header on top and the status line and key footer at the bottom.

    Actions named in ``DANGEROUS_ACTIONS`` change a server; in read-only mode they are shown
    dimmed in the footer, listed as "disabled: read-only" in the help screen, and do nothing.
    """

    SCREEN_TITLE: ClassVar[str] = "Kapka"
    DANGEROUS_ACTIONS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.title = self.SCREEN_TITLE

    def compose_header(self) -> ComposeResult:
        header = ServerHeader(self.SCREEN_TITLE, id="server-header")
        # filled now, so the screen's first frame has it (it follows the app once mounted)
        header._show_info(getattr(self.app, "header_info", None) or HeaderInfo())
        yield header

    def compose_footer(self) -> ComposeResult:
        status = StatusLine(id="status-line")
        status._show_info(getattr(self.app, "alerts_info", None))
        yield status
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.DANGEROUS_ACTIONS and is_read_only(self):
            return None  # dimmed, with the reason in the help screen
        return True

    def disabled_reason(self, action: str) -> str | None:
        """Why an action is disabled here, for the help screen (None when it is enabled)."""
        if action in self.DANGEROUS_ACTIONS and is_read_only(self):
            return _("read-only")
        return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)
