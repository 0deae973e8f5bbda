"""The status line: what needs the operator's attention, from ``GET /notifications/alerts``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from backend.api.models import AlertData
from backend.i18n import _, ngettext


@dataclass(frozen=True)
class AlertsInfo:
    """The last alerts answer (or why there is none), as the app polled it."""

    data: AlertData | None = None
    error_title: str | None = None
    error_message: str | None = None
    checked_at: datetime | None = None
    messages: tuple[str, ...] = field(default=())

    @classmethod
    def from_data(cls, data: AlertData, checked_at: datetime | None = None) -> AlertsInfo:
        return cls(data=data, checked_at=checked_at, messages=tuple(alert_messages(data)))


def _time(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def alert_messages(data: AlertData) -> list[str]:
    """The alerts in words, most urgent first; empty when all is well."""
    messages: list[str] = []
    if data.backup_restore_running_since is not None:
        messages.append(_("backup/restore running since {time}").format(
            time=_time(data.backup_restore_running_since)))
    if not data.soft_token_pin_entered_check_success:
        messages.append(_("software token PIN state unknown (is xroad-signer running?)"))
    elif not data.soft_token_pin_entered:
        messages.append(_("software token PIN not entered: log in to the token, signing is stopped"))
    if not data.global_conf_valid_check_success:
        messages.append(_("global configuration state unknown"))
    elif not data.global_conf_valid:
        messages.append(_("global configuration is not valid"))
    if data.auth_certificate_ids_with_errors:
        ids = data.auth_certificate_ids_with_errors
        messages.append(ngettext("auth certificate with errors: {ids}",
                                 "auth certificates with errors: {ids}", len(ids)).format(
            ids=", ".join(ids)))
    if data.sign_certificate_ids_with_errors:
        ids = data.sign_certificate_ids_with_errors
        messages.append(ngettext("sign certificate with errors: {ids}",
                                 "sign certificates with errors: {ids}", len(ids)).format(
            ids=", ".join(ids)))
    if not data.certificate_renewal_job_success:
        messages.append(_("automatic certificate renewal failed"))
    return messages


class StatusLine(Static):
    """Follows ``app.alerts_info``: green "no alerts", or the alerts, or why they are unknown."""

    DEFAULT_CSS = """
    StatusLine {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.info: AlertsInfo | None = None

    def on_mount(self) -> None:
        self.watch(self.app, "alerts_info", self._show_info)

    def _show_info(self, info: AlertsInfo | None) -> None:
        self.info = info
        self.set_class(info is not None and info.data is not None and not info.messages, "-ok")
        self.set_class(bool(info and info.messages), "-alert")
        self.set_class(bool(info and info.error_title), "-unknown")
        self.update(self.render_info(info))

    @staticmethod
    def render_info(info: AlertsInfo | None) -> Content:
        if info is None:
            return Content(_("alerts: shown here once connected (checked every 30 s)"))
        if info.error_title:  # the screen itself says more about the failure
            return Content.assemble((_("alerts unknown"), "bold"), ": ", info.error_title)
        if not info.messages:
            return Content.assemble(("✓ ", "bold"), _("no alerts"))
        parts: list[str | tuple[str, str]] = [("! ", "bold")]
        for index, message in enumerate(info.messages):
            if index:
                parts.append(" · ")
            parts.append(message)
        return Content.assemble(*parts)

    def plain_text(self) -> str:
        return self.render_info(self.info).plain
