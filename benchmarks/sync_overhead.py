"""Client CPU per request: the synchronous client vs the async client it drives.

The minimal keep-alive server of ``overhead.py`` (``_minimal_server.py``) runs in its own process
pinned to core 1 and replays the real server's captured answers (``benchmarks/data/``): the
template for ``GET /templates/<id>``, the launch response for ``POST /templates/<id>/run``. This
process, the client, is pinned to core 0, and ``time.process_time`` counts every thread of it (the
caller's and the sync client's loop thread). Both clients use their defaults (asyncio, the aiohttp
transport when installed, ``validate=True``: the template is fetched once per client and cached).

Contenders, interleaved round by round (A B C D ..., A B C D ...), each round ``--requests`` calls:

- ``async-typed``: ``await client.templates.run(1, kickoff=..., name=..., is_urgent=...)`` one
  after another in one task (a script's or a view's shape: one call at a time); ``sync-typed``:
  the same through ``pneumatic_async.sync.Pneumatic`` from one thread;
- ``async-request`` / ``sync-request``: ``client.request("POST", "/templates/1/run", json=...)``;
- ``async-typed-c8``: 8 tasks at once; ``sync-typed-8threads``: 8 threads sharing one sync client.

Usage: ``python -m benchmarks.sync_overhead [--rounds 7] [--requests 1500] [--write]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from benchmarks._report import free_port, machine, median, process, write_section
from pneumatic_async import Pneumatic as AsyncPneumatic
from pneumatic_async.sync import Pneumatic as SyncPneumatic

DATA = Path(__file__).with_name("data")
KEY = "pn-BENCHMARKbenchmarkBENCHMARK0001"
#: The captured launch request: name, is_urgent and a kickoff valid for the captured template.
BODY: dict[str, Any] = json.loads((DATA / "launch_request.json").read_text())
OPTIONS = {key: value for key, value in BODY.items() if key != "kickoff"}
CLIENT_CPU, SERVER_CPU = 0, 1
WARM_UP = 50

Result = tuple[float, float]  # (client CPU µs per request, requests per second)


def _async_round(base: str, n: int, concurrency: int, typed: bool) -> Result:
    async def run() -> Result:
        async with AsyncPneumatic(api_key=KEY, base_url=base) as client:

            async def one() -> Any:
                if typed:
                    return await client.templates.run(1, kickoff=BODY["kickoff"], **OPTIONS)
                return await client.request("POST", "/templates/1/run", json=BODY)

            async def worker(count: int) -> None:
                for _ in range(count):
                    await one()

            await worker(WARM_UP)
            gc.collect()
            cpu, wall = time.process_time(), time.perf_counter()
            async with anyio.create_task_group() as tg:
                for share in _shares(n, concurrency):
                    tg.start_soon(worker, share)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return cpu / n * 1e6, n / wall

    return asyncio.run(run())


def _sync_round(base: str, n: int, threads: int, typed: bool) -> Result:
    with SyncPneumatic(api_key=KEY, base_url=base) as client:

        def one() -> Any:
            if typed:
                return client.templates.run(1, kickoff=BODY["kickoff"], **OPTIONS)
            return client.request("POST", "/templates/1/run", json=BODY)

        def worker(count: int) -> None:
            for _ in range(count):
                one()

        worker(WARM_UP)
        gc.collect()
        cpu, wall = time.process_time(), time.perf_counter()
        if threads == 1:
            worker(n)
        else:
            pool = [threading.Thread(target=worker, args=(s,)) for s in _shares(n, threads)]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / n * 1e6, n / wall


def _pin(cpu: int) -> str:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > max(CLIENT_CPU, SERVER_CPU):
        os.sched_setaffinity(0, {cpu})
        return f"pinned to core {cpu}"
    return "not pinned"


def _shares(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


CONTENDERS: dict[str, Callable[[str, int], Result]] = {
    "async-typed": lambda base, n: _async_round(base, n, 1, typed=True),
    "sync-typed": lambda base, n: _sync_round(base, n, 1, typed=True),
    "async-request": lambda base, n: _async_round(base, n, 1, typed=False),
    "sync-request": lambda base, n: _sync_round(base, n, 1, typed=False),
    "async-typed-c8": lambda base, n: _async_round(base, n, 8, typed=True),
    "sync-typed-8threads": lambda base, n: _sync_round(base, n, 8, typed=True),
}
#: Each sync contender and the async one it is compared with.
PAIRS = {
    "sync-typed": "async-typed",
    "sync-request": "async-request",
    "sync-typed-8threads": "async-typed-c8",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()

    port = free_port()
    results: dict[str, list[Result]] = {name: [] for name in CONTENDERS}
    server = Path(__file__).with_name("_minimal_server.py")
    load_before = os.getloadavg()
    with process(str(server), str(port), str(DATA), str(SERVER_CPU)):
        pinned = _pin(CLIENT_CPU)
        base = f"http://127.0.0.1:{port}"
        for _ in range(args.rounds):
            for name, run in CONTENDERS.items():
                results[name].append(run(base, args.requests))
    load_after = os.getloadavg()

    lines = [
        "## Synchronous client (`benchmarks/sync_overhead.py`)",
        "",
        f"Machine: {machine()}, shared with other work while it ran (load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after). Minimal keep-alive server "
        f"replaying the captured answers, pinned to core {SERVER_CPU}; client {pinned}. "
        f"{args.rounds} interleaved rounds of {args.requests} calls per contender; medians. "
        "Client CPU counts every thread of the client process (the sync client's loop thread "
        "included). Typed calls use the defaults (`validate=True`, template cached).",
        "",
        "| contender | client CPU per request (µs) | requests/s | CPU vs its async twin "
        "(median of per-round ratios) |",
        "|---|---|---|---|",
    ]
    for name, values in results.items():
        cpu = median([c for c, _ in values])
        rate = median([r for _, r in values])
        twin = PAIRS.get(name)
        ratio = ""
        if twin is not None:
            per_round = [s[0] / a[0] for s, a in zip(values, results[twin], strict=True)]
            ratio = f"{median(per_round):.2f}x ({min(per_round):.2f}-{max(per_round):.2f})"
        lines.append(f"| {name} | {cpu:,.0f} | {rate:,.0f} | {ratio} |")
    lines += [
        "",
        "CPU is the figure compared. requests/s is wall-clock on a shared, loaded machine: it "
        "varies several times from round to round and between rows, so it is not compared.",
        "",
        f"Command: `python -m benchmarks.sync_overhead --rounds {args.rounds} --requests "
        f"{args.requests} --write`",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("sync_overhead", report)


if __name__ == "__main__":
    main()
