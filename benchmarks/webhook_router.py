"""Webhook deliveries per second through ``WebhookRouter`` (in-process, no socket).

Each delivery is a distinct ``task_completed`` body (a real captured delivery with its completion
time shifted), posted through httpx's ASGI transport to an app whose inline handler does
nothing: what is measured is the router (token check, bounded body read, ``parse_event``,
delivery key, the store's claim and done). Contenders, interleaved round by round:

* ``parse-only``: ``parse_event`` + ``delivery_key`` on the same bodies, no HTTP (the floor);
* ``memory-store``: the default ``MemoryDeliveryStore``;
* ``sqlite-store``: ``SQLiteDeliveryStore`` as shipped (WAL, ``synchronous=NORMAL``);
* ``sqlite-sync-full``: the same file with SQLite's default ``synchronous=FULL`` (an fsync per
  commit), to show why the store does not use it.

Usage: ``python -m benchmarks.webhook_router [--rounds 3] [--deliveries 500] [--write]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from benchmarks._report import machine, median, write_section
from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async.events import TaskCompletedEvent, parse_event
from pneumatic_async.fastapi import (
    DeliveryStore,
    MemoryDeliveryStore,
    SQLiteDeliveryStore,
    WebhookRouter,
    delivery_key,
    pneumatic_lifespan,
)

SAMPLE = Path(__file__).parents[1] / "tests" / "fastapi" / "data" / "real_task_completed.json"
SECRET = "bench-secret"


def bodies(count: int, offset: float) -> list[bytes]:
    payload = json.loads(SAMPLE.read_text())
    out = []
    for n in range(count):
        payload["task"]["date_completed_tsp"] = offset + n
        out.append(json.dumps(payload).encode())
    return out


async def through_router(store: DeliveryStore, deliveries: list[bytes]) -> float:
    hooks = WebhookRouter(secret=SECRET, store=store)

    @hooks.on(TaskCompletedEvent)
    async def handle(event: TaskCompletedEvent, client: Pneumatic) -> None:
        return None

    def client() -> Pneumatic:
        return Pneumatic(api_key="pn-benchmarkbenchmark", base_url="http://127.0.0.1:9")

    app = FastAPI(lifespan=pneumatic_lifespan(client=client))
    app.include_router(hooks)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://app") as http,
    ):
        start = time.perf_counter()
        for body in deliveries:
            response = await http.post(f"/hooks/pneumatic?token={SECRET}", content=body)
            assert response.json()["status"] == "handled", response.text
        return len(deliveries) / (time.perf_counter() - start)


async def parse_only(deliveries: list[bytes]) -> float:
    start = time.perf_counter()
    for body in deliveries:
        parse_event(body)
        delivery_key(json.loads(body))
    return len(deliveries) / (time.perf_counter() - start)


async def run(rounds: int, count: int, folder: Path) -> dict[str, list[float]]:
    def sqlite(full: bool) -> Callable[[list[bytes]], Awaitable[float]]:
        async def contender(deliveries: list[bytes]) -> float:
            with SQLiteDeliveryStore(folder / f"{'full' if full else 'normal'}.db") as store:
                if full:
                    store._db.execute("PRAGMA synchronous=FULL")
                return await through_router(store, deliveries)

        return contender

    async def memory(deliveries: list[bytes]) -> float:
        return await through_router(MemoryDeliveryStore(), deliveries)

    contenders: dict[str, Callable[[list[bytes]], Awaitable[Any]]] = {
        "parse-only": parse_only,
        "memory-store": memory,
        "sqlite-store": sqlite(full=False),
        "sqlite-sync-full": sqlite(full=True),
    }
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(rounds):
        for index, (name, contender) in enumerate(contenders.items()):
            deliveries = bodies(count, offset=1e9 + (round_ * 10 + index) * count)
            results[name].append(await contender(deliveries))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = asyncio.run(run(args.rounds, args.deliveries, Path(folder)))
    size = len(bodies(1, 0.0)[0])
    lines = [
        "## Webhook router (`benchmarks/webhook_router.py`)",
        "",
        f"Machine: {machine()}. {args.rounds} interleaved rounds of {args.deliveries} distinct "
        f"task_completed deliveries ({size} bytes) posted one after another through httpx's "
        "ASGI transport to a no-op inline handler; medians. The SQLite files are on the "
        "machine's temporary directory.",
        "",
        "| contender | deliveries/s |",
        "|---|---|",
    ]
    for name, values in results.items():
        lines.append(f"| {name} | {median(values):,.0f} |")
    lines += [
        "",
        f"Command: `python -m benchmarks.webhook_router --rounds {args.rounds} --deliveries "
        f"{args.deliveries} --write`",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        write_section("webhook_router", report)


if __name__ == "__main__":
    main()
