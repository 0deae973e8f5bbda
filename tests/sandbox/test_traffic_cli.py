"""``kapka sandbox traffic`` on the command line: what it refuses, with exit codes and messages."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography import x509

from backend.sandbox.cli import main
from tests.sandboxes import PIN, Templates


def _copy(templates: Templates, target: Path, fresh: bool = False) -> Path:
    shutil.copytree(templates.fresh if fresh else templates.populated, target)
    return target


def test_not_a_data_directory_is_a_usage_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traffic", "--records", "5", "--data", str(tmp_path)]) == 2
    assert "is not a sandbox data directory" in capsys.readouterr().err


def test_an_uninitialised_server_is_refused_with_what_to_do(
        templates: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox", fresh=True)
    assert main(["traffic", "--records", "5", "--data", str(data_dir)]) == 3
    err = capsys.readouterr().err
    assert "not initialised" in err and "setup wizard" in err
    assert not (data_dir / "messagelog").exists()


def test_without_a_timestamping_service_nothing_is_logged(
        templates: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    with sqlite3.connect(data_dir / "sandbox.db") as connection:
        connection.execute("DELETE FROM timestamping_services")
    assert main(["traffic", "--records", "5", "--data", str(data_dir)]) == 3
    assert "No timestamping service is configured" in capsys.readouterr().err


def test_the_token_pin_is_needed_and_checked(templates: Templates, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    assert main(["traffic", "--records", "5", "--data", str(data_dir)]) == 2
    assert "--pin-fd" in capsys.readouterr().err
    read, write = os.pipe()
    os.write(write, b"wrong-pin\n")
    os.close(write)
    try:
        assert main(["traffic", "--records", "5", "--data", str(data_dir), "--pin-fd",
                     str(read)]) == 3
    finally:
        os.close(read)
    assert "PIN is incorrect" in capsys.readouterr().err
    assert not list((data_dir / "messagelog" / "archive").glob("mlog-*"))


def test_a_gnupg_home_too_deep_for_gpg_agent_is_refused_before_any_file(
        templates: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path / ("deep" * 20) / "sandbox")
    read, write = os.pipe()
    os.write(write, PIN.encode() + b"\n")
    os.close(write)
    try:
        assert main(["traffic", "--records", "5", "--encrypt", "--data", str(data_dir), "--pin-fd",
                     str(read)]) == 1
    finally:
        os.close(read)
    assert "too deep for gpg-agent" in capsys.readouterr().err
    assert not list((data_dir / "messagelog" / "archive").glob("mlog-*"))


def test_more_days_than_the_authorities_cover_are_refused_with_how_many_fit(
        templates: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    assert main(["traffic", "--records", "5", "--days", "500", "--data", str(data_dir)]) == 2
    err = capsys.readouterr().err
    fit = re.search(r"at most (\d+(?:\.\d+)?) days\. Give --days (\S+) or fewer\.", err)
    assert fit is not None, err
    assert fit[1] == fit[2] and 399.9 < float(fit[1]) < 401  # the template sandbox may be minutes old
    assert not (data_dir / "messagelog").exists()


@pytest.mark.parametrize("days", ["0", "-1", "inf", "nan", "three"])
def test_days_must_be_a_positive_number(tmp_path: Path, days: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["traffic", "--records", "5", "--days", days, "--data", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "--days" in capsys.readouterr().err


def _seen_at(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setattr("backend.sandbox.traffic.generate.utcnow", lambda: moment)


def test_authorities_too_new_or_expired_are_refused_with_what_to_do(
        templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = _copy(templates, tmp_path / "sandbox")
    ca = x509.load_pem_x509_certificate((data_dir / "pki" / "ca.crt").read_bytes())
    _seen_at(monkeypatch, ca.not_valid_before_utc + dt.timedelta(seconds=30))
    assert main(["traffic", "--records", "5", "--days", "0.001", "--data", str(data_dir)]) == 3
    assert "Run the command again in a minute" in capsys.readouterr().err
    _seen_at(monkeypatch, ca.not_valid_after_utc + dt.timedelta(days=1))
    assert main(["traffic", "--records", "5", "--data", str(data_dir)]) == 3
    err = capsys.readouterr().err
    assert "expired at" in err and "new data directory" in err
    assert not (data_dir / "messagelog").exists()
