"""Verify a directory of message-log archives, layer by layer, with progress and cancellation.

Each archive is opened once (``backend.archive.files``: memory-mapped, ``.zip.gpg`` decrypted with
the system gpg) and each container is read once (``archivefile``): its bytes are hashed for the
``linkinginfo`` chain and, for a full verification, handed to :class:`ContainerVerifier` while
still in memory. After all files, the links between the files of each group are checked.

Progress is reported in bytes of archive files, ``progress(done, total)``, at most ten times a
second; ``cancelled()`` is asked between containers and ends the run early with a partial report.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from backend.archive.names import is_archive_name, is_zip_name
from backend.archive.verify.archivefile import FileVerifier, Run, verify_record
from backend.archive.verify.container import ContainerVerifier
from backend.archive.verify.globalconf import VerificationConf
from backend.archive.verify.linkinginfo import ChainNode, check_chains
from backend.archive.verify.report import DirectoryReport, FileReport, Layer, Status, failed, unverified
from backend.i18n import _

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def find_archives(directory: Path) -> list[tuple[str, Path]]:
    """(path relative to ``directory``, path) of every candidate archive, subfolders included."""
    if directory.is_file():
        return [(directory.name, directory)]
    found = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if is_zip_name(name):
                full = Path(root) / name
                found.append((full.relative_to(directory).as_posix(), full))
    return found


def verify_directory(directory: Path | str, *, conf: VerificationConf | None = None,
                     gpg_home: Path | None = None, full: bool = True, progress: Progress | None = None,
                     cancelled: Cancelled | None = None, keep_passing: bool = False) -> DirectoryReport:
    """Verify every archive under ``directory`` (or the one archive file it names).

    ``full`` False checks only layer (a), the linkinginfo chains; True adds layers (b) and (c) for
    every container. Without ``conf`` the signer certificates, OCSP responses and TSAs are not
    checked (the report says so once). ``keep_passing`` keeps the reports of records that passed.
    """
    root = Path(directory)
    layers = [Layer.ARCHIVE, Layer.LINKINGINFO, Layer.CHAIN]
    if full:
        layers += [Layer.CONTAINER, Layer.HASHCHAIN, Layer.TIMESTAMP, Layer.SIGNATURE]
        if conf is not None:
            layers += [Layer.CERTIFICATE, Layer.OCSP]
    report = DirectoryReport(str(root), conf.path if conf else None, [layer.value for layer in layers],
                             datetime.now(UTC).isoformat(timespec="seconds"))
    archives = find_archives(root)
    if not archives:
        report.findings.append(failed(Layer.ARCHIVE, "no_archives",
                                      _("No message-log archives (mlog-*.zip, mlog-*.zip.gpg) found in "
                                        "{path}.").format(path=root)))
    if full and conf is None:
        report.findings.append(unverified(Layer.CERTIFICATE, "no_verification_configuration",
                                          _("Signer certificates, OCSP responses and TSAs were not checked: "
                                            "no verification configuration was given (--conf).")))
    total = sum(path.stat().st_size for _key, path in archives if path.exists())
    run = Run(total, progress, cancelled)
    files = FileVerifier(ContainerVerifier(conf) if full else None, run, keep_passing)
    nodes: list[ChainNode] = []
    for key, path in archives:
        if run.should_stop():
            break
        file_report, node = files.verify(key, path, gpg_home)
        if root.is_file() or not _ignorable(file_report, path):
            report.files.append(file_report)
            nodes.append(node)
    report.cancelled = run.stopped
    if not run.stopped:
        by_key = dict(zip((n.key for n in nodes), report.files, strict=True))
        for key, findings in check_chains(nodes).items():
            by_key[key].findings.extend(findings)
    if progress is not None:
        progress(run.done if run.stopped else total, total)
    report.finished = datetime.now(UTC).isoformat(timespec="seconds")
    return report


def _ignorable(report: FileReport, path: Path) -> bool:
    """A zip that is not named like an archive and holds neither containers nor linkinginfo."""
    if is_archive_name(path.name) or report.records_total:
        return False
    return any(f.code == "linkinginfo_not_found" for f in report.findings)


def verify_archive(path: Path | str, *, conf: VerificationConf | None = None, gpg_home: Path | None = None,
                   full: bool = True, keep_passing: bool = True) -> FileReport:
    """Verify one archive file on its own (layers a–c; its links to other files are not checked)."""
    report = verify_directory(Path(path), conf=conf, gpg_home=gpg_home, full=full, keep_passing=keep_passing)
    file_report = report.files[0] if report.files else FileReport(Path(path).name, str(path))
    file_report.findings = [f for f in file_report.findings if f.layer is not Layer.CHAIN]
    return file_report


__all__ = ["Status", "find_archives", "verify_archive", "verify_directory", "verify_record"]
