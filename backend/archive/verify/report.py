"""What verification found, per check, per record, per archive file and per directory.

Every finding names its layer, a status, an X-Road-style code (X-Road's own code where X-Road has
one, e.g. ``invalid_signature_value``), a translated message and, where it helps, the entry and the
expected and found values (digests in hex). Everything serialises to JSON with ``to_dict``.

A directory report keeps the records that did not pass in full and only counts the records that
passed, so that a run over a million records stays small; ``verify_container`` gives the full
report of any one record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "PASS"
    UNVERIFIED = "UNVERIFIED"
    FAIL = "FAIL"


_RANK = {Status.PASS: 0, Status.UNVERIFIED: 1, Status.FAIL: 2}


def worst(statuses: Any) -> Status:
    """The most serious of ``statuses`` (PASS for none)."""
    result = Status.PASS
    for status in statuses:
        if _RANK[status] > _RANK[result]:
            result = status
    return result


class Layer(StrEnum):
    """The verification layers, in the order they run."""

    ARCHIVE = "archive"          # the archive file itself: readable zip, decryption
    LINKINGINFO = "linkinginfo"  # (a) the digest chain inside one archive file
    CHAIN = "chain"              # (a) the chain across the files of one group
    CONTAINER = "container"      # (b) ASiC-E structure
    HASHCHAIN = "hashchain"      # (b) sig-hashchain / ts-hashchain
    TIMESTAMP = "timestamp"      # (b) the RFC 3161 token
    SIGNATURE = "signature"      # (c) the XAdES signature value and its references
    CERTIFICATE = "certificate"  # (c) the signer certificate: name and path to an approved CA
    OCSP = "ocsp"                # (c) the embedded OCSP responses


@dataclass(slots=True)
class Finding:
    layer: Layer
    status: Status
    code: str
    message: str
    entry: str | None = None
    expected: str | None = None
    found: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"layer": self.layer.value, "status": self.status.value,
                                "code": self.code, "message": self.message}
        for key in ("entry", "expected", "found"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


def passed(layer: Layer, code: str, message: str, entry: str | None = None) -> Finding:
    return Finding(layer, Status.PASS, code, message, entry)


def failed(layer: Layer, code: str, message: str, entry: str | None = None,
           expected: str | None = None, found: str | None = None) -> Finding:
    return Finding(layer, Status.FAIL, code, message, entry, expected, found)


def unverified(layer: Layer, code: str, message: str, entry: str | None = None) -> Finding:
    return Finding(layer, Status.UNVERIFIED, code, message, entry)


@dataclass(slots=True)
class RecordReport:
    """One ASiC-E container (one message record)."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    signer: str | None = None          # the member that signed, as INSTANCE/CLASS/CODE[/SUBSYSTEM]
    timestamp: str | None = None       # the timestamp's time, ISO 8601 UTC
    tsa: str | None = None             # the time-stamping authority's name
    ocsp_produced_at: str | None = None

    @property
    def status(self) -> Status:
        return worst(f.status for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status.value}
        for key in ("signer", "timestamp", "tsa", "ocsp_produced_at"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        data["findings"] = [f.to_dict() for f in self.findings]
        return data


@dataclass(slots=True)
class FileReport:
    """One archive file: its own checks, the chain checks that concern it, and its records."""

    name: str
    path: str
    group: str | None = None
    encrypted: bool = False
    hash_algorithm: str | None = None
    last_digest: str | None = None
    findings: list[Finding] = field(default_factory=list)
    records_total: int = 0
    records_passed: int = 0
    records_unverified: int = 0
    records_failed: int = 0
    records: list[RecordReport] = field(default_factory=list)  # the records that did not pass

    def add_record(self, record: RecordReport, keep_passing: bool = False) -> None:
        status = record.status
        self.records_total += 1
        if status is Status.PASS:
            self.records_passed += 1
        elif status is Status.UNVERIFIED:
            self.records_unverified += 1
        else:
            self.records_failed += 1
        if keep_passing or status is not Status.PASS:
            self.records.append(record)

    @property
    def status(self) -> Status:
        return worst([*(f.status for f in self.findings), *(r.status for r in self.records)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": self.path, "group": self.group, "encrypted": self.encrypted,
            "status": self.status.value, "hash_algorithm": self.hash_algorithm,
            "last_digest": self.last_digest,
            "records": {"total": self.records_total, "passed": self.records_passed,
                        "unverified": self.records_unverified, "failed": self.records_failed},
            "findings": [f.to_dict() for f in self.findings],
            "record_reports": [r.to_dict() for r in self.records],
        }


@dataclass(slots=True)
class DirectoryReport:
    """A verification run over a directory of archive files."""

    directory: str
    configuration: str | None
    layers: list[str]
    started: str
    finished: str | None = None
    cancelled: bool = False
    findings: list[Finding] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return worst([*(f.status for f in self.findings), *(f.status for f in self.files)])

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "files_failed": sum(f.status is Status.FAIL for f in self.files),
            "records": sum(f.records_total for f in self.files),
            "records_passed": sum(f.records_passed for f in self.files),
            "records_unverified": sum(f.records_unverified for f in self.files),
            "records_failed": sum(f.records_failed for f in self.files),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory, "configuration": self.configuration, "layers": self.layers,
            "started": self.started, "finished": self.finished, "cancelled": self.cancelled,
            "status": self.status.value, "totals": self.totals(),
            "findings": [f.to_dict() for f in self.findings],
            "files": [f.to_dict() for f in self.files],
        }
