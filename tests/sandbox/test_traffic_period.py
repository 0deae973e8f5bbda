"""``kapka sandbox traffic`` over days and months: a new sandbox's authorities reach 400 days back,
so its traffic spreads over the whole period asked for, and every record verifies."""

from __future__ import annotations

import calendar
import datetime as dt
import time
from pathlib import Path

import pytest
from cryptography import x509

from backend.sandbox.cli import main
from backend.sandbox.traffic.generate import Options, generate
from tests.sandbox import traffic_checks as checks
from tests.sandbox.test_traffic import (
    SIX_HOURS,
    _chained,
    _check_files,
    _check_run,
    _copy,
    _kapka_verifies,
    _openssl_verifies,
    _utc,
)
from tests.sandboxes import PIN, Templates


def test_a_fresh_sandbox_fills_the_default_three_days_archived_every_six_hours(
        templates: Templates, tmp_path: Path, pin_fd: int, capsys: pytest.CaptureFixture[str]) -> None:
    """``kapka sandbox traffic`` on a sandbox made minutes ago: the records spread over the last
    three days (the sandbox's authorities reach back further), the archiver's runs every six hours
    give a file each, lone messages get plain signatures, and every record verifies."""
    data_dir = _copy(templates, tmp_path / "sandbox")
    before = dt.datetime.now(dt.UTC)
    assert main(["traffic", "--records", "600", "--seed", "4", "--data", str(data_dir),
                 "--pin-fd", str(pin_fd)]) == 0
    assert "Logged 600 records" in capsys.readouterr().out
    files = sorted((data_dir / "messagelog" / "archive").glob("mlog-*.zip"))
    archived = _check_files(data_dir, files)
    _chained(archived, files)
    _kapka_verifies(data_dir, 600)
    times = sorted(c.signing_time for c in archived.records.values())
    assert times[-1] - times[0] > dt.timedelta(days=2)
    assert before - dt.timedelta(days=3, seconds=3) < times[0] and times[-1] < dt.datetime.now(dt.UTC)
    assert len(files) >= 10
    assert any(not c.batch_signature for c in archived.records.values())
    six_hours = int(SIX_HOURS.total_seconds())
    for path in files:
        match = checks.NAME.match(path.name)
        start, end = (calendar.timegm(time.strptime(match[key], "%Y%m%d%H%M%S"))
                      for key in ("start", "end"))
        assert -(-(start + 63) // six_hours) == -(-end // six_hours), path.name
    first, last = (min(archived.records.values(), key=lambda c: c.ts_time),
                   max(archived.records.values(), key=lambda c: c.ts_time))
    _openssl_verifies([first, last], data_dir / "pki" / "ca.crt", tmp_path)
    # the owner signed with a traffic key until its token certificate began (minutes ago)
    traffic = _traffic_serials(data_dir)
    owner = [c for c in archived.records.values() if c.signer_member == ("GOV", "70000001")]
    by_key = [c.signing_time for c in owner if _serial(c) in traffic]
    by_token = [c.signing_time for c in owner if _serial(c) not in traffic]
    assert by_key and min(by_key) < before - dt.timedelta(days=2)
    assert not by_token or max(by_key) < min(by_token)


def _serial(checked: checks.Checked) -> int:
    return x509.load_der_x509_certificate(checked.signer_der).serial_number


def _traffic_serials(data_dir: Path) -> set[int]:
    return {x509.load_pem_x509_certificate(path.read_bytes()).serial_number
            for path in (data_dir / "messagelog" / "signers").glob("*.crt")}


def test_a_year_of_traffic_verifies(templates: Templates, tmp_path: Path) -> None:
    """``--days 365``: the authorities, the traffic certificates issued for it and the OCSP
    responses are valid at every record's time, a year back."""
    data_dir = _copy(templates, tmp_path / "sandbox")
    before = dt.datetime.now(dt.UTC)
    result = generate(data_dir, Options(40, days=365, seed=9), lambda: PIN)
    assert (before - dt.timedelta(days=365, seconds=3) < _utc(result.start_ms)
            < before - dt.timedelta(days=300))
    archived = _check_run(data_dir, result)
    _kapka_verifies(data_dir, 40)
    times = sorted(c.signing_time for c in archived.records.values())
    assert times[-1] - times[0] > dt.timedelta(days=300)
    issued = [x509.load_pem_x509_certificate(path.read_bytes())
              for path in (data_dir / "messagelog" / "signers").glob("*.crt")]
    assert issued and all(cert.not_valid_before_utc <= times[0] for cert in issued)
    _openssl_verifies(list(archived.records.values()), data_dir / "pki" / "ca.crt", tmp_path)
