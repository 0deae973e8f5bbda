"""Evidence out of the archives: one record's ``.asice`` container, a search result as CSV.

Files are written into a directory the operator chose, under a name that is free there: an existing
file is never overwritten (``name-2.asice`` and so on), and a file that could not be written whole
is removed again. Files are private to the operator (mode 0600): they hold message contents.
"""

from __future__ import annotations

import errno
import io
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from backend.archive.search import ArchiveSearch, RecordDetail, RecordFilter, write_csv
from backend.errors import KapkaError
from backend.i18n import _

FILE_MODE = 0o600
_UNSAFE = re.compile(r"[^A-Za-z0-9._%+=@,-]")
MAX_NAME = 200
MAX_TRIES = 1000


class ExportError(KapkaError):
    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Export failed"))


def safe_name(name: str, fallback: str = "record.asice") -> str:
    """A file name from an entry name: its last part, without path or control characters."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).lstrip(".")
    if len(base) > MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        short_suffix = dot and len(suffix) < 16
        base = stem[:MAX_NAME - len(suffix) - 1] + dot + suffix if short_suffix else base[:MAX_NAME]
    return base or fallback


def _problem(directory: Path, error: OSError) -> ExportError:
    if isinstance(error, PermissionError):
        return ExportError(_("Kapka may not write into {dir}. Choose a directory you may write to, such as "
                             "your home directory.").format(dir=directory))
    if error.errno == errno.ENOSPC:
        return ExportError(_("The disk holding {dir} is full. Free some space or choose another "
                             "directory.").format(dir=directory))
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return ExportError(_("{dir} is not a directory. Choose an existing directory.").format(dir=directory))
    return ExportError(_("Kapka could not write into {dir}: {error}.").format(
        dir=directory, error=error.strerror or error))


def _create(directory: Path, name: str) -> tuple[Path, int]:
    """A new file ``name`` in ``directory`` (``stem-2.ext``… when taken), opened for writing."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    for number in range(1, MAX_TRIES + 1):
        candidate = name if number == 1 else f"{stem}-{number}{'.' + suffix if suffix else ''}"
        path = directory / candidate
        try:
            return path, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                                 FILE_MODE)
        except FileExistsError:
            continue
        except OSError as error:
            raise _problem(directory, error) from error
    raise ExportError(_("{dir} already holds {count} files named like {name}. Choose another "
                        "directory.").format(dir=directory, count=MAX_TRIES, name=name))


def write_new(directory: Path, name: str, fill: Callable[[IO[bytes]], object]) -> Path:
    """Create a free file named like ``name`` in ``directory`` and let ``fill`` write it; all or nothing."""
    directory = directory.expanduser()
    if not directory.is_dir():
        raise ExportError(_("{dir} is not a directory. Choose an existing directory.").format(dir=directory))
    path, descriptor = _create(directory, safe_name(name))
    try:
        with os.fdopen(descriptor, "wb") as stream:
            fill(stream)
    except BaseException as error:
        path.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _problem(directory, error) from error
        raise
    return path


def export_container(search: ArchiveSearch, detail: RecordDetail, directory: Path, *,
                     gpg_home: Path | None = None, data: bytes | None = None) -> Path:
    """Write the record's ``.asice`` (read from its archive, checksum checked) into ``directory``."""
    content = data if data is not None else search.read_container(detail, gpg_home=gpg_home)
    return write_new(directory, detail.entry, lambda stream: stream.write(content))


def csv_name(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"kapka-records-{moment.strftime('%Y%m%dT%H%M%SZ')}.csv"


def export_csv(search: ArchiveSearch, flt: RecordFilter | None, directory: Path, *,
               name: str | None = None) -> tuple[Path, int]:
    """Write the records matching ``flt`` as CSV into ``directory``; (path, records written)."""
    written: list[int] = []

    def fill(stream: IO[bytes]) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        try:
            written.append(write_csv(search, flt, text))
            text.flush()
        finally:
            text.detach()

    path = write_new(directory, name or csv_name(), fill)
    return path, written[0]
