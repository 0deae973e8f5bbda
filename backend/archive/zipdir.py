"""A zip's central directory, read and checked without ``zipfile``.

Every entry's local header is checked to lie inside the file and not to overlap another (the
"overlapping entries" zip bomb), declared sizes are held against per-entry, ratio and total limits,
and names that climb out of a directory, are absolute, hold control characters or are not UTF-8 are
reported. The directory is read once for every archive opened (10,000 entries per X-Road file),
so the loop over its records is written for speed: one ``unpack`` per record and the checks inline.
"""

from __future__ import annotations

import itertools
import mmap
import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime

from backend.archive.entries import CONTAINER_SUFFIX
from backend.archive.safety import ArchiveError, Limits, Problem
from backend.i18n import _

Buffer = mmap.mmap | bytes

_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
# only the fields Kapka uses ("x" skips bytes); time and date together are the DOS time (date << 16 | time)
_CENTRAL = struct.Struct("<4s4xHHLLLLHHH8xL")
_LOCAL = struct.Struct("<4s22xHH")
_CENTRAL_SIG, _LOCAL_SIG = b"PK\x01\x02", b"PK\x03\x04"
_EOCD_SIG, _EOCD64_SIG, _LOCATOR_SIG = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
_STORED, _DEFLATED = 0, 8
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._*%+-]+\Z")  # every name X-Road writes


@dataclass(slots=True)
class Entry:
    """One entry of the zip's central directory, in the order the zip lists them."""

    index: int
    name: str
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    dos_time: int  # (date << 16) | time, as stored
    data_offset: int = -1
    #: the problem code of its name (still readable in memory), if any
    name_problem: str | None = None
    #: why it must not be read (zip bomb, overlap, truncation…), if so
    refused: str | None = None

    @property
    def mtime(self) -> datetime | None:
        """The entry's time: X-Road sets it to the record's time (DOS time, read as UTC)."""
        return dos_datetime(self.dos_time)

    @property
    def is_container(self) -> bool:
        return self.name.endswith(CONTAINER_SUFFIX) and self.name_problem is None

    @property
    def safe_name(self) -> str:
        """A name fit for a single file when exporting: no directories, no control characters."""
        base = re.split(r"[\\/]", self.name)[-1]
        base = _UNSAFE_CHARS.sub("_", base).lstrip(".") or f"entry-{self.index}"
        return base[:200]


def dos_datetime(value: int) -> datetime | None:
    date, time = value >> 16, value & 0xFFFF
    try:
        return datetime((date >> 9) + 1980, (date >> 5) & 15, date & 31,
                        time >> 11, (time >> 5) & 63, (time & 31) * 2, tzinfo=UTC)
    except ValueError:
        return None


def _name_problem(name: str) -> str | None:
    if _PLAIN_NAME.match(name) and name != "..":
        return None
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute_path"
    if ".." in re.split(r"[\\/]", name):
        return "path_traversal"
    if "\\" in name or _UNSAFE_CHARS.search(name):
        return "unsafe_name"
    return None


