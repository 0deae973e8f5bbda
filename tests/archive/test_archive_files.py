"""Opening archives safely: real fixtures, hostile and damaged zips, encrypted archives."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from backend.archive.files import (
    ArchiveError,
    Limits,
    inflate,
    open_archive,
    open_archive_bytes,
    stored_content,
)
from backend.archive.gpg import GpgError
from tests.archive import gnupg
from tests.archive.builder import write_traffic
from tests.archive.gnupg import gpg_home  # noqa: F401  (fixture)
from tests.archive.zipcraft import duplicate_central, make_zip, patch, patch_central
from tests.conftest import REFERENCE_DIR

ARCHIVES = REFERENCE_DIR / "fixtures" / "messagelog" / "archives"


def codes(archive: object) -> list[tuple[str, str | None]]:
    return [(problem.code, problem.entry) for problem in archive.problems]  # type: ignore[attr-defined]


def test_the_real_7x_archive() -> None:
    with open_archive(ARCHIVES / "message-archive-0.zip") as archive:
        assert [entry.name for entry in archive.entries] == [
            "3a2a743f-56da-4085-b643-79e335341eb3-request-1.asice", "linkinginfo"]
        assert archive.problems == [] and not archive.encrypted
        container = archive.containers()[0]
        assert container.mtime is not None and container.mtime.isoformat() == "2023-10-23T12:12:54+00:00"
        assert len(archive.read(container)) == 9323
        assert archive.read("linkinginfo").startswith(b"- - SHA-512\n9011ab557706b505")


def test_every_real_archive_opens_without_problems() -> None:
    for path in sorted((ARCHIVES / "logarchive").glob("*.zip")):
        with open_archive(path) as archive:
            assert archive.problems == [], path.name
            for entry in archive.entries:
                archive.read(entry)  # checksums match


def test_entry_names_that_climb_out_or_are_absolute_are_reported_never_used_as_paths() -> None:
    data = make_zip([("../../etc/cron.d/x-request-1.asice", b"a"), ("/abs/x-request-2.asice", b"b"),
                     ("C:evil-request-3.asice", b"c"), ("back\\slash-request-4.asice", b"d"),
                     ("ok-request-5.asice", b"e")])
    with open_archive_bytes(data) as archive:
        assert codes(archive) == [("path_traversal", "../../etc/cron.d/x-request-1.asice"),
                                  ("absolute_path", "/abs/x-request-2.asice"),
                                  ("absolute_path", "C:evil-request-3.asice"),
                                  ("unsafe_name", "back\\slash-request-4.asice")]
        assert [entry.name for entry in archive.containers()] == ["ok-request-5.asice"]
        hostile = archive.entries[0]
        assert hostile.safe_name == "x-request-1.asice"
        assert archive.read(hostile) == b"a"  # read in memory only
        assert "climbs out" in archive.problems[0].message


def test_non_utf8_entry_names_are_reported_and_kept_as_escapes() -> None:
    data = make_zip([("badXname-request-1.asice", b"x")]).replace(b"badXname", b"bad\xffname")
    with open_archive_bytes(data) as archive:
        entry = archive.entries[0]
        assert entry.name == "bad\\xffname-request-1.asice" and entry.name_problem == "non_utf8_name"
        assert codes(archive) == [("non_utf8_name", entry.name)]
        assert archive.containers() == []


def test_declared_sizes_beyond_the_limits_are_refused() -> None:
    zeros = bytes(4 << 20)
    data = make_zip([("bomb-request-1.asice", zeros), ("fine-request-2.asice", b"ok")], level=9)
    with open_archive_bytes(data) as archive:  # deflate cannot beat ~1032:1, so the defaults accept it
        assert archive.problems == []
    strict = Limits(max_ratio=100)
    with open_archive_bytes(data, limits=strict) as archive:
        assert codes(archive) == [("zip_bomb", "bomb-request-1.asice")]
        with pytest.raises(ArchiveError, match="zip bomb"):
            archive.read("bomb-request-1.asice")
        assert archive.read("fine-request-2.asice") == b"ok"
    with open_archive_bytes(data, limits=Limits(max_entry_size=1 << 20)) as archive:
        assert codes(archive) == [("too_large", "bomb-request-1.asice")]
    with open_archive_bytes(data, limits=Limits(max_total=1 << 20)) as archive:
        assert ("total_too_large", None) in codes(archive)
        assert all(entry.refused for entry in archive.entries)


def test_an_entry_inflating_beyond_its_declared_size_is_stopped() -> None:
    data = patch(make_zip([("liar-request-1.asice", bytes(1 << 20))], level=9), 0, size=100)
    with open_archive_bytes(data) as archive:
        with pytest.raises(ArchiveError, match="inflates beyond") as caught:
            archive.read("liar-request-1.asice")
        assert caught.value.title == "Archive entry refused"


def test_entries_sharing_bytes_are_refused() -> None:
    data = duplicate_central(make_zip([("a-request-1.asice", b"abc" * 100), ("linkinginfo", b"x")]), 0)
    with open_archive_bytes(data) as archive:
        assert ("duplicate_name", "a-request-1.asice") in codes(archive)
        assert ("overlap", "a-request-1.asice") in codes(archive)
        assert all(entry.refused == "overlap" for entry in archive.entries if entry.name.startswith("a-"))


def test_unsupported_methods_and_lying_headers_are_refused() -> None:
    data = patch(make_zip([("a-request-1.asice", b"abc")]), 0, method=12)
    with open_archive_bytes(data) as archive:
        assert codes(archive) == [("unsupported", "a-request-1.asice")]
    data = patch_central(make_zip([("a-request-1.asice", b"abc"), ("b-request-2.asice", b"d")]), 1, offset=0)
    with open_archive_bytes(data) as archive:
        assert ("bad_local_header", "b-request-2.asice") in codes(archive)


def test_a_flipped_byte_fails_the_checksum() -> None:
    data = bytearray(make_zip([("a-request-1.asice", b"payload-bytes")]))
    data[data.find(b"payload")] ^= 1
    with open_archive_bytes(bytes(data)) as archive:
        with pytest.raises(ArchiveError, match="checksum"):
            archive.read("a-request-1.asice")
        assert archive.read(archive.entries[0], check_crc=False) == b"qayload-bytes"


@pytest.mark.parametrize("keep", [0, 20, 0.5, -30])
def test_truncated_archives_are_a_clear_error(tmp_path: Path, keep: float) -> None:
    source = (ARCHIVES / "message-archive-0.zip").read_bytes()
    cut = int(len(source) * keep) if isinstance(keep, float) else (keep if keep >= 0 else len(source) + keep)
    path = tmp_path / "mlog-cut.zip"
    path.write_bytes(source[:cut])
    with pytest.raises(ArchiveError) as caught:
        open_archive(path)
    assert caught.value.title == "Archive truncated"
    assert "Copy it again" in caught.value.message or "empty" in caught.value.message


def test_not_a_zip_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "mlog-noise.zip"
    path.write_bytes(os.urandom(4096).replace(b"PK", b"pk"))
    with pytest.raises(ArchiveError, match="not a zip file"):
        open_archive(path)
    with pytest.raises(ArchiveError, match="is a directory"):
        open_archive(tmp_path)
    with pytest.raises(ArchiveError, match="cannot be read"):
        open_archive(tmp_path / "missing.zip")


def test_stored_blocks_are_read_without_inflating() -> None:
    data = os.urandom(200_000)
    packer = zlib.compressobj(0, zlib.DEFLATED, -15)
    stream = packer.compress(data[:70_000]) + packer.flush(zlib.Z_SYNC_FLUSH) + packer.compress(data[70_000:])
    stream += packer.flush()
    view = memoryview(stream)
    assert bytes(stored_content(view, len(data)) or b"") == data  # several blocks, an empty one too
    assert stored_content(view, len(data) - 1) is None
    compressed = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = compressed.compress(bytes(1000)) + compressed.flush()
    assert stored_content(memoryview(deflated), 1000) is None
    assert inflate(deflated, 8, 1000, "a", "b") == bytes(1000)


def test_archive_times_and_sizes_from_generated_archives(tmp_path: Path) -> None:
    path = write_traffic(tmp_path, 6, per_file=6)[0]
    with open_archive(path) as archive:
        assert len(archive.containers()) == 6 and archive.linkinginfo() is not None
        # records 0, 1, 3, 4, 6, 7 s after the start; DOS times have 2-second steps
        times = [entry.mtime for entry in archive.containers()]
        assert [moment.second if moment else None for moment in times] == [0, 0, 2, 4, 6, 6]
        for entry in archive.containers():
            assert entry.method == 8 and entry.compressed_size == entry.size + 5  # one stored block


# -- encrypted archives --------------------------------------------------------------------------


def encrypted_archive(home: Path, directory: Path) -> Path:
    plain = write_traffic(directory / "plain", 4, per_file=4)[0]
    target = directory / "archives" / (plain.name + ".gpg")
    target.parent.mkdir()
    return gnupg.encrypt(home, plain, target)


def test_gpg_archives_are_decrypted_into_a_private_unnamed_file(gpg_home: Path, tmp_path: Path) -> None:  # noqa: F811
    path = encrypted_archive(gpg_home, tmp_path)
    temp = tmp_path / "temp"
    temp.mkdir(mode=0o700)
    before = sorted(os.listdir(path.parent))
    with open_archive(path, gpg_home=gpg_home, temp_dir=temp) as archive:
        assert archive.encrypted and archive.gpg is not None and archive.gpg.signature == "good"
        assert len(archive.containers()) == 4 and archive.problems == []
        archive.read(archive.containers()[0])
        assert os.listdir(temp) == []  # unnamed: nothing to leave behind
    assert sorted(os.listdir(path.parent)) == before  # nothing written next to the archive


def test_a_missing_key_says_which_key_and_what_to_do(gpg_home: Path, tmp_path: Path) -> None:  # noqa: F811
    path = encrypted_archive(gpg_home, tmp_path)
    other = gnupg.empty_home(tmp_path / "other")
    try:
        with pytest.raises(GpgError) as caught:
            open_archive(path, gpg_home=other, temp_dir=tmp_path)
    finally:
        gnupg.stop_agent(other)
    assert caught.value.title == "Archive key missing"
    assert "--gpg-home" in caught.value.message and "/etc/xroad/gpghome" in caught.value.message
    assert str(other) in caught.value.message


def test_a_key_with_a_passphrase_fails_at_once(tmp_path: Path) -> None:
    if not gnupg.gpg_available():
        pytest.skip("gpg is not installed")
    home = gnupg.make_home(tmp_path / "locked", passphrase="secret words")
    try:
        plain = write_traffic(tmp_path / "plain", 2, per_file=2)[0]
        path = gnupg.encrypt(home, plain, tmp_path / (plain.name + ".gpg"), passphrase="secret words")
        gnupg.stop_agent(home)  # forget the passphrase the agent kept from signing
        with pytest.raises(GpgError) as caught:
            open_archive(path, gpg_home=home, temp_dir=tmp_path)
    finally:
        gnupg.stop_agent(home)
    assert caught.value.title == "Archive key locked"
    assert "passphrase" in caught.value.message and str(home) in caught.value.message


def test_gpg_missing_home_and_not_openpgp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mlog-x.zip.gpg"
    path.write_bytes(b"not an openpgp message at all")
    with pytest.raises(GpgError) as caught:
        open_archive(path, gpg_home=tmp_path / "nowhere", temp_dir=tmp_path)
    assert caught.value.title == "GnuPG home not found"
    if gnupg.gpg_available():
        home = gnupg.empty_home(tmp_path / "home")
        try:
            with pytest.raises(GpgError, match="not an OpenPGP file"):
                open_archive(path, gpg_home=home, temp_dir=tmp_path)
        finally:
            gnupg.stop_agent(home)
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(GpgError) as caught:
        open_archive(path, gpg_home=tmp_path, temp_dir=tmp_path)
    assert caught.value.title == "gpg not installed" and "gnupg" in caught.value.message
