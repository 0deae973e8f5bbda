"""The operator's audit journal: one JSON line for every change Kapka makes or attempts.

Each write to a security server (whatever its outcome) and each console-side change that matters
(a profile created, a certificate pinned, a key stored) becomes a line in ``paths.audit_path()``,
mode 0600, flushed to disk before the call returns. Values of details named like a secret
(password, pin, key, token, secret…) are replaced by ``"********"``, and ``Secret`` values always
are. If the line cannot be written, ``AuditJournalError`` says so: a change must not go
unrecorded silently.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from backend.api.writes import WriteEvent
from backend.errors import KapkaError
from backend.i18n import _
from backend.secret import Secret
from console import paths
from console.secretnames import is_secret_name

REDACTED = "********"
_TAIL_BLOCK = 64 * 1024


class AuditJournalError(KapkaError):
    """The journal could not be written or read."""

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message, title or _("Audit journal"))


def redact(value: Any) -> Any:
    """``value`` with every secret-named entry (at any depth) and every ``Secret`` masked."""
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if is_secret_name(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


def _timestamp(at: datetime) -> str:
    """ISO 8601 in UTC; a naive time is taken as the host's local time."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _operator() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return f"uid:{os.getuid()}"


class AuditJournal:
    """Appends records to ``path`` (default ``paths.audit_path()``); a ``WriteObserver``.

    ``profile`` and ``server_url`` name the connection the records belong to; ``for_connection``
    gives a journal for another connection that writes to the same file.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        profile: str | None = None,
        server_url: str | None = None,
        operator: str | None = None,
    ) -> None:
        self.path = path or paths.audit_path()
        self.profile = profile
        self.server_url = server_url
        self.operator = operator or _operator()
        self._lock = threading.Lock()

    def for_connection(self, profile: str | None, server_url: str | None) -> AuditJournal:
        journal = AuditJournal(
            self.path, profile=profile, server_url=server_url, operator=self.operator
        )
        journal._lock = self._lock
        return journal

    def record(self, event: WriteEvent) -> None:
        """Record one write to the server (``WriteObserver``)."""
        self._append(
            {
                "time": _timestamp(event.at),
                "kind": "write",
                "operator": self.operator,
                "profile": self.profile,
                "server_url": self.server_url,
                "method": event.method,
                "path": event.path,
                "summary": event.summary,
                "outcome": event.outcome,
                "status": event.status,
                "error_code": event.error_code,
                "warnings": list(event.warnings),
                "ignored_warnings": event.ignored_warnings,
                "correlation_id": event.correlation_id,
                "details": redact(event.details),
            },
            event.summary,
        )

    def record_local(self, action: str, summary: str, **details: Any) -> None:
        """Record a console-side change that touches no server (``action`` e.g. "profile.created")."""
        self._append(
            {
                "time": _timestamp(datetime.now(UTC)),
                "kind": "local",
                "operator": self.operator,
                "profile": self.profile,
                "server_url": self.server_url,
                "action": action,
                "summary": summary,
                "outcome": "ok",
                "details": redact(details),
            },
            summary,
        )

    def tail(self, n: int) -> list[dict[str, Any]]:
        """The last ``n`` records, oldest first; lines that are not JSON objects are skipped."""
        if n <= 0:
            return []
        try:
            with open(self.path, "rb") as file:
                lines = _last_lines(file, n)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise AuditJournalError(
                _(
                    "Kapka could not read its audit journal {file}: {reason}. Make it readable "
                    "for your user."
                ).format(file=self.path, reason=error.strerror or error)
            ) from error
        records: list[dict[str, Any]] = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records[-n:]

    def _append(self, record: dict[str, Any], summary: str) -> None:
        line = json.dumps(record, ensure_ascii=False, default=_json_default) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            try:
                paths.ensure_private_dir(self.path.parent)
                fd = os.open(
                    self.path,
                    os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                    paths.PRIVATE_FILE_MODE,
                )
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        data = b"\n" + data  # a crash cut the last line short: start a new one
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as error:
                raise AuditJournalError(
                    _(
                        "Kapka could not write to its audit journal {file}: {reason}. “{summary}” "
                        "is not recorded there. Free disk space or fix the file's permissions "
                        "before making further changes."
                    ).format(file=self.path, reason=error.strerror or error, summary=summary)
                ) from error


def _last_lines(file: Any, n: int) -> list[bytes]:
    """Up to ``n`` + 1 last non-empty lines of a binary file, read backwards in blocks."""
    end = file.seek(0, os.SEEK_END)
    position, buffer = end, b""
    while position > 0 and buffer.count(b"\n") <= n + 1:
        step = min(_TAIL_BLOCK, position)
        position -= step
        file.seek(position)
        buffer = file.read(step) + buffer
    lines = buffer.split(b"\n")
    if position > 0:
        lines = lines[1:]  # the first piece may be the end of an earlier line
    return [line for line in lines if line.strip()][-(n + 1) :]
