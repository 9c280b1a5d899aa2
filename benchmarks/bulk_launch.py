"""Launches per second against the fake Pneumatic server over a real socket.

The fake server runs in another process (uvicorn, one worker) with 0 ms or 20 ms of latency
injected into every launch. Contenders, interleaved round by round (A B C D E, A B C D E, ...):

- ``docs-way``: the public docs' way, a sequential ``requests`` loop (one ``Session``);
- ``raw-httpx``: ``httpx.AsyncClient`` (httpx's own pool) with 20 concurrent launches;
- ``raw-aiohttp``: ``aiohttp.ClientSession`` with 20 concurrent launches;
- ``sdk-request``: ``client.request("POST", ...)`` with 20 concurrent launches (no bulk features);
- ``sdk-run-many``: ``client.templates.run_many(..., concurrency=20)``, the bulk API (kickoff
  validation, launch tokens, exactly-once bookkeeping, results in input order).

Reported: median launches/s over the rounds, the client process's CPU time per launch, and
ratios from the same run.

Usage: ``python -m benchmarks.bulk_launch [--rounds 3] [--launches 1000] [--write]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import requests

from benchmarks._report import free_port, machine, median, write_section
from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx

CONCURRENCY = 20


def kickoff(i: int) -> dict[str, Any]:
    return {"client": f"Client {i}", "notes": "benchmark", "tier": "Gold"}


def docs_way(base: str, key: str, template_id: int, n: int) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with requests.Session() as session:
        for i in range(n):
            body = json.dumps({"name": f"Launch {i}", "kickoff": kickoff(i)})
            r = session.post(f"{base}/templates/{template_id}/run", data=body, headers=headers)
            r.raise_for_status()
            r.json()


async def _gather(n: int, one: Callable[[int], Any]) -> None:
    limiter = anyio.Semaphore(CONCURRENCY)

    async def guarded(i: int) -> None:
        async with limiter:
            await one(i)

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(guarded, i)


async def raw_httpx(base: str, key: str, template_id: int, n: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def one(i: int) -> None:
            r = await client.post(
                f"/templates/{template_id}/run", json={"name": f"Launch {i}", "kickoff": kickoff(i)}
            )
            r.raise_for_status()
            r.json()

        await _gather(n, one)


async def raw_aiohttp(base: str, key: str, template_id: int, n: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(base, headers=headers) as session:

        async def one(i: int) -> None:
            body = {"name": f"Launch {i}", "kickoff": kickoff(i)}
            async with session.post(f"/templates/{template_id}/run", json=body) as r:
                r.raise_for_status()
                await r.json()

        await _gather(n, one)


async def sdk_request(base: str, key: str, template_id: int, n: int) -> None:
    async with Pneumatic(api_key=key, base_url=base) as client:

        async def one(i: int) -> None:
            body = {"name": f"Launch {i}", "kickoff": kickoff(i)}
            await client.request("POST", f"/templates/{template_id}/run", json=body)

        await _gather(n, one)


async def sdk_run_many(base: str, key: str, template_id: int, n: int) -> None:
    async with Pneumatic(api_key=key, base_url=base) as client:
        results = await client.templates.run_many(
            template_id, [kickoff(i) for i in range(n)], concurrency=CONCURRENCY
        )
        failed = [r for r in results if r.error is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} launches failed: {failed[0].error}")


CONTENDERS: dict[str, Callable[..., Any]] = {
    "docs-way": docs_way,
    "raw-httpx": raw_httpx,
    "raw-aiohttp": raw_aiohttp,
    "sdk-request": sdk_request,
    "sdk-run-many": sdk_run_many,
}


def measure(name: str, base: str, key: str, template_id: int, n: int) -> tuple[float, float]:
    func = CONTENDERS[name]
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if asyncio.iscoroutinefunction(func):
        asyncio.run(func(base, key, template_id, n))
    else:
        func(base, key, template_id, n)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return n / wall, cpu / n * 1000


def run_latency(
    latency_ms: float, rounds: int, launches: int
) -> dict[str, list[tuple[float, float]]]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("_fake_server.py")),
            str(port),
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        _, template_id, key = server.stdout.readline().split()
        base = f"http://127.0.0.1:{port}"
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in CONTENDERS}
        # the sequential loop at 20 ms would take minutes for the full count: fewer launches
        sequential_n = launches if latency_ms == 0 else max(50, launches // 5)
        for name in CONTENDERS:  # warm-up round (imports, connections), not recorded
            measure(name, base, key, int(template_id), 20)
        for _ in range(rounds):
            for name in CONTENDERS:
                n = sequential_n if name == "docs-way" else launches
                results[name].append(measure(name, base, key, int(template_id), n))
        return results
    finally:
        server.terminate()
        server.wait(timeout=10)


def table(latency_ms: float, results: dict[str, list[tuple[float, float]]]) -> list[str]:
    rate = {name: median([r for r, _ in values]) for name, values in results.items()}
    cpu = {name: median([c for _, c in values]) for name, values in results.items()}
    lines = [
        f"### {latency_ms:g} ms injected server latency",
        "",
        "| contender | launches/s | client CPU per launch (ms) | vs docs' way | vs raw httpx |",
        "|---|---|---|---|---|",
    ]
    for name in results:
        vs_docs = rate[name] / rate["docs-way"]
        vs_httpx = rate[name] / rate["raw-httpx"]
        lines.append(
            f"| {name} | {rate[name]:,.0f} | {cpu[name]:.2f} | {vs_docs:.1f}x | {vs_httpx:.1f}x |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--launches", type=int, default=1000)
    parser.add_argument("--latencies", default="0,20", help="comma-separated ms values")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    lines = [
        "## Bulk launches (`benchmarks/bulk_launch.py`)",
        "",
        f"Machine: {machine()}. Fake Pneumatic server over a real socket (uvicorn, one worker, "
        f"another process on the same 2 cores). Concurrency {CONCURRENCY}; {args.rounds} "
        f"interleaved rounds of {args.launches} launches (the sequential docs' way does a fifth "
        "of that at 20 ms); medians.",
        "",
    ]
    for latency in (float(x) for x in args.latencies.split(",")):
        lines += [*table(latency, run_latency(latency, args.rounds, args.launches)), ""]
    lines.append(
        f"Command: `python -m benchmarks.bulk_launch --rounds {args.rounds} --launches "
        f"{args.launches} --write`"
    )
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("bulk_launch", report)


if __name__ == "__main__":
    main()
