"""``kapka sandbox traffic`` on the command line: what it refuses, with exit codes and messages."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

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
