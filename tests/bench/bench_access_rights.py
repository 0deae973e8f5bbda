"""Sandbox: access rights of a client with 500 services and 300 subjects (150,000 rights).

The subjects are the seed's 9 subsystems and 2 global groups and 289 local groups of the client.
Every right is granted through the API's batch endpoint for one subject and many services (one
call per subject, 300 calls), then the list endpoints are read. One in-process sandbox, calls
through ``httpx.ASGITransport``. Target: every list answered in well under 1 s.
Run: ``.venv/bin/python -m tests.bench.bench_access_rights [--runs N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from backend.sandbox.app import create_app
from backend.sandbox.ratelimit import RateLimiter
from backend.sandbox.state import SandboxState
from tests.bench.perfdoc import write_section
from tests.sandbox.clients_support import add_client, add_services
from tests.sandboxes import BASE_URL, api_key_header, populate

SERVICES, LOCAL_GROUPS = 500, 289
CLIENT = "SANDBOX-KG:GOV:70000001:registry"
TARGET_SECONDS = 1.0


async def timed(call: Callable[[], Awaitable[httpx.Response]], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = await call()
        times.append(time.perf_counter() - start)
        assert response.is_success, response.text
    return times


async def measure(state: SandboxState, runs: int) -> tuple[float, list[tuple[str, list[float]]]]:
    add_client(state, CLIENT)
    codes = [f"service{index:03d}" for index in range(SERVICES)]
    add_services(state, CLIENT, codes)
    key = state.create_api_key(["XROAD_SERVICE_ADMINISTRATOR"])[1]
    limiter = RateLimiter(per_second=10**9, per_minute=10**9)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(
            state, rate_limiter=limiter)), base_url=BASE_URL, headers=api_key_header(key)) as api:
        base = f"/api/v1/clients/{CLIENT}"
        groups = []
        for index in range(LOCAL_GROUPS):
            created = await api.post(base + "/local-groups",
                                     json={"code": f"group{index:03d}", "description": "Group"})
            groups.append(created.json()["id"])
        found = (await api.get(base + "/service-client-candidates")).json()
        subjects = [item["id"] for item in found]
        assert len(subjects) == 300, len(subjects)
        body = {"items": [{"service_code": code} for code in codes]}
        start = time.perf_counter()
        for subject in subjects:
            granted = await api.post(f"{base}/service-clients/{subject}/access-rights", json=body)
            assert granted.status_code == 201, granted.text
        grant_seconds = time.perf_counter() - start
        service = f"/api/v1/services/{CLIENT}:service250/service-clients"
        subject = f"{base}/service-clients/{subjects[0]}"
        steps = [
            ("`GET /clients/{id}/service-clients` (300 subjects)",
             lambda: api.get(base + "/service-clients")),
            ("`GET /services/{id}/service-clients` (300 subjects)", lambda: api.get(service)),
            ("`GET …/service-clients/{sc_id}/access-rights` (500 rights)",
             lambda: api.get(subject + "/access-rights")),
            ("`GET …/service-clients/{sc_id}`", lambda: api.get(subject)),
            ("`GET /clients/{id}/service-client-candidates` (300)",
             lambda: api.get(base + "/service-client-candidates")),
            ("`GET /clients/{id}/local-groups` (289 groups)",
             lambda: api.get(base + "/local-groups")),
            ("revoke then grant one subject all 500 services (2 calls)",
             lambda: revoke_and_grant(api, subject + "/access-rights", body)),
        ]
        results = [(label, await timed(call, runs)) for label, call in steps]
    return grant_seconds, results


async def revoke_and_grant(api: httpx.AsyncClient, url: str, body: dict) -> httpx.Response:
    revoked = await api.post(url + "/delete", json=body)
    assert revoked.status_code == 204, revoked.text
    return await api.post(url, json=body)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        state = SandboxState.open(Path(directory) / "sandbox", admin_password="Bench-Password-1")
        try:
            populate(state)
            grant_seconds, results = asyncio.run(measure(state, args.runs))
        finally:
            state.close()
    worst = max(max(times) for _label, times in results)
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    lines = [
        "## Sandbox: access rights of a client with 500 services and 300 subjects",
        "",
        f"150,000 service-level rights, granted with one call per subject "
        f"({grant_seconds:.1f} s for the 300 calls of 500 services each, "
        f"{grant_seconds / 3 * 10:.0f} ms per call). "
        f"In-process sandbox, {args.runs} runs per step. Target: every list under "
        f"{TARGET_SECONDS:.0f} s — {verdict}.",
        "",
        "| step | median | worst |",
        "|---|---|---|",
    ]
    for label, times in results:
        lines.append(f"| {label} | {statistics.median(times) * 1000:.0f} ms | "
                     f"{max(times) * 1000:.0f} ms |")
    write_section("access-rights", "\n".join(lines))
    print("\n".join(lines))
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    raise SystemExit(main())
