"""What the last verification said of each archive file, kept beside the index in the cache directory.

A verdict holds the file's size and modification time at the end of the run: a file that changed
since is reported as not verified again, never with an old result. Runs that were cancelled are
not remembered (a file's chain links are only checked at the end of a run).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from backend.archive.verify.report import DirectoryReport, FileReport, Status
from backend.atomicfile import write_whole

VERSION = 1
PROBLEMS_KEPT = 5


@dataclass(frozen=True, slots=True)
class FileVerdict:
    """The outcome of one file's last verification."""

    status: str  # PASS, UNVERIFIED, FAIL
    full: bool  # True: every layer; False: the linkinginfo chain only
    verified_at: str  # ISO 8601 UTC
    records: int
    records_failed: int
    records_unverified: int
    problems: tuple[str, ...]  # the first few findings that did not pass, "code: message"
    size: int
    mtime_ns: int

    @property
    def passed(self) -> bool:
        return self.status == Status.PASS.value


def verdicts_path(index_path: Path) -> Path:
    """Where the verdicts of an index's directory are kept: next to the index."""
    return index_path.with_name(index_path.stem + ".verified.json")


def _problems(report: FileReport) -> tuple[str, ...]:
    found = [f"{f.code}: {f.message}" for f in report.findings if f.status is not Status.PASS]
    for record in report.records:
        found += [f"{record.name}: {f.code}: {f.message}" for f in record.findings
                  if f.status is not Status.PASS]
        if len(found) >= PROBLEMS_KEPT:
            break
    return tuple(found[:PROBLEMS_KEPT])


def _relative(path: str, archive_dir: Path) -> str | None:
    try:
        return Path(path).resolve().relative_to(archive_dir.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def save_verdicts(path: Path, report: DirectoryReport, archive_dir: Path, *, full: bool) -> int:
    """Remember the files of a finished run (merged with earlier runs); returns how many were kept."""
    if report.cancelled or report.finished is None:
        return 0
    verdicts = {name: asdict(verdict) for name, verdict in load_verdicts(path, archive_dir).items()}
    kept = 0
    for file in report.files:
        relative = _relative(file.path, archive_dir)
        if relative is None:
            continue
        try:
            stat = os.stat(file.path)
        except OSError:
            continue
        verdict = FileVerdict(file.status.value, full, report.finished, file.records_total,
                              file.records_failed, file.records_unverified, _problems(file), stat.st_size,
                              stat.st_mtime_ns)
        verdicts[relative] = asdict(verdict)
        kept += 1
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_whole(path, json.dumps({"version": VERSION, "files": verdicts}, indent=1).encode("utf-8"),
                mode=0o600)
    return kept


def load_verdicts(path: Path, archive_dir: Path) -> dict[str, FileVerdict]:
    """The verdicts still valid: of files that exist unchanged since they were verified."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("files"),
                                                                                      dict):
        return {}
    verdicts: dict[str, FileVerdict] = {}
    for relative, values in data["files"].items():
        try:
            verdict = FileVerdict(**{**values, "problems": tuple(values.get("problems", ()))})
            stat = os.stat(archive_dir / relative)
        except (TypeError, OSError):
            continue
        if (stat.st_size, stat.st_mtime_ns) == (verdict.size, verdict.mtime_ns):
            verdicts[relative] = verdict
    return verdicts
