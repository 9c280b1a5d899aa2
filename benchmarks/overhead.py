"""Client CPU per request: the SDK vs the same transport used raw.

A minimal asyncio HTTP server in another process answers every request with the real server's
captured launch response (``80_templates_run_ok``), so the client is what is measured. The
contenders run interleaved (A B C D, A B C D, ...) in one process; each round sends ``--requests``
POSTs at concurrency ``--concurrency``; the table reports medians of the rounds: client CPU time
(``time.process_time``) per request and requests per second.

Contenders:
- ``raw-aiohttp-transport``: ``httpx.AsyncClient`` over the SDK's aiohttp transport + ``json``;
- ``sdk-request``: ``client.request(...)`` (auth, limiter, retry policy, error mapping, JSON);
- ``sdk-typed``: ``client.templates.run(..., validate=False)`` (plus decoding into ``Workflow``);
- ``raw-httpx-default``: ``httpx.AsyncClient`` with httpx's own transport (for reference).

Usage: ``python -m benchmarks.overhead [--rounds 5] [--requests 2000] [--concurrency 20] [--write]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from benchmarks._report import free_port, machine, median, process, write_section
from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async._http.aiohttp import AiohttpTransport

CAPTURE = (
    Path(__file__).resolve().parents[1]
    / "tests/data/real-server/responses/80_templates_run_ok.json"
)
KEY = "pn-BENCHMARKbenchmarkBENCHMARK0001"
BODY = {"name": "bench", "kickoff": {"requester-name": "Jane"}}


async def _drive(send: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> None:
    limiter = anyio.Semaphore(concurrency)

    async def one() -> None:
        async with limiter:
            await send()

    async with anyio.create_task_group() as tg:
        for _ in range(requests):
            tg.start_soon(one)


async def _measure(make: Callable[[str], object], base: str, n: int, c: int) -> tuple[float, float]:
    async with make(base) as thing:  # type: ignore[attr-defined]
        send = thing.bench_send  # type: ignore[attr-defined]
        await _drive(send, 50, c)  # warm-up: connections, imports
        gc.collect()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await _drive(send, n, c)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu / n * 1e6, n / wall


class _Raw:
    def __init__(self, base: str, transport: httpx.AsyncBaseTransport | None) -> None:
        self.client = httpx.AsyncClient(base_url=base, transport=transport, timeout=30)
        self.headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}

    async def __aenter__(self) -> _Raw:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def bench_send(self) -> object:
        response = await self.client.post("/templates/1/run", json=BODY, headers=self.headers)
        response.raise_for_status()
        return json.loads(response.content)


class _Sdk:
    def __init__(self, base: str, typed: bool) -> None:
        self.client = Pneumatic(api_key=KEY, base_url=base, max_concurrency=1000)
        self.typed = typed

    async def __aenter__(self) -> _Sdk:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def bench_send(self) -> object:
        if self.typed:
            return await self.client.templates.run(
                1, kickoff=BODY["kickoff"], name="bench", validate=False
            )
        return await self.client.request("POST", "/templates/1/run", json=BODY)


CONTENDERS: dict[str, Callable[[str], object]] = {
    "raw-aiohttp-transport": lambda base: _Raw(base, AiohttpTransport()),
    "sdk-request": lambda base: _Sdk(base, typed=False),
    "sdk-typed": lambda base: _Sdk(base, typed=True),
    "raw-httpx-default": lambda base: _Raw(base, None),
}


async def run(
    rounds: int, requests: int, concurrency: int, base: str
) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in CONTENDERS}
    for _ in range(rounds):
        for name, make in CONTENDERS.items():  # interleaved: A B C D, A B C D, ...
            results[name].append(await _measure(make, base, requests, concurrency))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    body = json.loads(CAPTURE.read_text())["response"]["body"]
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
        f.write(json.dumps(body).encode())
    port = free_port()
    with process(str(Path(__file__).with_name("_minimal_server.py")), str(port), f.name):
        results = asyncio.run(
            run(args.rounds, args.requests, args.concurrency, f"http://127.0.0.1:{port}")
        )

    base_cpu = median([cpu for cpu, _ in results["raw-aiohttp-transport"]])
    lines = [
        "## Client overhead (`benchmarks/overhead.py`)",
        "",
        f"Machine: {machine()}. Minimal asyncio server in another process answering the captured "
        f"launch response ({len(json.dumps(body))} bytes). {args.rounds} interleaved rounds of "
        f"{args.requests} POSTs at concurrency {args.concurrency}; medians.",
        "",
        "| contender | client CPU per request (µs) | requests/s | CPU vs raw aiohttp transport |",
        "|---|---|---|---|",
    ]
    for name, values in results.items():
        cpu = median([c for c, _ in values])
        rate = median([r for _, r in values])
        lines.append(f"| {name} | {cpu:,.0f} | {rate:,.0f} | {cpu / base_cpu:.2f}x |")
    lines += [
        "",
        f"Command: `python -m benchmarks.overhead --rounds {args.rounds} --requests "
        f"{args.requests} --concurrency {args.concurrency} --write`",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("overhead", report)


if __name__ == "__main__":
    main()
