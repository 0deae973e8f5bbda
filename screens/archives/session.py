"""``ArchiveSession``: one archive directory as the screens see it — its index, search, chain state,
the last verification of each file, and the verification configuration.

Nothing here draws; the screens call it from their workers. The settings come from the app
(``app.archive_settings``: the ``[archives]`` table of the configuration, or the sandbox's own
message log under ``kapka --sandbox``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from backend.archive.fileinfo import FileInfo
from backend.archive.index import ArchiveIndex, IndexProgress, UpdateSummary, default_index_path
from backend.archive.lastrun import FileVerdict, load_verdicts, save_verdicts, verdicts_path
from backend.archive.names import parse_archive_name, time_key
from backend.archive.search import ArchiveSearch
from backend.archive.verify import (
    ConfigurationError,
    DirectoryReport,
    VerificationConf,
    load_verification_conf,
)
from backend.archive.verify.linkinginfo import ChainNode, check_chains
from backend.archive.verify.report import Finding, Status, worst
from backend.errors import KapkaError
from backend.i18n import _


class Settings(Protocol):
    archive_dir: Path
    gpg_home: Path
    verification_conf: Path
    retention_years: int
    origin: str


@dataclass(frozen=True)
class ChainState:
    """What is known of one file's place in its chain: ``status`` PASS/UNVERIFIED/FAIL, a short word
    for the list and the findings behind it."""

    status: Status
    word: str
    findings: tuple[Finding, ...]
    verified: bool  # from a verification run (else from the index's linkinginfo headers)


def _where_to_set(settings: Settings) -> str:
    if settings.origin == "sandbox":
        return _("The sandbox writes its message log with 'kapka sandbox traffic --records 1000'.")
    return _("Set archive_dir in the [archives] table of Kapka's configuration file to the directory that "
             "holds mlog-*.zip files (X-Road's archive-path, /var/lib/xroad by default).")


def directory_problem(settings: Settings) -> KapkaError | None:
    """Why the archive directory cannot be read, with what to do; None when it can."""
    directory = settings.archive_dir
    if not directory.exists():
        return KapkaError(_("There is no directory {path}. {what}").format(
            path=directory, what=_where_to_set(settings)), _("No archive directory"))
    if not directory.is_dir():
        return KapkaError(_("{path} is not a directory. {what}").format(
            path=directory, what=_where_to_set(settings)), _("No archive directory"))
    try:
        with os.scandir(directory) as entries:
            next(entries, None)
    except PermissionError:
        return KapkaError(_("Kapka may not read {path}: X-Road's archives belong to the xroad user. Run "
                            "Kapka as that user (sudo -u xroad kapka) or as root, or copy the archives to a "
                            "directory you may read and set archive_dir to it.").format(path=directory),
                          _("Archive directory unreadable"))
    except OSError as error:
        return KapkaError(_("{path} cannot be read: {error}.").format(path=directory,
                                                                       error=error.strerror or error),
                          _("Archive directory unreadable"))
    return None


def chain_findings(files: list[FileInfo]) -> dict[str, list[Finding]]:
    """The links between files as the index's linkinginfo headers give them (no digests recomputed)."""
    nodes = []
    for info in files:
        parsed = parse_archive_name(info.name)
        previous = info.link_previous_name
        digest = info.link_previous_digest
        nodes.append(ChainNode(info.path, info.name, info.group, time_key(parsed),
                               None if digest in (None, "-") else digest.lower(),
                               None if previous in (None, "-") else previous,
                               info.link_last_digest.lower() if info.link_last_digest else None,
                               readable=info.error is None and info.link_algorithm is not None))
    return check_chains(nodes)


def chain_state(info: FileInfo, findings: list[Finding], verdict: FileVerdict | None) -> ChainState:
    """The chain column of one file: the last verification if it is still valid, else the index's view."""
    if verdict is not None:
        status = Status(verdict.status)
        words = {Status.PASS: _("✓ verified") if verdict.full else _("✓ links"),
                 Status.UNVERIFIED: _("? partly"), Status.FAIL: _("✗ broken")}
        return ChainState(status, words[status], tuple(findings), True)
    if info.error:
        return ChainState(Status.UNVERIFIED, _("? unread"), tuple(findings), False)
    if info.link_algorithm is None:
        return ChainState(Status.FAIL, _("✗ no link"), tuple(findings), False)
    status = worst(f.status for f in findings)
    codes = {f.code for f in findings}
    if "archive_missing" in codes:
        word = _("✗ gap")
    elif status is Status.FAIL:
        word = _("✗ link")
    elif "chain_predecessor_absent" in codes:
        word = _("? before")
    elif "chain_restarted" in codes:
        word = _("? restart")
    else:
        word = _("linked")
    return ChainState(status, word, tuple(findings), False)


