"""Start-up: ``kapka --sandbox`` time-to-dashboard against a minimal Textual app, same run.

Both are started in a pseudo-terminal of 80×24. The minimal app is "ready" when its one line is
painted; Kapka is "ready" when the Dashboard shows the sandbox's software token, i.e. real data
has come back over HTTPS from the sandbox. Target: Kapka under 2× the minimal app.
Run: ``.venv/bin/python -m tests.bench.bench_startup [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

from tests.bench.perfdoc import write_section
from tests.e2e.conftest import KAPKA, kapka_env

TARGET_RATIO = 2.0


def time_to_text(command: list[str], ready: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    child = pexpect.spawn(command[0], command[1:], env=env, dimensions=(24, 80),
                          encoding="utf-8", timeout=60, codec_errors="replace")
    child.expect(ready)
    elapsed = time.perf_counter() - start
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return elapsed


def row(label: str, runs: list[float]) -> str:
    median, low, high = (statistics.median(runs), min(runs), max(runs))
    return f"| {label} | {median * 1000:.0f} ms | {low * 1000:.0f} ms | {high * 1000:.0f} ms |"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    minimal_app = str(Path(__file__).with_name("minimal_app.py"))
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        env = kapka_env(home)
        sandbox = home / "sandbox"
        # first start makes the sandbox's keys and certificates; measured on its own
        first = time_to_text([str(KAPKA), "--sandbox", "--sandbox-data", str(sandbox)],
                             "softToken-0", env)
        minimal, kapka = [], []
        for _ in range(args.runs):
            minimal.append(time_to_text([sys.executable, minimal_app], "minimal-app-ready", env))
            kapka.append(time_to_text([str(KAPKA), "--sandbox", "--sandbox-data", str(sandbox)],
                                      "softToken-0", env))
    m, k = statistics.median(minimal), statistics.median(kapka)
    ratio = k / m
    verdict = "meets" if ratio < TARGET_RATIO else "MISSES"
    body = f"""## Start-up: time to dashboard

`kapka --sandbox` (existing sandbox state) until the Dashboard shows the sandbox's software token,
against a minimal Textual app until its one line is painted; both in an 80×24 pseudo-terminal,
{args.runs} runs each, interleaved, median.

| what | median | min | max |
|---|---|---|---|
{row("minimal Textual app", minimal)}
{row("`kapka --sandbox` to dashboard data", kapka)}
| `kapka --sandbox`, first start (sandbox keys made) | {first * 1000:.0f} ms | | |

Ratio {ratio:.2f}× — {verdict} the target of under {TARGET_RATIO:.0f}×."""
    write_section("startup", body)
    print(body)
    return 0 if ratio < TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
