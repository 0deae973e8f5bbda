"""The header line: which server, which X-Road version and node type, which profile, read-only."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from backend.i18n import _


@dataclass(frozen=True)
class HeaderInfo:
    """What the header shows; the app replaces it as the connection changes."""

    profile: str | None = None
    url: str | None = None
    state: str = "disconnected"  # disconnected, connecting, connected, failed
    server_id: str | None = None  # INSTANCE:CLASS:CODE:SERVERCODE
    initialised: bool | None = None  # None until the initialisation status is known
    version: str | None = None
    node_type: str | None = None
    username: str | None = None
    read_only: bool = False

    def server_label(self) -> str:
        if self.state == "connecting":
            return _("connecting…")
        if self.state == "failed":
            return _("connection failed")
        if self.state == "disconnected":
            return _("not connected")
        if self.server_id:
            return self.server_id
        if self.initialised is False:
            return _("not initialised")
        if self.initialised is None:
            return "…"
        return _("initialised")


class ServerHeader(Static):
    """One or two lines at the top of every screen; follows ``app.header_info``."""

    DEFAULT_CSS = """
    ServerHeader {
        dock: top;
        height: auto;
        max-height: 2;
        padding: 0 1;
    }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.screen_title = title
        self.info = HeaderInfo()

    def on_mount(self) -> None:
        self.watch(self.app, "header_info", self._show_info)

    def _show_info(self, info: HeaderInfo) -> None:
        self.info = info
        self.update(self.render_info(info))

    def render_info(self, info: HeaderInfo) -> Content:
        sep = (" │ ", "$text-muted")
        parts: list[str | tuple[str, str]] = [(self.screen_title, "bold $accent"), sep]
        server_style = {"failed": "bold $text-error", "connecting": "$text-muted",
                        "disconnected": "$text-muted"}.get(info.state, "bold")
        if info.state == "connected" and info.initialised is False:
            server_style = "bold $text-warning"
        parts.append((info.server_label(), server_style))
        if info.version:
            parts += [sep, _("X-Road {version}").format(version=info.version)]
        if info.node_type:
            parts += [sep, info.node_type]
        if info.profile:
            parts += [sep, _("profile {name}").format(name=info.profile)]
        if info.read_only:
            parts += [sep, (_("read-only"), "bold reverse $text-warning")]
        return Content.assemble(*parts)

    def plain_text(self) -> str:
        """The header as plain text (what an operator reads)."""
        return self.render_info(self.info).plain
