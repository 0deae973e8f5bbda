"""One archive file: open it, hash every container once, check its linkinginfo, verify its records.

X-Road writes the archive zip with deflate level 0, so a container is one stored deflate block:
its bytes are hashed straight from the memory-mapped file (``files.inflate_view`` handles every
other case). The zip's CRC is not computed for containers whose linkinginfo digest matches (the
digest proves more); it is computed for the ones that fail, and for every container of a file
without linkinginfo, so that damage is told apart from rewriting.

Layer (a) alone on a file as X-Road writes it (linkinginfo listing the containers in zip order)
hashes and chains each container in one pass (``inplace.chain_in_place``); at the first line that
does not hold, the file is checked again the general way, which says exactly what is wrong.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from backend.archive.files import ArchiveFile, Entry, open_archive
from backend.archive.gpg import GpgError
from backend.archive.names import parse_archive_name, time_key
from backend.archive.safety import ArchiveError, inflate_view
from backend.archive.verify.container import ContainerVerifier
from backend.archive.verify.inplace import chain_in_place, hash_in_place
from backend.archive.verify.linkinginfo import (
    ChainNode,
    LinkingInfo,
    LinkingInfoError,
    check_file,
    parse_linkinginfo,
)
from backend.archive.verify.report import FileReport, Finding, Layer, RecordReport, failed, passed, unverified
from backend.i18n import _

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
CONTAINER_SUFFIX = ".asice"
_PROGRESS_INTERVAL = 0.1
_CHUNK = 32  # containers between progress reports and cancellation checks (about 400 KiB)
_KEY_MISSING_TITLES = ("Archive key missing", "gpg not installed", "GnuPG home not found")


@dataclass(slots=True)
class Run:
    """Progress in bytes of archive files, and cancellation, across one verification run."""

    total: int
    progress: Progress | None
    cancelled: Cancelled | None
    done: int = 0
    last_report: float = 0.0
    shown: int = 0
    stopped: bool = False

    def advance(self, amount: int, force: bool = False) -> None:
        self.done += amount
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last_report >= _PROGRESS_INTERVAL:
            self.last_report = now
            self.shown = max(self.shown, min(self.done, self.total))  # never backwards
            self.progress(self.shown, self.total)

    def should_stop(self) -> bool:
        if not self.stopped and self.cancelled is not None and self.cancelled():
            self.stopped = True
        return self.stopped


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


def _crc_finding(name: str) -> Finding:
    return failed(Layer.ARCHIVE, "entry_crc_mismatch",
                  _("The bytes of {entry} do not match the zip's checksum: the entry was altered or "
                    "damaged.").format(entry=name), name)


class FileVerifier:
    """Verifies archive files one after the other, sharing one :class:`ContainerVerifier`."""

    def __init__(self, verifier: ContainerVerifier | None, run: Run, keep_passing: bool) -> None:
        self.verifier = verifier
        self.run = run
        self.keep_passing = keep_passing

    def verify(self, key: str, path: Path, gpg_home: Path | None) -> tuple[FileReport, ChainNode]:
        parsed = parse_archive_name(path.name)
        report = FileReport(name=path.name, path=str(path), group=parsed.group,
                            encrypted=path.name.endswith(".gpg"))
        node = ChainNode(key, path.name, parsed.group, time_key(parsed), readable=False)
        size = path.stat().st_size if path.exists() else 0
        done_before = self.run.done
        try:
            archive = open_archive(path, gpg_home=gpg_home)
        except GpgError as exc:
            missing_key = exc.title in {_(title) for title in _KEY_MISSING_TITLES}
            maker = unverified if missing_key else failed
            report.findings.append(maker(Layer.ARCHIVE, "archive_not_decrypted" if missing_key
                                         else "archive_decryption_failed", exc.message))
        except ArchiveError as exc:
            report.findings.append(failed(Layer.ARCHIVE, "archive_unreadable", exc.message))
        else:
            with archive:
                report.findings.extend(_archive_findings(archive))
                self._verify_entries(archive, report, node, parsed.tag)
        self.run.advance(max(0, size - (self.run.done - done_before)), force=True)
        return report, node

    def _verify_entries(self, archive: ArchiveFile, report: FileReport, node: ChainNode,
                        tag: str | None) -> None:
        info = _read_linkinginfo(archive, report)
        new_hash = getattr(hashlib, info.hash_name if info is not None else "sha512")
        containers = [entry for entry in archive.entries if entry.name.endswith(CONTAINER_SUFFIX)]
        digests: dict[str, str] = {}  # entry → hex of H(entry)
        records: dict[str, RecordReport] = {}
        quiet = 0  # records with nothing to report (before the linkinginfo check)
        check_crc = info is None
        fast = self.verifier is None and not check_crc
        names = [entry.name for entry in containers]
        lines_checked = (fast and info is not None and [name for _digest, name in info.lines] == names
                         and self._chain_in_place(archive, containers, info, new_hash, report))
        if lines_checked:
            quiet = len(containers)
        elif not self.run.stopped:
            quiet = self._hash_entries(archive, containers, new_hash, digests, records, report,
                                       fast=fast, check_crc=check_crc)
        if info is not None and not self.run.stopped:
            findings, per_entry = check_file(info, digests, names, archive.name, tag,
                                             lines_checked=lines_checked)
            report.findings.extend(findings)
            for name, finding in per_entry.items():
                record = records.get(name)
                if record is None and name in digests:
                    record = records[name] = RecordReport(name)
                    quiet -= 1
                if record is not None:
                    record.findings.insert(0, finding)
                    self._recheck_crc(archive, name, record)
            report.last_digest = info.last_digest
            node.prev_digest, node.prev_name, node.last_digest = (info.prev_digest, info.prev_name,
                                                                 info.last_digest)
            node.readable = True
        report.records_total += quiet
        report.records_passed += quiet
        for record in records.values():
            report.add_record(record, self.keep_passing)

    def _chain_in_place(self, archive: ArchiveFile, containers: list[Entry], info: LinkingInfo,
                        new_hash: Callable, report: FileReport) -> bool:
        """Layer (a) alone on a file whose linkinginfo lists its containers in zip order (as X-Road
        writes it): hash and chain in one pass. True when every line holds; False when one does not,
        the general path then says which (the progress made here is taken back), or when cancelled."""
        recorded = [digest for digest, _name in info.lines]
        previous = info.prev_digest or ""
        advanced = 0
        view = archive.view()
        try:
            for start, chunk in self._chunks(containers, report):
                held, previous = chain_in_place(view, chunk, recorded[start:start + _CHUNK], previous,
                                                new_hash)
                if held < len(chunk):
                    self.run.done -= advanced
                    return False
                size = sum(entry.compressed_size for entry in chunk)
                self.run.advance(size)
                advanced += size
        finally:
            view.release()
        return not self.run.stopped

    def _hash_entries(self, archive: ArchiveFile, containers: list[Entry], new_hash: Callable,
                      digests: dict[str, str], records: dict[str, RecordReport], report: FileReport, *,
                      fast: bool, check_crc: bool) -> int:
        """Hash (and for a full verification, verify) every container; the number with nothing to report."""
        quiet = 0
        view = archive.view()
        try:
            for _start, chunk in self._chunks(containers, report):
                rest = hash_in_place(view, chunk, new_hash, digests) if fast else chunk
                quiet += len(chunk) - len(rest)
                for entry in rest:
                    record = self._entry(archive, entry, new_hash, digests, check_crc=check_crc)
                    if record is None:
                        quiet += 1
                    else:
                        records[entry.name] = record
                self.run.advance(sum(entry.compressed_size for entry in chunk))
        finally:
            view.release()
        return quiet

    def _chunks(self, containers: list[Entry], report: FileReport) -> Iterator[tuple[int, list[Entry]]]:
        """(start, containers) a chunk at a time, until the run is cancelled (said in ``report``)."""
        for start in range(0, len(containers), _CHUNK):
            if self.run.should_stop():
                report.findings.append(_cancelled())
                return
            yield start, containers[start:start + _CHUNK]

    def _recheck_crc(self, archive: ArchiveFile, name: str, record: RecordReport) -> None:
        entry = archive.entry(name)
        if entry is None or entry.refused:
            return
        try:
            content = archive.read(entry, check_crc=False)
        except ArchiveError:
            return
        if zlib.crc32(content) != entry.crc:
            record.findings.insert(1, _crc_finding(name))

    def _verify_record(self, data: bytes, name: str) -> RecordReport:
        assert self.verifier is not None
        try:
            return self.verifier.verify(data, name, standalone=False)
        except Exception as exc:  # crafted input must give a finding, never end the run
            record = RecordReport(name)
            record.findings.append(failed(Layer.CONTAINER, "verification_error",
                                          _("The container could not be verified: {error}")
                                          .format(error=f"{type(exc).__name__}: {exc}"), name))
            return record

    def _entry(self, archive: ArchiveFile, entry: Entry, new_hash: Callable,
               digests: dict[str, str], *, check_crc: bool) -> RecordReport | None:
        """Hash (and verify) one container; None when there is nothing to report yet."""
        try:
            raw = archive.raw(entry)
        except ArchiveError as exc:
            return _unreadable(entry, exc)
        try:
            return self._content(archive, entry, raw, new_hash, digests, check_crc=check_crc)
        finally:
            raw.release()

    def _content(self, archive: ArchiveFile, entry: Entry, raw: memoryview, new_hash: Callable,
                 digests: dict[str, str], *, check_crc: bool) -> RecordReport | None:
        content: memoryview | bytes
        size = entry.size
        if (entry.method == 8 and len(raw) == size + 5 and raw[0] == 1
                and raw[1] | raw[2] << 8 == size and raw[3] | raw[4] << 8 == size ^ 0xFFFF):
            content = raw[5:]  # one final stored block: X-Road's level 0, the usual case
        else:
            try:
                content = inflate_view(raw, entry.method, size, archive.name, entry.name)
            except ArchiveError as exc:
                return _unreadable(entry, exc)
        try:
            digests[entry.name] = new_hash(content).hexdigest()
            crc_ok = not check_crc or zlib.crc32(content) == entry.crc
            record = self._verify_record(bytes(content), entry.name) if self.verifier is not None else None
        finally:
            if isinstance(content, memoryview):
                content.release()
        if not crc_ok:
            record = record or RecordReport(entry.name)
            record.findings.insert(0, _crc_finding(entry.name))
        return record


def _cancelled() -> Finding:
    return unverified(Layer.ARCHIVE, "cancelled",
                      _("Verification was cancelled before this file was finished."))


def _unreadable(entry: Entry, exc: ArchiveError) -> RecordReport:
    record = RecordReport(entry.name)
    record.findings.append(failed(Layer.ARCHIVE, "entry_unreadable", exc.message, entry.name))
    return record


def verify_record(path: Path, entry_name: str, *, verifier: ContainerVerifier | None = None,
                  gpg_home: Path | None = None) -> RecordReport:
    """One record of an archive file: its link in the file's linkinginfo and layers (b) and (c).

    The link is checked on its own (the previous line's recorded digest and this container's
    digest must give this line's digest); whether the file's linkinginfo itself is intact is a
    question for the whole file (``verify_archive``). Raises ``ArchiveError``/``GpgError`` when the
    file cannot be opened.
    """
    verifier = verifier or ContainerVerifier()
    with open_archive(path, gpg_home=gpg_home) as archive:
        entry = archive.entry(entry_name)
        if entry is None:
            raise ArchiveError(_("{archive} has no entry {entry}.")
                               .format(archive=path.name, entry=entry_name))
        data = archive.read(entry, check_crc=False)
        crc_ok = zlib.crc32(data) == entry.crc
        report = FileReport(path.name, str(path))
        info = _read_linkinginfo(archive, report)
    record = verifier.verify(data, entry_name)
    link = report.findings[:]
    if info is not None:
        new_hash = getattr(hashlib, info.hash_name)
        previous = (info.prev_digest or "").encode("ascii")
        for recorded, name in info.lines:
            if name == entry_name:
                computed = new_hash(previous + new_hash(data).hexdigest().encode("ascii")).hexdigest()
                link = [passed(Layer.LINKINGINFO, "linkinginfo_link_ok",
                               _("The container's digest matches its line in the file's linkinginfo."),
                               entry_name) if computed == recorded.lower() else
                        failed(Layer.LINKINGINFO, "linkinginfo_digest_mismatch",
                               _("The digest of {entry} does not match linkinginfo: the entry (or "
                                 "linkinginfo) was altered.").format(entry=entry_name),
                               entry_name, recorded, computed)]
                break
            previous = recorded.lower().encode("ascii", "replace")
        else:
            link = [failed(Layer.LINKINGINFO, "linkinginfo_entry_not_listed",
                           _("{entry} is in the archive file but not in its linkinginfo: it was added.")
                           .format(entry=entry_name), entry_name)]
    if not crc_ok:
        link.append(_crc_finding(entry_name))
    record.findings[:0] = link
    return record
