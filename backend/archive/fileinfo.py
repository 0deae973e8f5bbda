"""One archive file as the index knows it, and what the index reads from a file besides its records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backend.archive.entries import LINKINGINFO
from backend.archive.files import ArchiveFile, Problem
from backend.archive.names import group_name
from backend.errors import KapkaError


def local_member(group: str, client: str | None, service: str | None) -> str | None:
    """The member or subsystem a grouped file belongs to: the party whose group name is the file's."""
    for identifier in (client, service):
        if identifier:
            parts = identifier.split("/")
            for length in (4, 3):
                candidate = "/".join(parts[:length])
                if len(parts) >= length and group_name(candidate) == group:
                    return candidate
    return None


LinkSummary = tuple[str | None, str | None, str | None, str | None, int | None]


def linkinginfo_summary(archive: ArchiveFile) -> LinkSummary:
    """(previous digest, previous file, algorithm, last digest, entries) from the ``linkinginfo`` entry."""
    entry = archive.entry(LINKINGINFO)
    if entry is None or entry.refused:
        return None, None, None, None, None
    try:
        text = archive.read(entry, check_crc=False).decode("utf-8", "backslashreplace")
    except KapkaError:
        return None, None, None, None, None
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None, None, None, None, 0
    header = lines[0].split(" ")
    header += [None] * (3 - len(header))
    last = lines[-1].split(" ", 1)[0] if len(lines) > 1 else None
    return header[0], header[1], header[2], last, len(lines) - 1


FILE_COLUMNS = ("id, path, size, mtime_ns, form, grp, member, encrypted, ignored, name_start, name_end, tag, "
                "first_time, last_time, records, bytes, link_previous_digest, link_previous_name, "
                "link_algorithm, link_last_digest, link_entries, problems, error_title, error")


def _moment(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One archive file as the index knows it. Times are UTC (X-Road's clock, see ``names``)."""

    id: int
    path: str  # relative to the archive directory, '/'-separated
    absolute: Path
    size: int
    mtime: datetime
    form: str  # "7", "6" or "other" (see names.parse_archive_name)
    group: str | None
    member: str | None
    encrypted: bool
    ignored: bool
    name_start: datetime | None
    name_end: datetime | None
    tag: str | None
    first_time: datetime | None
    last_time: datetime | None
    records: int
    bytes: int
    link_previous_digest: str | None
    link_previous_name: str | None
    link_algorithm: str | None
    link_last_digest: str | None
    link_entries: int | None
    problems: tuple[Problem, ...]
    error_title: str | None
    error: str | None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def start(self) -> datetime | None:
        """The period's start: the earliest record time in the file, else the name's."""
        return self.first_time or self.name_start

    @property
    def end(self) -> datetime | None:
        return self.last_time or self.name_end

    @classmethod
    def from_row(cls, row: tuple[object, ...], archive_dir: Path) -> FileInfo:
        (file_id, path, size, mtime_ns, form, group, member, encrypted, ignored, name_start, name_end, tag,
         first_time, last_time, records, total, previous_digest, previous_name, algorithm, last_digest,
         link_entries, problems, error_title, error) = row
        found = tuple(Problem(code, entry) for code, entry in json.loads(problems)) if problems else ()
        return cls(file_id, path, archive_dir / path, size, datetime.fromtimestamp(mtime_ns / 1e9, UTC),
                   form, group, member, bool(encrypted), bool(ignored), _moment(name_start),
                   _moment(name_end), tag, _moment(first_time), _moment(last_time), records, total,
                   previous_digest, previous_name, algorithm, last_digest, link_entries, found,
                   error_title, error)
