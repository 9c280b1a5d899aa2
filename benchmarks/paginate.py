"""Listing 200,000 workflows page by page: the SDK's paginator vs raw aiohttp + orjson dicts.

A minimal asyncio list server (``benchmarks/_page_server.py``) runs in another process, pinned
to another core with ``taskset`` when there is one (the client pins itself to the first core),
and answers ``GET /workflows?limit=1000&offset=...`` with pages of the captured ``GET /workflows``
item (``benchmarks/data/workflows_page.json``, capture 136). Contenders, each reading every
item of the list:

- ``raw-aiohttp``: one ``aiohttp.ClientSession``, a loop over offsets, ``orjson.loads`` of each
  page and a dict per item (no types, no checks, no retries): the floor;
- ``sdk``: ``async for workflow in client.workflows.list(page_size=1000)`` with a default
  ``Pneumatic`` client (its aiohttp transport, retries, typed errors), yielding
  ``WorkflowListItem`` objects.

They run interleaved (A B, A B, ...) for ``--rounds`` rounds, with the garbage collector on (as
users run) and off. Figures are medians of the rounds: client CPU time (``time.process_time``)
per item and the growth of the process's resident memory while iterating (sampled every 10,000
items), which stays flat when pages are fetched one at a time and dropped (the paginator decodes
each item when it is yielded).

Usage: ``python -m benchmarks.paginate [--rounds 3] [--items 200000] [--write]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import aiohttp
import orjson

from benchmarks._report import free_port, machine, median, write_section
from pneumatic_async import Pneumatic

KEY = "pn-BENCHMARKbenchmarkBENCHMARK0001"
PAGE = 1000
SAMPLE_EVERY = 10_000


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class _Meter:
    """Counts items; samples resident memory every ``SAMPLE_EVERY`` items."""

    def __init__(self) -> None:
        self.count = 0
        self.base = _rss_mb()
        self.peak = self.base

    def tick(self) -> None:
        self.count += 1
        if self.count % SAMPLE_EVERY == 0:
            self.peak = max(self.peak, _rss_mb())


async def raw_aiohttp(base: str, meter: _Meter) -> None:
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    async with aiohttp.ClientSession() as session:
        offset = 0
        while True:
            params = {"limit": PAGE, "offset": offset}
            async with session.get(f"{base}/workflows", params=params, headers=headers) as resp:
                resp.raise_for_status()
                body = orjson.loads(await resp.read())
            for item in body["results"]:
                item["id"]  # touch the item like a consumer would
                meter.tick()
            if body["next"] is None:
                return
            offset += len(body["results"])


async def sdk(base: str, meter: _Meter) -> None:
    async with Pneumatic(api_key=KEY, base_url=base) as client:
        async for workflow in client.workflows.list(page_size=PAGE):
            workflow.id  # noqa: B018
            meter.tick()


CONTENDERS: dict[str, Callable[[str, _Meter], Awaitable[None]]] = {
    "raw-aiohttp": raw_aiohttp,
    "sdk": sdk,
}


def run_once(name: str, base: str, items: int, gc_on: bool) -> tuple[float, float]:
    """One full listing: (client CPU µs per item, resident memory growth in MB)."""
    gc.collect()
    if gc_on:
        gc.enable()
    else:
        gc.disable()
    meter = _Meter()
    start = time.process_time()
    try:
        asyncio.run(CONTENDERS[name](base, meter))
    finally:
        gc.enable()
    cpu = time.process_time() - start
    assert meter.count == items, (name, meter.count)
    return cpu / items * 1e6, meter.peak - meter.base


@contextmanager
def page_server(port: int, items: int) -> Iterator[None]:
    """The list server in its own process, on the second core when ``taskset`` exists."""
    command = [sys.executable, "-m", "benchmarks._page_server", str(port), str(items)]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "1", *command]
        os.sched_setaffinity(0, {0})
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while "ready" not in proc.stdout.readline():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the page server did not start")
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    with page_server(port, args.items):
        for name in CONTENDERS:  # warm-up: imports, generated decoders, server caches
            run_once(name, base, args.items, gc_on=True)
        for gc_on in (True, False):
            for _ in range(args.rounds):
                for name in CONTENDERS:
                    results.setdefault((name, gc_on), []).append(
                        run_once(name, base, args.items, gc_on)
                    )

    lines = [
        "| contender | GC | client CPU per item (µs) | vs raw aiohttp | memory growth (MB) |",
        "|---|---|---|---|---|",
    ]
    for gc_on in (True, False):
        floor = median([cpu for cpu, _ in results[("raw-aiohttp", gc_on)]])
        for name in CONTENDERS:
            runs = results[(name, gc_on)]
            cpu = median([c for c, _ in runs])
            memory = median([m for _, m in runs])
            lines.append(
                f"| {name} | {'on' if gc_on else 'off'} | {cpu:.1f} | {cpu / floor:.2f}x "
                f"| {memory:.1f} |"
            )
    table = "\n".join(lines)
    print(table, flush=True)
    if args.write:
        pinned = "server pinned to core 1, client to core 0" if shutil.which("taskset") else ""
        intro = (
            "## Pagination (`benchmarks/paginate.py`)\n\n"
            f"Machine: {machine()}, load average {load:.1f} when the run started. "
            f"{args.items:,} workflows in pages of {PAGE} from a minimal "
            f"list server in another process ({pinned}); contenders interleaved, "
            f"{args.rounds} rounds per GC setting, medians."
        )
        command = (
            f"Command: `python -m benchmarks.paginate --rounds {args.rounds} "
            f"--items {args.items} --write`"
        )
        write_section("paginate", "\n\n".join([intro, table, command]))


if __name__ == "__main__":
    main()
