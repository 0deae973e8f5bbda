"""The records view's columns at the widths operators use (80, 100, 120, 160+): what is visible of a
query id (a UUID's start and end at 80 columns, all of it from about 110), of X-Road client and
service ids (their subsystem and service codes), the header above the right columns; and the clip
helpers, which keep every line exactly as wide as the terminal, wide characters included."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from archives_support import console_app, open_archives, settings
from rich.cells import cell_len

from backend.archive.search import RecordLine
from screens.archives.format import clip, clip_middle, clip_path, clip_start, short_size_text
from screens.archives.records_view import column_widths, header_text, line_text
from tests.archive.builder import START, Record, soap_message, write_archive

UUID = "3f2a9c1e-7b4d-4e2a-9c1e-5d41c2e8a9f0"
PREFIXED = "xroad-monitoring-q-0000008"
WIDE_ID = "照会-0001-終わり"  # wide characters: two cells each
CLIENT = "CS/GOV/1234/CLIENTSYS"
SERVICE = "CS/GOV/5678/REGISTRY/getPerson"  # and version v1
FILLER = 30  # enough records for the vertical scrollbar, as with a real archive


def versioned(query_id: str, response: bool = False) -> bytes:
    """A SOAP message whose service has a version (``…/getPerson/v1``)."""
    message = soap_message(query_id, CLIENT, SERVICE)
    version = b"</id:serviceCode><id:serviceVersion>v1</id:serviceVersion>"
    return message.replace(b"</id:serviceCode>", version)


def write_records(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    records = [Record(UUID, False, 1, START, versioned(UUID)),
               Record(UUID, True, 2, START + timedelta(seconds=1), versioned(UUID, True)),
               Record(PREFIXED, False, 3, START + timedelta(seconds=2), versioned(PREFIXED)),
               Record(WIDE_ID, False, 4, START + timedelta(seconds=3), versioned(WIDE_ID))]
    for number in range(5, 5 + FILLER):
        query = f"filler-{number:04d}"
        records.append(Record(query, False, number, START + timedelta(minutes=1, seconds=number),
                              soap_message(query, "CS/ORG/3003/app", "CS/ORG/7007/stats/getData")))
    write_archive(directory, records)


def screen_lines(app: Any) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def column_of(line: str, text: str) -> int:
    """The cell where ``text`` starts in ``line`` (wide characters before it count two)."""
    index = line.index(text)
    return cell_len(line[:index])


def record_line(lines: list[str], text: str) -> str:
    found = [line for line in lines if text in line]
    assert found, f"{text!r} is not on the screen:\n" + "\n".join(lines)
    return found[0]


async def visible(tmp_path: Path, config: Any, size: tuple[int, int]) -> tuple[list[str], int]:
    """The screen's lines with the records view open at ``size``, and the view's header row."""
    archive_dir = tmp_path / "xroad"
    write_records(archive_dir)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=size) as pilot:
        screen = await open_archives(pilot)
        assert screen.source.count == 4 + FILLER
        await pilot.pause()
        assert screen.records.show_vertical_scrollbar  # the width the view has with a real archive
        lines = screen_lines(app)
        header = screen.records.region.y
    assert all(cell_len(line) == size[0] for line in lines)
    return lines, header


def assert_header_aligned(header: str, line: str, marks: dict[str, str]) -> None:
    """Each header label starts where its column's text starts in ``line``."""
    for label, text in marks.items():
        assert column_of(header, label) == column_of(line, text), (label, header, line)


async def test_at_80_columns_a_uuid_shows_its_start_and_end(tmp_path: Path, config) -> None:
    lines, row = await visible(tmp_path, config, (80, 24))
    header = lines[row]
    assert "query id" in header and "client" in header and "service" in header
    uuid_line = record_line(lines, UUID[:9] + "…")
    assert UUID[:9] + "…" + UUID[-10:] in uuid_line  # 20 cells: the start and the distinctive end
    assert "2024-03-01 08:00 req" in uuid_line  # minutes only at this width
    assert "…/CLIENTSYS" in uuid_line and "…getPerson/v1" in uuid_line  # the most specific ends
    assert "SOAP" in uuid_line
    assert_header_aligned(header, uuid_line, {"query id": UUID[:9], "client": "…/CLIENTSYS",
                                              "service": "…getPerson/v1", "kind": "SOAP"})
    size = re.search(r" (\d+(?:\.\d)?[BKMGT]) ", uuid_line)  # 5.5K: short at this width
    assert size is not None and size.end(1) == header.index("size") + 4  # right-aligned under "size"
    assert "xroad-mon…-q-0000008" in record_line(lines, "q-0000008")  # a long prefix gives way
    wide = record_line(lines, WIDE_ID)  # 16 cells: whole, the columns after it still aligned
    assert column_of(wide, "…/CLIENTSYS") == column_of(header, "client")
    assert column_of(wide, "SOAP") == column_of(header, "kind")