@dataclass(slots=True)
class Directory:
    """What a central directory holds: its entries in order, by name, the problems and the comment."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    by_name: dict[str, Entry] = field(default_factory=dict)
    comment: bytes = b""


def read_directory(buffer: Buffer, name: str, limits: Limits) -> Directory:
    """The checked central directory of the zip in ``buffer``; ``ArchiveError`` if it has none."""
    count, position, end, comment = _find_end(buffer, name)
    directory = Directory(comment=comment)
    _read_records(directory, buffer, count, position, end, limits)
    return directory


def _truncated(name: str) -> ArchiveError:
    return ArchiveError(_("{name} has no complete zip directory at its end: it is truncated (an "
                          "interrupted copy or a full disk) or not a zip file. Copy it again from the "
                          "security server.").format(name=name), _("Archive truncated"))


def _find_end(buffer: Buffer, name: str) -> tuple[int, int, int, bytes]:
    """(entry count, directory offset, directory end) from the end records, and the zip comment.

    The containers inside an archive are stored uncompressed, so their own end records show through:
    an end record counts only if its directory ends exactly where it starts and begins with a
    directory record. A truncated archive therefore fails here instead of being misread.
    """
    size = len(buffer)
    position = size
    lowest = max(0, size - _EOCD.size - 0xFFFF)
    while True:
        position = buffer.rfind(_EOCD_SIG, lowest, position)
        if position < 0:
            raise _truncated(name)
        if position + _EOCD.size > size:
            continue
        fields = _EOCD.unpack_from(buffer, position)
        comment_length = fields[7]
        if position + _EOCD.size + comment_length > size:
            continue
        count, cd_size, cd_offset = fields[4], fields[5], fields[6]
        directory_end = position
        locator = position - _EOCD64_LOCATOR.size
        if locator >= 0 and buffer[locator:locator + 4] == _LOCATOR_SIG:
            record = _EOCD64_LOCATOR.unpack_from(buffer, locator)[2]
            if record + _EOCD64.size <= locator and buffer[record:record + 4] == _EOCD64_SIG:
                fields64 = _EOCD64.unpack_from(buffer, record)
                count, cd_size, cd_offset = fields64[6], fields64[7], fields64[8]
                directory_end = record
        if cd_offset + cd_size == directory_end and (
                count == 0 or buffer[cd_offset:cd_offset + 4] == _CENTRAL_SIG):
            comment = bytes(buffer[position + _EOCD.size:position + _EOCD.size + comment_length])
            return count, cd_offset, directory_end, comment


def _zip64_sizes(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    position = 0
    while position + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, position)
        if tag == 1:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
            if size == 0xFFFFFFFF:
                size = next(values, size)
            if compressed == 0xFFFFFFFF:
                compressed = next(values, compressed)
            if offset == 0xFFFFFFFF:
                offset = next(values, offset)
            break
        position += 4 + length
    return size, compressed, offset


def _read_records(directory: Directory, buffer: Buffer, count: int, position: int, end: int,
                    limits: Limits) -> None:
    """Read the central directory record by record into ``directory``, with what is wrong with each.

    The overlap check is done in passing while the entries come in file order (as every zip
    writer puts them); out of order, they are sorted.
    """
    problems, entries = directory.problems, directory.entries
    max_entry_size, max_ratio, ratio_floor = limits.max_entry_size, limits.max_ratio, limits.ratio_floor
    max_total, max_entries = limits.max_total, limits.max_entries
    by_name = directory.by_name
    unpack_central, unpack_local = _CENTRAL.unpack_from, _LOCAL.unpack_from
    central_size, local_size = _CENTRAL.size, _LOCAL.size
    plain = _PLAIN_NAME.match
    total = index = 0
    overlaps: list[tuple[Entry, Entry]] = []
    previous: Entry | None = None
    previous_header = previous_end = 0
    ordered = True
    while position + central_size <= end:
        (signature, flags, method, dos_time, crc, compressed, size, name_length, extra_length,
         comment_length, offset) = unpack_central(buffer, position)
        if signature != _CENTRAL_SIG:
            break
        start = position + central_size
        raw_name = buffer[start:start + name_length]
        if size == 0xFFFFFFFF or compressed == 0xFFFFFFFF or offset == 0xFFFFFFFF:
            extra = bytes(buffer[start + name_length:start + name_length + extra_length])
            size, compressed, offset = _zip64_sizes(extra, size, compressed, offset)
        position = start + name_length + extra_length + comment_length
        try:
            name = raw_name.decode("utf-8")
            name_problem = None if plain(name) and name != ".." else _name_problem(name)
        except UnicodeDecodeError:
            name, name_problem = raw_name.decode("utf-8", "backslashreplace"), "non_utf8_name"
        refused = None
        data_offset = -1
        if method not in (_STORED, _DEFLATED) or flags & 1:
            refused = "unsupported"
        elif size > max_entry_size:
            refused = "too_large"
        elif size > ratio_floor and size > compressed * max_ratio:
            refused = "zip_bomb"
        elif offset + local_size > end:
            refused = "outside"
        else:
            local_signature, local_name_length, local_extra_length = unpack_local(buffer, offset)
            name_start = offset + local_size
            if (local_signature != _LOCAL_SIG
                    or buffer[name_start:name_start + local_name_length] != raw_name):
                refused = "bad_local_header"
            else:
                data_offset = name_start + local_name_length + local_extra_length
                if data_offset + compressed > end:
                    refused = "outside"
        if name_problem:
            problems.append(Problem(name_problem, name))
        entry = Entry(index, name, method, flags, crc, compressed, size, offset, dos_time, data_offset,
                      name_problem, refused)
        index += 1
        entries.append(entry)
        if by_name.setdefault(name, entry) is not entry:
            problems.append(Problem("duplicate_name", name))
            entry.name_problem = name_problem or "duplicate_name"
        if refused:
            problems.append(Problem(refused, name))
        if data_offset >= 0:
            if offset < previous_header:
                ordered = False
            elif previous_end > offset:
                overlaps.append((previous, entry))  # type: ignore[arg-type]  (previous_end > 0: set)
            previous, previous_header, previous_end = entry, offset, data_offset + compressed
        total += size
        if total > max_total or index > max_entries:
            problems.append(Problem("total_too_large"))
            for later in entries:
                later.refused = later.refused or "total_too_large"
            return
    if index != count and count != 0xFFFF:
        problems.append(Problem("count_mismatch"))
    if ordered:
        _mark_overlaps(overlaps, problems)
    else:
        _check_overlaps(entries, problems)


def _check_overlaps(entries: list[Entry], problems: list[Problem]) -> None:
    placed = sorted((entry for entry in entries if entry.data_offset >= 0), key=lambda e: e.header_offset)
    _mark_overlaps([(before, after) for before, after in itertools.pairwise(placed)
                    if before.data_offset + before.compressed_size > after.header_offset], problems)


def _mark_overlaps(pairs: list[tuple[Entry, Entry]], problems: list[Problem]) -> None:
    for before, after in pairs:
        for entry in (before, after):
            if not entry.refused:
                entry.refused = "overlap"
                problems.append(Problem("overlap", entry.name))
