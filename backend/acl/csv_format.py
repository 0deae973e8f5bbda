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
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.delimiter = _delimiter(text)
        self._starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        self.problems: list[Problem] = []

    def where(self, offset: int) -> Where:
        line = bisect.bisect_right(self._starts, offset)
        return Where(self.source, line, offset - self._starts[line - 1] + 1)

    def records(self) -> list[list[_Cell]]:
        """Every record (a blank line is none); a quoting error stops reading with a problem."""
        text, sep, i, end = self.text, self.delimiter, 0, len(self.text)
        records: list[list[_Cell]] = []
        while i < end:
            cells: list[_Cell] = []
            while True:
                start = i
                if i < end and text[i] == '"':
                    value, after = self._quoted(i)
                    if after is None:
                        return records
                    i = after
                else:
                    stop = i
                    while stop < end and text[stop] not in (sep, "\n"):
                        stop += 1
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
    places: dict[tuple[Target, str | None], Where] = {}
    rows: dict[tuple[Target, str], int] = {}
    wanted: dict[Target, set[str]] = {}
    if columns is not None:
        for cells in records[1:]:
            _row(cells, columns, parser, problems, document, places, rows, wanted)
    document.rights = {target: frozenset(subjects) for target, subjects in wanted.items()}
    if problems:
        raise RightsFileError(sorted(problems, key=lambda p: (p.where.line, p.where.column)
                                     if p.where else (0, 0)))
    document.locate = lambda target, subject: (places.get((target, subject))
                                               or places.get((target, None)))
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


def _row(cells: list[_Cell], columns: dict[str, int], parser: _Parser, problems: list[Problem],
         document: RightsDocument, places: dict[tuple[Target, str | None], Where],
         rows: dict[tuple[Target, str], int], wanted: dict[Target, set[str]]) -> None:
    row_start = parser.where(cells[0].offset)
    if len(cells) != len(columns):
        problems.append(Problem(_("this row has {n} cells; the header has {m}").format(
            n=len(cells), m=len(columns)), row_start))
        return

    def cell(name: str) -> tuple[str, Where]:
        found = cells[columns[name]] if name in columns else _Cell("", cells[0].offset)
        return found.value.strip(), parser.where(found.offset)

    values: dict[str, tuple[str, Where]] = {name: cell(name) for name in COLUMNS}
    checks = (("client", client_problem), ("service", service_problem))
    bad = False
    for name, check in checks:
        problem = check(values[name][0])
        if problem:
            problems.append(Problem(problem, values[name][1]))
            bad = True
    endpoint, endpoint_at = values["endpoint"]
    if endpoint:
        problem = endpoint_problem(endpoint)
        if problem:
            problems.append(Problem(problem, endpoint_at))
            bad = True
        else:
            endpoint = endpoint_key(*split_endpoint(endpoint))
    subject, subject_at = values["subject"]
    if subject:
        problem = subject_problem(subject)
        if problem:
            problems.append(Problem(problem, subject_at))
            bad = True
    if bad:
        return
    target = Target(values["client"][0], values["service"][0], endpoint)
    places.setdefault((target, None), values["service"][1])
    places.setdefault((Target(target.client, ""), None), values["client"][1])
    current = wanted.setdefault(target, set())
    if subject:
        if (target, subject) in rows:
            problems.append(Problem(_("duplicate row: {subject} for {target} is on line {line} "
                                      "already").format(subject=subject, target=target,
                                                        line=rows[(target, subject)]), row_start))
            return
        rows[(target, subject)] = row_start.line
        places[(target, subject)] = subject_at
        current.add(subject)
        name = values["name"][0]
        if name:
            document.names[(target.client, subject)] = name.removeprefix("'")
