"""Verify a directory of message-log archives, layer by layer, with progress and cancellation.

Each archive is opened once (``backend.archive.files``: memory-mapped, ``.zip.gpg`` decrypted with
the system gpg) and each container is read once: its bytes are hashed for the ``linkinginfo``
chain and, for a full verification, handed to :class:`ContainerVerifier` while still in memory.
X-Road writes containers with deflate level 0, which ``files.inflate_view`` returns as views of
the mapped file without copying. After all files, the links between the files of each group are
checked.

Progress is reported in bytes of archive files, ``progress(done, total)``, at most ten times a
second; ``cancelled()`` is asked between containers and ends the run early with a partial report.
"""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from backend.archive.files import ArchiveError, ArchiveFile, Entry, inflate_view, open_archive
from backend.archive.gpg import GpgError
from backend.archive.names import is_archive_name, is_zip_name, parse_archive_name, time_key
from backend.archive.verify.container import ContainerVerifier
from backend.archive.verify.globalconf import VerificationConf
from backend.archive.verify.linkinginfo import (
    ChainNode,
    LinkingInfo,
    LinkingInfoError,
    check_chains,
    check_file,
    parse_linkinginfo,
)
from backend.archive.verify.report import (
    DirectoryReport,
    FileReport,
    Finding,
    Layer,
    RecordReport,
    Status,
    failed,
    passed,
    unverified,
)
from backend.i18n import _

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
CONTAINER_SUFFIX = ".asice"
_PROGRESS_INTERVAL = 0.1
_CHECK_EVERY = 32


@dataclass(slots=True)
class _Run:
    total: int
    progress: Progress | None
    cancelled: Cancelled | None
    done: int = 0
    last_report: float = field(default=0.0)
    stopped: bool = False

    def advance(self, amount: int, force: bool = False) -> None:
        self.done += amount
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last_report >= _PROGRESS_INTERVAL:
            self.last_report = now
            self.progress(min(self.done, self.total), self.total)

    def should_stop(self) -> bool:
        if not self.stopped and self.cancelled is not None and self.cancelled():
            self.stopped = True
        return self.stopped


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


_KEY_MISSING_TITLES = ("Archive key missing", "gpg not installed", "GnuPG home not found")


def _archive_findings(archive: ArchiveFile) -> list[Finding]:
    findings = [failed(Layer.ARCHIVE, problem.code, problem.message, problem.entry)
                for problem in archive.problems if problem.code != "odd_name"]
    if archive.gpg is not None:
        if archive.gpg.signature == "good":
            findings.append(passed(Layer.ARCHIVE, "gpg_signature_good",
                                   _("Decrypted; the OpenPGP signature is good ({signer}).")
                                   .format(signer=archive.gpg.signer or "-")))
        else:
            findings.append(unverified(Layer.ARCHIVE, "gpg_signature_unchecked",
                                       _("Decrypted, but its OpenPGP signature could not be checked (the "
                                         "signer's public key is not in the GnuPG home, or it is "
                                         "unsigned).")))
    return findings


def _read_linkinginfo(archive: ArchiveFile, report: FileReport) -> LinkingInfo | None:
    entry = archive.linkinginfo()
    if entry is None:
        report.findings.append(failed(Layer.LINKINGINFO, "linkinginfo_not_found",
                                      _("The archive file has no linkinginfo entry: the chain cannot be "
                                        "checked.")))
        return None
    try:
        info = parse_linkinginfo(archive.read(entry))
    except (ArchiveError, LinkingInfoError) as exc:
        report.findings.append(failed(Layer.LINKINGINFO, getattr(exc, "code", "linkinginfo_unreadable"),
                                      exc.message, entry.name))
        return None
    report.hash_algorithm = info.algorithm
    return info


