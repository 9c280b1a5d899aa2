"""Instructions per call of the SDK's own work: a figure that does not move with the machine.

CPU time per request on this shared machine moves by up to a third between rounds (see the
overhead section), which hides changes of a few per cent. Counting the instructions the CPU
executes does not: ``valgrind --tool=cachegrind`` counts them exactly, run to run. Each
contender runs in-process against a stub transport that answers at once with the captured
answers (no socket, no aiohttp: only the SDK's own work and the JSON parse are counted), once
with ``N`` calls and once with ``3N``; the difference over ``2N`` is the cost of one call,
start-up and imports excluded.

Contenders: ``orjson.loads`` of the captured launch answer alone (every client pays it);
``client.request("POST", ...)``; ``client.post(..., cast_to=Workflow)`` (the pipeline plus
decoding the full workflow); ``templates.run`` with ``validate=False``; ``templates.run`` with
its defaults (the kickoff checked against the cached template).

Usage: ``python -m benchmarks.instructions [--calls 1000] [--write]`` (needs ``valgrind``;
about 40 s per contender).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks._report import machine, write_section

DATA = Path(__file__).with_name("data")
CONTENDERS = {
    "orjson.loads": "`orjson.loads` of the launch answer (every client pays it)",
    "request": '`client.request("POST", ...)`',
    "post": "`client.post(..., cast_to=Workflow)`",
    "run-unchecked": "`client.templates.run(..., validate=False)`",
    "run": "`client.templates.run(...)` (defaults, validate on)",
}


def _child(which: str, calls: int) -> None:
    import orjson

    from pneumatic_async import Pneumatic
    from pneumatic_async._http.aiohttp import AiohttpTransport
    from pneumatic_async.models import Workflow

    body: dict[str, Any] = json.loads((DATA / "launch_request.json").read_text())
    template = (DATA / "template.json").read_bytes()
    answer = (DATA / "launch_response.json").read_bytes()
    headers = {"content-type": "application/json"}

    class Stub(AiohttpTransport):
        async def exchange(self, method: str, url: str, **_: Any) -> tuple[int, Any, bytes]:  # type: ignore[override]
            return 200, headers, (template if method == "GET" else answer)

    async def main() -> None:
        key = "pn-" + "x" * 30
        async with Pneumatic(api_key=key, base_url="http://127.0.0.1:1", transport=Stub()) as c:
            options = {k: v for k, v in body.items() if k != "kickoff"}
            kickoff = body["kickoff"]

            async def call() -> object:
                if which == "orjson.loads":
                    return orjson.loads(answer)
                if which == "request":
                    return await c.request("POST", "/templates/1/run", json=body)
                if which == "post":
                    return await c.post("/templates/1/run", json=body, cast_to=Workflow)
                validate = which == "run"
                return await c.templates.run(1, kickoff=kickoff, validate=validate, **options)

            for _ in range(50):  # warm-up: the template cached, the decoders generated
                await call()
            for _ in range(calls):
                await call()

    asyncio.run(main())


def _instructions(which: str, calls: int) -> int:
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        which,
        "--calls",
        str(calls),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stderr
    match = re.search(r"I\s+refs:\s+([\d,]+)", out)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--child", choices=list(CONTENDERS))
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.calls)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (apt install valgrind)")
    per_call: dict[str, float] = {}
    for which in CONTENDERS:
        low = _instructions(which, args.calls)
        high = _instructions(which, 3 * args.calls)
        per_call[which] = (high - low) / (2 * args.calls)
        print(f"{which}: {per_call[which]:,.0f} instructions per call", file=sys.stderr)
    parse = per_call["orjson.loads"]
    lines = [
        "## Instructions per call (`benchmarks/instructions.py`)",
        "",
        f"Machine: {machine()}. Counted by `valgrind --tool=cachegrind` (exact, unlike CPU time "
        f"on this shared machine), in-process against a stub transport that answers at once with "
        f"the captured answers: only the SDK's own work and the JSON parse, no socket and no "
        f"aiohttp. Per call: the difference between {args.calls:,} and {3 * args.calls:,} calls "
        f"after a warm-up, over {2 * args.calls:,}.",
        "",
        "| contender | instructions per call | beyond the JSON parse |",
        "|---|---:|---:|",
    ]
    for which, label in CONTENDERS.items():
        beyond = "" if which == "orjson.loads" else f"{per_call[which] - parse:,.0f}"
        lines.append(f"| {label} | {per_call[which]:,.0f} | {beyond} |")
    lines += [
        "",
        f"Command: `python -m benchmarks.instructions --calls {args.calls} --write` "
        f"(needs valgrind; re-runs agree within about 1.5%).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("instructions", text)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