async def test_at_120_columns_a_uuid_is_whole(tmp_path: Path, config) -> None:
    lines, row = await visible(tmp_path, config, (120, 40))
    header = lines[row]
    uuid_line = record_line(lines, UUID)
    assert "2024-03-01 08:00:00 req" in uuid_line  # the seconds are back
    assert "…/GOV/1234/CLIENTSYS" in uuid_line  # the instance gives way first
    assert "…/REGISTRY/getPerson/v1" in uuid_line
    assert PREFIXED in record_line(lines, PREFIXED) and WIDE_ID in record_line(lines, WIDE_ID)
    assert "CS/ORG/3003/app" in record_line(lines, "filler-0005")  # short ids whole
    assert_header_aligned(header, uuid_line, {"query id": UUID, "client": "…/GOV/1234",
                                              "service": "…/REGISTRY", "kind": "SOAP"})
    assert_header_aligned(header, record_line(lines, WIDE_ID), {"client": "…/GOV/1234", "kind": "SOAP"})


# -- the widths, without a terminal ---------------------------------------------------------------

NARROW_FIXED, WIDE_FIXED = 16 + 3 + 4 + 5 + 6, 19 + 3 + 4 + 7 + 6


@pytest.mark.parametrize(("terminal", "query", "least_client", "least_service"),
                         [(80, 20, 11, 13), (100, 33, 14, 17), (110, 36, 15, 18), (120, 36, 20, 23),
                          (160, 39, 39, 41), (200, 53, 52, 54)])
def test_column_widths_at_operator_widths(terminal: int, query: int, least_client: int,
                                          least_service: int) -> None:
    width = terminal - 2  # the view's scrollbar and its leading space
    widths = column_widths(width)
    assert widths == (query, least_client, least_service)
    assert sum(widths) + (WIDE_FIXED if width >= 100 else NARROW_FIXED) == width


def test_column_widths_give_the_query_id_priority() -> None:
    previous = {False: 0, True: 0}
    for width in range(78, 260):
        query, client, service = column_widths(width)
        assert query >= 20 and client >= 11 and service >= 13
        assert sum((query, client, service)) + (WIDE_FIXED if width >= 100 else NARROW_FIXED) == width
        wide = width >= 100
        assert query >= previous[wide]  # never shrinks as the terminal grows (within one time format)
        previous[wide] = query
        if width >= 108:
            assert query >= 36  # a whole UUID from about 110 columns
    assert column_widths(77)[0] < 20  # narrower than 80: all three give in
    assert min(column_widths(20)) == 6 and len(line_text(line_of("q"), 20)) == NARROW_FIXED + 18


def line_of(query_id: str, client: str | None = CLIENT, service: str | None = SERVICE + "/v1",
            size: int = 5400) -> RecordLine:
    return RecordLine(1, START, True, query_id, client, service, "soap", size, 1, "f", None)


def test_lines_and_header_are_exactly_as_wide_as_asked() -> None:
    texts = (UUID, PREFIXED, WIDE_ID, "q\x1b[31m\nred", "é" * 50, "e\u0301" * 30, "照" * 60, "")
    for width in (40, 60, 78, 79, 98, 99, 100, 118, 158, 240):
        header = header_text(width)
        assert cell_len(header) == max(width, NARROW_FIXED + 18)  # not below the columns' least
        for text in texts:
            for size in (0, 999, 1023 * 1024 + 900, 5 * 1024**4):
                line = line_text(line_of(text, text or None, ("CS/" + text) if text else None, size), width)
                assert cell_len(line) == cell_len(header), (width, text, line)
                assert line.isprintable()
        line = line_text(line_of(UUID), width)
        assert column_of(line, "SOAP") == column_of(header, "kind")
        assert line.rstrip().endswith(("5.3K", "5.3 KB")) and header.endswith("size")
        assert len(line) == len(header)


