"""The record index: real fixtures, generated archives, incremental updates, hostile files."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from backend.archive.files import Limits
from backend.archive.index import ArchiveIndex, default_index_path
from backend.errors import KapkaError
from tests.archive import gnupg
from tests.archive.builder import (
    START,
    Record,
    container,
    rest_request,
    soap_message,
    traffic,
    write_archive,
    write_traffic,
)
from tests.archive.gnupg import gpg_home  # noqa: F401  (fixture)
from tests.archive.zipcraft import make_zip
from tests.conftest import REFERENCE_DIR

ARCHIVES = REFERENCE_DIR / "fixtures" / "messagelog" / "archives"


def rows(index: ArchiveIndex, sql: str = "SELECT query_id, response, record_id FROM records ORDER BY id"
         ) -> list[tuple]:
    return index.connection.execute(sql).fetchall()


def test_the_real_fixtures_give_the_right_records(tmp_path: Path) -> None:
    with ArchiveIndex(ARCHIVES, index_path=tmp_path / "index.sqlite") as index:
        summary = index.update()
        assert (summary.files, summary.added, summary.records, summary.failed) == (6, 6, 5, ())
        files = {info.name: info for info in index.files()}
        real = files["message-archive-0.zip"]
        assert (real.records, real.link_previous_digest, real.link_algorithm, real.link_entries) == (
            1, "-", "SHA-512", 1)
        assert real.link_last_digest is not None and real.link_last_digest.startswith("9011ab557706b505")
        assert real.start is not None and real.start.isoformat() == "2023-10-23T12:12:54+00:00"
        legacy = files["mlog-WITH_LINKINGINFO.zip"]
        assert legacy.link_last_digest == "624334053a96e0e1209d342514b5d890aeaeee8f0659da69688a3eeac0304856"
        assert files["mlog-NO_LINKINGINFO.zip"].link_algorithm is None
        assert files["mlog-NO_ASIC_CONTAINERS.zip"].records == 0
        assert files["mlog-EXCESSIVE_FILES_IN_LINKINGINFO.zip"].link_entries == 2
        assert sorted(rows(index)) == [("1234567890", 0, None)] * 4 + [
            ("3a2a743f-56da-4085-b643-79e335341eb3", 0, 1)]
        assert index.total_records() == 5


def test_the_index_lives_in_the_cache_and_nothing_is_written_next_to_the_archives(tmp_path: Path) -> None:
    archives = tmp_path / "archives"
    write_traffic(archives, 10, per_file=5)
    before = {path.name: path.stat().st_mtime_ns for path in archives.iterdir()}
    directory_mtime = archives.stat().st_mtime_ns
    with ArchiveIndex(archives) as index:
        index.update()
        assert index.path == default_index_path(archives)
        assert index.path.is_relative_to(Path(os.environ["XDG_CACHE_HOME"]))
        assert not index.path.is_relative_to(archives)
    assert {path.name: path.stat().st_mtime_ns for path in archives.iterdir()} == before
    assert archives.stat().st_mtime_ns == directory_mtime


def test_6x_7x_grouped_soap_and_rest(tmp_path: Path) -> None:
    member = [Record("m-1", False, 40, START, soap_message("m-1", "CS/GOV/1001", "CS/COM/2/a/s")),
              Record("m-1", True, 41, START, soap_message("m-1", "CS/GOV/1001", "CS/COM/2/a/s"))]
    subsystem = [Record("s-1", False, 50, START,
                        rest_request("s-1", "CS/ORG/9/app", "CS/GOV/1001/portal/get"))]
    legacy = [Record("l-1", False, 0, START, soap_message("l-1", "EE/GOV/X", "EE/GOV/Y/getRandom"),
                     entry_name="l-1-request-OUxhMqY0Kx.asice")]
    write_archive(tmp_path, member, group="CS/GOV/1001")
    write_archive(tmp_path, subsystem, group="CS/GOV/1001/portal")
    write_archive(tmp_path, legacy, name="mlog-20240301080000-20240301080000-OUxhMqY0Kx.zip")
    with ArchiveIndex(tmp_path, index_path=tmp_path.parent / "i.sqlite") as index:
        index.update()
        files = {info.group or info.name: info for info in index.files()}
        assert (files["CS_GOV_1001"].form, files["CS_GOV_1001"].member) == ("7", "CS/GOV/1001")
        assert files["CS_GOV_1001_portal"].member == "CS/GOV/1001/portal"
        legacy_file = files["mlog-20240301080000-20240301080000-OUxhMqY0Kx.zip"]
        assert (legacy_file.form, legacy_file.member, legacy_file.tag) == ("6", None, "OUxhMqY0Kx")
        assert sorted(rows(index, "SELECT query_id, response, record_id, kind FROM records")) == [
            ("l-1", 0, None, 0), ("m-1", 0, 40, 0), ("m-1", 1, 41, 0), ("s-1", 0, 50, 1)]


def test_updates_are_incremental(tmp_path: Path) -> None:
    archives = tmp_path / "archives"
    first, second = write_traffic(archives, 8, per_file=4)
    with ArchiveIndex(archives, index_path=tmp_path / "i.sqlite") as index:
        assert index.update().records == 8
        kept = rows(index, f"SELECT id, query_id FROM records WHERE file_id = "
                           f"(SELECT id FROM files WHERE path = '{first.name}')")
        again = index.update()
        assert (again.unchanged, again.added, again.changed, again.records) == (2, 0, 0, 0)
        # a file added later
        later = traffic(3, start=START + timedelta(days=1), first_id=100, seed=99)
        write_archive(archives, later, previous=("x" * 128, second.name))
        added = index.update()
        assert (added.added, added.changed, added.unchanged, added.records) == (1, 0, 2, 3)
        # a file replaced (X-Road replaces a file of the same name)
        write_archive(archives, traffic(6, seed=5, first_id=200), name=second.name)
        os.utime(archives / second.name, ns=(1, 1))
        changed = index.update()
        assert (changed.changed, changed.records) == (1, 6)
        assert index.total_records() == 4 + 6 + 3
        # untouched files keep their rows
        assert rows(index, f"SELECT id, query_id FROM records WHERE file_id = "
                           f"(SELECT id FROM files WHERE path = '{first.name}')") == kept
        (archives / first.name).unlink()
        removed = index.update()
        assert (removed.removed, index.total_records()) == (1, 9)
        assert rows(index, "SELECT count(*) FROM records")[0][0] == 9


def test_files_in_subfolders_and_other_zips(tmp_path: Path) -> None:
    write_traffic(tmp_path / "2023", 2, per_file=2)
    (tmp_path / "backup.zip").write_bytes(make_zip([("conf/file.txt", b"x")]))
    (tmp_path / "tmp-mlog-123.tmp").write_bytes(b"partial")
    hidden = tmp_path / ".cache"
    hidden.mkdir()
    shutil.copy(ARCHIVES / "message-archive-0.zip", hidden / "copy.zip")
    with ArchiveIndex(tmp_path, index_path=tmp_path.parent / "i.sqlite") as index:
        index.update()
        assert [info.path.split("/")[0] for info in index.files()] == ["2023"]
        assert [info.name for info in index.files(include_ignored=True) if info.ignored] == ["backup.zip"]
        assert index.update().unchanged == 2  # the other zip is not read again


def test_hostile_and_damaged_files_are_reported_never_a_crash(tmp_path: Path) -> None:
    good = soap_message("ok-1", "CS/GOV/1", "CS/GOV/2/a/s")
    data = make_zip([("../evil-request-1.asice", container(good, START)),
                     ("ok-1-request-2.asice", container(good, START)),
                     ("bomb-request-3.asice", bytes(3 << 20)),
                     ("garbage-request-4.asice", b"not a container"),
                     ("odd.asice", container(good, START))], level=None)
    (tmp_path / "mlog-hostile.zip").write_bytes(data)
    (tmp_path / "mlog-truncated.zip").write_bytes((ARCHIVES / "message-archive-0.zip").read_bytes()[:5000])
    strict = Limits(max_ratio=50)
    with ArchiveIndex(tmp_path, index_path=tmp_path.parent / "i.sqlite", limits=strict) as index:
        summary = index.update()
        assert [(name, title) for name, title, _message in summary.failed] == [
            ("mlog-truncated.zip", "Archive truncated")]
        files = {info.name: info for info in index.files()}
        hostile = files["mlog-hostile.zip"]
        assert [(problem.code, problem.entry) for problem in hostile.problems] == [
            ("path_traversal", "../evil-request-1.asice"), ("zip_bomb", "bomb-request-3.asice"),
            ("odd_name", "odd.asice")]
        assert sorted(rows(index, "SELECT query_id, issue FROM records")) == [
            ("garbage", "no_message"), ("ok-1", None), ("ok-1", None)]
        truncated = files["mlog-truncated.zip"]
        assert truncated.error_title == "Archive truncated" and truncated.records == 0
        # files that failed are tried again on every update
        assert index.update().changed == 1


def test_a_non_utf8_query_id_from_the_entry_name(tmp_path: Path) -> None:
    message = b"GET\r\n/r1/CS/GOV/5/a/s\r\nx-road-client:CS/GOV/1\r\n"  # no x-road-id header
    write_archive(tmp_path, [Record("", False, 3, START, message, entry_name="bad%FFid-request-3.asice")])
    with ArchiveIndex(tmp_path, index_path=tmp_path.parent / "i.sqlite") as index:
        index.update()
        assert rows(index, "SELECT query_id, record_id, kind FROM records") == [("bad\\xffid", 3, 1)]


def test_an_encrypted_archive_is_retried_once_the_key_is_given(gpg_home: Path, tmp_path: Path) -> None:  # noqa: F811
    plain = write_traffic(tmp_path / "plain", 4, per_file=4)[0]
    archives = tmp_path / "archives"
    archives.mkdir()
    gnupg.encrypt(gpg_home, plain, archives / (plain.name + ".gpg"))
    empty = gnupg.empty_home(tmp_path / "empty")
    options = {"index_path": tmp_path / "i.sqlite", "temp_dir": tmp_path}
    try:
        with ArchiveIndex(archives, gpg_home=empty, **options) as index:
            summary = index.update()
            assert [title for _name, title, _message in summary.failed] == ["Archive key missing"]
            assert index.files()[0].encrypted and index.files()[0].error is not None
    finally:
        gnupg.stop_agent(empty)
    with ArchiveIndex(archives, gpg_home=gpg_home, **options) as index:
        summary = index.update()
        assert (summary.changed, summary.records, summary.failed) == (1, 4, ())
        assert index.files()[0].error is None and index.files()[0].records == 4


def test_cancel_and_progress(tmp_path: Path) -> None:
    write_traffic(tmp_path / "a", 9, per_file=3)
    seen = []
    with ArchiveIndex(tmp_path / "a", index_path=tmp_path / "i.sqlite") as index:
        summary = index.update(progress=seen.append, cancel=lambda: len(seen) >= 1)
        assert summary.cancelled and (summary.added, summary.records, index.total_records()) == (1, 3, 3)
        assert [(state.files_done, state.files_total, state.records) for state in seen] == [
            (0, 3, 0), (1, 3, 3)]
        assert seen[0].current is not None and seen[-1].current is None
        finished = index.update()
        assert (finished.added, finished.unchanged, index.total_records()) == (2, 1, 9)
        # the secondary indexes are back after a bulk load
        names = {row[0] for row in rows(index, "SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"records_query", "records_time", "records_client", "records_service"} <= names


def test_an_index_of_another_version_is_rebuilt_and_a_bad_directory_refused(tmp_path: Path) -> None:
    write_traffic(tmp_path / "a", 2, per_file=2)
    with ArchiveIndex(tmp_path / "a", index_path=tmp_path / "i.sqlite") as index:
        index.update()
        index.connection.execute("UPDATE meta SET value='0' WHERE key='schema'")
    with ArchiveIndex(tmp_path / "a", index_path=tmp_path / "i.sqlite") as index:
        assert index.total_records() == 0 and index.update().records == 2
    with pytest.raises(KapkaError, match="not a directory"):
        ArchiveIndex(tmp_path / "missing")
    (tmp_path / "broken.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(KapkaError, match="not a usable archive index") as caught:
        ArchiveIndex(tmp_path / "a", index_path=tmp_path / "broken.sqlite")
    assert caught.value.title == "Archive index unusable"
    assert (tmp_path / "broken.sqlite").read_bytes().startswith(b"this is not")  # not Kapka's to delete


def test_a_damaged_index_in_the_cache_is_built_again(tmp_path: Path) -> None:
    write_traffic(tmp_path / "a", 2, per_file=2)
    path = default_index_path(tmp_path / "a")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"damaged" * 1000)
    with ArchiveIndex(tmp_path / "a") as index:
        assert index.update().records == 2
