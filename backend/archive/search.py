"""Searching the record index: filters, counts and pages, for the command line and the records view.

``ArchiveSearch`` opens its own read-only connection to an index, so a view can page through
records while ``ArchiveIndex.update()`` writes in another thread. Pages are fetched in two steps:
the row ids of the page from a covering index (cheap even at offset 999,950 of a million), then the
rows themselves, so a view over 1,000,000 records renders only the lines it shows.

Identifier filters follow X-Road's short forms and match by whole segments: client
``CS/GOV/1001`` finds that member and its subsystems ``CS/GOV/1001/…``; service ``CS/GOV/5005/registry``
finds every service of that subsystem. A query id ending in ``*`` is a prefix.
"""

from __future__ import annotations

import csv
import functools
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, ParamSpec, TypeVar

from backend.archive.files import open_archive
from backend.archive.index import KIND_NAMES, ArchiveIndex, IndexUnusable, connect
from backend.archive.records import issue_message
from backend.archive.scan import KINDS
from backend.errors import KapkaError
from backend.i18n import _

P = ParamSpec("P")
T = TypeVar("T")

_LINE_COLUMNS = ("r.id, r.time, r.response, r.query_id, c.text, s.text, r.kind, r.size, r.file_id, f.path, "
                 "r.summary")
_DETAIL_COLUMNS = _LINE_COLUMNS + (", r.entry, r.record_id, r.request_id, r.user_id, r.issue, r.seq, "
                                   "f.member, f.grp, f.size, f.mtime_ns")
_FROM = ("FROM records r LEFT JOIN parties c ON c.id = r.client LEFT JOIN parties s ON s.id = r.service "
         "JOIN files f ON f.id = r.file_id")


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What to look for; every field left ``None`` matches everything."""

    query_id: str | None = None  # exact, or a prefix when it ends with "*"
    client: str | None = None
    service: str | None = None
    member: str | None = None  # the local member or subsystem of grouped archives
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    kind: str | None = None  # "soap" or "rest"
    response: bool | None = None
    file_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class RecordLine:
    """One line of a records view."""

    id: int
    time: datetime | None
    response: bool
    query_id: str
    client: str | None
    service: str | None
    kind: str
    size: int
    file_id: int
    file_path: str
    summary: str | None

    @property
    def direction(self) -> str:
        return "response" if self.response else "request"


@dataclass(frozen=True, slots=True)
class RecordDetail:
    """Everything the index knows of one record, and where its container is."""

    line: RecordLine
    entry: str  # the container's entry name in the archive
    record_id: int | None  # X-Road's log record id (7.x names)
    request_id: str | None
    user_id: str | None
    issue: str | None
    seq: int  # position of the entry in the archive's directory
    member: str | None
    group: str | None
    archive: Path
    archive_size: int
    archive_mtime_ns: int

    @property
    def issue_message(self) -> str | None:
        return issue_message(self.issue)


def _guarded(method: Callable[P, T]) -> Callable[P, T]:
    """SQLite's errors (a damaged or vanished index) as a ``KapkaError`` that says what to do."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise IndexUnusable(_("The archive index cannot be read: {error}. Index the directory again "
                                  "(kapka archives list DIR); a damaged index is built anew.").format(
                                      error=exc)) from exc

    return guarded


