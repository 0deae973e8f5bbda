"""Layer (a) alone: the one-pass check of files in X-Road's form gives the same report as the
general path, for intact and for damaged archives, with the same progress."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from backend.archive.verify import Status, archivefile, verify_directory
from tests.archive_verify.test_tampering import data_offset, files, rewrite

NAME = "q-0000008-request-9.asice"  # in the middle file


def summary(report) -> list:
    """Everything a report says, without its time."""
    return [(file.name, [(f.code, f.status, f.entry, f.expected, f.found) for f in file.findings],
             [(record.name, [(f.code, f.status) for f in record.findings]) for record in file.records],
             file.records_total, file.records_passed, file.last_digest) for file in report.files]


def both_ways(directory: Path, monkeypatch: pytest.MonkeyPatch, **kwargs) -> tuple:
    """The report of the one-pass check and of the general path (the one-pass check turned off)."""
    fast = verify_directory(directory, full=False, **kwargs)
    with monkeypatch.context() as patched:
        patched.setattr(archivefile, "chain_in_place", lambda view, entries, recorded, previous, new_hash:
                        (0, previous))
        general = verify_directory(directory, full=False, **kwargs)
    return fast, general


def flip(path: Path, position: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[position] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("chunk", [32, 2])
def test_intact_archives_pass_the_same_way(archive_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                           chunk: int) -> None:
    monkeypatch.setattr(archivefile, "_CHUNK", chunk)
    fast, general = both_ways(archive_dir, monkeypatch)
    assert fast.status is Status.PASS
    assert summary(fast) == summary(general)
    assert all(file.records_total == file.records_passed == 6 for file in fast.files)


@pytest.mark.parametrize("where", ["block header", "first byte", "last byte"])
def test_a_flipped_byte_is_reported_as_the_general_path_reports_it(
        archive_dir: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    target = files(archive_dir)[1]
    with zipfile.ZipFile(target) as archive:
        size = archive.getinfo(NAME).compress_size
    start = data_offset(target, NAME)
    flip(target, {"block header": start + 1, "first byte": start + 5, "last byte": start + size - 1}[where])
    fast, general = both_ways(archive_dir, monkeypatch)
    assert fast.status is Status.FAIL
    assert summary(fast) == summary(general)
    codes = {f.code for record in fast.files[1].records for f in record.findings if f.status is Status.FAIL}
    assert codes & {"linkinginfo_digest_mismatch", "entry_unreadable"}


def test_a_linkinginfo_in_upper_case_hex_holds(archive_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = files(archive_dir)[0]
    with zipfile.ZipFile(target) as archive:
        lines = archive.read("linkinginfo").decode().split("\n")
    header, body = lines[0], [line for line in lines[1:] if line]
    upper = [f"{digest.upper()} {name}" for digest, name in (line.split(" ", 1) for line in body)]
    rewrite(target, {"linkinginfo": "\n".join([header, *upper, ""]).encode()})
    fast, general = both_ways(archive_dir, monkeypatch)
    assert fast.status is Status.PASS
    assert summary(fast) == summary(general)


def test_progress_is_not_counted_twice_when_the_general_path_takes_over(
        archive_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archivefile, "_CHUNK", 2)
    monkeypatch.setattr(archivefile, "_PROGRESS_INTERVAL", 0.0)
    target = files(archive_dir)[1]
    last = "q-0000011-request-c.asice"  # in the third chunk of two: the first two chunks held
    flip(target, data_offset(target, last) + 40)
    seen: list[tuple[int, int]] = []
    report = verify_directory(archive_dir, full=False,
                              progress=lambda done, total: seen.append((done, total)))
    assert report.status is Status.FAIL
    total = seen[-1][1]
    assert seen[-1][0] == total
    assert all(done <= total for done, _total in seen)
    file_sizes = [path.stat().st_size for path in files(archive_dir)]
    reported = [done for done, _total in seen]
    assert reported == sorted(reported)
    assert file_sizes[0] in reported and sum(file_sizes[:2]) in reported  # each file counted once


def test_cancelling_the_one_pass_check_gives_a_partial_report(archive_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archivefile, "_CHUNK", 2)
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 3

    report = verify_directory(archive_dir, full=False, cancelled=cancelled)
    assert report.cancelled and report.status is Status.UNVERIFIED
    assert report.files[-1].findings[-1].code == "cancelled"
    assert not any(f.code == "linkinginfo_ok" for f in report.files[-1].findings)
