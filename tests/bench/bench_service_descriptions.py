"""Sandbox time of service descriptions with 500 services (a WSDL) and 500 operations (OpenAPI).

Each step is one admin-API call to an in-process sandbox (``httpx.ASGITransport``), the description
being downloaded from a loopback HTTP server: add, list the client's descriptions, refresh with one
service added and one removed (the warning round trip, then the confirmed refresh).
Target: every step well under a second.
Run: ``.venv/bin/python -m tests.bench.bench_service_descriptions [--runs N]``.
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

from backend.sandbox.state import SandboxState
from tests.bench.perfdoc import write_section
from tests.fixture_server import DescriptionServer
from tests.sandbox.conftest import unthrottled_client
from tests.sandbox.services_support import (
    SUBSYSTEM,
    add_subsystem,
    openapi_document,
    wsdl_document,
)
from tests.sandboxes import populate

SERVICES = 500
TARGET_SECONDS = 1.0
DESCRIPTIONS = f"/api/v1/clients/{SUBSYSTEM}/service-descriptions"


async def timed(step: Callable[[], Awaitable[httpx.Response]], expected: int) -> float:
    start = time.perf_counter()
    response = await step()
    elapsed = time.perf_counter() - start
    assert response.status_code == expected, response.text[:300]
    return elapsed


async def one_run(api: httpx.AsyncClient, server: DescriptionServer, run: int) -> dict[str, float]:
    codes = [(f"service{i:03}", "v1") for i in range(SERVICES)]
    wsdl = server.add(f"many-{run}.wsdl", wsdl_document(codes, url=f"http://is.example/{run}"))
    paths = {f"/items{i:03}/{{id}}": ["get"] for i in range(SERVICES)}
    openapi = server.add(f"many-{run}.yaml", openapi_document(paths))
    figures: dict[str, float] = {}
    added: list[httpx.Response] = []

    async def add_wsdl() -> httpx.Response:
        added.append(await api.post(DESCRIPTIONS, json={"url": wsdl, "type": "WSDL"}))
        return added[-1]

    figures["add WSDL, 500 services"] = await timed(add_wsdl, 201)
    figures["list descriptions"] = await timed(lambda: api.get(DESCRIPTIONS), 200)
    server.add(f"many-{run}.wsdl", wsdl_document([*codes[1:], ("service500", "v1")],
                                                 url=f"http://is.example/{run}"))
    refresh = f"/api/v1/service-descriptions/{added[0].json()['id']}/refresh"
    figures["refresh WSDL: warnings"] = await timed(lambda: api.put(refresh, json={}), 400)
    figures["refresh WSDL: confirmed"] = await timed(
        lambda: api.put(refresh, json={"ignore_warnings": True}), 200)
    figures["add OpenAPI, 500 operations"] = await timed(lambda: api.post(DESCRIPTIONS, json={
        "url": openapi, "type": "OPENAPI3", "rest_service_code": f"api{run}"}), 201)
    for description in (await api.get(DESCRIPTIONS)).json():
        await api.delete(f"/api/v1/service-descriptions/{description['id']}")
    return figures


async def measure(runs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as directory:
        state = SandboxState.open(Path(directory) / "sandbox", admin_password="bench-password-1")
        populate(state)
        add_subsystem(state)
        server = DescriptionServer().start()
        results: dict[str, list[float]] = {}
        try:
            async with unthrottled_client(state) as api:
                for run in range(runs):
                    for name, seconds in (await one_run(api, server, run)).items():
                        results.setdefault(name, []).append(seconds)
        finally:
            server.stop()
            state.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = asyncio.run(measure(args.runs))
    rows = ["| step | median | worst |", "|---|---|---|"]
    for name, values in results.items():
        rows.append(f"| {name} | {statistics.median(values) * 1000:.0f} ms | "
                    f"{max(values) * 1000:.0f} ms |")
    worst = max(max(values) for values in results.values())
    verdict = "met" if worst < TARGET_SECONDS else "NOT met"
    body = "\n".join([
        "## Sandbox: service descriptions with 500 services",
        "",
        f"One admin-API call per step to an in-process sandbox, the description downloaded from a "
        f"loopback HTTP server; {args.runs} runs. Target: every step under "
        f"{TARGET_SECONDS:.0f} s — {verdict}.",
        "",
        *rows,
    ])
    print(body)
    write_section("service-descriptions", body)


if __name__ == "__main__":
    main()
