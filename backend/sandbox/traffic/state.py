"""Where the sandbox's message log lives, and what it remembers between runs.

``<data>/messagelog/`` holds ``archive/`` (the archive files, X-Road's ``archive-path``),
``signers/`` (traffic keys and certificates), ``gpghome/`` (the archive encryption key, with
``--encrypt``), ``verificationconf/`` (for verifiers) and ``state.json``: the next record id (X-Road's
``logrecord_sequence``), the time of the last record, and the chain head of each archive group
(X-Road's ``last_archive_digest``; the group ``""`` is "no grouping").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from backend.atomicfile import write_whole
from backend.sandbox.traffic.archive import ChainHead

MESSAGELOG_DIR = "messagelog"


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> Layout:
        return cls(data_dir / MESSAGELOG_DIR)

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def signers(self) -> Path:
        return self.root / "signers"

    @property
    def gpg_home(self) -> Path:
        return self.root / "gpghome"

    @property
    def verification_conf(self) -> Path:
        return self.root / "verificationconf"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def create(self) -> None:
        for directory in (self.root, self.archive, self.signers):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)


@dataclass
class LogState:
    next_record_id: int = 1
    last_record_ms: int = 0
    heads: dict[str, ChainHead] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LogState:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        heads = {group: ChainHead(str(head["digest"]), str(head["file"]))
                 for group, head in data.get("heads", {}).items()}
        return cls(int(data.get("next_record_id", 1)), int(data.get("last_record_ms", 0)), heads)

    def save(self, path: Path) -> None:
        data = {"next_record_id": self.next_record_id, "last_record_ms": self.last_record_ms,
                "heads": {group: {"digest": head.digest, "file": head.file}
                          for group, head in sorted(self.heads.items())}}
        write_whole(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
