"""What the access-rights screen sends, all through ``backend.acl`` as ``kapka acl`` does:
the staged change set (plan → preview → apply), a rights file (plan → preview → apply), an export,
and copying one subject's rights to another.

Each runs in a worker; a plan that does not fit the server (a duplicate right, a subject the
global configuration does not know) is shown with its title and nothing is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from backend.acl.apply import ApplyResult
from backend.acl.copy import copy_rights
from backend.acl.export import read_rights
from backend.acl.formats import dump_rights, load_rights
from backend.acl.plan import Plan, make_plan, plan_changes
from backend.acl.render import result_summary
from backend.errors import KapkaError
from backend.i18n import _
from screens.access.changes import ApplyDialog, PlanPreview, revocation_effect
from screens.access.common import write_reason
from screens.access.endpoint_rights import endpoint_notes
from screens.access.rights_dialogs import CopyDialog, ExportDialog, RightsFileDialog
from screens.keys_calls import write_new
from screens.widgets.confirm import ConfirmDialog

if TYPE_CHECKING:
    from screens.access.matrix_model import MatrixModel
    from screens.widgets.error_panel import ErrorPanel

Job = Callable[[], Awaitable[None]]


class RightsActions:
    """The access-rights screen's plans, applies, export and copy (mixed into the screen)."""

    app: Any
    client_id: str
    model: MatrixModel
    busy: bool

    if TYPE_CHECKING:
        error_panel: ErrorPanel

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def load(self, keep: list[Any] | None = None) -> Any: ...

    @work(group="access-write", exit_on_error=False)
    async def perform(self, job: Job) -> None:
        if self.busy:
            self.notify(_("Wait until the current action has finished."), severity="warning")
            return
        self.busy = True
        try:
            await job()
        except KapkaError as error:  # a plan that does not fit, a file that cannot be read…
            self.error_panel.show_error(title=error.title, message=error.message,
                                        hint=_("Nothing was sent to the server."))
            self.notify(error.message, title=error.title, severity="error", timeout=10,
                        markup=False)
        finally:
            self.busy = False
            self.staged_text()  # the pending line showed the reading progress

    # -- the staged change set --------------------------------------------------------------

    def action_preview(self) -> None:
        if not self.model.pending:
            self.notify(_("No changes are staged. In the matrix: space, g or r; o plans a rights "
                          "file."), title=_("Nothing to preview"))
            return
        self.perform(self._preview_staged)

    async def _preview_staged(self) -> None:
        requested = self.model.changes()
        plan = await plan_changes(self.app.server, self.client_id, requested,
                                  progress=self._reading)
        plan.notes += endpoint_notes(self.model, requested)  # the endpoint rights that stay
        result = await self.review_and_apply(plan, _("Staged changes to {client}").format(
            client=self.client_id))
        if result is None:
            return
        failed = {(item.change.rights_code, item.change.subject_id)
                  for item in result.items if item.status != "ok"}
        keep = [change for change in requested if (change.service, change.subject) in failed]
        self.load(keep=keep)

    # -- plan, preview, confirm, apply ------------------------------------------------------

    def _reading(self, done: int, total: int, _label: str) -> None:
        self.notify_progress(_("Reading the server's rights: {done} of {total} requests").format(
            done=done, total=total))

    def notify_progress(self, text: str) -> None:
        """Shown in the pending-changes line while a plan is made."""
        from textual.widgets import Static

        self.query_one("#access-pending", Static).update(text)  # type: ignore[attr-defined]

    async def review_and_apply(self, plan: Plan, title: str) -> ApplyResult | None:
        """Preview ``plan``; on Apply (and, for revocations, a confirmation) send it."""
        self.error_panel.clear()
        self.staged_text()
        if not await self.app.push_screen_wait(PlanPreview(plan, title,
                                                           apply_reason=write_reason(self))):
            return None
        if plan.revocations and not await self.app.push_screen_wait(ConfirmDialog(
                _("Revoke access rights"), revocation_effect(plan),
                confirm_label=_("Revoke and apply"))):
            self.notify(_("Cancelled; nothing was sent."), title=_("Cancelled"))
            return None
        result = await self.app.push_screen_wait(ApplyDialog(plan, title, self.app.server))
        if result is None:
            return None
        severity = "information" if result.ok else "error"
        error = result.first_error
        self.notify(result_summary(result), title=error.title if error else _("Applied"),
                    severity=severity, timeout=10, markup=False)
        if not result.ok and error is not None:
            self.error_panel.show_error(title=error.title, message=error.message,
                                        hint=result_summary(result))
        return result

    def staged_text(self) -> None:
        staged = getattr(self, "staged", None)
        if callable(staged):
            staged()

    # -- a rights file ----------------------------------------------------------------------

    def action_plan_file(self) -> None:
        self.perform(self._plan_file)

    async def _plan_file(self) -> None:
        path = await self.app.push_screen_wait(RightsFileDialog())
        if path is None:
            return
        document = await asyncio.to_thread(load_rights, path)
        plan = await make_plan(self.app.server, document, progress=self._reading)
        result = await self.review_and_apply(plan, _("Plan of {file}").format(file=path.name))
        self.staged_text()
        if result is not None:
            self.load(keep=self.model.changes())

    # -- export -----------------------------------------------------------------------------

    def action_export(self) -> None:
        self.perform(self._export)

    async def _export(self) -> None:
        answer = await self.app.push_screen_wait(ExportDialog(self.client_id))
        if answer is None:
            return
        fmt, directory = answer
        document = await read_rights(self.app.server, [self.client_id], progress=self._reading)
        self.staged_text()
        header = [_("Access rights of {client} on {server}").format(
            client=self.client_id, server=self.app.server.base_url)]
        text = dump_rights(document, fmt, header)
        name = "rights-" + self.client_id.replace(":", "_") + f".{fmt}"
        try:
            path: Path = await asyncio.to_thread(write_new, directory, name, text.encode("utf-8"))
        except OSError as error:
            raise KapkaError(_("The rights could not be saved in {directory}: {error}").format(
                directory=directory, error=error.strerror or error), _("Not saved")) from error
        self.notify(_("Saved {n} rights to {path}. Change the file, then o plans it.").format(
            n=document.right_count, path=path), title=_("Exported"), timeout=10, markup=False)

    # -- copy -------------------------------------------------------------------------------

    def action_copy_rights(self) -> None:
        self.perform(self._copy)

    async def _copy(self) -> None:
        answer = await self.app.push_screen_wait(CopyDialog(self.model))
        if answer is None:
            return
        source, dest = answer
        plan = await copy_rights(self.app.server, self.client_id, source, dest,
                                 progress=self._reading)
        result = await self.review_and_apply(plan, _("Copy the rights of {source} to {dest}").format(
            source=source, dest=dest))
        self.staged_text()
        if result is not None:
            self.load(keep=self.model.changes())

