"""The index of an archive directory's records: SQLite in the user's cache directory.

One database per archive directory (``<cache>/kapka/archive-index/<hash of the path>.sqlite``);
nothing is ever written next to the archives. A file is indexed again only when its size or
modification time changed, files that appear later are picked up and files that disappear are
dropped, so ``update()`` on an indexed directory costs a directory listing. Files that could not
be read (a missing gpg key, a truncated copy) are tried again on every update.

Records of one file get consecutive row ids (kept in ``files.first_row``/``last_row``), so a file
is dropped without an index on ``file_id``. Clients and services are stored once in ``parties`` and
referred to by id; the local member of grouped archives is a property of the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from backend.archive.fileinfo import FILE_COLUMNS, FileInfo
from backend.archive.files import DEFAULT_LIMITS, Limits
from backend.archive.names import is_zip_name, parse_archive_name
from backend.archive.records import REST, SOAP
from backend.archive.scan import FileScan, scan_file
from backend.errors import KapkaError
from backend.i18n import _

SCHEMA_VERSION = 1
KIND_NAMES = {0: SOAP, 1: REST, 2: "unknown"}

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parties(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE files(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    form TEXT NOT NULL, grp TEXT, member TEXT, encrypted INTEGER NOT NULL, ignored INTEGER NOT NULL DEFAULT 0,
    name_start INTEGER, name_end INTEGER, tag TEXT, first_time INTEGER, last_time INTEGER,
    records INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
    first_row INTEGER, last_row INTEGER,
    link_previous_digest TEXT, link_previous_name TEXT, link_algorithm TEXT, link_last_digest TEXT,
    link_entries INTEGER, problems TEXT, error_title TEXT, error TEXT, indexed_at INTEGER NOT NULL);
CREATE TABLE records(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL,
    query_id TEXT NOT NULL, response INTEGER NOT NULL, record_id INTEGER, client INTEGER,
    service INTEGER, time INTEGER, size INTEGER NOT NULL, kind INTEGER NOT NULL, request_id TEXT,
    user_id TEXT, summary TEXT, issue TEXT);
"""
#: secondary indexes: dropped while a fresh index is filled and made once at the end (faster)
INDEXES = {
    "records_query": "records(query_id)",
    "records_time": "records(time)",
    "records_client": "records(client, time)",
    "records_service": "records(service, time)",
    "records_kind": "records(kind, time)",
}
INSERT_RECORD = "INSERT INTO records VALUES (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"


class IndexUnusable(KapkaError):
    """The index cannot be opened or written."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Archive index unusable"))


@dataclass(frozen=True, slots=True)
class IndexProgress:
    files_done: int
    files_total: int
    records: int
    current: str | None


@dataclass(frozen=True, slots=True)
class UpdateSummary:
    files: int
    added: int
    changed: int
    removed: int
    unchanged: int
    records: int
    seconds: float
    #: (file name, error title, error message) of each file that could not be read
    failed: tuple[tuple[str, str, str], ...] = ()
    cancelled: bool = False

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def default_index_path(archive_dir: Path) -> Path:
    """Where the index of ``archive_dir`` lives: the user's cache directory, never next to the archives."""
    key = hashlib.sha256(os.fsencode(archive_dir.resolve())).hexdigest()[:24]
    return platformdirs.user_cache_path("kapka") / "archive-index" / f"{key}.sqlite"


def epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the index's settings (WAL, normal sync, a bounded page cache)."""
    try:
        if readonly:
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None,
                                         check_same_thread=False)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as exc:
                message = _("The folder {folder} for Kapka's archive index cannot be made: {error}.")
                raise IndexUnusable(message.format(folder=path.parent, error=exc.strerror or exc)) from exc
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA busy_timeout=10000")  # first: another kapka may be writing
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=10000")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA cache_size=-32768")
        return connection
    except sqlite3.Error as exc:
        raise IndexUnusable(_("The archive index {path} cannot be opened: {error}. Delete it; Kapka "
                            "builds it again.").format(path=path, error=exc)) from exc


