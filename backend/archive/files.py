"""Opening an archive safely: the zip's central directory, checked, and entry bytes on demand.

Nothing is ever extracted to disk. The central directory is read with ``struct`` (faster than
``zipfile`` and tolerant of one bad entry): every entry's local header is checked to lie inside the
file and not to overlap another (the "overlapping entries" zip bomb), declared sizes are held
against per-entry, ratio and total limits, and reading an entry never inflates more than it
declares. Names that climb out of a directory, are absolute, hold control characters or are not
UTF-8 are reported; such entries are still readable in memory, never used as file names.
``.zip.gpg`` files are decrypted with the system gpg into an unnamed private temp file (``gpg``).
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import re
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from backend.archive.entries import CONTAINER_SUFFIX, LINKINGINFO
from backend.archive.gpg import GpgResult, decrypt, temp_file
from backend.archive.safety import (
    DEFAULT_LIMITS,
    PROBLEMS,
    ArchiveError,
    Limits,
    Problem,
    inflate,
    inflate_view,
    stored_content,
)
from backend.i18n import _

__all__ = ["DEFAULT_LIMITS", "PROBLEMS", "ArchiveError", "ArchiveFile", "Entry", "Limits", "Problem",
           "inflate", "inflate_view", "open_archive", "open_archive_bytes", "stored_content"]

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


def _decode_name(raw: bytes) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), "non_utf8_name"


@dataclass
class ArchiveFile:
    """An opened archive. Use as a context manager, or ``close()`` it."""

    path: Path
    size: int
    entries: list[Entry]
    problems: list[Problem]
    comment: bytes = b""
    gpg: GpgResult | None = None
    limits: Limits = DEFAULT_LIMITS
    _buffer: mmap.mmap | bytes | None = field(default=None, repr=False)
    _file: IO[bytes] | None = field(default=None, repr=False)
    _by_name: dict[str, Entry] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def encrypted(self) -> bool:
        return self.gpg is not None

    def entry(self, name: str) -> Entry | None:
        return self._by_name.get(name)

    def containers(self) -> list[Entry]:
        """The ``.asice`` entries with safe names, in zip order."""
        return [entry for entry in self.entries if entry.is_container]

    def linkinginfo(self) -> Entry | None:
        return self._by_name.get(LINKINGINFO)

    def view(self) -> memoryview:
        """The whole (plain) zip without copying; slices of it stay valid until ``close()``."""
        if self._buffer is None:
            raise ArchiveError(_("{archive} is closed.").format(archive=self.name))
        return memoryview(self._buffer)

    def raw(self, entry: Entry) -> memoryview:
        """The entry's stored (compressed) bytes, without copying."""
        self._check_readable(entry)
        assert self._buffer is not None
        return memoryview(self._buffer)[entry.data_offset:entry.data_offset + entry.compressed_size]

    def read(self, entry: Entry | str, *, check_crc: bool = True) -> bytes:
        """The entry's bytes; ``ArchiveError`` if it is refused, damaged or inflates beyond its size."""
        if isinstance(entry, str):
            found = self._by_name.get(entry)
            if found is None:
                raise ArchiveError(_("{archive} has no entry {entry}.").format(
                    archive=self.name, entry=entry), _("Entry not found"))
            entry = found
        data = inflate(self.raw(entry), entry.method, entry.size, self.name, entry.name)
        if check_crc and zlib.crc32(data) != entry.crc:
            raise ArchiveError(_("Entry {entry} of {archive} does not match its checksum: the file is "
                                 "damaged or was altered.").format(entry=entry.name, archive=self.name),
                               _("Archive entry damaged"))
        return data

    def _check_readable(self, entry: Entry) -> None:
        if self._buffer is None:
            raise ArchiveError(_("{archive} is closed.").format(archive=self.name))
        if entry.refused:
            raise ArchiveError(_("Entry {entry} of {archive} is not read: {reason}").format(
                entry=entry.name, archive=self.name, reason=Problem(entry.refused).message),
                _("Archive entry refused"))

    def close(self) -> None:
        if isinstance(self._buffer, mmap.mmap):
            with contextlib.suppress(BufferError):  # a caller still holds a view: the GC closes it
                self._buffer.close()
        self._buffer = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> ArchiveFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_archive(path: Path, *, gpg_home: Path | None = None, temp_dir: Path | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> ArchiveFile:
    """Open an archive (``.zip``, or ``.zip.gpg`` decrypted with ``gpg_home``) and check its directory.

    Raises ``ArchiveError`` (or ``GpgError``) with what to do when it cannot be read at all; problems
    with single entries are in ``ArchiveFile.problems`` and on the entries.
    """
    gpg: GpgResult | None = None
    handle: IO[bytes]
    try:
        if path.name.endswith(".gpg"):
            handle = temp_file(temp_dir)
            try:
                gpg = decrypt(path, handle, gpg_home=gpg_home)
                handle.flush()
            except BaseException:
                handle.close()
                raise
        else:
            handle = open(path, "rb")  # noqa: SIM115 (closed with the ArchiveFile)
    except IsADirectoryError as exc:
        raise ArchiveError(_("{path} is a directory, not an archive file.").format(path=path)) from exc
    except OSError as exc:
        raise ArchiveError(_("{path} cannot be read: {error}. Run Kapka as a user that may read the "
                             "archives (on the security server: root or the xroad group).")
                           .format(path=path, error=exc.strerror or exc)) from exc
    try:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            raise ArchiveError(_("{name} is empty: it is not a zip file (an interrupted copy?).")
                               .format(name=path.name), _("Archive truncated"))
        buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        archive = ArchiveFile(path, size, [], [], gpg=gpg, limits=limits, _buffer=buffer, _file=handle)
        try:
            _read_directory(archive, buffer)
        except BaseException:
            archive.close()
            raise
        return archive
    except BaseException:
        handle.close()
        raise


def open_archive_bytes(data: bytes, name: str = "archive.zip", *,
                       limits: Limits = DEFAULT_LIMITS) -> ArchiveFile:
    """An archive held in memory (a container, or a zip received otherwise)."""
    if not data:
        raise ArchiveError(_("{name} is empty: it is not a zip file.").format(name=name),
                           _("Archive truncated"))
    archive = ArchiveFile(Path(name), len(data), [], [], limits=limits, _buffer=data)
    _read_directory(archive, data)
    return archive


def _truncated(name: str) -> ArchiveError:
    return ArchiveError(_("{name} has no complete zip directory at its end: it is truncated (an "
                          "interrupted copy or a full disk) or not a zip file. Copy it again from the "
                          "security server.").format(name=name), _("Archive truncated"))


def _find_end(buffer: mmap.mmap | bytes, name: str) -> tuple[int, int, int, bytes]:
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


def _read_directory(archive: ArchiveFile, buffer: mmap.mmap | bytes) -> None:
    count, position, end, archive.comment = _find_end(buffer, archive.name)
    limits, problems, entries = archive.limits, archive.problems, archive.entries
    by_name = archive._by_name
    unpack_central, unpack_local = _CENTRAL.unpack_from, _LOCAL.unpack_from
    total = 0
    while position + _CENTRAL.size <= end and buffer[position:position + 4] == _CENTRAL_SIG:
        (_sig, flags, method, dos_time, crc, compressed, size, name_length, extra_length, comment_length,
         offset) = unpack_central(buffer, position)
        start = position + _CENTRAL.size
        raw_name = buffer[start:start + name_length]
        if 0xFFFFFFFF in (size, compressed, offset):
            extra = bytes(buffer[start + name_length:start + name_length + extra_length])
            size, compressed, offset = _zip64_sizes(extra, size, compressed, offset)
        position = start + name_length + extra_length + comment_length
        name, name_problem = _decode_name(raw_name)
        entry = Entry(len(entries), name, method, flags, crc, compressed, size, offset, dos_time,
                      name_problem=name_problem or _name_problem(name))
        entries.append(entry)
        if entry.name_problem:
            problems.append(Problem(entry.name_problem, name))
        if name in by_name:
            problems.append(Problem("duplicate_name", name))
            entry.name_problem = entry.name_problem or "duplicate_name"
        else:
            by_name[name] = entry
        total += size
        if method not in (_STORED, _DEFLATED) or flags & 1:
            entry.refused = "unsupported"
        elif size > limits.max_entry_size:
            entry.refused = "too_large"
        elif size > limits.ratio_floor and size > compressed * limits.max_ratio:
            entry.refused = "zip_bomb"
        elif offset + _LOCAL.size > end:
            entry.refused = "outside"
        else:
            signature, local_name_length, local_extra_length = unpack_local(buffer, offset)
            name_start = offset + _LOCAL.size
            if signature != _LOCAL_SIG or buffer[name_start:name_start + local_name_length] != raw_name:
                entry.refused = "bad_local_header"
            else:
                entry.data_offset = name_start + local_name_length + local_extra_length
                if entry.data_offset + compressed > end:
                    entry.refused = "outside"
        if entry.refused:
            problems.append(Problem(entry.refused, name))
        if total > limits.max_total or len(entries) > limits.max_entries:
            problems.append(Problem("total_too_large"))
            for later in entries:
                later.refused = later.refused or "total_too_large"
            return
    if len(entries) != count and count != 0xFFFF:
        problems.append(Problem("count_mismatch"))
    _check_overlaps(entries, problems)


def _check_overlaps(entries: list[Entry], problems: list[Problem]) -> None:
    placed = sorted((entry for entry in entries if entry.data_offset >= 0), key=lambda e: e.header_offset)
    for before, after in itertools.pairwise(placed):
        if before.data_offset + before.compressed_size > after.header_offset:
            for entry in (before, after):
                if not entry.refused:
                    entry.refused = "overlap"
                    problems.append(Problem("overlap", entry.name))
