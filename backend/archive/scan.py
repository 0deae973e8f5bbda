"""Reading one archive file into index rows.

``scan_file`` opens an archive (decrypting ``.gpg``), reads every container's ``message.xml`` and
returns plain rows and facts, nothing tied to a database: the index stores them in one transaction.
(Spreading scans over worker processes was measured and dropped: on a busy two-core host the
processes competed with each other and with the host's own work and indexing got slower.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from backend.archive.entries import parse_entry_name
from backend.archive.fileinfo import LinkSummary, linkinginfo_summary, local_member
from backend.archive.files import ArchiveFile, Limits, Problem, inflate_view, open_archive
from backend.archive.names import is_archive_name, parse_archive_name
from backend.archive.records import REST, SOAP, record_info
from backend.errors import KapkaError

KINDS = {SOAP: 0, REST: 1}

#: one record: seq, entry, query id, response, record id, client, service, time, size, kind,
#: request id, user id, summary, issue
Row = tuple[int, str, str, int, int | None, str | None, str | None, int | None, int, int, str | None,
            str | None, str | None, str | None]


@dataclass(slots=True)
class FileScan:
    """What one archive file holds, ready to be stored."""

    path: str
    rows: list[Row] = field(default_factory=list)
    problems: list[tuple[str, str | None]] = field(default_factory=list)
    link: LinkSummary = (None, None, None, None, None)
    member: str | None = None
    first_time: int | None = None
    last_time: int | None = None
    total_bytes: int = 0
    #: holds containers or a linkinginfo entry (other zips are remembered as ignored)
    archive_like: bool = True
    #: (title, message) when the file could not be read at all
    error: tuple[str, str] | None = None


def scan_file(archive_dir: Path, path: str, *, gpg_home: Path | None, temp_dir: Path | None,
              limits: Limits) -> FileScan:
    """Read ``archive_dir / path``; a ``KapkaError`` becomes ``FileScan.error``, never an exception."""
    scan = FileScan(path)
    name = parse_archive_name(path.rsplit("/", 1)[-1])
    try:
        with open_archive(archive_dir / path, gpg_home=gpg_home, temp_dir=temp_dir, limits=limits) as archive:
            containers = _read_records(scan, archive, name.legacy, name.group)
            scan.archive_like = bool(containers) or archive.linkinginfo() is not None or is_archive_name(
                name.name)
            scan.link = linkinginfo_summary(archive)
    except KapkaError as error:
        scan.rows, scan.error = [], (error.title, error.message)
    return scan


def _read_records(scan: FileScan, archive: ArchiveFile, legacy: bool | None, group: str | None) -> int:
    problems = scan.problems
    problems += [(problem.code, problem.entry) for problem in archive.problems]
    rows = scan.rows
    append = rows.append
    times: dict[int, int | None] = {}
    member: str | None = None
    containers = 0
    view = archive.view()
    try:
        for entry in archive.entries:
            if entry.name_problem is not None or not entry.name.endswith(".asice"):  # entry.is_container
                continue
            containers += 1
            if entry.refused:
                continue
            start = entry.data_offset
            try:
                container = inflate_view(view[start:start + entry.compressed_size], entry.method, entry.size,
                                         archive.name, entry.name)
            except KapkaError:
                problems.append(("damaged", entry.name))
                continue
            info = record_info(container)
            parsed = parse_entry_name(entry.name, legacy=legacy)
            if parsed is None:
                problems.append(("odd_name", entry.name))
                response, record_id, query_id = info.status is not None, None, info.query_id or ""
            else:
                response, record_id = parsed.response, parsed.record_id
                query_id = info.query_id or parsed.query_id
            moment = times.get(entry.dos_time, -1)
            if moment == -1:
                value = entry.mtime
                moment = times[entry.dos_time] = int(value.timestamp()) if value else None
            if group and member is None:
                member = local_member(group, info.client, info.service)
            append((entry.index, entry.name, query_id, int(response), record_id, info.client, info.service,
                    moment, entry.size, KINDS.get(info.kind, 2), info.request_id, info.user_id, info.summary,
                    info.issue))
    finally:
        view.release()
    known = [moment for moment in times.values() if moment is not None]
    scan.first_time, scan.last_time = (min(known), max(known)) if known else (None, None)
    scan.total_bytes = sum(row[8] for row in rows)
    scan.member = member or group
    return containers


def problem_list(scan: FileScan) -> list[Problem]:
    return [Problem(code, entry) for code, entry in scan.problems]
