"""Message-log archives: indexing speed, query-id lookup among 1,000,000 records, peak memory.

1. A child process writes 100,000 records in X-Road's layout (``tests/archive/builder.py``: files of
   2,700 records as a 32 MiB rotation makes them, containers of about 10 KB, SOAP and REST, one
   linkinginfo chain) into a temp directory, so the parent's peak memory is the index's own.
2. The machine's own limit in the same run: reading those files once, without parsing.
3. ``ArchiveIndex.update()`` on a fresh index: records per second (target ≥ 20,000).
4. The index is grown to 1,000,000 records (the 100,000 rows copied 9 times with new query ids, in
   SQL), then 200 random query ids are looked up with ``ArchiveSearch`` (target < 50 ms each),
   plus the records view's first and last page and a time-range count.
5. Peak resident memory of this process (``getrusage``; target < 300 MB).

Run: ``.venv/bin/python -m tests.bench.bench_archive_index [--records N] [--no-write]``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from backend.archive.index import INDEXES, ArchiveIndex
from backend.archive.search import ArchiveSearch, RecordFilter
from tests.archive.builder import START, write_traffic
from tests.bench.perfdoc import write_section

RECORDS = 100_000
PER_FILE = 2_700
SIGNATURE_SIZE = 11_000  # base64 filler: containers of ~10 KB, as X-Road's small records
GROWN_TO = 1_000_000
LOOKUPS = 200
TARGET_RATE, TARGET_LOOKUP_MS, TARGET_MEMORY_MB = 20_000, 50.0, 300


def generate(directory: Path, records: int) -> None:
    write_traffic(directory, records, per_file=PER_FILE, signature_size=SIGNATURE_SIZE)


def read_all(directory: Path) -> tuple[float, int]:
    """Seconds to read every archive file once (1 MiB reads), and the bytes read."""
    started, total = time.perf_counter(), 0
    for path in sorted(directory.glob("mlog-*.zip")):
        with open(path, "rb", buffering=0) as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return time.perf_counter() - started, total


def grow(index: ArchiveIndex, copies: int, records: int) -> None:
    """Copy every record ``copies`` times with new query ids, a day later each time (in SQL)."""
    connection = index.connection
    for name in INDEXES:
        connection.execute(f"DROP INDEX {name}")
    connection.execute("BEGIN")
    for copy in range(1, copies + 1):
        connection.execute(
            "INSERT INTO records SELECT NULL, file_id, seq, entry, query_id || ?, response, record_id, "
            "client, service, time + ?, size, kind, request_id, user_id, summary, issue FROM records "
            "WHERE id <= ?", (f"-c{copy}", copy * 86_400, records))
    connection.execute("UPDATE files SET records = records * ?", (copies + 1,))
    connection.execute("COMMIT")
    for name, columns in INDEXES.items():
        connection.execute(f"CREATE INDEX {name} ON {columns}")
    connection.execute("ANALYZE")


def timed(call: object, repeat: int = 1) -> float:
    """Milliseconds of the fastest of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best * 1000


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.records)
        return 0
    with tempfile.TemporaryDirectory(prefix="kapka-bench-") as temp:
        archives, index_path = Path(temp) / "archives", Path(temp) / "index.sqlite"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tests.bench.bench_archive_index", "--generate", str(archives),
                        "--records", str(args.records)], check=True)
        generated = time.perf_counter() - started
        files = sorted(archives.glob("mlog-*.zip"))
        read_seconds, size = read_all(archives)
        print(f"generated {args.records} records in {len(files)} files ({size / 2**20:.0f} MiB) "
              f"in {generated:.0f} s; reading them alone: {size / 2**20 / read_seconds:.0f} MiB/s")

        with ArchiveIndex(archives, index_path=index_path) as index:
            load_before = os.getloadavg()[0]
            cpu = time.process_time()
            summary = index.update()
            cpu_rate = summary.records / (time.process_time() - cpu)
            load_after = os.getloadavg()[0]
            rate = summary.records / summary.seconds
            print(f"indexed {summary.records} records in {summary.seconds:.2f} s: {rate:,.0f} records/s")
            noop = timed(index.update)
            grow(index, GROWN_TO // args.records - 1, args.records)
            total = index.total_records()
            db_size = index_path.stat().st_size

        with ArchiveSearch(index_path, archives) as search:
            ids = [row[0] for row in search.connection.execute(
                "SELECT query_id FROM records WHERE id % 997 = 0 LIMIT 5000")]
            sample = random.Random(5).sample(ids, min(LOOKUPS, len(ids)))
            lookups = []
            for query_id in sample:
                flt = RecordFilter(query_id=query_id)
                started = time.perf_counter()
                found = search.page(flt, 0, 50)
                search.count(flt)
                lookups.append((time.perf_counter() - started) * 1000)
                assert found and all(line.query_id == query_id for line in found)
            first_page = timed(lambda: search.page(None, 0, 50), 5)
            last_page = timed(lambda: search.page(None, total - 50, 50), 5)
            since = START + timedelta(days=3)
            day = RecordFilter(since=since, until=since + timedelta(days=1))
            day_count = timed(lambda: search.count(day), 5)
            client = RecordFilter(client="CS/GOV/1001/portal")
            client_first = timed(lambda: search.page(client, 0, 50), 3)
            client_page = timed(lambda: search.page(client, 100_000, 50), 3)
            prefix = timed(lambda: search.page(RecordFilter(query_id="q7-0000001*"), 0, 50), 5)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median, p95, worst = (statistics.median(lookups), sorted(lookups)[int(len(lookups) * 0.95) - 1],
                          max(lookups))
    print(f"query-id lookup among {total:,}: median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms")
    print(f"peak memory {peak:.0f} MB")
    machine_rate = args.records / read_seconds
    rows = [
        ("machine: reading the archive files alone, no parsing",
         f"{size / 2**20 / read_seconds:,.0f} MiB/s ({machine_rate:,.0f} records/s)", ""),
        ("indexing, fresh index", f"**{rate:,.0f} records/s** ({summary.seconds:.1f} s)",
         f"≥ {TARGET_RATE:,} records/s: {verdict(rate >= TARGET_RATE)}"),
        ("indexing, per CPU-second of the indexing process", f"{cpu_rate:,.0f} records/s", ""),
        (f"update with nothing changed ({len(files)} files)", f"{noop:.1f} ms", ""),
        (f"query-id lookup among {total:,} (page of 50 + count), {len(lookups)} ids",
         f"median {median:.2f} ms, p95 {p95:.2f} ms, max **{worst:.2f} ms**",
         f"< {TARGET_LOOKUP_MS:.0f} ms: {verdict(worst < TARGET_LOOKUP_MS)}"),
        ("query-id prefix, first page", f"{prefix:.2f} ms", ""),
        ("records view: first page of 50", f"{first_page:.2f} ms", ""),
        (f"records view: last page of 50 (offset {total - 50:,})", f"{last_page:.1f} ms", ""),
        ("records of one client, first page", f"{client_first:.1f} ms", ""),
        ("records of one client, page at offset 100,000", f"{client_page:.1f} ms", ""),
        ("count of one day's records", f"{day_count:.1f} ms", ""),
        (f"index file at {total:,} records", f"{db_size / 2**20:.0f} MiB", ""),
        ("peak memory of the indexing and searching process", f"**{peak:.0f} MB**",
         f"< {TARGET_MEMORY_MB} MB: {verdict(peak < TARGET_MEMORY_MB)}"),
    ]
    table = "\n".join(f"| {what} | {figure} | {target} |" for what, figure, target in rows)
    body = f"""## Message-log archives: index

{args.records:,} records written in X-Road's layout by `tests/archive/builder.py` ({len(files)} files
of {PER_FILE:,} records, {size / 2**20:.0f} MiB, containers of about {size / args.records / 1024:.1f} KB
with SOAP and REST messages and a linkinginfo chain), then indexed by `ArchiveIndex.update()` into a
fresh index. The files had just been written, so they were in the OS page cache. The host's load
average was {load_before:.1f} before and {load_after:.1f} after indexing (2 CPUs shared with other
work): the wall-clock rate is what this process got of them; the rate per CPU-second is what it does
with a CPU of its own. Lookups ran on the same index grown to {total:,} records in SQL (each row copied
{GROWN_TO // args.records - 1} times with new query ids and times).

| what | figure | target |
|---|---|---|
{table}
"""
    if not args.no_write:
        write_section("archive-index", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
