"""Shared fixtures: X-Road's real test files and archives generated with a throwaway PKI."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.archive.verify import VerificationConf, load_verification_conf
from tests.archive_verify import forge

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
MESSAGELOG = REFERENCE / "fixtures" / "messagelog"
GLOBALCONF = MESSAGELOG / "globalconf" / "globalconf_good2_v3"


@pytest.fixture(scope="session")
def xroad_conf() -> VerificationConf:
    return load_verification_conf(GLOBALCONF)


@pytest.fixture(scope="session")
def pki() -> forge.Pki:
    return forge.Pki.create()


@pytest.fixture(scope="session")
def conf_dir(pki: forge.Pki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pki.write_conf(tmp_path_factory.mktemp("globalconf"))


@pytest.fixture(scope="session")
def conf(conf_dir: Path) -> VerificationConf:
    return load_verification_conf(conf_dir)


@pytest.fixture(scope="session")
def records() -> list[forge.Record]:
    return forge.make_records(18)


@pytest.fixture(scope="session")
def batch_containers(pki: forge.Pki, records: list[forge.Record]) -> list[tuple[str, bytes]]:
    """18 containers (SOAP and REST), timestamped in batches of 7."""
    return list(zip(forge.entry_names(records), forge.containers(pki, records, batch=7), strict=True))


@pytest.fixture
def archive_dir(tmp_path: Path, batch_containers: list[tuple[str, bytes]]) -> Path:
    """Three chained archive files of 6 containers each."""
    forge.write_archives(tmp_path / "archives", batch_containers, per_file=6)
    return tmp_path / "archives"
