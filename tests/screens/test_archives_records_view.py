"""The records view over many records: it draws only the lines in view, moves by keys, fetches pages
on demand (at once when cheap, else on its reader thread, newest first) and says when a filter is
not understood. Also the filter bar's words and the message rendering, without a terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from archives_support import SIZE, console_app, open_archives, settings
from screen_support import wait_for
from textual.widgets import Input, Static

from backend.archive.index import default_index_path
from backend.archive.search import RecordFilter, RecordLine
from screens.archives.filters import FilterError, describe, parse_filter
from screens.archives.message_render import hex_preview, is_text, pretty_xml
from screens.archives.records_view import column_widths, line_text
from screens.archives.source import MAX_REQUESTS, PAGE_SIZE, RecordSource
from tests.bench.bench_archives_view import build_index

RECORDS = 20_000


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """An index of 20,000 synthetic records where the screen looks for it (the test's cache dir)."""
    directory = tmp_path / "xroad"
    build_index(directory, default_index_path(directory), RECORDS, per_file=2_700)
    return directory


async def test_draws_only_visible_lines_and_moves_by_keys(big: Path, config) -> None:
    app = console_app(config, settings(big))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        view = screen.records
        assert view.count == RECORDS and screen.session.last_update.unchanged == 8
        assert view.renders < 10 * view.size.height  # not 20,000 lines
        rows = view.visible_rows
        await pilot.press("pagedown")
        assert view.cursor == rows
        await pilot.press("down", "down", "up")
        assert view.cursor == rows + 1
        before = view.renders
        await pilot.press("end")
        await wait_for(pilot, lambda: view.current is not None, what="last page")
        assert view.cursor == RECORDS - 1 and int(view.scroll_y) == RECORDS - rows
        assert view.current.query_id == f"q-{RECORDS // 2:09d}"
        assert view.renders - before < 4 * view.size.height
        await pilot.press("home")
        assert view.cursor == 0 and view.scroll_y == 0
        await pilot.press("pageup")
        assert view.cursor == 0


async def test_filter_words_and_problems(big: Path, config) -> None:
    app = console_app(config, settings(big))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        field = screen.query_one("#records-filter", Input)
        count = screen.query_one("#records-count", Static)
        field.value = "kind:xml"
        await pilot.press("slash", "enter")
        assert count.has_class("-problem") and "soap or rest" in str(count.content)
        assert screen.source.filter.is_empty  # nothing changed
        assert screen.focused is field  # the bar keeps the focus to be corrected
        field.value = "client:CS/GOV/1007 dir:response since:2023-11-14T22:20 until:2023-11-15"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.source.counted and screen.records.current is not None,
                       what="search")
        flt = screen.source.filter
        assert flt.client == "CS/GOV/1007" and flt.response is True
        assert flt.until == datetime(2023, 11, 16, tzinfo=UTC)
        line = screen.records.current
        assert line.client.startswith("CS/GOV/1007/") and line.response
        assert line.time >= datetime(2023, 11, 14, 22, 20, tzinfo=UTC)
        assert screen.source.count == 245
        assert "245 of 20,000 records match" in str(count.content) and not count.has_class("-problem")
        field.value = ""
        await pilot.press("slash", "enter")
        await wait_for(pilot, lambda: screen.source.count == RECORDS, what="everything again")


