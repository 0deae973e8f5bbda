"""Staging changes through pickers: a new subject column, subjects for a service, services for
a subject; and dropping the change set. Nothing is sent here (see ``rights_actions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backend.i18n import _
from screens.access.by_service import PickSubjects
from screens.access.by_subject import BySubjectView, PickServices
from screens.access.common import subject_label, subject_search, write_reason
from screens.access.matrix_model import GRANT, MatrixModel
from screens.access.picker import Candidate, CandidatePicker

if TYPE_CHECKING:
    from screens.access.matrix import AccessMatrix


class StagingActions:
    """Part of ``AccessRightsScreen`` (message handlers by name: the mixin is no widget)."""

    app: Any
    client_id: str
    model: MatrixModel

    if TYPE_CHECKING:
        matrix: AccessMatrix

        def notify(self, message: str, **kwargs: Any) -> None: ...
        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def _refresh_views(self) -> None: ...
        def _view_staged(self) -> None: ...

    def on_new_subject(self) -> None:
        self.action_add_subject()

    def action_add_subject(self) -> None:
        """A subject from the server's candidates becomes a column (and a row of "by subject")."""
        if self._refuse_write():
            return
        picker = CandidatePicker(_("Add subjects: subsystems, global groups, local groups"),
                                 subject_search(self.app.server, self.client_id),
                                 exclude={col.id for col in self.model.subjects})

        def added(columns: list[Any] | None) -> None:
            for col in columns or []:
                self.model.add_subject(col)
            if columns:
                self.matrix.data_changed()
                self._refresh_views()
                self.query_one("#by-subject", BySubjectView).select_subject(columns[0].id)

        self.app.push_screen(picker, added)

    def on_pick_subjects(self, event: PickSubjects) -> None:
        if self._refuse_write():
            return
        service = event.service

        def chosen(columns: list[Any] | None) -> None:
            for col in columns or []:
                self.model.add_subject(col)
            if columns:
                self.model.stage(GRANT, [(service, col.id) for col in columns])
                self._view_staged()

        self.app.push_screen(CandidatePicker(
            _("Give access to {service}").format(service=service),
            subject_search(self.app.server, self.client_id), exclude=event.exclude,
            ok_label=_("Stage grants")), chosen)

    def on_pick_services(self, event: PickServices) -> None:
        if self._refuse_write():
            return
        subject = event.subject
        have = {row.code for row, state in self.model.services_of(subject)
                if state not in ("none", "partial")}  # ◐: the whole service can still be granted
        rows = self.model.services

        async def search(text: str) -> list[Candidate]:
            query = text.lower()
            return [Candidate(f"{row.code}" + (f" ({row.title})" if row.title else ""),
                              row.key, row.code)
                    for row in rows if query in row.search_text]

        def chosen(codes: list[Any] | None) -> None:
            if codes:
                self.model.stage(GRANT, [(code, subject) for code in codes])
                self._view_staged()

        col = self.model.subject(subject)
        label = subject_label(col.kind, col.label, col.name) if col else subject
        self.app.push_screen(CandidatePicker(
            _("Services {subject} may call").format(subject=label), search, exclude=have,
            ok_label=_("Stage grants"), hint=_("Filter the client's services")), chosen)

    def _refuse_write(self) -> bool:
        why = write_reason(self)
        if why:
            self.notify(why, title=_("Not possible"), severity="warning", markup=False)
        return bool(why)

    def action_drop_changes(self) -> None:
        if self.model.pending:
            count = len(self.model.pending)
            self.model.clear_pending()
            self._view_staged()
            self.notify(_("Dropped {n} staged changes; nothing was sent.").format(n=count))