class ArchiveSession:
    """The archive directory of ``settings``; ``update`` and ``verify`` run on worker threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.archive_dir = settings.archive_dir.expanduser()
        self.index_path = default_index_path(self.archive_dir)
        self.index: ArchiveIndex | None = None
        self.search: ArchiveSearch | None = None
        self.files: list[FileInfo] = []
        self.chains: dict[str, list[Finding]] = {}
        self.verdicts: dict[str, FileVerdict] = {}
        self.last_update: UpdateSummary | None = None
        self.stale_search: ArchiveSearch | None = None  # replaced after an update; closed by the screen
        self.last_export_dir: Path | None = None
        self._conf_lock = threading.Lock()
        self._index_lock = threading.Lock()  # the index is updated by one worker at a time
        self.closed = False
        self._conf: tuple[VerificationConf | None, str | None] | None = None

    @property
    def gpg_home(self) -> Path | None:
        """The configured GnuPG home when it exists, else gpg's own default."""
        home = self.settings.gpg_home.expanduser()
        return home if home.is_dir() else None

    @property
    def index_existed(self) -> bool:
        return self.index_path.exists()

    def problem(self) -> KapkaError | None:
        return directory_problem(self.settings)

    def open_search(self) -> ArchiveSearch | None:
        """A search over the index as it is (None before the first index is built)."""
        if self.search is None and self.index_path.exists():
            self.search = ArchiveSearch(self.index_path, self.archive_dir)
        return self.search

    def update(self, progress: Callable[[IndexProgress], None] | None = None,
               cancel: Callable[[], bool] | None = None) -> UpdateSummary:
        """Bring the index up to date (only new and changed files are read), then reload the files."""
        with self._index_lock:
            if self.closed:
                raise KapkaError(_("The archives screen was closed."), _("Cancelled"))
            if self.index is None:
                # the default path: a damaged index in the cache is then built anew
                self.index = ArchiveIndex(self.archive_dir, gpg_home=self.gpg_home)
            summary = self.index.update(progress, cancel)
            self.last_update = summary
            self.reload()
            if summary.added or summary.changed or summary.removed:
                self.stale_search, self.search = self.search, None  # the file may have been rebuilt
            self.open_search()
            return summary

    def reload(self) -> None:
        """The files, their chain links and valid verdicts, from the index (worker thread)."""
        if self.index is None:
            return
        self.files = self.index.files()
        self.chains = chain_findings(self.files)
        self.verdicts = load_verdicts(verdicts_path(self.index_path), self.archive_dir)

    def state_of(self, info: FileInfo) -> ChainState:
        return chain_state(info, self.chains.get(info.path, []), self.verdicts.get(info.path))

    def missing(self) -> list[Finding]:
        """Files named by the chain that are not in the directory (from the index and verification)."""
        found = [f for findings in self.chains.values() for f in findings if f.code == "archive_missing"]
        return sorted({f.entry or f.message: f for f in found}.values(), key=lambda f: f.entry or "")

    def total_records(self) -> int:
        return sum(info.records for info in self.files)

    # -- verification ---------------------------------------------------------------------------

    def verification_conf(self, *, fresh: bool = False) -> tuple[VerificationConf | None, str | None]:
        """The verification configuration, or None and why the layers needing it are not checked
        (read once per session; ``fresh`` reads it again)."""
        with self._conf_lock:
            if self._conf is None or fresh:
                self._conf = self._load_conf()
            return self._conf

    def _load_conf(self) -> tuple[VerificationConf | None, str | None]:
        directory = self.settings.verification_conf.expanduser()
        if not directory.is_dir():
            return None, _("There is no verification configuration at {path}, so signer certificates, OCSP "
                           "responses and time-stamping authorities are not checked (UNVERIFIED). Set "
                           "verification_conf in [archives] to the global configuration directory "
                           "(/etc/xroad/globalconf on the security server).").format(path=directory)
        try:
            return load_verification_conf(directory), None
        except (ConfigurationError, KapkaError) as error:
            return None, _("The verification configuration at {path} cannot be used: {error} Signer "
                           "certificates, OCSP responses and time-stamping authorities are not checked "
                           "(UNVERIFIED).").format(path=directory, error=error.message)

    def remember(self, report: DirectoryReport, *, full: bool) -> None:
        """Keep a finished run's verdicts for the file list (and for later sessions)."""
        save_verdicts(verdicts_path(self.index_path), report, self.archive_dir, full=full)
        self.verdicts = load_verdicts(verdicts_path(self.index_path), self.archive_dir)
        for file in report.files:
            try:
                relative = Path(file.path).resolve().relative_to(self.archive_dir.resolve()).as_posix()
            except (ValueError, OSError):
                continue
            chain = [f for f in file.findings if f.layer.value == "chain"]
            if chain:
                self.chains[relative] = chain

    def close(self, search_lock: threading.Lock | None = None) -> None:
        """Close the index and the search once nobody uses them (``search_lock``: the pager's)."""
        with self._index_lock:
            self.closed = True
            if self.index is not None:
                self.index.close()
                self.index = None
        if self.search is not None:
            if search_lock is not None:
                with search_lock:
                    self.search.close()
            else:
                self.search.close()
            self.search = None
