"""Sandbox message-log traffic: 100,000 records signed, timestamped and archived.

Two runs on a populated sandbox, each in its own process: the records packed into five minutes
(large signature and timestamp batches), and the records spread over three days (``--days 3``,
the default: many small batches, an archive run every six hours). Each reports wall time, records
per second, the process's peak memory and what it wrote.
Target: a few minutes at most for 100,000 records.
Run: ``.venv/bin/python -m tests.bench.bench_traffic [--records N]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.perfdoc import write_section

PIN = "Tunduk-PIN-2024"


def _sandbox(directory: Path) -> Path:
    from backend.sandbox.state import SandboxState
    from tests.sandboxes import ADMIN_PASSWORD, populate

    state = SandboxState.open(directory, admin_password=ADMIN_PASSWORD)
    try:
        populate(state)
    finally:
        state.close()
    return directory


def _run(data_dir: Path, records: int, days: float) -> dict[str, float]:
    """One run in this process (the child's side)."""
    import backend.sandbox.traffic.generate as generate

    started = time.perf_counter()
    result = generate.generate(data_dir, generate.Options(records, days=days, seed=1), lambda: PIN)
    elapsed = time.perf_counter() - started
    size = sum(saved.path.stat().st_size for saved in result.files)
    return {"seconds": elapsed, "records": result.records, "files": len(result.files),
            "bytes": size, "signatures": result.signatures,
            "timestamps": result.batch_timestamps + result.single_timestamps,
            "span_hours": (result.end_ms - result.start_ms) / 3_600_000,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(data_dir: Path, records: int, days: float) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_traffic", "--child", str(data_dir),
         "--records", str(records), "--days", str(days)],
        capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _row(label: str, run: dict[str, float]) -> str:
    return (f"| {label} | {run['span_hours']:.1f} h | {run['seconds']:.0f} s | "
            f"{run['records'] / run['seconds']:.0f} | {run['signatures']:.0f} | "
            f"{run['timestamps']:.0f} | {run['files']:.0f} | {run['bytes'] / 2**20:.0f} MiB | "
            f"{run['peak_mb']:.0f} MB |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--days", type=float, default=3.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(_run(args.child, args.records, args.days)))
        return 0
    with tempfile.TemporaryDirectory() as directory:
        template = _sandbox(Path(directory) / "template")
        runs = {}
        for label, days in (("packed into five minutes", 5 / 1440), ("spread over three days", 3.0)):
            data_dir = Path(directory) / label.replace(" ", "-")
            shutil.copytree(template, data_dir)
            runs[label] = _child(data_dir, args.records, days)
            shutil.rmtree(data_dir)
    body = "\n".join([
        f"## Sandbox: message-log traffic, {args.records:,} records",
        "",
        "`kapka sandbox traffic` on a populated sandbox (`tests/bench/bench_traffic.py`): signing, "
        "timestamping, containers, archive files with linkinginfo, each run in its own process. "
        "Target: a few minutes at most.",
        "",
        "| run | period | wall time | records/s | signatures | timestamps | files | on disk "
        "| peak memory |",
        "|---|---|---|---|---|---|---|---|---|",
        *(_row(label, run) for label, run in runs.items()),
    ])
    write_section("traffic", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
