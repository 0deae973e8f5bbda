"""Steps 10 and 11, and the end: wait for the central server's approval, activate, done."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Static

from backend.i18n import _
from screens.setup.flow import KeyProgress, SetupState
from screens.setup.step_base import StepPanel
from screens.widgets.choices import bracketed

POLL_SECONDS = 10.0  # not faster: X-Road limits requests per minute
RECOVERY_AFTER = timedelta(hours=2)


def elapsed_text(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("{h} h {m:02d} min").format(h=hours, m=minutes)
    return _("{m} min {s:02d} s").format(m=minutes, s=seconds)


def registration_time(journal: Any, cert_hash: str) -> datetime | None:
    """When this console sent the registration (from the operator's audit journal), if it did."""
    tail = getattr(journal, "tail", None)
    if not callable(tail):
        return None
    try:
        records = tail(2000)
    except Exception:  # the journal is a help here, not a requirement
        return None
    path = f"/token-certificates/{cert_hash}/register".lower()
    for record in reversed(records):
        if str(record.get("path", "")).lower() == path and record.get("outcome") == "ok":
            try:
                return datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00"))
            except (KeyError, ValueError):
                return None
    return None


def recovery_text(cert_hash: str, server_id: str | None) -> str:
    return _(
        "X-Road never reports a rejection: the certificate simply stays \"registration in "
        "progress\". Tunduk usually approves within 10–15 minutes in working hours.\n"
        "If nothing changes:\n"
        "1. Contact your X-Road operator (Tunduk's support) with the server id {server} and the "
        "certificate hash {hash}.\n"
        "2. If it still waits after {hours} hours, or they say the request was rejected or "
        "lost: unregister the certificate, delete it from the token, import the same "
        "certificate file again and register it again, with the address they expect. The Keys "
        "and certificates screen (k) does each of these.").format(
        server=server_id or "?", hash=cert_hash,
        hours=int(RECOVERY_AFTER.total_seconds() // 3600))


class ApprovalStep(StepPanel):
    """"Pending since …" with a live timer; the certificate is read every POLL_SECONDS."""

    STEP = 10

    DEFAULT_CSS = """
    ApprovalStep #approval-status { height: auto; }
    ApprovalStep #approval-recovery { height: auto; margin-top: 1; color: $text-muted; }
    ApprovalStep #approval-recovery.-overdue { color: $text; text-style: bold; }
    """

    def __init__(self, state: SetupState, *, id: str | None = None) -> None:
        super().__init__(state, id=id)
        self.auth: KeyProgress | None = state.auth
        self.since: datetime | None = None
        self.first_seen = datetime.now(UTC)
        self.last_check: datetime | None = None
        self.status = self.auth.certificate.status if self.auth and self.auth.certificate else ""
        self.checks = 0

    def compose(self) -> ComposeResult:
        yield Static(_("The central server has the registration request. Its administrators "
                       "approve it; then the global configuration lists the certificate and "
                       "this server sees it (Kapka reads it every {n} s).").format(
            n=int(POLL_SECONDS)), classes="intro")
        yield Static("", id="approval-status")
        cert_hash = self.auth.cert_hash if self.auth else ""
        yield Static(recovery_text(cert_hash or "?", self.state.server_id),
                     id="approval-recovery", markup=False)
        yield self.problem_box()

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        self.poll()

    def _tick(self) -> None:
        now = datetime.now(UTC)
        since = self.since or self.first_seen
        if self.since is not None:
            when = _("pending since {time} ({elapsed})").format(
                time=self.since.astimezone().strftime("%Y-%m-%d %H:%M"),
                elapsed=elapsed_text(now - since))
        else:
            when = _("pending; this console has watched it for {elapsed} (the request was "
                     "sent before, or from elsewhere)").format(elapsed=elapsed_text(now - since))
        checked = (_("last checked {s} s ago").format(s=int((now - self.last_check)
                                                            .total_seconds()))
                   if self.last_check else _("checking…"))
        hash_ = self.auth.cert_hash if self.auth else "?"
        self.query_one("#approval-status", Static).update(Content.assemble(
            (_("Authentication certificate") + "  ", "$text-muted"), (hash_ or "?", "bold"), "\n",
            (_("Status") + "  ", "$text-muted"), (self.status, "bold"), "  ", when, "\n",
            (checked, "$text-muted")))
        overdue = now - since > RECOVERY_AFTER or self.status == "GLOBAL_ERROR"
        self.query_one("#approval-recovery").set_class(overdue, "-overdue")

    @work(exclusive=True, group="setup-approval", exit_on_error=False)
    async def poll(self) -> None:
        if self.auth is None or self.auth.cert_hash is None:
            return
        self.since = await asyncio.to_thread(registration_time, getattr(self.app, "journal", None),
                                             self.auth.cert_hash)
        while True:
            try:
                cert = await self.client.certificates.get(self.auth.cert_hash)
            except Exception as error:  # said in the step; the next poll may work
                self.show_error(error)
            else:
                self.clear_problem()
                self.status = cert.status
                if cert.status == "GLOBAL_ERROR":
                    self.show_problem(_("Not in the global configuration"), _(
                        "The server reports GLOBAL_ERROR: the global configuration does not "
                        "list this certificate as registered. See the recovery steps below."))
                if cert.status not in ("REGISTRATION_IN_PROGRESS", "GLOBAL_ERROR"):
                    self.post_message(self.Completed())
                    return
            self.last_check = datetime.now(UTC)
            self.checks += 1
            self._tick()
            await asyncio.sleep(POLL_SECONDS)


class ActivateStep(StepPanel):
    """Activate the certificates that are not active yet (X-Road checks OCSP first)."""

    STEP = 11

    def compose(self) -> ComposeResult:
        yield Static(_("The central server approved the registration. A certificate is used "
                       "only while it is active:"), classes="intro")
        lines = []
        for progress in (self.state.auth, self.state.sign):
            if progress is None or progress.certificate is None:
                continue
            cert = progress.certificate
            lines.append(Content.assemble(
                ("✓ " if cert.active else "✗ ", "bold"),
                _("{usage} certificate {hash}: {state}").format(
                    usage=progress.usage.lower(), hash=progress.cert_hash,
                    state=_("active") if cert.active else _("not active")),
                (f"\n  {cert.ocsp_verify_before_activation_error}"
                 if cert.ocsp_verify_before_activation_error else "", "$text-warning")))
        yield Static(Content("\n").join(lines), id="activate-list")
        with Horizontal(classes="actions"):
            yield self.action_button(_("Activate"), "activate-send")
        yield self.read_only_note()
        yield self.problem_box()
        yield self.note_box()

    def on_mount(self) -> None:
        self.query_one("#activate-send").focus()

    @on(Button.Pressed, "#activate-send")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        hashes = [p.cert_hash for p in (self.state.auth, self.state.sign)
                  if p is not None and p.certificate is not None and not p.certificate.active
                  and p.cert_hash]
        if hashes and not self.read_only:
            self.activate(hashes)

    @work(exclusive=True, group="setup-activate", exit_on_error=False)
    async def activate(self, hashes: list[str]) -> None:
        self.clear_problem()
        self.busy(True, "activate-send")
        try:
            for cert_hash in hashes:
                await self.client.certificates.activate(cert_hash)
        except Exception as error:  # said in words in the step
            self.show_error(error)
            self.busy(False, "activate-send")
            return
        self.post_message(self.Completed())


class DonePanel(StepPanel):
    """Everything is done: what the server has now, and the way to the dashboard."""

    STEP: ClassVar[int] = 12

    def compose(self) -> ComposeResult:
        auth, sign = self.state.auth, self.state.sign
        yield Static(Content.assemble(
            ("✓ ", "bold $text-success"), (_("The security server is set up."), "bold"), "\n\n",
            (_("Server") + "  ", "$text-muted"), self.state.server_id or "?", "\n",
            (_("Timestamping") + "  ", "$text-muted"),
            ", ".join(service.name for service in self.state.timestamping), "\n",
            (_("Authentication certificate") + "  ", "$text-muted"),
            (auth.cert_hash or "?") if auth else "?", "\n",
            (_("Signing certificate") + "  ", "$text-muted"),
            (sign.cert_hash or "?") if sign else "?", "\n\n",
            _("Next: add the owner's subsystems as clients and register them (Tunduk needs a "
              "notification for each).")), classes="intro")
        with Horizontal(classes="actions"):
            yield Button(bracketed(_("Go to the dashboard")), id="done-dashboard",
                         variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#done-dashboard").focus()

    @on(Button.Pressed, "#done-dashboard")
    def _dashboard(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.show_dashboard()  # type: ignore[attr-defined]
