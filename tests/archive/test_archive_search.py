"""Searching the index: each filter, counts, pages, single records, CSV and containers."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from backend.archive.index import ArchiveIndex
from backend.archive.records import MessageInfo, parse_message, record_info
from backend.archive.search import ArchiveSearch, RecordFilter, write_csv
from backend.errors import KapkaError
from tests.archive.builder import START, Record, soap_message, traffic, write_archive, write_traffic

COUNT = 40  # 20 request/response pairs, clients and services in turn, 30% REST


@pytest.fixture
def search(tmp_path: Path) -> Iterator[ArchiveSearch]:
    archives = tmp_path / "archives"
    write_traffic(archives, COUNT, per_file=10)
    grouped = [Record("g-1", False, 900, START + timedelta(days=2),
                      soap_message("g-1", "CS/GOV/1001/portal", "CS/COM/6006/shop/orders"))]
    write_archive(archives, grouped, group="CS/GOV/1001/portal")
    with ArchiveIndex(archives, index_path=tmp_path / "index.sqlite") as index:
        index.update()
        with ArchiveSearch.of(index) as found:
            yield found


def expected(predicate: Callable[[Record, MessageInfo], bool]) -> int:
    """How many generated records (as ``write_traffic`` made them) satisfy ``predicate``."""
    records = [record for offset in range(0, COUNT, 10)
               for record in traffic(10, first_id=offset + 1, seed=7 + offset,
                                     start=START + timedelta(seconds=offset * 2))]
    return sum(1 for record in records if predicate(record, parse_message(record.message)))


def test_counts_without_and_with_filters(search: ArchiveSearch) -> None:
    assert search.count() == COUNT + 1 and search.count(RecordFilter()) == COUNT + 1
    assert search.count(RecordFilter(kind="rest")) == expected(lambda _r, info: info.kind == "rest") > 0
    assert search.count(RecordFilter(kind="soap")) == COUNT + 1 - search.count(RecordFilter(kind="rest"))
    assert search.count(RecordFilter(response=True)) == COUNT // 2


def test_query_id_exact_and_prefix(search: ArchiveSearch) -> None:
    first = search.page(None, 0, 1)[0]
    pair = search.page(RecordFilter(query_id=first.query_id), 0, 10)
    assert [(line.query_id, line.response) for line in pair] == [(first.query_id, False),
                                                                  (first.query_id, True)]
    # generated ids are q<seed>-<pair>-<random>, one seed per file of 10 records
    assert search.count(RecordFilter(query_id="q*")) == COUNT
    assert search.count(RecordFilter(query_id="q17-*")) == 10
    assert search.count(RecordFilter(query_id="q7-00000001-*")) == 2
    assert search.count(RecordFilter(query_id="no-such-id")) == 0


def test_client_and_service_match_whole_segments(search: ArchiveSearch) -> None:
    member = search.count(RecordFilter(client="CS/GOV/1001"))
    portal = search.count(RecordFilter(client="CS/GOV/1001/portal"))
    assert member == expected(lambda _r, info: info.client in ("CS/GOV/1001", "CS/GOV/1001/portal")) + 1
    assert portal == expected(lambda _r, info: info.client == "CS/GOV/1001/portal") + 1
    assert 0 < portal < member
    assert search.count(RecordFilter(client="CS/GOV/100")) == 0  # not a prefix of the text
    shop = search.count(RecordFilter(service="CS/COM/6006/shop"))
    assert shop == expected(lambda _r, info: (info.service or "").startswith("CS/COM/6006/shop/")) + 1
    assert search.count(RecordFilter(service="CS/COM/6006/shop/orders", client="CS/GOV/1001/portal")) >= 1


def test_member_of_grouped_archives(search: ArchiveSearch) -> None:
    lines = search.page(RecordFilter(member="CS/GOV/1001/portal"), 0, 10)
    assert [line.query_id for line in lines] == ["g-1"]
    assert search.count(RecordFilter(member="CS/GOV/1001")) == 1  # a member covers its subsystems
    assert search.count(RecordFilter(member="CS_GOV_1001_portal")) == 1  # the group as in the file name
    assert search.count(RecordFilter(member="CS/GOV/2")) == 0


def test_time_ranges(search: ArchiveSearch) -> None:
    lines = search.page(None, 0, COUNT + 1)
    assert [line.time for line in lines] == sorted(line.time for line in lines)  # type: ignore[type-var]
    middle = lines[COUNT // 2].time
    assert middle is not None
    before = search.count(RecordFilter(until=middle))
    after = search.count(RecordFilter(since=middle))
    assert before + after == COUNT + 1 and before > 0 and after > 0
    assert search.count(RecordFilter(since=START + timedelta(days=1))) == 1


def test_pages_in_order_and_single_records(search: ArchiveSearch) -> None:
    everything = search.page(None, 0, 1000)
    assert len(everything) == COUNT + 1
    assert search.page(None, 5, 3) == everything[5:8]
    assert search.page(None, COUNT - 1, 10) == everything[COUNT - 1:]
    assert search.page(None, 1000, 10) == [] and search.page(None, 0, 0) == []
    detail = search.record(everything[3].id)
    assert detail is not None and detail.line == everything[3]
    assert detail.entry.endswith(".asice") and detail.record_id is not None and detail.archive.is_file()
    assert search.record(10**9) is None
    assert list(search.lines(RecordFilter(kind="rest"), batch=2)) == [
        line for line in everything if line.kind == "rest"]


def test_read_container_and_a_changed_archive(search: ArchiveSearch) -> None:
    line = search.page(RecordFilter(query_id="g-1"), 0, 1)[0]
    detail = search.record(line.id)
    assert detail is not None
    container = search.read_container(detail)
    assert record_info(container).query_id == "g-1"
    os.utime(detail.archive, ns=(1, 1))
    with pytest.raises(KapkaError, match="changed after it was indexed"):
        search.read_container(detail)
    detail.archive.unlink()
    with pytest.raises(KapkaError, match="gone or unreadable"):
        search.read_container(detail)


def test_csv_export(search: ArchiveSearch) -> None:
    stream = io.StringIO()
    assert write_csv(search, RecordFilter(client="CS/GOV/1001/portal"), stream) == search.count(
        RecordFilter(client="CS/GOV/1001/portal"))
    table = list(csv.reader(io.StringIO(stream.getvalue())))
    assert table[0][:3] == ["time", "direction", "query_id"]
    assert all(row[3] == "CS/GOV/1001/portal" for row in table[1:])
    assert table[-1][2] == "g-1" and table[-1][0].endswith("Z")


def test_no_index_yet(tmp_path: Path) -> None:
    with pytest.raises(KapkaError, match="no archive index"):
        ArchiveSearch(tmp_path / "missing.sqlite")


def test_a_damaged_index_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"not sqlite at all" * 500)
    with pytest.raises(KapkaError, match=r"Kapka builds it again|kapka archives list DIR") as caught:
        ArchiveSearch(path)
    assert caught.value.title == "Archive index unusable"
