"""``kapka archives list|find`` and the hand-over to ``kapka archives verify``."""

from __future__ import annotations

import json
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from console import cli_archives
from console.cli import main
from tests.archive import gnupg
from tests.archive.builder import write_traffic
from tests.conftest import REFERENCE_DIR

ARCHIVES = REFERENCE_DIR / "fixtures" / "messagelog" / "archives"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Kapka = Callable[..., Result]


@pytest.fixture
def kapka(capsys: pytest.CaptureFixture[str]) -> Kapka:
    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(["archives", *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def test_list_the_real_archives(kapka: Kapka) -> None:
    result = kapka("list", str(ARCHIVES))
    assert result.code == 0, result.err
    assert "message-archive-0.zip" in result.out and "logarchive/mlog-WITH_LINKINGINFO.zip" in result.out
    assert "2023-10-23 12:12:54 → 2023-10-23 12:12:54   1 record   9.7 KB" in result.out
    assert "no linkinginfo entry" in result.out
    assert "6 files, 5 records" in result.out
    assert all(len(line) <= 110 for line in result.out.splitlines())
    cache = Path(os.environ["XDG_CACHE_HOME"])
    assert list((cache / "kapka" / "archive-index").glob("*.sqlite"))  # the index is in the cache


def test_list_as_json(kapka: Kapka) -> None:
    result = kapka("list", str(ARCHIVES), "--json")
    assert result.code == 0
    data = json.loads(result.out)
    files = {item["name"]: item for item in data["files"]}
    real = files["message-archive-0.zip"]
    assert (real["records"], real["start"], real["encrypted"]) == (1, "2023-10-23T12:12:54Z", False)
    assert real["linkinginfo"]["last_digest"].startswith("9011ab557706b505")
    assert real["linkinginfo"]["previous_present"] is None  # a chain start
    assert files["mlog-NO_LINKINGINFO.zip"]["linkinginfo"] is None
    assert data["totals"]["records"] == 5 and data["totals"]["oldest"] == "2015-05-19T09:32:30Z"
    assert data["update"]["added"] == 6
    again = json.loads(kapka("list", str(ARCHIVES), "--json").out)
    assert again["update"]["added"] == 0 and again["update"]["records_indexed"] == 0


def test_list_warns_of_a_file_missing_from_a_chain(kapka: Kapka, tmp_path: Path) -> None:
    files = write_traffic(tmp_path, 6, per_file=2)
    files[1].unlink()
    result = kapka("list", str(tmp_path))
    assert f"follows {files[1].name}, which is not in this directory" in result.out
    data = json.loads(kapka("list", str(tmp_path), "--json").out)
    assert [item["linkinginfo"]["previous_present"] for item in data["files"]] == [None, False]


def test_find_by_query_id(kapka: Kapka) -> None:
    result = kapka("find", str(ARCHIVES), "--query-id", "3a2a743f-56da-4085-b643-79e335341eb3")
    assert result.code == 0, result.err
    assert "request  SOAP  3a2a743f-56da-4085-b643-79e335341eb3" in result.out
    assert "client:  CS/GOV/0245437-2" in result.out
    assert "in message-archive-0.zip: 3a2a743f-56da-4085-b643-79e335341eb3-request-1.asice" in result.out
    assert "1 record matches." in result.out
    data = json.loads(kapka("find", str(ARCHIVES), "--query-id", "1234567890", "--json").out)
    assert data["count"] == 4 and {record["archive"] for record in data["records"]} == {
        "logarchive/mlog-NO_LINKINGINFO.zip", "logarchive/mlog-WITH_INVALID_LINKINGINFO.zip",
        "logarchive/mlog-WITH_LINKINGINFO.zip", "logarchive/mlog-EXCESSIVE_FILES_IN_LINKINGINFO.zip"}
    assert data["records"][0]["user_id"] == "EE37702211234"


def test_find_filters_paging_and_nothing_found(kapka: Kapka, tmp_path: Path) -> None:
    write_traffic(tmp_path, 20, per_file=10)
    result = kapka("find", str(tmp_path), "--client", "CS/GOV/1001", "--limit", "2")
    assert result.code == 0 and "; shown 1–2 (more with --offset and --limit)." in result.out
    rest = json.loads(kapka("find", str(tmp_path), "--rest", "--json").out)
    assert rest["count"] > 0 and {record["kind"] for record in rest["records"]} == {"rest"}
    day = json.loads(kapka("find", str(tmp_path), "--since", "2024-03-01", "--until", "2024-03-01",
                           "--json").out)
    assert day["count"] == 20  # a date alone for --until is the whole day
    assert json.loads(kapka("find", str(tmp_path), "--until", "2024-03-01T08:00:00Z", "--json").out)[
        "count"] == 0
    none = kapka("find", str(tmp_path), "--query-id", "no-such-id")
    assert none.code == 1 and "No record matches." in none.err
    assert kapka("find", str(tmp_path), "--query-id", "no-such-id", "--json").code == 1


@pytest.mark.parametrize(("argv", "message"), [
    (["find", "{dir}"], "Say what to find"),
    (["find", "{dir}", "--since", "yesterday"], "is not a time"),
    (["find", "{dir}", "--query-id", "x", "--limit", "-1"], "--limit and --offset"),
    (["list", "{dir}/missing"], "is not a directory"),
])
def test_usage_errors(kapka: Kapka, tmp_path: Path, argv: list[str], message: str) -> None:
    result = kapka(*[part.format(dir=tmp_path) for part in argv])
    assert result.code == 2 and message in result.err


def test_an_encrypted_archive_without_its_key(kapka: Kapka, tmp_path: Path) -> None:
    if not gnupg.gpg_available():
        pytest.skip("gpg is not installed")
    home = gnupg.make_home(tmp_path / "gnupg")
    empty = gnupg.empty_home(tmp_path / "empty")
    try:
        plain = write_traffic(tmp_path / "plain", 2, per_file=2)[0]
        archives = tmp_path / "archives"
        archives.mkdir()
        gnupg.encrypt(home, plain, archives / (plain.name + ".gpg"))
        result = kapka("list", str(archives), "--gpg-home", str(empty))
        assert result.code == 0
        assert "encrypted" in result.out and "! Archive key missing:" in result.out
        assert "1 file could not be read" in result.out
        found = kapka("find", str(archives), "--gpg-home", str(home), "--query-id", "q7-*")
        assert found.code == 0 and "2 records match." in found.out
    finally:
        gnupg.stop_agent(home)
        gnupg.stop_agent(empty)


def test_verify_is_handed_to_its_own_module(kapka: Kapka, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    fake = types.ModuleType("fake_verify")
    fake.main = lambda argv: calls.append(argv) or 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, cli_archives.VERIFY_MODULE, fake)
    assert kapka("verify", "DIR", "--json").code == 3 and calls == [["DIR", "--json"]]
    monkeypatch.setattr(cli_archives, "VERIFY_MODULE", "console.no_such_verify_module")
    result = kapka("verify", "DIR")
    assert result.code == 2 and "not part of this Kapka installation" in result.err


def test_help_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["archives", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("list", "find", "verify", "exit codes"))
