"""The change set before and while it is sent: ``PlanPreview`` and ``ApplyDialog``.

The preview shows a ``backend.acl`` plan — every right granted or revoked, and the batch calls
that will carry them — with Cancel focused. The apply dialog sends the plan through
``backend.acl.apply.apply_plan`` (throttled, each call all or nothing), with a progress bar and a
result per right; Stop ends it after the call in flight.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, ProgressBar, Static

from backend.acl.apply import ApplyResult, CallResult, apply_plan
from backend.acl.changes import GRANT, Call, Change
from backend.acl.plan import Plan
from backend.acl.render import plan_summary, result_summary
from backend.api.client_ids import path_id
from backend.i18n import N_, _, ngettext
from screens.access.common import operator_confirmed
from screens.widgets.choices import bracketed

STATUS_WORDS = {"ok": N_("✓ done"), "failed": N_("✗ failed"), "not_applied": N_("– not sent"),
                "waiting": N_("… waiting"), "sending": N_("→ sending")}


def change_word(change: Change) -> str:
    return _("+ grant") if change.action == GRANT else _("− revoke")


def subject_text(change: Change) -> str:
    return f"{change.subject} ({change.name})" if change.name and change.name != change.subject \
        else change.subject


def target_text(change: Change, clients: int) -> str:
    return f"{change.target.client} {change.target}" if clients > 1 else str(change.target)


def revoke_writes(calls: list[Call]) -> list[tuple[str, str]]:
    """The (method, path) of every revocation call (the transport would ask about each)."""
    writes = []
    for call in calls:
        if call.action == GRANT:
            continue
        if call.by == "subject":
            path = (f"/clients/{path_id(call.client)}/service-clients/{path_id(call.key)}"
                    "/access-rights/delete")
        elif call.by == "service":
            path = f"/services/{path_id(call.key)}/service-clients/delete"
        else:
            path = f"/endpoints/{path_id(call.key)}/service-clients/delete"
        writes.append(("POST", path))
    return writes


def revocation_effect(plan: Plan) -> Content:
    """What the revocations take away, for the confirmation."""
    revoked = plan.revocations
    subjects = sorted({subject_text(change) for change in revoked})
    lines = [Content.styled(ngettext(
        "{n} access right will be revoked: the subject loses access at once.",
        "{n} access rights will be revoked: the subjects lose access at once.",
        len(revoked)).format(n=len(revoked)), "bold $text-warning"), Content("")]
    for subject in subjects[:10]:
        count = sum(1 for change in revoked if subject_text(change) == subject)
        lines.append(Content("  • " + ngettext("{subject}: {n} service", "{subject}: {n} services",
                                               count).format(subject=subject, n=count)))
    if len(subjects) > 10:
        lines.append(Content(_("  … and {n} more subjects").format(n=len(subjects) - 10)))
    if plan.grants:
        lines += [Content(""), Content(ngettext(
            "{n} grant is sent first, in the same run.", "{n} grants are sent first, in the same "
            "run.", len(plan.grants)).format(n=len(plan.grants)))]
    return Content("\n").join(lines)


class PlanDialog(ModalScreen[Any]):
    """A bordered dialog with a title, a summary line, a table of rights and buttons."""

    BINDINGS = [Binding("escape", "cancel", _("Cancel"), id="access.plan.cancel")]

    DEFAULT_CSS = """
    PlanDialog { align: center middle; }
    PlanDialog > Vertical {
        width: 110; max-width: 100%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    PlanDialog .plan-title { text-style: bold; }
    PlanDialog .plan-summary { height: auto; margin-bottom: 1; }
    PlanDialog .plan-warning { height: auto; color: $text-warning; text-style: bold; }
    PlanDialog DataTable { height: 1fr; border: round $primary 40%; }
    PlanDialog DataTable:focus { border: round $accent; }
    PlanDialog Horizontal { height: auto; align-horizontal: right; }
    PlanDialog Button { margin-left: 1; }
    """

    def __init__(self, plan: Plan, title: str) -> None:
        super().__init__()
        self.plan = plan
        self.dialog_title = title
        self.keys: dict[Change, str] = {}

    def compose_table(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(cursor_type="row", id="plan-table", zebra_stripes=True)
        yield table

    def fill(self, status: str | None = None) -> None:
        table = self.query_one("#plan-table", DataTable)
        columns = [_("Change"), _("Service"), _("Subject")]
        table.add_columns(*([_("Result")] if status else []), *columns)
        clients = len(self.plan.clients)
        for index, change in enumerate(self.plan.changes):
            key = str(index)
            self.keys[change] = key
            cells = [change_word(change), target_text(change, clients), subject_text(change)]
            table.add_row(*([_(STATUS_WORDS[status])] if status else []), *cells, key=key)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PlanPreview(PlanDialog):
    """The plan, and whether to apply it: dismisses with True to apply, None otherwise."""

    def __init__(self, plan: Plan, title: str, *, apply_reason: str | None = None) -> None:
        super().__init__(plan, title)
        self.apply_reason = apply_reason  # why it cannot be applied (read-only mode…)

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical():
            yield Label(self.dialog_title, classes="plan-title", markup=False)
            summary = plan_summary(plan) if not plan.is_empty else _(
                "No changes: the server's rights are as wanted.")
            notes = "\n".join(plan.notes)
            yield Static(summary + (f"\n{notes}" if notes else ""), classes="plan-summary",
                         markup=False)
            if plan.revocations:
                yield Static(ngettext("{n} right is revoked: callers lose that access at once.",
                                      "{n} rights are revoked: callers lose that access at once.",
                                      len(plan.revocations)).format(n=len(plan.revocations)),
                             classes="plan-warning", markup=False)
            if self.apply_reason:
                yield Static(_("Not applied from here: {reason}").format(reason=self.apply_reason),
                             classes="plan-warning", markup=False)
            yield from self.compose_table()
            with Horizontal():
                yield Button(bracketed(_("Cancel")), id="plan-cancel", variant="primary",
                             compact=True)
                yield Button(bracketed(ngettext("Apply {n} change", "Apply {n} changes",
                                                len(plan.changes)).format(n=len(plan.changes))),
                             id="plan-apply", variant="warning", compact=True,
                             disabled=plan.is_empty or bool(self.apply_reason))

    def on_mount(self) -> None:
        self.fill()
        self.query_one("#plan-cancel", Button).focus()

    @on(Button.Pressed, "#plan-apply")
    def _apply(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#plan-cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class ApplyDialog(PlanDialog):
    """Sends the plan; dismisses with the ``ApplyResult`` once the operator closes it."""

    BINDINGS = [Binding("escape", "cancel", _("Stop or close"), id="access.apply.cancel")]

    def __init__(self, plan: Plan, title: str, server: Any) -> None:
        super().__init__(plan, title)
        self.server = server
        self.result: ApplyResult | None = None
        self.stop_asked = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.dialog_title, classes="plan-title", markup=False)
            yield Static(plan_summary(self.plan), id="apply-status", classes="plan-summary",
                         markup=False)
            yield ProgressBar(total=len(self.plan.calls), id="apply-progress", show_eta=False)
            yield from self.compose_table()
            with Horizontal():
                yield Button(bracketed(_("Stop")), id="apply-stop", compact=True)
                yield Button(bracketed(_("Close")), id="apply-close", variant="primary",
                             compact=True, disabled=True)

    def on_mount(self) -> None:
        self.fill("waiting")
        self.query_one("#apply-stop", Button).focus()
        self.run_apply()

    @work(exclusive=True, group="access-apply", exit_on_error=False)
    async def run_apply(self) -> None:
        status = self.query_one("#apply-status", Static)
        if self.plan.calls:
            self._mark(self.plan.calls[0], "sending")
        try:
            with operator_confirmed(self.app, *revoke_writes(self.plan.calls)):
                result = await apply_plan(self.server, self.plan, progress=self._progress,
                                          cancel=lambda: self.stop_asked)
        except Exception as error:  # not from a call: apply_plan reports those itself
            from screens.base import describe_exception

            title, message = describe_exception(error)
            status.update(f"{title}: {message}")
            result = ApplyResult([], stopped=True)
        else:
            for done in result.calls:
                if done.status == "not_applied":
                    self._show(done)
            status.update(self._summary(result))
        self.result = result
        self.query_one("#apply-stop", Button).disabled = True
        close = self.query_one("#apply-close", Button)
        close.disabled = False
        close.focus()

    def _summary(self, result: ApplyResult) -> Content:
        text = result_summary(result)
        error = result.first_error
        if error is not None:
            return Content.assemble((text, "bold"), "\n", (error.title, "bold $text-error"), ": ",
                                    error.message)
        return Content.styled(text, "bold")

    def _progress(self, done: int, total: int, result: CallResult) -> None:
        self.query_one("#apply-progress", ProgressBar).update(total=total, progress=done)
        self._show(result)
        if done < total and not self.stop_asked and result.status == "ok":
            nxt = self.plan.calls[done]
            self._mark(nxt, "sending")
            self.query_one("#apply-status", Static).update(_("Call {n} of {total}: {call}").format(
                n=done + 1, total=total, call=nxt.describe()))

    def _show(self, result: CallResult) -> None:
        message = result.message
        if result.error is not None and result.status == "failed":
            message = f"{result.error.title}: {result.message}"
        self._mark(result.call, result.status, message)

    def _mark(self, call: Call, status: str, message: str = "") -> None:
        table = self.query_one("#plan-table", DataTable)
        columns = list(table.columns)
        for change in call.changes:
            key = self.keys.get(change)
            if key is None:
                continue
            word = _(STATUS_WORDS[status]) if status in STATUS_WORDS else status
            cell = Text(f"{word}: {message}" if message else word,
                        style="bold" if status == "failed" else "")
            table.update_cell(key, columns[0], cell, update_width=True)

    @on(Button.Pressed, "#apply-stop")
    def _stop(self) -> None:
        self.stop_asked = True
        self.query_one("#apply-stop", Button).disabled = True
        self.query_one("#apply-status", Static).update(
            _("Stopping after the call in flight; the calls after it are not sent."))

    @on(Button.Pressed, "#apply-close")
    def _close(self) -> None:
        self.dismiss(self.result)

    def action_cancel(self) -> None:
        if self.result is None:
            self._stop()
        else:
            self.dismiss(self.result)
