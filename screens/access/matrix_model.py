"""The access-rights matrix as data: services × subjects, filters, the cursor, a selection, and
the change set the operator builds before anything is sent.

No Textual here: the widget (``matrix.py``) draws what this model says, and the tests and the
benchmark drive it directly. Positions (``row``, ``col``) are indexes into the *visible* rows and
columns (after filtering); changes are keyed by (service code, subject id) so that they survive
filtering and reloading.

A cell is a service-level right. Rights on single REST endpoints are kept beside them
(``endpoint_rights``): a cell with some of those and no service-level right is "partial". The
change set holds service-level changes only; endpoint rights stay as they are (X-Road keeps them
apart: a service-level grant adds to them, a service-level revocation leaves them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from backend.api.service_models import GLOBALGROUP, LOCALGROUP, SUBSYSTEM
from backend.i18n import _, ngettext

GRANT, REVOKE = "grant", "revoke"
ChangeKind = Literal["grant", "revoke"]
CellState = Literal["granted", "partial", "none", "pending-grant", "pending-revoke"]
Cell = tuple[str, str]  # (the service's rights code, subject id)

#: the order of subject kinds, in columns and lists
KIND_ORDER = {SUBSYSTEM: 0, GLOBALGROUP: 1, LOCALGROUP: 2}
#: the character between the service part and the subject part of a filter
SUBJECT_FILTER_MARK = "@"


def natural_key(text: str) -> list[Any]:
    """Sorts "service-9" before "service-10": digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.lower())]


def kind_word(kind: str) -> str:
    return {SUBSYSTEM: _("subsystem"), GLOBALGROUP: _("global group"),
            LOCALGROUP: _("local group")}.get(kind, kind.lower())


def subject_label(kind: str, label: str, name: str) -> str:
    """"subsystem: KG:GOV:123:portal (State portal)"."""
    text = f"{kind_word(kind)}: {label}"
    return f"{text} ({name})" if name and name != label else text


@dataclass(frozen=True)
class ServiceRow:
    """A service of the client: ``code`` its full code (getPerson.v1), ``rights_code`` the code
    X-Road keeps its access rights on (getPerson: every version shares them)."""

    code: str
    title: str = ""
    service_id: str = ""
    rights_code: str = ""
    endpoint_count: int = 0  # REST endpoints that can hold rights of their own (not the base)

    @property
    def key(self) -> str:
        """The service part of a cell: what the access right is on."""
        return self.rights_code or self.code

    @property
    def search_text(self) -> str:
        return f"{self.code}\n{self.title}".lower()


@dataclass(frozen=True)
class SubjectColumn:
    """A subject of access rights: ``id`` as the admin API names it (a local group: its number)."""

    id: str
    kind: str = SUBSYSTEM
    name: str = ""
    code: str = ""  # a local group's code

    @property
    def label(self) -> str:
        """The subject as operators write it: a local group by its code, the others by id."""
        return (self.code or self.id) if self.kind == LOCALGROUP else self.id

    @property
    def short(self) -> str:
        """A few characters for a column header: the last part of the id, or the group code."""
        return self.label.rsplit(":", 1)[-1]

    @property
    def header(self) -> tuple[str, str]:
        """Two short lines for a column header: a subsystem's member code and its code; the
        kind and the code of a group."""
        if self.kind == SUBSYSTEM and self.id.count(":") == 3:
            _instance, _class, member, subsystem = self.id.split(":")
            return member, subsystem
        words = {GLOBALGROUP: _("global"), LOCALGROUP: _("local")}
        return words.get(self.kind, ""), self.short

    @property
    def search_text(self) -> str:
        return f"{self.id}\n{self.code}\n{self.name}".lower()

    @property
    def sort_key(self) -> tuple[int, list[Any]]:
        return KIND_ORDER.get(self.kind, 3), natural_key(self.label)


@dataclass(frozen=True)
class Change:
    """One staged change: grant or revoke ``subject`` access to ``service``."""

    service: str
    subject: str
    kind: ChangeKind


def parse_filter(text: str) -> tuple[str, str]:
    """``"pop @portal"`` → services matching "pop", subjects matching "portal" (lower case)."""
    service_part, mark, subject_part = text.partition(SUBJECT_FILTER_MARK)
    return service_part.strip().lower(), subject_part.strip().lower() if mark else ""