class _FileVerifier:
    def __init__(self, verifier: ContainerVerifier | None, run: _Run, keep_passing: bool) -> None:
        self.verifier = verifier
        self.run = run
        self.keep_passing = keep_passing
        self.run_file_done = 0

    def verify(self, key: str, path: Path, gpg_home: Path | None) -> tuple[FileReport, ChainNode]:
        parsed = parse_archive_name(path.name)
        report = FileReport(name=path.name, path=str(path), group=parsed.group,
                            encrypted=path.name.endswith(".gpg"))
        node = ChainNode(key, path.name, parsed.group, time_key(parsed), readable=False)
        size = path.stat().st_size if path.exists() else 0
        try:
            archive = open_archive(path, gpg_home=gpg_home)
        except GpgError as exc:
            missing_key = exc.title in {_(title) for title in _KEY_MISSING_TITLES}
            maker = unverified if missing_key else failed
            report.findings.append(maker(Layer.ARCHIVE, "archive_not_decrypted" if missing_key
                                         else "archive_decryption_failed", exc.message))
            self.run.advance(size)
            return report, node
        except ArchiveError as exc:
            report.findings.append(failed(Layer.ARCHIVE, "archive_unreadable", exc.message))
            self.run.advance(size)
            return report, node
        self.run_file_done = 0
        with archive:
            report.findings.extend(_archive_findings(archive))
            self._verify_entries(archive, report, node, parsed.tag)
        self.run.advance(max(0, size - self.run_file_done), force=True)
        return report, node

    def _verify_entries(self, archive: ArchiveFile, report: FileReport, node: ChainNode,
                        tag: str | None) -> None:
        info = _read_linkinginfo(archive, report)
        hash_name = info.hash_name if info is not None else "sha512"
        containers = [entry for entry in archive.entries if entry.name.endswith(CONTAINER_SUFFIX)]
        digests: dict[str, bytes] = {}
        records: dict[str, RecordReport] = {}
        for index, entry in enumerate(containers):
            if index % _CHECK_EVERY == 0 and self.run.should_stop():
                report.findings.append(unverified(Layer.ARCHIVE, "cancelled",
                                                  _("Verification was cancelled before this file was "
                                                    "finished.")))
                break
            records[entry.name] = self._entry(archive, entry, hash_name, digests)
            self.run_file_done += entry.compressed_size
            self.run.advance(entry.compressed_size)
        if info is not None and not self.run.stopped:
            findings, per_entry = check_file(info, digests, [e.name for e in containers], archive.name, tag)
            report.findings.extend(findings)
            for name, finding in per_entry.items():
                if name in records:
                    records[name].findings.insert(0, finding)
            report.last_digest = info.last_digest
            node.prev_digest, node.prev_name, node.last_digest = (info.prev_digest, info.prev_name,
                                                                 info.last_digest)
            node.readable = True
        for record in records.values():
            report.add_record(record, self.keep_passing)

    def _verify_record(self, data: bytes, name: str) -> RecordReport:
        if self.verifier is None:
            return RecordReport(name)
        try:
            return self.verifier.verify(data, name, standalone=False)
        except Exception as exc:  # crafted input must give a finding, never end the run
            record = RecordReport(name)
            record.findings.append(failed(Layer.CONTAINER, "verification_error",
                                          _("The container could not be verified: {error}")
                                          .format(error=f"{type(exc).__name__}: {exc}"), name))
            return record

    def _entry(self, archive: ArchiveFile, entry: Entry, hash_name: str,
               digests: dict[str, bytes]) -> RecordReport:
        try:
            raw = archive.raw(entry)
            content = inflate_view(raw, entry.method, entry.size, archive.name, entry.name)
        except ArchiveError as exc:
            record = RecordReport(entry.name)
            record.findings.append(failed(Layer.ARCHIVE, "entry_unreadable", exc.message, entry.name))
            return record
        try:
            digests[entry.name] = hashlib.new(hash_name, content).digest()
            crc_ok = zlib.crc32(content) == entry.crc
            record = self._verify_record(bytes(content), entry.name)
        finally:
            if isinstance(content, memoryview):
                content.release()
            raw.release()
        if not crc_ok:
            record.findings.insert(0, failed(Layer.ARCHIVE, "entry_crc_mismatch",
                                             _("The bytes of {entry} do not match the zip's checksum: the "
                                               "entry was altered or damaged.").format(entry=entry.name),
                                             entry.name))
        return record


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
    run = _Run(total, progress, cancelled)
    files = _FileVerifier(ContainerVerifier(conf) if full else None, run, keep_passing)
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


__all__ = ["Status", "find_archives", "verify_archive", "verify_directory"]
