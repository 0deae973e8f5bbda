"""Rights files in CSV: one row per right, for spreadsheets.

::

    client,service,endpoint,subject,name
    SANDBOX-KG:GOV:70000001:registry,getPerson.v1,,SANDBOX-KG:GOV:70000002:portal,Citizen portal
    SANDBOX-KG:GOV:70000001:registry,listPersons.v1,,,

A row with an empty subject lists a service with nobody allowed (so that a service can be emptied);
``endpoint`` is empty for the service itself; ``name`` is for people and is not read back. The
delimiter may be ``,``, ``;`` or a tab (as spreadsheets save them), told from the header line.
Cells are read here rather than by ``csv`` so that each problem names its line and column.
"""

from __future__ import annotations

import bisect
import csv
import difflib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from backend.acl.errors import Problem, RightsFileError
from backend.acl.model import RightsDocument, Target, Where
from backend.acl.subjects import (
    client_problem,
    endpoint_key,
    endpoint_problem,
    service_problem,
    split_endpoint,
    subject_problem,
)
from backend.i18n import _

COLUMNS = ("client", "service", "endpoint", "subject", "name")
REQUIRED = ("client", "service", "subject")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class _Cell:
    value: str
    offset: int


# -- writing -------------------------------------------------------------------------------------

def _safe_text(text: str) -> str:
    """A name cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def dump_csv(document: RightsDocument) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for target, subjects in document.items():
        if not subjects:
            writer.writerow([target.client, target.service, target.endpoint, "", ""])
        for subject in subjects:
            writer.writerow([target.client, target.service, target.endpoint, subject,
                             _safe_text(document.name(target.client, subject))])
    return out.getvalue()


# -- reading -------------------------------------------------------------------------------------

def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


class _Parser:
    """Cells with their offsets; places (line, column) are worked out only when asked for."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.delimiter = _delimiter(text)
        self._starts: list[int] | None = None
        self.problems: list[Problem] = []
        self._checked: dict[tuple[Callable[[str], str | None], str], str | None] = {}

    def where(self, offset: int) -> Where:
        if self._starts is None:
            self._starts = [0, *(match.end() for match in re.finditer("\n", self.text))]
        line = bisect.bisect_right(self._starts, offset)
        return Where(self.source, line, offset - self._starts[line - 1] + 1)

    def check(self, check: Callable[[str], str | None], value: str) -> str | None:
        """``check(value)``, once per distinct value (a file repeats its clients and subjects)."""
        key = (check, value)
        if key not in self._checked:
            self._checked[key] = check(value)
        return self._checked[key]

    def records(self) -> list[list[_Cell]]:
        """Every record (a blank line is none); a quoting error stops reading with a problem."""
        text, sep, i, end = self.text, self.delimiter, 0, len(self.text)
        records: list[list[_Cell]] = []
        while i < end:
            cells: list[_Cell] = []
            line_end = text.find("\n", i)
            line_end = end if line_end < 0 else line_end
            while True:
                start = i
                if i < end and text[i] == '"':
                    value, after = self._quoted(i)
                    if after is None:
                        return records
                    i = after
                    line_end = text.find("\n", i)
                    line_end = end if line_end < 0 else line_end
                else:
                    stop = text.find(sep, i, line_end)
                    stop = line_end if stop < 0 else stop
                    value, i = text[i:stop].rstrip("\r"), stop
                cells.append(_Cell(value, start))
                if i < end and text[i] == sep:
                    i += 1
                    continue
                i += 1  # the newline
                break
            if len(cells) > 1 or cells[0].value.strip():
                records.append(cells)
        return records

    def _quoted(self, start: int) -> tuple[str, int | None]:
        text, i, parts = self.text, start + 1, []
        while True:
            close = text.find('"', i)
            if close < 0:
                self.problems.append(Problem(_("a quoted cell is not closed (a \" is missing)"),
                                             self.where(start)))
                return "", None
            parts.append(text[i:close])
            if text.startswith('""', close):
                parts.append('"')
                i = close + 2
                continue
            after = close + 1
            if after < len(text) and text[after] not in (self.delimiter, "\n", "\r"):
                self.problems.append(Problem(
                    _("unexpected text after the closing quote of a cell (write a quote inside "
                      "a quoted cell as \"\")"), self.where(after)))
                return "", None
            if text.startswith("\r", after):
                after += 1
            return "".join(parts), after