class MatrixModel:
    """Services (rows) × subjects (columns), the rights they hold, and the pending change set."""

    def __init__(self, services: Iterable[ServiceRow], subjects: Iterable[SubjectColumn],
                 rights: Iterable[Cell],
                 endpoint_rights: Mapping[Cell, Sequence[str]] | None = None) -> None:
        self.services = sorted(services, key=lambda row: natural_key(row.code))
        self.subjects = sorted(subjects, key=lambda col: col.sort_key)
        self.rights: set[Cell] = set(rights)
        #: rights on single REST endpoints: cell → its endpoints ("GET /pets"), in file order
        self.endpoint_rights: dict[Cell, tuple[str, ...]] = {
            cell: tuple(endpoints) for cell, endpoints in (endpoint_rights or {}).items()
            if endpoints}
        self.pending: dict[Cell, ChangeKind] = {}
        self.filter_text = ""
        self.rows: list[int] = list(range(len(self.services)))
        self.cols: list[int] = list(range(len(self.subjects)))
        self.row = 0
        self.col = 0
        self.anchor: tuple[int, int] | None = None  # the other corner of the selection
        self.visual = False  # a selection started with ``v``: every move extends it
        self.version = 0  # bumped on every change that alters what is drawn

    # -- what is where --------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def col_count(self) -> int:
        return len(self.cols)

    def service_at(self, row: int) -> ServiceRow:
        return self.services[self.rows[row]]

    def subject_at(self, col: int) -> SubjectColumn:
        return self.subjects[self.cols[col]]

    @property
    def current(self) -> tuple[ServiceRow, SubjectColumn] | None:
        """The service and subject under the cursor (None when either axis is empty)."""
        if not self.rows or not self.cols:
            return None
        return self.service_at(self.row), self.subject_at(self.col)

    def state(self, service: str, subject: str) -> CellState:
        """The cell of ``service`` (a rights code, ``ServiceRow.key``) and ``subject``."""
        pending = self.pending.get((service, subject))
        if pending == GRANT:
            return "pending-grant"
        if pending == REVOKE:
            return "pending-revoke"
        cell = (service, subject)
        if cell in self.rights:
            return "granted"
        return "partial" if cell in self.endpoint_rights else "none"

    def state_at(self, row: int, col: int) -> CellState:
        return self.state(self.services[self.rows[row]].key, self.subjects[self.cols[col]].id)

    def subject(self, subject_id: str) -> SubjectColumn | None:
        return next((col for col in self.subjects if col.id == subject_id), None)

    def endpoints(self, service: str, subject: str) -> tuple[str, ...]:
        """The REST endpoints of ``service`` that ``subject`` has rights of their own on."""
        return self.endpoint_rights.get((service, subject), ())

    def endpoint_only(self, cells: Iterable[Cell]) -> list[Cell]:
        """The cells with rights on single endpoints and no service-level right: a service-level
        revocation has nothing to take away there."""
        return [cell for cell in cells if cell in self.endpoint_rights and cell not in self.rights]

    # -- filtering ------------------------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """Show the services and subjects that match; the cursor stays on what it was on if it
        is still shown. The selection is dropped."""
        current = self.current
        self.filter_text = text
        service_query, subject_query = parse_filter(text)
        self.rows = [index for index, row in enumerate(self.services)
                     if service_query in row.search_text]
        self.cols = [index for index, col in enumerate(self.subjects)
                     if subject_query in col.search_text]
        self.anchor = None
        self.visual = False
        self.row = self.col = 0
        if current is not None:
            self._place(current[0].code, current[1].id)
        self.version += 1

    def _place(self, service: str | None, subject: str | None) -> None:
        if service is not None:
            self.row = next((pos for pos, index in enumerate(self.rows)
                             if self.services[index].code == service), self.row)
        if subject is not None:
            self.col = next((pos for pos, index in enumerate(self.cols)
                             if self.subjects[index].id == subject), self.col)

    def add_subject(self, subject: SubjectColumn) -> int:
        """Add a subject column (or find it); the cursor goes there. Its visible position.

        A filter that would hide the new column is widened to show every subject."""
        if self.subject(subject.id) is None:
            self.subjects.append(subject)
            self.subjects.sort(key=lambda col: col.sort_key)
        keep = self.current
        service_query, subject_query = parse_filter(self.filter_text)
        if subject_query and subject_query not in subject.search_text:
            self.filter_text = service_query
        self.set_filter(self.filter_text)
        self._place(keep[0].code if keep else None, subject.id)
        return self.col

    # -- cursor and selection -------------------------------------------------------------------

    def move_to(self, row: int, col: int, *, extend: bool = False) -> None:
        """Put the cursor at (row, col), clamped; ``extend`` (or a selection started with
        ``start_selection``) keeps the selection growing, otherwise it is dropped."""
        extend = extend or self.visual
        if extend and self.anchor is None:
            self.anchor = (self.row, self.col)
        elif not extend:
            self.anchor = None
        self.row = max(0, min(row, self.row_count - 1))
        self.col = max(0, min(col, self.col_count - 1))
        self.version += 1

    def move(self, rows: int, cols: int, *, extend: bool = False) -> None:
        self.move_to(self.row + rows, self.col + cols, extend=extend)

    def start_selection(self) -> None:
        """``v``: start a selection at the cursor that moves extend, or drop the one there is."""
        if self.anchor is not None:
            self.clear_selection()
            return
        self.anchor = (self.row, self.col)
        self.visual = True
        self.version += 1

    def clear_selection(self) -> bool:
        had = self.anchor is not None
        self.anchor = None
        self.visual = False
        self.version += 1
        return had

    def selection_bounds(self) -> tuple[int, int, int, int] | None:
        """(first row, last row, first col, last col) of the selection, cursor included."""
        if not self.rows or not self.cols:
            return None
        anchor_row, anchor_col = self.anchor if self.anchor is not None else (self.row, self.col)
        anchor_row = min(anchor_row, self.row_count - 1)
        anchor_col = min(anchor_col, self.col_count - 1)
        return (min(anchor_row, self.row), max(anchor_row, self.row),
                min(anchor_col, self.col), max(anchor_col, self.col))

    def is_selected(self, row: int, col: int) -> bool:
        if self.anchor is None:
            return False
        bounds = self.selection_bounds()
        assert bounds is not None
        first_row, last_row, first_col, last_col = bounds
        return first_row <= row <= last_row and first_col <= col <= last_col

    def selected_cells(self) -> list[Cell]:
        """The cells of the selection (just the cursor's cell when nothing is selected)."""
        bounds = self.selection_bounds()
        if bounds is None:
            return []
        first_row, last_row, first_col, last_col = bounds
        return [(self.services[self.rows[row]].key, self.subjects[self.cols[col]].id)
                for row in range(first_row, last_row + 1)
                for col in range(first_col, last_col + 1)]

    # -- the change set -------------------------------------------------------------------------

    def stage(self, kind: ChangeKind, cells: Iterable[Cell]) -> int:
        """Grant (or revoke) these cells: a grant where there is no right, a revocation where
        there is one; the opposite pending change is dropped. How many cells changed."""
        changed = 0
        for cell in cells:
            has_right = cell in self.rights
            before = self.pending.get(cell)
            if kind == GRANT:
                after: ChangeKind | None = None if has_right else GRANT
            else:
                after = REVOKE if has_right else None
            if after is None:
                self.pending.pop(cell, None)
            else:
                self.pending[cell] = after
            changed += before != after
        if changed:
            self.version += 1
        return changed

    def toggle(self, cell: Cell) -> None:
        """Space: a cell without a pending change gets one (grant or revoke); one with gets none."""
        if cell in self.pending:
            del self.pending[cell]
        else:
            self.pending[cell] = REVOKE if cell in self.rights else GRANT
        self.version += 1

    def stage_selection(self, kind: ChangeKind) -> int:
        changed = self.stage(kind, self.selected_cells())
        self.clear_selection()
        return changed

    def clear_pending(self) -> None:
        self.pending.clear()
        self.version += 1

    def changes(self) -> list[Change]:
        """The change set, by service then subject."""
        return [Change(service, subject, kind)
                for (service, subject), kind in sorted(self.pending.items())]

    def counts(self) -> tuple[int, int]:
        """(grants, revocations) pending."""
        grants = sum(1 for kind in self.pending.values() if kind == GRANT)
        return grants, len(self.pending) - grants

    # -- views the other tabs use ---------------------------------------------------------------

    def _listed(self, cell: Cell) -> bool:
        return cell in self.rights or cell in self.pending or cell in self.endpoint_rights

    def subjects_of(self, service: str) -> list[tuple[SubjectColumn, CellState]]:
        """Every subject with a right to ``service`` (a rights code) or to some of its endpoints,
        or a pending change for it."""
        return [(col, self.state(service, col.id)) for col in self.subjects
                if self._listed((service, col.id))]

    def services_of(self, subject: str) -> list[tuple[ServiceRow, CellState]]:
        """Every service ``subject`` has a right to (or to some of its endpoints), or a pending
        change for."""
        return [(row, self.state(row.key, subject)) for row in self.services
                if self._listed((row.key, subject))]

    def row_for(self, code: str) -> ServiceRow | None:
        """The service with this full code."""
        return next((row for row in self.services if row.code == code), None)


def pending_summary(model: MatrixModel) -> str:
    """"2 grants and 1 revocation pending", or that nothing is."""
    grants, revokes = model.counts()
    granted = ngettext("{n} grant", "{n} grants", grants).format(n=grants)
    revoked = ngettext("{n} revocation", "{n} revocations", revokes).format(n=revokes)
    if grants and revokes:
        return _("{grants} and {revocations} pending").format(grants=granted, revocations=revoked)
    if grants or revokes:
        return _("{changes} pending").format(changes=granted if grants else revoked)
    return _("no changes pending")
