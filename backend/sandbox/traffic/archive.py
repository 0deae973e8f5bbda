"""Archive files as X-Road's archiver writes them: ``LogArchiveWriter`` and ``LogArchiveCache``.

Containers go into a zip (``ZipOutputStream`` with level 0: deflated entries that are not
compressed) named after their query id, kind and record id; each is chained into ``linkinginfo``:
``last := H(last + hex(H(container)))`` from the previous file's last digest of the same group.
A file ends when the containers written exceed ``archive-max-filesize`` (checked after each, so a
file may exceed it by one container), when the group changes, and at the end of each transaction
batch. It is written to ``tmp-mlog-*.tmp`` and renamed to
``mlog-[<group>-]<start>-<end>-<first 16 hex of the last digest>.zip[.gpg]``; the times are
``yyyyMMddHHmmss`` in UTC. The chain head of each group is kept in the state file, as X-Road keeps
it in ``last_archive_digest``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from backend.i18n import _
from backend.sandbox.traffic import gpg
from backend.sandbox.traffic.javazip import ZipStream

DEFAULT_MAX_FILESIZE = 33_554_432
DEFAULT_TRANSACTION_BATCH = 10_000
HASH_ALGORITHM = "SHA-512"
_GROUP_ESCAPE = re.compile(r"[\x00\\<>/:|*?\x00-\x1f\x7f-\x9f]")


@dataclass
class ChainHead:
    """The last digest of a group's newest archive file and that file's name."""

    digest: str = ""
    file: str = ""


@dataclass
class SavedFile:
    path: Path
    group: str | None
    records: int
    first_ms: int
    last_ms: int
    last_digest: str


def file_time(time_ms: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(time_ms // 1000))


def archive_name(group: str | None, start_ms: int, end_ms: int, digest: str, encrypted: bool) -> str:
    """``LogArchiveWriter.getArchiveFilename``."""
    prefix = f"{_GROUP_ESCAPE.sub('_', group)[:200]}-" if group else ""
    suffix = "zip.gpg" if encrypted else "zip"
    return f"mlog-{prefix}{file_time(start_ms)}-{file_time(end_ms)}-{digest[:16]}.{suffix}"


@dataclass
class _OpenFile:
    group: str | None
    head: ChainHead
    temporary: Path
    sink: IO[bytes]
    archive: ZipStream
    process: subprocess.Popen[bytes] | None
    last: str
    lines: list[str] = field(default_factory=list)
    size: int = 0
    first_ms: int = 0
    last_ms: int = 0


class ArchiveWriter:
    """Writes records group by group; call :meth:`end_batch` at the end of each transaction batch
    and :meth:`close` (or :meth:`abort`) at the end."""

    def __init__(
        self,
        directory: Path,
        heads: dict[str, ChainHead],
        *,
        max_filesize: int = DEFAULT_MAX_FILESIZE,
        gpg_home: Path | None = None,
        on_saved: Callable[[SavedFile], None] | None = None,
    ) -> None:
        self.directory = directory
        self.heads = heads
        self.max_filesize = max_filesize
        self.gpg_home = gpg_home
        self.on_saved = on_saved
        self.current: _OpenFile | None = None
        self.saved: list[SavedFile] = []

    def write(self, group: str | None, name: str, time_ms: int, data: bytes) -> None:
        """Add one container (its entry name, record time and bytes) to the group's file."""
        if self.current is not None and self.current.group != group:
            self._save()
        if self.current is None:
            self.current = self._open(group)
        current = self.current
        current.archive.add(name, data, time_ms)
        digest = hashlib.sha512(data).hexdigest()
        current.last = hashlib.sha512((current.last + digest).encode()).hexdigest()
        current.lines.append(f"{current.last} {name}\n")
        current.size += len(data)
        if len(current.lines) == 1:
            current.first_ms = current.last_ms = time_ms
        else:
            current.first_ms = min(current.first_ms, time_ms)
            current.last_ms = max(current.last_ms, time_ms)
        if current.size > self.max_filesize:
            self._save()

    def end_batch(self) -> None:
        """The transaction batch is done: X-Road closes its writer, which saves the open file."""
        self._save()

    def close(self) -> None:
        self._save()

    def abort(self) -> None:
        """Drop the file being written (the chain head stays at the last saved file)."""
        current, self.current = self.current, None
        if current is None:
            return
        with contextlib.suppress(OSError):
            current.sink.close()
        if current.process is not None:
            current.process.kill()
            current.process.wait()
        current.temporary.unlink(missing_ok=True)

    def _open(self, group: str | None) -> _OpenFile:
        head = self.heads.get(group or "", ChainHead())
        handle, name = tempfile.mkstemp(prefix="tmp-mlog-", suffix=".tmp", dir=self.directory)
        temporary = Path(name)
        process = None
        if self.gpg_home is not None:
            os.close(handle)
            process = subprocess.Popen(gpg.encrypt_command(self.gpg_home, temporary),
                                       stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            assert process.stdin is not None
            sink: IO[bytes] = process.stdin
        else:
            sink = os.fdopen(handle, "wb", buffering=1 << 20)
        archive = ZipStream(sink.write, 0)
        return _OpenFile(group, head, temporary, sink, archive, process, head.digest)

    def _save(self) -> None:
        current = self.current
        if current is None:
            return
        self.current = None
        header = f"{current.head.digest or '-'} {current.head.file or '-'} {HASH_ALGORITHM}\n"
        linking = (header + "".join(current.lines)).encode()
        current.archive.add("linkinginfo", linking, current.last_ms)
        current.archive.finish()
        current.sink.close()
        if current.process is not None:
            error = current.process.stderr.read() if current.process.stderr else b""
            if current.process.wait() != 0:
                current.temporary.unlink(missing_ok=True)
                raise OSError(_("gpg could not encrypt the archive: {reason}").format(
                    reason=error.decode(errors="replace").strip()[-400:]))
        name = archive_name(current.group, current.first_ms, current.last_ms, current.last,
                            current.process is not None)
        target = self.directory / name
        os.replace(current.temporary, target)
        self.heads[current.group or ""] = ChainHead(current.last, name)
        saved = SavedFile(target, current.group, len(current.lines), current.first_ms,
                          current.last_ms, current.last)
        self.saved.append(saved)
        if self.on_saved is not None:
            self.on_saved(saved)
