"""The client-based view: the subjects, and the services the highlighted one may call (◐: only
some of a service's REST endpoints, listed)."""

from __future__ import annotations

from collections import Counter

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from backend.i18n import _, ngettext
from screens.access.by_service import (
    ENDPOINTS_WIDTH,
    RightsView,
    count_text,
    endpoints_hint,
    state_word,
)
from screens.access.common import subject_label
from screens.access.endpoint_rights import endpoint_list
from screens.access.matrix_model import REVOKE, kind_word, parse_filter


class BySubjectView(RightsView):
    """Subjects on the left (subsystems, global groups, local groups); their services right."""

    BINDINGS = [
        Binding("a", "add", _("Give services…"), id="access.subject.add",
                tooltip=_("Choose services the highlighted subject may call")),
        Binding("n", "new_subject", _("New subject…"), id="access.subject.new",
                tooltip=_("Find a subject in the global configuration and add it here")),
        Binding("d,delete", "remove", _("Revoke"), id="access.subject.remove",
                tooltip=_("Stage the revocation of the highlighted service")),
        Binding("u", "undo", _("Undo"), id="access.subject.undo",
                tooltip=_("Drop the staged change of the highlighted service")),
    ]

    WRITE_ACTIONS = frozenset({"add", "remove", "undo", "new_subject"})

    def compose(self) -> ComposeResult:
        yield from self.compose_lists(_("Subjects"), _("Services it may call"))

    def on_mount(self) -> None:
        self.left.add_columns(_("Subject"), _("Services"), _("Kind"))
        self.right.add_columns(_("Right"), _("Service"), _("Endpoints"), _("Title"))

    @property
    def subject(self) -> str | None:
        return self.selected_key(self.left)

    def fill_left(self) -> None:
        keep = self.subject
        _services, query = parse_filter(self.filter_text)
        if not query:  # a filter without "@" applies to subjects in this view
            query = self.filter_text.strip().lower()
        table = self.left
        table.clear()
        model = self.model
        counts = Counter(subject for _service, subject in model.rights)
        partial = Counter(subject for _service, subject in model.endpoint_only(model.endpoint_rights))
        pending = {subject for _service, subject in model.pending}
        for col in model.subjects:
            if query and query not in col.search_text:
                continue
            label = col.label + (f" ({col.name})" if col.name and col.name != col.label else "")
            table.add_row(label, count_text(counts[col.id], partial[col.id], col.id in pending),
                          kind_word(col.kind), key=col.id)
        self._keep_cursor(table, keep)
        self.fill_right()

    def fill_right(self) -> None:
        table = self.right
        keep = self.selected_key(table)
        table.clear()
        subject = self.subject
        hint = self.query_one(".view-hint", Static)
        col = self.model.subject(subject) if subject is not None else None
        if col is None:
            hint.update(_("No subject matches the filter.") if self.model.subjects
                        else _("No subject has access to this client's services yet; n finds "
                               "one."))
            return
        services = self.model.services_of(col.id)
        for row, state in services:
            endpoints = endpoint_list(self.model.endpoints(row.key, col.id), ENDPOINTS_WIDTH)
            table.add_row(state_word(state), row.code, endpoints, row.title, key=row.code)
        self._keep_cursor(table, keep)
        hint.update(ngettext(
            "{subject}: {n} service. a gives it more, d revokes the highlighted one, u drops its "
            "staged change; * marks staged changes.",
            "{subject}: {n} services. a gives it more, d revokes the highlighted one, u drops its "
            "staged change; * marks staged changes.", len(services)).format(
            subject=subject_label(col.kind, col.label, col.name), n=len(services))
            + endpoints_hint([state for _row, state in services]))

    def select_subject(self, subject_id: str) -> None:
        self.refresh_view()
        self._keep_cursor(self.left, subject_id)
        self.fill_right()

    def action_add(self) -> None:
        subject = self.subject
        if subject is not None:
            self.post_message(PickServices(subject))

    def action_new_subject(self) -> None:
        self.post_message(NewSubject())

    @property
    def service(self) -> str | None:
        """The highlighted service's rights code (``ServiceRow.key``)."""
        code = self.selected_key(self.right)
        row = self.model.row_for(code) if code is not None else None
        return row.key if row is not None else None

    def action_remove(self) -> None:
        subject, service = self.subject, self.service
        if service is not None and subject is not None:
            self.stage(REVOKE, [(service, subject)])

    def action_undo(self) -> None:
        subject, service = self.subject, self.service
        if service is not None and subject is not None:
            self.undo((service, subject))


class PickServices(Message):
    """Choose services ``subject`` may call (the screen opens a picker over the services)."""

    def __init__(self, subject: str) -> None:
        super().__init__()
        self.subject = subject


class NewSubject(Message):
    """Find a subject among the server's candidates and add it (the screen opens the search)."""