def _moment(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _line(row: tuple) -> RecordLine:
    return RecordLine(row[0], _moment(row[1]), bool(row[2]), row[3], row[4], row[5], KIND_NAMES[row[6]],
                      row[7], row[8], row[9], row[10])


def _prefix_bound(prefix: str) -> str:
    """The smallest text above every text that starts with ``prefix`` (UTF-8 keeps code-point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class ArchiveSearch:
    """Counts, pages and single records of an index. Safe to use from one other thread at a time."""

    def __init__(self, index_path: Path, archive_dir: Path | None = None) -> None:
        if not index_path.exists():
            raise KapkaError(_("There is no archive index at {path} yet. Index the archive directory "
                               "first (kapka archives list DIR).").format(path=index_path),
                             _("No archive index"))
        self.connection = connect(index_path, readonly=True)
        if archive_dir is None:
            try:
                row = self.connection.execute("SELECT value FROM meta WHERE key='archive_dir'").fetchone()
            except sqlite3.Error as exc:
                self.connection.close()
                raise IndexUnusable(_("{path} is not a usable archive index ({error}). Index the directory "
                                      "again (kapka archives list DIR).").format(path=index_path, error=exc)
                                    ) from exc
            archive_dir = Path(row[0]) if row else index_path.parent
        self.archive_dir = archive_dir

    @classmethod
    def of(cls, index: ArchiveIndex) -> ArchiveSearch:
        return cls(index.path, index.archive_dir)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ArchiveSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- building queries -----------------------------------------------------------------------

    @_guarded
    def _parties(self, identifier: str) -> list[int]:
        identifier = identifier.strip().strip("/")
        below = identifier + "/"
        return [row[0] for row in self.connection.execute(
            "SELECT id FROM parties WHERE text = ? OR (text >= ? AND text < ?)",
            (identifier, below, _prefix_bound(below)))]

    @_guarded
    def _member_files(self, member: str) -> list[int]:
        member = member.strip().strip("/")
        below = member + "/"
        return [row[0] for row in self.connection.execute(
            "SELECT id FROM files WHERE member = ? OR grp = ? OR (member >= ? AND member < ?)",
            (member, member, below, _prefix_bound(below)))]

    def _where(self, flt: RecordFilter) -> tuple[str, list[object]] | None:
        """The WHERE clause and its parameters; ``None`` when nothing can match."""
        clauses: list[str] = []
        params: list[object] = []
        if flt.query_id:
            if flt.query_id.endswith("*") and len(flt.query_id) > 1:
                prefix = flt.query_id[:-1]
                clauses.append("r.query_id >= ? AND r.query_id < ?")
                params += [prefix, _prefix_bound(prefix)]
            else:
                clauses.append("r.query_id = ?")
                params.append(flt.query_id)
        for column, value in (("r.client", flt.client), ("r.service", flt.service)):
            if value:
                ids = self._parties(value)
                if not ids:
                    return None
                clauses.append(f"{column} IN ({','.join('?' * len(ids))})")
                params += ids
        if flt.member:
            files = self._member_files(flt.member)
            if flt.file_id is not None:
                files = [file_id for file_id in files if file_id == flt.file_id]
            if not files:
                return None
            clauses.append(f"r.file_id IN ({','.join('?' * len(files))})")
            params += files
        elif flt.file_id is not None:
            clauses.append("r.file_id = ?")
            params.append(flt.file_id)
        if flt.since is not None:
            clauses.append("r.time >= ?")
            params.append(int(flt.since.timestamp()))
        if flt.until is not None:
            clauses.append("r.time < ?")
            params.append(int(flt.until.timestamp()))
        if flt.kind is not None:
            clauses.append("r.kind = ?")
            params.append(KINDS.get(flt.kind, 2))
        if flt.response is not None:
            clauses.append("r.response = ?")
            params.append(int(flt.response))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    # -- the API for views ----------------------------------------------------------------------

    @_guarded
    def count(self, flt: RecordFilter | None = None) -> int:
        """How many records match (instant for no filter: the files keep their counts)."""
        flt = flt or RecordFilter()
        if flt.is_empty:
            return self.connection.execute("SELECT coalesce(sum(records), 0) FROM files").fetchone()[0]
        where = self._where(flt)
        if where is None:
            return 0
        return self.connection.execute(f"SELECT count(*) FROM records r{where[0]}", where[1]).fetchone()[0]

    @_guarded
    def page(self, flt: RecordFilter | None, offset: int, limit: int) -> list[RecordLine]:
        """Lines ``offset`` to ``offset + limit`` of the matching records, in time order."""
        where = self._where(flt or RecordFilter())
        if where is None or limit <= 0:
            return []
        ids = [row[0] for row in self.connection.execute(
            f"SELECT r.id FROM records r{where[0]} ORDER BY r.time, r.id LIMIT ? OFFSET ?",
            [*where[1], limit, max(0, offset)])]
        if not ids:
            return []
        rows = {row[0]: row for row in self.connection.execute(
            f"SELECT {_LINE_COLUMNS} {_FROM} WHERE r.id IN ({','.join('?' * len(ids))})", ids)}
        return [_line(rows[record]) for record in ids if record in rows]

    def lines(self, flt: RecordFilter | None = None, batch: int = 5000) -> Iterator[RecordLine]:
        """Every matching record in time order, fetched ``batch`` at a time (for exports)."""
        where = self._where(flt or RecordFilter())
        if where is None:
            return
        cursor = self.connection.execute(
            f"SELECT {_LINE_COLUMNS} {_FROM}{where[0]} ORDER BY r.time, r.id", where[1])
        try:
            while rows := cursor.fetchmany(batch):
                for row in rows:
                    yield _line(row)
        finally:
            cursor.close()

    @_guarded
    def record(self, record_id: int) -> RecordDetail | None:
        row = self.connection.execute(f"SELECT {_DETAIL_COLUMNS} {_FROM} WHERE r.id = ?",
                                      (record_id,)).fetchone()
        if row is None:
            return None
        return RecordDetail(_line(row), row[11], row[12], row[13], row[14], row[15], row[16], row[17],
                            row[18], self.archive_dir / row[9], row[19], row[20])

    def read_container(self, detail: RecordDetail, *, gpg_home: Path | None = None,
                       temp_dir: Path | None = None) -> bytes:
        """The record's ``.asice`` container, read from its archive (checksum checked)."""
        try:
            stat = detail.archive.stat()
        except OSError as exc:
            raise KapkaError(_("{path} is gone or unreadable ({error}). Update the index.").format(
                path=detail.archive, error=exc.strerror or exc), _("Archive missing")) from exc
        if (stat.st_size, stat.st_mtime_ns) != (detail.archive_size, detail.archive_mtime_ns):
            raise KapkaError(_("{name} changed after it was indexed. Update the index and look the record "
                               "up again.").format(name=detail.archive.name), _("Archive changed"))
        with open_archive(detail.archive, gpg_home=gpg_home, temp_dir=temp_dir) as archive:
            return archive.read(detail.entry)


CSV_HEADER = ("time", "direction", "query_id", "client", "service", "kind", "size", "archive", "summary")


def write_csv(search: ArchiveSearch, flt: RecordFilter | None, stream: IO[str]) -> int:
    """The matching records as CSV (UTF-8, one header line); returns how many were written."""
    writer = csv.writer(stream)
    writer.writerow(CSV_HEADER)
    count = 0
    for line in search.lines(flt):
        writer.writerow((line.time.strftime("%Y-%m-%dT%H:%M:%SZ") if line.time else "", line.direction,
                         line.query_id, line.client or "", line.service or "", line.kind, line.size,
                         line.file_path, line.summary or ""))
        count += 1
    return count
