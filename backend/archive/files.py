"""Opening an archive safely: the zip's central directory, checked, and entry bytes on demand.

Nothing is ever extracted to disk. The central directory is read and checked by ``zipdir`` (faster than
``zipfile`` and tolerant of one bad entry): every entry's local header is checked to lie inside the
file and not to overlap another (the "overlapping entries" zip bomb), declared sizes are held
against per-entry, ratio and total limits, and reading an entry never inflates more than it
declares. Names that climb out of a directory, are absolute, hold control characters or are not
UTF-8 are reported; such entries are still readable in memory, never used as file names.
``.zip.gpg`` files are decrypted with the system gpg into an unnamed private temp file (``gpg``).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from backend.archive.entries import LINKINGINFO
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
from backend.archive.zipdir import Buffer, Entry, dos_datetime, read_directory
from backend.i18n import _

__all__ = ["DEFAULT_LIMITS", "PROBLEMS", "ArchiveError", "ArchiveFile", "Entry", "Limits", "Problem",
           "dos_datetime", "inflate", "inflate_view", "open_archive", "open_archive_bytes", "stored_content"]

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


def _read_directory(archive: ArchiveFile, buffer: Buffer) -> None:
    directory = read_directory(buffer, archive.name, archive.limits)
    archive.entries, archive.problems, archive._by_name = (directory.entries, directory.problems,
                                                           directory.by_name)
    archive.comment = directory.comment
