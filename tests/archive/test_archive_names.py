"""Archive file names (6.x, 7.x, grouped) and container entry names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.archive.entries import (
    container_entry_name,
    decode_query_id,
    encode_query_id,
    from_base32,
    parse_entry_name,
    to_base32,
)
from backend.archive.names import (
    archive_file_name,
    group_files,
    group_name,
    is_archive_name,
    order_by_links,
    parse_archive_name,
)


def test_7x_name_without_group() -> None:
    name = parse_archive_name("mlog-20231023121255-20231023121255-9011ab557706b505.zip.gpg")
    assert name.form == "7" and name.encrypted and name.group is None
    assert name.start == datetime(2023, 10, 23, 12, 12, 55, tzinfo=UTC)
    assert name.tag == "9011ab557706b505"
    assert name.legacy is False


def test_7x_grouped_name_is_parsed_from_the_right() -> None:
    # member codes may hold '-' and '_': the group is everything before the two times
    name = parse_archive_name(
        "mlog-CS_GOV_0245437-2_sub-1-20210901102251-20210901102254-95b1f27097524105.zip")
    assert name.form == "7" and not name.encrypted
    assert name.group == "CS_GOV_0245437-2_sub-1"
    assert name.end == datetime(2021, 9, 1, 10, 22, 54, tzinfo=UTC)


def test_6x_name_with_random_suffix() -> None:
    name = parse_archive_name("mlog-20150519093230-20150519164358-OUxhMqY0Kx.zip")
    assert name.form == "6" and name.random == "OUxhMqY0Kx" and name.legacy is True


@pytest.mark.parametrize("text", ["mlog-WITH_LINKINGINFO.zip", "message-archive-0.zip",
                                  "mlog-20231399121255-20231023121255-9011ab557706b505.zip"])
def test_other_names(text: str) -> None:
    name = parse_archive_name(text)
    assert name.form == "other" and name.start is None and name.legacy is None


def test_archive_names_and_temp_files() -> None:
    assert is_archive_name("mlog-x.zip") and is_archive_name("mlog-x.zip.gpg")
    assert not is_archive_name("tmp-mlog-123.tmp") and not is_archive_name("conf_backup.tar")


def test_group_name_replaces_what_java_replaces_and_cuts_to_200() -> None:
    assert group_name("CS/GOV/1001/portal") == "CS_GOV_1001_portal"
    assert group_name("A/B:C|D*E?F<G>H\\I\x01J\x85K") == "A_B_C_D_E_F_G_H_I_J_K"
    assert len(group_name("X" * 300)) == 200


def test_file_name_round_trip() -> None:
    start, end = datetime(2024, 3, 1, 8, 0, tzinfo=UTC), datetime(2024, 3, 1, 9, 30, 5, tzinfo=UTC)
    text = archive_file_name(start, end, "AB" * 64, group="CS/GOV/1001", encrypted=True)
    assert text == "mlog-CS_GOV_1001-20240301080000-20240301093005-abababababababab.zip.gpg"
    parsed = parse_archive_name(text)
    assert (parsed.group, parsed.start, parsed.end, parsed.encrypted) == ("CS_GOV_1001", start, end, True)


def test_group_files_orders_each_group_by_time() -> None:
    names = ["mlog-G-20240302000000-20240302010000-1111111111111111.zip",
             "mlog-G-20240301000000-20240301010000-2222222222222222.zip",
             "mlog-20240301000000-20240301010000-3333333333333333.zip"]
    groups = group_files(names)
    assert [n.name for n in groups["G"]] == [names[1], names[0]]
    assert [n.name for n in groups[None]] == [names[2]]


def test_order_by_links_follows_headers_and_keeps_everything() -> None:
    # time order says a, b, c, d; the chain says a → c → b; d names a file that is gone
    items = ["a", "b", "c", "d"]
    previous = {"a": "-", "b": "c", "c": "a", "d": "missing"}
    assert order_by_links(items, str, previous.get) == ["a", "c", "b", "d"]
    # a loop (altered headers) is kept in time order rather than dropped
    assert sorted(order_by_links(["x", "y"], str, {"x": "y", "y": "x"}.get)) == ["x", "y"]


def test_entry_names_7x() -> None:
    entry = parse_entry_name("3a2a743f-56da-4085-b643-79e335341eb3-request-1.asice")
    assert entry is not None
    assert (entry.query_id, entry.response, entry.record_id) == ("3a2a743f-56da-4085-b643-79e335341eb3",
                                                                 False, 1)
    entry = parse_entry_name("abc%2F1-response-1a.asice")
    assert entry is not None and entry.query_id == "abc/1" and entry.response and entry.record_id == 42
    assert parse_entry_name("linkinginfo") is None and parse_entry_name("x-request-1.txt") is None


def test_entry_names_6x_random_suffix() -> None:
    entry = parse_entry_name("1234567890-request-OUxhMqY0Kx.asice")
    assert entry is not None and entry.record_id is None and entry.suffix == "OUxhMqY0Kx"


@pytest.mark.parametrize(("suffix", "legacy", "record_id"), [
    ("abcdefghij", None, None),  # 10 characters: 6.x random unless the file name says 7.x
    ("abcdefghij", False, from_base32("abcdefghij")),
    ("1a", True, None),
    ("1a", None, 42),
])
def test_suffix_is_an_id_or_random(suffix: str, legacy: bool | None, record_id: int | None) -> None:
    entry = parse_entry_name(f"q-request-{suffix}.asice", legacy=legacy)
    assert entry is not None and entry.record_id == record_id


def test_query_ids_are_encoded_as_java_urlencoder_does() -> None:
    assert encode_query_id("a b/c~d*e.f-g_h+é") == "a+b%2Fc%7Ed*e.f-g_h%2B%C3%A9"
    assert decode_query_id("a+b%2Fc%7Ed*e.f-g_h%2B%C3%A9") == ("a b/c~d*e.f-g_h+é", True)
    for text in ["плата/№1", "x y", "100%", "a\u00a0b"]:
        assert decode_query_id(encode_query_id(text))[0] == text
    assert container_entry_name("abc/1", True, 42) == "abc%2F1-response-1a.asice"


def test_non_utf8_query_ids_are_kept_as_escapes() -> None:
    query_id, utf8 = decode_query_id("bad%FF%FEid")
    assert not utf8 and query_id == "bad\\xff\\xfeid"
    entry = parse_entry_name("bad%FFid-request-2.asice")
    assert entry is not None and not entry.utf8 and entry.query_id == "bad\\xffid"
    query_id.encode("utf-8")  # storable and printable


def test_a_name_cut_inside_a_character_is_marked_truncated() -> None:
    long_id = "я" * 200  # 2 bytes each → 6 characters encoded each
    name = container_entry_name(long_id, False, 7)
    assert name == "%D1%8F" * 37 + "%D1%-request-7.asice"  # cut at 226 characters
    entry = parse_entry_name(name)
    assert entry is not None and entry.truncated and entry.record_id == 7 and not entry.utf8
    assert entry.query_id == "я" * 37 + "\\xd1%"


def test_base32_is_javas_unsigned_form() -> None:
    assert [to_base32(n) for n in (0, 1, 31, 32, 42, 2**40)] == ["0", "1", "v", "10", "1a", "100000000"]
    assert to_base32(-1) == "fvvvvvvvvvvvv"
    assert from_base32("fvvvvvvvvvvvv") == 2**64 - 1
