"""Tampering and damage: each is detected, named and reported, never a crash."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import pytest

from backend.archive.verify import Layer, Status, verify_directory
from tests.archive_verify import forge


def files(directory: Path) -> list[Path]:
    return sorted(directory.glob("mlog-*.zip"))


def fails(report) -> list[tuple[str, str, str | None]]:
    """(file, code, entry) of every failed finding of every file, records included."""
    out = []
    for file in report.files:
        out += [(file.name, f.code, f.entry) for f in file.findings if f.status is Status.FAIL]
        for record in file.records:
            out += [(file.name, f.code, f.entry or record.name) for f in record.findings
                    if f.status is Status.FAIL]
    return out


def data_offset(path: Path, entry: str) -> int:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(entry)
    raw = path.read_bytes()
    name_length, extra_length = struct.unpack_from("<2H", raw, info.header_offset + 26)
    return info.header_offset + 30 + name_length + extra_length


def rewrite(path: Path, replace: dict[str, bytes], *, order: list[str] | None = None) -> None:
    """Write the archive again (valid zip) with some entries replaced."""
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries.update(replace)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=0) as archive:
        for name in order or list(entries):
            archive.writestr(name, entries[name])


@pytest.mark.parametrize("where", [8, 40, 300, 700, 1500, 3000, -60, -8])
def test_one_byte_flipped_in_a_container(archive_dir: Path, conf, where: int) -> None:
    target = files(archive_dir)[1]
    name = "q-0000008-request-9.asice"
    raw = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        size = archive.getinfo(name).compress_size
    raw[data_offset(target, name) + (where if where > 0 else size + where)] ^= 0x01
    target.write_bytes(bytes(raw))
    report = verify_directory(archive_dir, conf=conf)
    assert report.status is Status.FAIL
    broken = report.files[1]
    assert (broken.records_failed, broken.records_passed) == (1, 5)
    assert broken.records[0].name == name
    assert {("linkinginfo_digest_mismatch", name), ("entry_crc_mismatch", name)} <= {
        (code, entry) for _file, code, entry in fails(report)}
    mismatch = next(f for f in broken.findings if f.code == "linkinginfo_digest_mismatch")
    assert mismatch.expected != mismatch.found and len(mismatch.found or "") == 128
    assert report.files[0].status is report.files[2].status is Status.PASS


def test_an_altered_message_rewritten_into_a_valid_zip(archive_dir: Path, conf, batch_containers) -> None:
    target = files(archive_dir)[0]
    name, container = batch_containers[2]
    with zipfile.ZipFile(io.BytesIO(container)) as source:
        entries = [(i.filename, source.read(i)) for i in source.infolist()]
    forged = forge.container_bytes([(n, d.replace(b"q-0000002", b"q-0000099") if n == "message.xml" else d)
                                    for n, d in entries])
    rewrite(target, {name: forged})
    report = verify_directory(archive_dir, conf=conf)
    assert {(code, entry) for _f, code, entry in fails(report)} == {
        ("linkinginfo_digest_mismatch", name), ("invalid_signature_value", "/message.xml")}


def test_a_file_rebuilt_with_a_fresh_linkinginfo_breaks_the_next_link(archive_dir: Path, conf) -> None:
    first, second, _third = files(archive_dir)
    with zipfile.ZipFile(first) as archive:
        kept = [(i.filename, archive.read(i)) for i in archive.infolist() if i.filename != "linkinginfo"][:-1]
    first.unlink()
    forged = forge.write_archives(archive_dir / "forged", kept, per_file=10)[0]
    forged.rename(first)  # the dropped record's file keeps its name, its content is consistent in itself
    report = verify_directory(archive_dir, conf=conf)
    found = {(file, code, entry) for file, code, entry in fails(report)}
    assert (first.name, "archive_name_tag_mismatch", None) in found
    assert (second.name, "archive_link_mismatch", first.name) in found


def test_a_file_removed_from_the_middle_of_a_chain(archive_dir: Path, conf) -> None:
    first, second, third = files(archive_dir)
    second.unlink()
    report = verify_directory(archive_dir, conf=conf)
    assert fails(report) == [(third.name, "archive_missing", second.name)]
    message = next(f.message for f in report.files[1].findings if f.code == "archive_missing")
    assert second.name in message and first.name in message


def test_the_first_file_moved_away_is_not_a_failure(archive_dir: Path) -> None:
    first = files(archive_dir)[0]
    first.unlink()
    report = verify_directory(archive_dir, full=False)
    assert report.status is Status.UNVERIFIED
    absent = next(f for f in report.files[0].findings if f.code == "chain_predecessor_absent")
    assert absent.entry == first.name


def test_files_reordered_by_renaming(archive_dir: Path) -> None:
    first, second, third = files(archive_dir)
    parked = first.with_suffix(".tmp")
    first.rename(parked)
    second.rename(first)
    parked.rename(second)
    report = verify_directory(archive_dir, full=False)
    assert report.status is Status.FAIL
    found = {(file, code) for file, code, _entry in fails(report)}
    assert {(first.name, "archive_name_tag_mismatch"), (second.name, "archive_name_tag_mismatch")} <= found
    assert (third.name, "archive_link_mismatch") in found


def test_linkinginfo_lines_reordered(archive_dir: Path) -> None:
    target = files(archive_dir)[0]
    with zipfile.ZipFile(target) as archive:
        lines = archive.read("linkinginfo").decode().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    rewrite(target, {"linkinginfo": "".join(lines).encode()})
    report = verify_directory(archive_dir, full=False)
    assert {code for _f, code, _e in fails(report)} == {"linkinginfo_digest_mismatch"}
    # the two swapped lines and the one after them no longer chain; each for the file and its record
    assert len(fails(report)) == 3 * 2


def test_a_truncated_zip(archive_dir: Path, conf) -> None:
    _first, second, _third = files(archive_dir)
    second.write_bytes(second.read_bytes()[: second.stat().st_size // 2])
    report = verify_directory(archive_dir, conf=conf)
    assert {file for file, _code, _entry in fails(report)} == {second.name}
    assert report.files[1].status is Status.FAIL
    assert report.files[2].findings[-1].code == "chain_link_unknown"
    second.write_bytes(b"PK\x03\x04" + b"\x00" * 40)  # cut before any container
    report = verify_directory(archive_dir, conf=conf)
    assert fails(report) == [(second.name, "archive_unreadable", None)]
    assert "truncated" in report.files[1].findings[0].message


def test_garbage_and_empty_directories(tmp_path: Path) -> None:
    assert [f.code for f in verify_directory(tmp_path).findings] == ["no_archives",
                                                                     "no_verification_configuration"]
    (tmp_path / "mlog-20240101000000-20240101010000-0123456789abcdef.zip").write_bytes(b"\x00" * 1000)
    report = verify_directory(tmp_path, full=False)
    assert [f.code for f in report.files[0].findings] == ["archive_unreadable"]


def test_path_traversal_names_and_undeclared_entries(archive_dir: Path) -> None:
    target = files(archive_dir)[0]
    rewrite(target, {"../../etc/evil.asice": b"not a container"})
    report = verify_directory(archive_dir)
    found = {(code, entry) for _f, code, entry in fails(report)}
    assert ("path_traversal", "../../etc/evil.asice") in found
    assert ("linkinginfo_entry_not_listed", "../../etc/evil.asice") in found
    assert ("asic_mime_type_not_found", "../../etc/evil.asice") in found


def test_an_entry_that_inflates_beyond_its_declared_size(tmp_path: Path) -> None:
    bomb = tmp_path / "mlog-20240101000000-20240101010000-0123456789abcdef.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb-request-1.asice", b"\x00" * (8 << 20))
        archive.writestr("linkinginfo", b"- - SHA-512\n")
    raw = bytearray(bomb.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # declared size → 1000 bytes
        position = raw.find(signature)
        struct.pack_into("<L", raw, position + offset, 1000)
    bomb.write_bytes(bytes(raw))
    report = verify_directory(tmp_path)
    assert ("entry_unreadable", "bomb-request-1.asice") in {(c, e) for _f, c, e in fails(report)}


def test_non_utf8_linkinginfo(archive_dir: Path) -> None:
    target = files(archive_dir)[0]
    rewrite(target, {"linkinginfo": b"- - SHA-512\n\xff\xfe broken\n"})
    report = verify_directory(archive_dir, full=False)
    assert ("linkinginfo_malformed", "linkinginfo") in {(c, e) for _f, c, e in fails(report)}


def test_a_fork_two_files_claim_the_same_predecessor(archive_dir: Path) -> None:
    second = files(archive_dir)[1]
    copy = archive_dir / second.name.replace("-2024", "-x-2024", 1)
    copy.write_bytes(second.read_bytes())
    report = verify_directory(archive_dir, full=False)
    forks = [(file, entry) for file, code, entry in fails(report) if code == "archive_fork"]
    assert len(forks) == 2 and {entry for _file, entry in forks} == {files(archive_dir)[0].name}


def test_cancelling_gives_a_partial_report(archive_dir: Path, conf) -> None:
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1

    report = verify_directory(archive_dir, conf=conf, cancelled=cancelled)
    assert report.cancelled and len(report.files) == 1
    assert report.files[0].findings[-1].code == "cancelled"
    assert report.status is Status.UNVERIFIED


def test_digests_in_reports_are_hex_of_the_right_algorithm(archive_dir: Path) -> None:
    report = verify_directory(archive_dir, full=False)
    last = report.files[-1].last_digest or ""
    assert len(last) == 128 and last.startswith(files(archive_dir)[-1].name.split("-")[-1][:16])
    assert report.files[0].hash_algorithm == "SHA-512"
    assert Layer.LINKINGINFO.value in report.layers
    assert hashlib.sha512(b"").hexdigest() != last