class _Rows:
    """The rows after the header, read into a document; places kept as offsets."""

    def __init__(self, parser: _Parser, columns: dict[str, int], document: RightsDocument) -> None:
        self.parser = parser
        self.columns = columns
        self.document = document
        self.places: dict[tuple[Target, str | None], int] = {}
        self.first: dict[tuple[Target, str], int] = {}  # the offset of each right's row
        self.wanted: dict[Target, set[str]] = {}

    def problem(self, message: str, offset: int) -> None:
        self.parser.problems.append(Problem(message, self.parser.where(offset)))

    def cell(self, cells: list[_Cell], name: str) -> _Cell:
        index = self.columns.get(name)
        return cells[index] if index is not None else _Cell("", cells[0].offset)

    def row(self, cells: list[_Cell]) -> None:
        if len(cells) != len(self.columns):
            self.problem(_("this row has {n} cells; the header has {m}").format(
                n=len(cells), m=len(self.columns)), cells[0].offset)
            return
        client, service, endpoint_cell, subject_cell = (
            self.cell(cells, name) for name in ("client", "service", "endpoint", "subject"))
        bad = False
        for found, check in ((client, client_problem), (service, service_problem),
                             (endpoint_cell, endpoint_problem), (subject_cell, subject_problem)):
            value = found.value.strip()
            problem = self.parser.check(check, value) if value or check in (
                client_problem, service_problem) else None
            if problem:
                self.problem(problem, found.offset)
                bad = True
        if bad:
            return
        endpoint = endpoint_cell.value.strip()
        endpoint = endpoint_key(*split_endpoint(endpoint)) if endpoint else ""
        target = Target(client.value.strip(), service.value.strip(), endpoint)
        self.places.setdefault((target, None), service.offset)
        self.places.setdefault((Target(target.client, ""), None), client.offset)
        current = self.wanted.setdefault(target, set())
        subject = subject_cell.value.strip()
        if not subject:
            return
        if (target, subject) in self.first:
            line = self.parser.where(self.first[(target, subject)]).line
            self.problem(_("duplicate row: {subject} for {target} is on line {line} already").format(
                subject=subject, target=target, line=line), cells[0].offset)
            return
        self.first[(target, subject)] = cells[0].offset
        self.places[(target, subject)] = subject_cell.offset
        current.add(subject)
        name = self.cell(cells, "name").value.strip()
        if name:
            self.document.names[(target.client, subject)] = name.removeprefix("'")

    def locate(self, target: Target, subject: str | None) -> Where | None:
        offset = self.places.get((target, subject), self.places.get((target, None)))
        return None if offset is None else self.parser.where(offset)


def parse_csv(text: str, source: str = "rights.csv") -> RightsDocument:
    """Read a CSV rights file; every problem in it is raised together as ``RightsFileError``."""
    text = text.removeprefix("\ufeff")
    parser = _Parser(text, source)
    records = parser.records()
    problems = parser.problems
    if not records:
        if not problems:
            problems.append(Problem(_("the file is empty; it needs a header line: {columns}").format(
                columns=",".join(COLUMNS)), Where(source, 1, 1)))
        raise RightsFileError(problems)
    columns = _header(records[0], parser, problems)
    document = RightsDocument(source=source)
    if columns is not None:
        rows = _Rows(parser, columns, document)
        for cells in records[1:]:
            rows.row(cells)
        document.rights = {target: frozenset(subjects) for target, subjects in rows.wanted.items()}
        document.locate = rows.locate
    if problems:
        raise RightsFileError(sorted(problems, key=lambda p: (p.where.line, p.where.column)
                                     if p.where else (0, 0)))
    return document


def _header(cells: list[_Cell], parser: _Parser, problems: list[Problem]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.value.strip().casefold()
        if name in COLUMNS and name not in columns:
            columns[name] = index
            continue
        if name in columns:
            message = _("column “{name}” appears twice").format(name=name)
        elif close := difflib.get_close_matches(name, COLUMNS, n=1):
            message = _("unknown column “{name}” — did you mean “{close}”?").format(
                name=cell.value, close=close[0])
        else:
            message = _("unknown column “{name}”; the columns are {columns}").format(
                name=cell.value, columns=", ".join(COLUMNS))
        problems.append(Problem(message, parser.where(cell.offset)))
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        problems.append(Problem(_("the header line lacks the column(s) {missing}; it should read "
                                  "{columns}").format(missing=", ".join(missing),
                                                      columns=",".join(COLUMNS)),
                                parser.where(cells[0].offset)))
    return None if problems else columns
