"""Client CPU per request: the SDK against raw HTTP clients and a hand-written floor.

One run, everything interleaved. A minimal keep-alive HTTP/1.1 server (``_minimal_server.py``,
raw asyncio protocol) runs in its own process pinned to core 1 and replays the real server's
captured answers (``benchmarks/data/``): ``POST /templates/<id>/run`` gets the captured launch
response (200), ``GET /templates/<id>`` the captured template (so the SDK's typed
``templates.run`` can fetch and cache it). This process, the client, is pinned to core 0. For
each round, each concurrency level and each contender (in a rotating order), a fresh event loop
and client send ``--requests`` launches after a warm-up; the figures are medians over rounds.

The primary figure is client CPU time per request (``time.process_time()`` of this process,
which excludes the server); ratios are against raw aiohttp from the same run: the ratio of the
medians, and the paired ratio (the median of each round's ratio, both measured seconds apart,
which cancels the machine's drift between rounds). Every contender
sends the captured launch body and decodes the JSON answer.

Usage: ``python -m benchmarks.overhead [--rounds 15] [--requests 2000] [--concurrency 1,20,100]
[--write]`` (``--write`` replaces the overhead section of ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import httpx_aiohttp
import orjson
import requests

from benchmarks._report import free_port, machine, median, process, write_section
from pneumatic_async import Pneumatic

DATA = Path(__file__).with_name("data")
KEY = "pn-BENCHMARKbenchmarkBENCHMARK0001"
TEMPLATE_ID = 1
PATH = f"/templates/{TEMPLATE_ID}/run"
#: The captured launch request: name, is_urgent and a kickoff valid for the captured template.
BODY: dict[str, Any] = json.loads((DATA / "launch_request.json").read_text())
HEADERS = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
JSON_HEADERS = {**HEADERS, "Content-Type": "application/json"}
CLIENT_CPU, SERVER_CPU = 0, 1

Send = Callable[[], Awaitable[object]]
Opener = Callable[[str], AbstractAsyncContextManager[Send]]


# --------------------------------------------------------------------------------------------
# Contenders: each opens a client for a base URL and yields a coroutine function sending one launch


@asynccontextmanager
async def _aiohttp(base: str) -> AsyncIterator[Send]:
    async with aiohttp.ClientSession(base) as session:

        async def send() -> object:
            data = orjson.dumps(BODY)
            async with session.post(PATH, data=data, headers=JSON_HEADERS) as response:
                response.raise_for_status()
                return orjson.loads(await response.read())

        yield send


@asynccontextmanager
async def _httpx(base: str, transport: httpx.AsyncBaseTransport | None) -> AsyncIterator[Send]:
    async with httpx.AsyncClient(base_url=base, transport=transport) as client:

        async def send() -> object:
            response = await client.post(PATH, json=BODY, headers=HEADERS)
            response.raise_for_status()
            return response.json()

        yield send


@asynccontextmanager
async def _sdk_typed(base: str) -> AsyncIterator[Send]:
    async with Pneumatic(api_key=KEY, base_url=base) as client:
        options = {k: v for k, v in BODY.items() if k != "kickoff"}

        async def send() -> object:
            return await client.templates.run(TEMPLATE_ID, kickoff=BODY["kickoff"], **options)

        yield send


@asynccontextmanager
async def _sdk_request(base: str) -> AsyncIterator[Send]:
    async with Pneumatic(api_key=KEY, base_url=base) as client:

        async def send() -> object:
            return await client.request("POST", PATH, json=BODY)

        yield send


@asynccontextmanager
async def _floor(base: str) -> AsyncIterator[Send]:
    """A hand-written keep-alive HTTP/1.1 client on asyncio streams: one connection per
    concurrent sender, taken from and given back to a free list; no chunked bodies."""
    host, port = base.removeprefix("http://").split(":")
    head = f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in JSON_HEADERS.items()
    )
    free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened: list[asyncio.StreamWriter] = []

    async def send() -> object:
        if free:
            reader, writer = free.pop()
        else:
            reader, writer = await asyncio.open_connection(host, int(port))
            opened.append(writer)
        data = orjson.dumps(BODY)
        writer.write(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        status_and_headers = await reader.readuntil(b"\r\n\r\n")
        if not status_and_headers.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(status_and_headers.split(b"\r\n", 1)[0].decode())
        lower = status_and_headers.lower()
        start = lower.index(b"\r\ncontent-length:") + 17
        body = await reader.readexactly(int(lower[start : lower.index(b"\r\n", start)]))
        free.append((reader, writer))
        return orjson.loads(body)

    try:
        yield send
    finally:
        for writer in opened:
            writer.close()


@contextmanager
def _requests(base: str) -> Iterator[Callable[[], object]]:
    with requests.Session() as session:
        url = base + PATH

        def send() -> object:
            response = session.post(url, json=BODY, headers=HEADERS)
            response.raise_for_status()
            return response.json()

        yield send


#: label -> (kind, opener); kind is the event loop ("asyncio", "uvloop") or "sync".
CONTENDERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "aiohttp.ClientSession + orjson": ("asyncio", _aiohttp),
    "aiohttp + uvloop": ("uvloop", _aiohttp),
    "httpx.AsyncClient (default transport)": ("asyncio", lambda base: _httpx(base, None)),
    "httpx + httpx-aiohttp transport": (
        "asyncio",
        lambda base: _httpx(base, httpx_aiohttp.AiohttpTransport()),
    ),
    "requests.Session (sequential)": ("sync", _requests),
    "SDK `client.templates.run(...)` (defaults, validate on)": ("asyncio", _sdk_typed),
    'SDK `client.request("POST", ...)`': ("asyncio", _sdk_request),
    "hand-written keep-alive client (floor)": ("asyncio", _floor),
}
BASELINE = "aiohttp.ClientSession + orjson"
SDK_TYPED = "SDK `client.templates.run(...)` (defaults, validate on)"
SDK_REQUEST = 'SDK `client.request("POST", ...)`'


# --------------------------------------------------------------------------------------------
# Measuring


async def _drive(send: Send, requests: int, concurrency: int) -> None:
    """Send ``requests`` launches from ``concurrency`` workers sharing one counter."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await send()

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, requests)))))