class FakeSearch:
    """``ArchiveSearch.page``/``count`` over numbers, counting the calls."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pages: list[int] = []

    def count(self, flt: RecordFilter) -> int:
        return self.total

    def page(self, flt: RecordFilter, offset: int, limit: int) -> list[RecordLine]:
        self.pages.append(offset)
        return [RecordLine(n, None, False, f"q{n}", None, None, "soap", 1, 1, "f", None)
                for n in range(offset, min(offset + limit, self.total))]


def test_source_reads_newest_requests_first_and_drops_stale_pages() -> None:
    search = FakeSearch(100 * PAGE_SIZE)
    source = RecordSource()
    generation = source.reset(RecordFilter(kind="soap"), search)  # type: ignore[arg-type]
    assert not source.cheap  # a filtered search's cost is unknown: the reader fetches
    assert source.compute_count(generation) == 100 * PAGE_SIZE
    assert source.request(3) is True  # the first request starts the reader
    for page in range(4, 4 + MAX_REQUESTS + 2):
        assert source.request(page) is False  # the reader runs already
    served = []
    while (request := source.next_request()) is not None:
        served.append(request[0])
        source.fetch(*request)
    assert served == list(range(4 + MAX_REQUESTS + 1, 4 + 1, -1))  # newest first, the oldest forgotten
    assert source.get(served[0] * PAGE_SIZE).query_id == f"q{served[0] * PAGE_SIZE}"
    assert source.request(99) is True  # the reader ended: the next request starts it again
    stale = source.next_request()
    source.reset(RecordFilter())
    assert source.fetch(*stale) is False and not source.has_page(99)  # a page of the old search
    assert source.cheap and source.fetch_now(0) and source.get(5).query_id == "q5"


def test_filter_words() -> None:
    files = {"mlog-20240301-a.zip": 4, "mlog-20240302-b.zip": 5}
    flt = parse_filter('q-1* client:CS:GOV:1001 service:"CS/COM/6006/shop" member:CS/ORG/3003 '
                       "since:2024-03-01 until:2024-03-02T12:00 kind:REST dir:req file:mlog-20240302", files)
    assert flt == RecordFilter(query_id="q-1*", client="CS/GOV/1001", service="CS/COM/6006/shop",
                               member="CS/ORG/3003", since=datetime(2024, 3, 1, tzinfo=UTC),
                               until=datetime(2024, 3, 2, 12, tzinfo=UTC), kind="rest", response=False,
                               file_id=5)
    assert parse_filter(describe(flt, {5: "mlog-20240302-b.zip"}), files) == flt
    assert parse_filter("until:2024-03-02").until == datetime(2024, 3, 3, tzinfo=UTC)  # the whole day
    assert parse_filter("").is_empty
    for text, problem in (("since:yesterday", "not a time"), ("kind:xml", "soap or rest"),
                          ('q:"open', "quote"), ("client:", "no value"), ("file:mlog-2024", "more than one"),
                          ("since:2024-03-02 until:2024-03-01", "empty")):
        with pytest.raises(FilterError, match=problem):
            parse_filter(text, files)


def test_line_layout_fits_the_width() -> None:
    line = RecordLine(1, datetime(2024, 3, 1, 8, tzinfo=UTC), True, "q" * 80, "CS/GOV/1001/portal",
                      "CS/GOV/5005/registry/getPerson", "soap", 5400, 1, "f", None)
    for width in (78, 99):  # narrow: minutes only and short sizes, for room for the identifiers
        text = line_text(line, width)
        assert len(text) == width and text.startswith("2024-03-01 08:00 res ") and text.endswith(" 5.3K")
        assert sum(column_widths(width)) + 34 == width
    for width in (100, 119, 200):
        text = line_text(line, width)
        assert len(text) == width and text.startswith("2024-03-01 08:00:00 res ") and text.endswith(" 5.3 KB")
        assert sum(column_widths(width)) + 39 == width
    assert len(line_text(line, 40)) == 34 + 18  # never narrower than the columns' minimum
    assert "q" * 9 + "…" + "q" * 10 in line_text(line, 78)  # the query id cut in the middle


def test_message_rendering_helpers() -> None:
    assert pretty_xml(b"<a><b>1</b></a>") == "<a>\n  <b>1</b>\n</a>\n"
    bomb = (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
            b"<a>&y;</a>")
    assert "xxxxxxxxxx" not in pretty_xml(bomb)  # entities are not expanded
    assert pretty_xml(b"<not xml") == "<not xml"
    assert is_text('{"a": "ü"}\n'.encode()) and not is_text(b"\x00\x01\x02") and not is_text(b"\xff\xfe")
    preview = hex_preview(bytes(range(40)), limit=32)
    assert preview.splitlines()[0].startswith("00000000  00 01 02")
    assert preview.splitlines()[1].startswith("00000010  10 11") and "40 B in all" in preview