def test_clip_middle_keeps_both_ends() -> None:
    assert clip_middle(UUID, 20) == "3f2a9c1e-…41c2e8a9f0"
    assert clip_middle(UUID, 36) == UUID and clip_middle(UUID, 40) == UUID + "    "
    assert clip_middle(UUID, 1) == "…" and clip_middle(UUID, 0) == "" and clip_middle(UUID, 2) == "…0"
    assert clip_middle("照会照会照会照会", 7) == "照…照会"  # 2 + 1 + 4 cells
    assert clip_middle("照会照会照会照会", 6) == "照…会 "  # a wide character never straddles the cut
    assert clip_middle("a\tb\nc" * 3, 7) == "a·b…b·c"  # controls are shown, not sent to the terminal
    assert clip_middle("abc" + "e\u0301" * 4, 4) == "a…e\u0301e\u0301"  # marks take no cell
    assert clip_middle("abcdef照\u0301", 3) == "a… "  # and never stand without their letter
    for text in (UUID, "照会-0001-終わり", "e\u0301" * 9, "x\x00y" * 9):
        for width in range(0, 40):
            assert cell_len(clip_middle(text, width)) == width


def test_clip_path_keeps_the_most_specific_end() -> None:
    client, service = "CS/GOV/1234/SUBSYS", "CS/GOV/1234/SUBSYS/getPerson/v1"
    assert clip_path(client, 18) == client and clip_path(client, 20) == client + "  "
    assert clip_path(client, 15) == "…/1234/SUBSYS  "  # whole parts go, the instance first
    assert clip_path(client, 16) == "…GOV/1234/SUBSYS"  # only the instance goes
    assert clip_path(client, 9) == "…/SUBSYS "
    assert clip_path(client, 5) == "…BSYS"
    assert clip_path(service, 13) == "…getPerson/v1"
    assert clip_path(service, 22) == "…/SUBSYS/getPerson/v1 "
    assert clip_path("CS/GOV/5005/registry/getPerson", 12) == "…/getPerson "
    assert clip_path("CS/ORG/7007/stats/getData", 13) == "…/getData    "  # not …tats/getData
    assert clip_path(service, 12) == "…etPerson/v1"  # …/v1 would leave most cells empty
    assert clip_path("CS/ORG/3003/照会システム", 14) == "…/照会システム"  # 1 + 1 + 12 cells
    assert clip_path("CS/ORG/3003/照会システム", 10) == "…システム "
    for text in (client, service, "照/会/照会/システム", "a/\x07/b"):
        for width in range(0, 34):
            assert cell_len(clip_path(text, width)) == width


def test_clip_and_clip_start_count_cells() -> None:
    assert clip("CS/GOV/1234", 6) == "CS/GO…" and clip("照会照会", 4) == "照… "
    assert clip("a\x1bb", 5) == "a·b  " and clip("x", 0) == ""
    assert clip_start("CS/GOV/1234", 6) == "…/1234" and clip_start("照会照会", 4) == "…会 "
    assert clip_start("ab" + "\u0301" + "cd", 3) == "…cd"
    assert clip_start("a\u0301bc", 4) == "a\u0301bc "


def test_short_sizes_fit_their_column() -> None:
    assert [short_size_text(n) for n in (0, 999, 1000, 5400, 102_348, 1023 * 1024 + 900)] == \
        ["0 B", "999 B", "1.0 KB", "5.3 KB", "99.9 KB", "1.0 MB"]
    assert [short_size_text(n, compact=True) for n in (999, 5400, 512 * 1024, 1024**3 * 3)] == \
        ["999B", "5.3K", "512K", "3.0G"]
    for exponent in range(0, 50):
        for size in (2**exponent - 1, 2**exponent, int(2**exponent * 0.9766)):
            assert len(short_size_text(size)) <= 7 and len(short_size_text(size, compact=True)) <= 5