def _damaged(error: BaseException | None) -> bool:
    """Whether SQLite says the file is not a database or is corrupt (not merely locked or read-only)."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _scan(directory: Path) -> Iterator[tuple[str, int, int]]:
    """(path relative to ``directory``, size, mtime in ns) of every candidate archive, subfolders too."""
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not is_zip_name(name):
                continue
            full = os.path.join(root, name)
            try:
                stat = os.stat(full)
            except OSError:
                continue
            yield os.path.relpath(full, directory).replace(os.sep, "/"), stat.st_size, stat.st_mtime_ns


class ArchiveIndex:
    """The record index of one archive directory."""

    def __init__(self, archive_dir: Path, *, index_path: Path | None = None, gpg_home: Path | None = None,
                 temp_dir: Path | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.archive_dir = archive_dir.expanduser().absolute()
        if not self.archive_dir.is_dir():
            raise KapkaError(_("{path} is not a directory. Give the directory that holds the message-log "
                               "archives (on the security server /var/lib/xroad).").format(path=archive_dir),
                             _("No archive directory"))
        self.path = index_path or default_index_path(self.archive_dir)
        self.gpg_home = gpg_home
        self.temp_dir = temp_dir
        self.limits = limits
        self.connection = self._open(rebuild_damaged=index_path is None)
        self._parties: dict[str, int] = dict(self.connection.execute("SELECT text, id FROM parties"))

    def _open(self, *, rebuild_damaged: bool) -> sqlite3.Connection:
        """The index's connection, its tables made; a damaged index in Kapka's cache is built anew."""
        try:
            connection = connect(self.path)
        except IndexUnusable as error:
            if not _damaged(error.__cause__):  # locked, unwritable: nothing a rebuild would mend
                raise
            damage: BaseException = error
        else:
            try:
                self._prepare(connection)
                return connection
            except sqlite3.DatabaseError as exc:
                connection.close()
                if not _damaged(exc):
                    raise IndexUnusable(_("The archive index {path} cannot be used now: {error}.").format(
                        path=self.path, error=exc)) from exc
                damage = exc
        if not rebuild_damaged:
            raise IndexUnusable(_("{path} is not a usable archive index ({error}). Delete it or give "
                                  "another file; Kapka builds the index again.").format(
                                      path=self.path, error=getattr(damage, "message", damage))) from damage
        for suffix in ("", "-wal", "-shm"):  # a cache file of Kapka's own: rebuilt from the archives
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        connection = connect(self.path)
        self._prepare(connection)
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        try:
            version = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.OperationalError:
            version = None
        if version is None or version[0] != str(SCHEMA_VERSION):
            for table in ("records", "files", "parties", "meta"):
                connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.executescript(SCHEMA)
            for name, columns in INDEXES.items():
                connection.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}")
            connection.executemany("INSERT INTO meta VALUES (?, ?)",
                                   [("schema", str(SCHEMA_VERSION)), ("archive_dir", str(self.archive_dir))])

    def _create_indexes(self) -> None:
        for name, columns in INDEXES.items():
            self.connection.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ArchiveIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- updating -------------------------------------------------------------------------------

    def update(self, progress: Callable[[IndexProgress], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> UpdateSummary:
        """Bring the index up to date with the directory; only new and changed files are read.

        ``progress`` is called before each file and at the end; ``cancel`` is asked before each file
        (files done so far stay indexed).
        """
        try:
            return self._update(progress, cancel)
        except sqlite3.Error as exc:
            raise IndexUnusable(_("The archive index {path} could not be written: {error}. Check the free "
                                  "space and permissions of {folder}, or delete the index; Kapka builds "
                                  "it again.").format(path=self.path, error=exc, folder=self.path.parent)
                                ) from exc

    def _update(self, progress: Callable[[IndexProgress], None] | None,
                cancel: Callable[[], bool] | None) -> UpdateSummary:
        started = time.perf_counter()
        try:
            found = list(_scan(self.archive_dir))
        except OSError as exc:
            raise KapkaError(_("{path} cannot be listed: {error}.").format(
                path=self.archive_dir, error=exc.strerror or exc), _("Archive directory unreadable")) from exc
        known = {row[0]: row[1:] for row in self.connection.execute(
            "SELECT path, id, size, mtime_ns, error IS NOT NULL FROM files")}
        present = {path for path, _size, _mtime in found}
        removed = [row[0] for path, row in known.items() if path not in present]
        for file_id in removed:
            self._drop(file_id)
        todo = [(path, size, mtime) for path, size, mtime in found
                if path not in known or known[path][1:3] != (size, mtime) or known[path][3]]
        records, failed, cancelled, added, changed = 0, [], False, 0, 0
        bulk = len(todo) > 1 and self.connection.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None
        if bulk:
            for name in INDEXES:
                self.connection.execute(f"DROP INDEX IF EXISTS {name}")
        try:
            for number, (path, size, mtime), scan in self._scans(todo, cancel):
                if progress is not None:
                    progress(IndexProgress(number, len(todo), records, path))
                if path in known:
                    self._drop(known[path][0])
                self._store(path, size, mtime, scan)
                records += len(scan.rows)
                if path in known:
                    changed += 1
                else:
                    added += 1
                if scan.error is not None:
                    failed.append((path, *scan.error))
            cancelled = added + changed < len(todo)
        finally:
            if bulk:
                self._create_indexes()
        if progress is not None:
            progress(IndexProgress(added + changed, len(todo), records, None))
        return UpdateSummary(len(found), added, changed, len(removed), len(found) - len(todo), records,
                             time.perf_counter() - started, tuple(failed), cancelled)

    def _scans(self, todo: list[tuple[str, int, int]], cancel: Callable[[], bool] | None
               ) -> Iterator[tuple[int, tuple[str, int, int], FileScan]]:
        """The files' scans in order, checking for a cancel request before each file."""
        for number, item in enumerate(todo):
            if cancel is not None and cancel():
                return
            yield number, item, scan_file(self.archive_dir, item[0], gpg_home=self.gpg_home,
                                          temp_dir=self.temp_dir, limits=self.limits)

    def _drop(self, file_id: int) -> None:
        connection = self.connection
        connection.execute("BEGIN")
        row = connection.execute("SELECT first_row, last_row FROM files WHERE id=?", (file_id,)).fetchone()
        if row and row[0] is not None:
            connection.execute("DELETE FROM records WHERE id BETWEEN ? AND ? AND file_id=?", (*row, file_id))
        connection.execute("DELETE FROM files WHERE id=?", (file_id,))
        connection.execute("COMMIT")

    def _party(self, text: str | None) -> int | None:
        if not text:
            return None
        party = self._parties.get(text)
        if party is None:
            party = self.connection.execute("INSERT INTO parties(text) VALUES (?)", (text,)).lastrowid
            assert party is not None
            self._parties[text] = party
        return party

    def _store(self, path: str, size: int, mtime: int, scan: FileScan) -> None:
        """Write one file's scan in one transaction (its rows get consecutive ids)."""
        name = parse_archive_name(path.rsplit("/", 1)[-1])
        connection, party = self.connection, self._party
        connection.execute("BEGIN")
        try:
            file_id = connection.execute(
                "INSERT INTO files(path, size, mtime_ns, form, grp, encrypted, name_start, name_end, tag, "
                "indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (path, size, mtime, name.form, name.group, int(name.encrypted), epoch(name.start),
                 epoch(name.end), name.tag or name.random, int(time.time()))).lastrowid
            if scan.error is not None:
                connection.execute("UPDATE files SET error_title=?, error=? WHERE id=?",
                                   (*scan.error, file_id))
            elif not scan.archive_like:
                connection.execute("UPDATE files SET ignored=1 WHERE id=?", (file_id,))
            else:
                first_row = last_row = None
                if scan.rows:
                    connection.executemany(INSERT_RECORD, [
                        (file_id, seq, entry, query_id, response, record_id, party(client), party(service),
                         moment, entry_size, kind, request_id, user_id, summary, issue)
                        for (seq, entry, query_id, response, record_id, client, service, moment, entry_size,
                             kind, request_id, user_id, summary, issue) in scan.rows])
                    last_row = connection.execute("SELECT max(id) FROM records").fetchone()[0]
                    first_row = last_row - len(scan.rows) + 1
                connection.execute(
                    "UPDATE files SET member=?, first_time=?, last_time=?, records=?, bytes=?, first_row=?, "
                    "last_row=?, link_previous_digest=?, link_previous_name=?, link_algorithm=?, "
                    "link_last_digest=?, link_entries=?, problems=? WHERE id=?",
                    (scan.member, scan.first_time, scan.last_time, len(scan.rows), scan.total_bytes,
                     first_row, last_row, *scan.link, json.dumps(scan.problems) if scan.problems else None,
                     file_id))
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    # -- reading --------------------------------------------------------------------------------

    def files(self, *, include_ignored: bool = False) -> list[FileInfo]:
        """The indexed archive files, by group then start time."""
        where = "" if include_ignored else "WHERE ignored=0"
        rows = self.connection.execute(
            f"SELECT {FILE_COLUMNS} FROM files {where} "
            "ORDER BY coalesce(grp, ''), coalesce(name_start, first_time), path")
        return [FileInfo.from_row(row, self.archive_dir) for row in rows]

    def file(self, file_id: int) -> FileInfo | None:
        row = self.connection.execute(f"SELECT {FILE_COLUMNS} FROM files WHERE id=?", (file_id,)).fetchone()
        return FileInfo.from_row(row, self.archive_dir) if row else None

    def total_records(self) -> int:
        return self.connection.execute("SELECT coalesce(sum(records), 0) FROM files").fetchone()[0]
