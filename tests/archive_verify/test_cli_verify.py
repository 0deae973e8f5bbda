"""``kapka archives verify``: report, JSON, exit codes, encrypted archives."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.cli_archives_verify import build_parser, run
from tests.archive_verify.conftest import GLOBALCONF, MESSAGELOG


def verify(*argv: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    code = run(build_parser().parse_args(list(argv)), out)
    return code, out.getvalue()


def test_a_good_directory_exits_0_with_a_summary(archive_dir: Path, conf_dir: Path) -> None:
    code, out = verify(str(archive_dir), "--conf", str(conf_dir))
    assert code == 0
    assert out.splitlines()[-1].startswith("PASS: 3 files, 18 records (0 failed")
    assert "certificate, ocsp" in out


def test_json_report(archive_dir: Path, conf_dir: Path) -> None:
    code, out = verify(str(archive_dir), "--conf", str(conf_dir), "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "PASS" and data["totals"]["records_passed"] == 18
    assert [file["records"]["total"] for file in data["files"]] == [6, 6, 6]


def test_a_failure_exits_3_and_names_what_is_broken(archive_dir: Path) -> None:
    sorted(archive_dir.glob("mlog-*.zip"))[1].unlink()
    code, out = verify(str(archive_dir), "--chain-only")
    assert code == 3
    words = " ".join(out.split())
    assert "FAIL chain: The archive file mlog-" in words and "[archive_missing]" in words


def test_fixture_containers_and_verification_configuration() -> None:
    code, out = verify(str(MESSAGELOG / "archives" / "message-archive-0.zip"), "--conf", str(GLOBALCONF))
    # the archive's CA is not in this configuration: its signer cannot be trusted here
    assert code == 3 and "timestamp_validation" in out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify(str(tmp_path / "missing"))[0] == 2
    assert "does not exist" in capsys.readouterr().err
    assert verify(str(tmp_path), "--conf", str(tmp_path))[0] == 2
    assert "shared-params.xml" in capsys.readouterr().err


@pytest.fixture
def gpg_home(tmp_path: Path) -> Iterator[Path]:
    if shutil.which("gpg") is None:
        pytest.skip("gpg not installed")
    home = tmp_path / "gpghome"
    home.mkdir(mode=0o700)
    subprocess.run(["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback",
                    "--passphrase", "", "--quick-gen-key", "Kapka Test <kapka@example.invalid>", "default",
                    "default", "never"], check=True, capture_output=True)
    yield home
    stop_agent(home)


def stop_agent(home: Path) -> None:
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False,
                   capture_output=True)


def test_encrypted_archives_with_and_without_the_key(archive_dir: Path, conf_dir: Path, gpg_home: Path,
                                                     tmp_path: Path) -> None:
    first = sorted(archive_dir.glob("mlog-*.zip"))[0]
    subprocess.run(["gpg", "--homedir", str(gpg_home), "--batch", "--yes", "--trust-model", "always",
                    "--encrypt", "--sign", "--default-recipient-self", "--output", f"{first}.gpg",
                    str(first)], check=True, capture_output=True)
    first.unlink()
    code, out = verify(str(archive_dir), "--conf", str(conf_dir), "--gpg-home", str(gpg_home), "--json")
    data = json.loads(out)
    assert code == 0, out
    assert data["files"][0]["encrypted"] and data["files"][0]["status"] == "PASS"
    assert "gpg_signature_good" in {f["code"] for f in data["files"][0]["findings"]}
    assert data["files"][1]["findings"][-1]["code"] == "chain_link_ok"
    empty = tmp_path / "empty-home"
    empty.mkdir(mode=0o700)
    code, out = verify(str(archive_dir), "--conf", str(conf_dir), "--gpg-home", str(empty))
    stop_agent(empty)
    assert code == 1
    assert "[archive_not_decrypted]" in out and "--gpg-home" in out


def test_kapka_archives_verify_dispatches_here(archive_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.cli import main

    assert main(["archives", "verify", str(archive_dir), "--chain-only", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["records"] == 18