def _timed(run: Callable[[], None], requests: int) -> tuple[float, float]:
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    run()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu / requests * 1e6, requests / wall


def measure(
    kind: str, opener: Callable[[str], Any], base: str, requests: int, concurrency: int
) -> tuple[float, float]:
    """``(client CPU µs per request, requests/s)`` of one contender, warm-up excluded."""
    warmup = max(20, min(200, requests // 10))
    if kind == "sync":
        with opener(base) as send:
            for _ in range(warmup):
                send()

            def run_sync() -> None:
                for _ in range(requests):
                    send()

            return _timed(run_sync, requests)

    result: tuple[float, float] = (0.0, 0.0)

    async def run_async() -> None:
        nonlocal result
        async with opener(base) as send:
            await _drive(send, warmup, concurrency)
            gc.collect()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await _drive(send, requests, concurrency)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            result = (cpu / requests * 1e6, requests / wall)

    if kind == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run_async())
    else:
        with asyncio.Runner() as runner:
            runner.run(run_async())
    return result


def run(
    rounds: int, requests: int, levels: list[int], base: str
) -> dict[int, dict[str, list[tuple[float, float]]]]:
    """Interleaved rounds: every round measures every level and every contender once, the
    contenders' order rotating from round to round."""
    names = list(CONTENDERS)
    results = {c: {name: [] for name in names} for c in levels}  # type: ignore[var-annotated]
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for c in levels:
            for name in order:
                kind, opener = CONTENDERS[name]
                cpu, rate = measure(kind, opener, base, requests, c)
                results[c][name].append((cpu, rate))
                print(
                    f"round {r + 1}/{rounds} c={c:<3} {name}: {cpu:,.0f} µs/request, "
                    f"{rate:,.0f} requests/s",
                    file=sys.stderr,
                    flush=True,
                )
    return results


# --------------------------------------------------------------------------------------------
# Report


def paired_ratios(
    values: list[tuple[float, float]], baseline: list[tuple[float, float]]
) -> list[float]:
    """Each round's CPU per request over the baseline's in the same round."""
    return [cpu / base for (cpu, _), (base, _) in zip(values, baseline, strict=True)]


def _pin(cpu: int) -> str:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > max(CLIENT_CPU, SERVER_CPU):
        os.sched_setaffinity(0, {cpu})
        return f"core {cpu}"
    return "not pinned"


def report(
    results: dict[int, dict[str, list[tuple[float, float]]]],
    args: argparse.Namespace,
    pinned: str,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> str:
    size = len(json.dumps(json.loads((DATA / "launch_response.json").read_text())).encode())
    lines = [
        "## Client overhead (`benchmarks/overhead.py`)",
        "",
        f"Machine: {machine()}. One run: a minimal keep-alive HTTP/1.1 server (raw asyncio "
        f"protocol on uvloop) in its own process pinned to core {SERVER_CPU} replays the "
        f"captured launch response (~{size:,} bytes of JSON) and the captured template; the "
        f"client process is pinned to {pinned}. {args.rounds} rounds; in each, every "
        f"concurrency level and every contender (rotating order, fresh event loop and client) "
        f"sends {args.requests:,} launches after a warm-up. Medians over rounds; the range is "
        f"the lowest and highest round. The paired ratio is the median, over rounds, of a "
        f"contender's CPU per request divided by raw aiohttp's in the same round (measured "
        f"seconds apart, so it cancels the drift of this shared machine's speed between rounds; "
        f"its range is the lowest and highest round's). Load average before/after: "
        f"{' '.join(f'{x:.1f}' for x in load[0])} / {' '.join(f'{x:.1f}' for x in load[1])} "
        "(the machine is shared, so requests/s varies more than CPU per request).",
        "",
        "Client CPU per request is `time.process_time()` of the client process (server "
        "excluded). `requests.Session` is sequential whatever the level. The SDK runs with its "
        "defaults (`max_concurrency=64`, so at 100 it queues 36 launches; the typed call "
        "validates the kickoff against the template fetched once and cached).",
    ]
    for c, per in results.items():
        base_cpu = median([cpu for cpu, _ in per[BASELINE]])
        lines += [
            "",
            f"### Concurrency {c}",
            "",
            "| contender | client CPU per request (µs) | range (µs) | vs raw aiohttp | "
            "paired ratio (range) | requests/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, values in per.items():
            cpus = [cpu for cpu, _ in values]
            cpu = median(cpus)
            rate = median([r for _, r in values])
            pairs = paired_ratios(values, per[BASELINE])
            lines.append(
                f"| {name} | {cpu:,.0f} | {min(cpus):,.0f} to {max(cpus):,.0f} | "
                f"{cpu / base_cpu:.2f}x | {median(pairs):.2f}x ({min(pairs):.2f} to "
                f"{max(pairs):.2f}) | {rate:,.0f} |"
            )
    if 20 in results:
        per = results[20]
        base_cpu = median([cpu for cpu, _ in per[BASELINE]])
        typed = median([cpu for cpu, _ in per[SDK_TYPED]]) / base_cpu
        plain = median([cpu for cpu, _ in per[SDK_REQUEST]]) / base_cpu
        typed_paired = median(paired_ratios(per[SDK_TYPED], per[BASELINE]))
        plain_paired = median(paired_ratios(per[SDK_REQUEST], per[BASELINE]))
        lines += [
            "",
            f"At concurrency 20: typed `templates.run` {typed:.2f}x raw aiohttp, paired "
            f"{typed_paired:.2f}x (target at most 1.5x); `client.request` {plain:.2f}x, paired "
            f"{plain_paired:.2f}x (target at most 1.2x).",
        ]
    levels = ",".join(str(c) for c in results)
    lines += [
        "",
        f"Command: `python -m benchmarks.overhead --rounds {args.rounds} --requests "
        f"{args.requests} --concurrency {levels} --write`",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,20,100", help="comma-separated levels")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    port = free_port()
    server = Path(__file__).with_name("_minimal_server.py")
    load_before = os.getloadavg()
    with process(str(server), str(port), str(DATA), str(SERVER_CPU)):
        pinned = _pin(CLIENT_CPU)
        results = run(args.rounds, args.requests, levels, f"http://127.0.0.1:{port}")
    text = report(results, args, pinned, (load_before, os.getloadavg()))
    print(text)
    if args.write:
        write_section("overhead", text)


if __name__ == "__main__":
    main()
