"""Start-up: ``kapka --sandbox`` time-to-dashboard against a minimal Textual app, same run.

Both run in an 80×24 pseudo-terminal. The minimal app is ready when its one line is painted.
Kapka's time-to-dashboard is when the Dashboard screen is painted (its title in the header); its
time-to-data is when the Dashboard shows the sandbox's software token, i.e. real data has come
back over HTTPS from the sandbox, whose process Kapka starts once the dashboard is painted.
Target: time-to-dashboard under 2× the minimal app.
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
from tests.e2e.test_sandbox_session import initialised_sandbox

TARGET_RATIO = 2.0
MINIMAL_APP = str(Path(__file__).with_name("minimal_app.py"))


def timed_start(command: list[str], markers: list[str], env: dict[str, str]) -> list[float]:
    """Seconds from spawning ``command`` until each marker in turn appears on the terminal."""
    start = time.perf_counter()
    child = pexpect.spawn(command[0], command[1:], env=env, dimensions=(24, 80),
                          encoding="utf-8", timeout=60, codec_errors="replace")
    seen = []
    for marker in markers:
        child.expect(marker)
        seen.append(time.perf_counter() - start)
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    return seen


def row(label: str, runs: list[float]) -> str:
    median, low, high = (statistics.median(runs), min(runs), max(runs))
    return f"| {label} | {median * 1000:.0f} ms | {low * 1000:.0f} ms | {high * 1000:.0f} ms |"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home_dir:
        home = Path(home_dir)
        env = kapka_env(home)
        kapka = [str(KAPKA), "--sandbox", "--sandbox-data",
                 str(initialised_sandbox(home / "sandbox"))]
        markers = ["Dashboard", "softToken-0"]
        first = timed_start(kapka, markers, env)  # the first start makes the sandbox's keys
        minimal, dashboard, data = [], [], []
        for _ in range(args.runs):
            minimal += timed_start([sys.executable, MINIMAL_APP], ["minimal-app-ready"], env)
            painted, loaded = timed_start(kapka, markers, env)
            dashboard.append(painted)
            data.append(loaded)
    ratio = statistics.median(dashboard) / statistics.median(minimal)
    verdict = "meets" if ratio < TARGET_RATIO else "MISSES"
    body = f"""## Start-up: time to dashboard

`kapka --sandbox` with an initialised sandbox, against a minimal Textual app, both in an 80×24
pseudo-terminal, {args.runs} runs each, interleaved. Time-to-dashboard: the Dashboard screen is
painted. Time-to-data: the Dashboard shows the sandbox's software token (the sandbox started in its
own process once the dashboard was painted, an API key was created and the data came back over
HTTPS).

| what | median | min | max |
|---|---|---|---|
{row("minimal Textual app, line painted", minimal)}
{row("`kapka --sandbox`, dashboard painted", dashboard)}
{row("`kapka --sandbox`, dashboard data shown", data)}
| `kapka --sandbox`, first run on this data (sandbox keys made), data shown | {first[1] * 1000:.0f} ms | | |

Time-to-dashboard is {ratio:.2f}× the minimal app — {verdict} the target of under {TARGET_RATIO:.0f}×."""
    write_section("startup", body)
    print(body)
    return 0 if ratio < TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
