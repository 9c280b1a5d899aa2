"""Decoding a page of 1,000 items: the SDK's converter vs pydantic v2 and msgspec, GC off and on.

Inputs are the real server's captured bodies (``benchmarks/data``): ``GET /templates/1``
(``template.json``, capture 74, a ``Template``) and ``GET /workflows/1`` once completed
(``workflow.json``, capture 118, a ``Workflow``), repeated ``--items`` times in one JSON
array with distinct ids. Every contender starts from the same bytes and ends with immutable typed
objects of the same shape (the pydantic and msgspec classes are generated from the SDK's attrs
classes, ``benchmarks/_contenders.py``):

- ``sdk``: ``orjson.loads`` then ``structure(..., list[Model], consume=True)``, as the client
  decodes a body it owns (each raw item is released as soon as it is decoded);
- ``sdk-keep``: the same without ``consume`` (the raw dicts stay alive until the end);
- ``cattrs-detailed``: ``orjson.loads`` then cattrs' detailed-validation hooks alone (the SDK's
  previous path, and its error path today);
- ``pydantic``: ``TypeAdapter(list[Model]).validate_json`` (frozen models, extra keys ignored);
- ``msgspec``: ``msgspec.json.Decoder(list[Model], strict=False).decode`` (frozen Structs);
- ``orjson-dicts``: ``orjson.loads`` alone (no types at all).

The contenders run interleaved (A B C ..., B C ... A, ``--rounds`` times, the order rotated each
round since a decoder's time depends on the heap the previous one left) in one process, once with
the garbage collector disabled and once enabled (its default thresholds); between runs the
previous result is dropped and ``gc.collect()`` runs outside the timing. Figures are medians of the
rounds' CPU times (``time.process_time``: the machine is shared, and CPU time is what other
processes disturb least); the ratio column is against pydantic in the same table.

Usage: ``python -m benchmarks.decode [--rounds 15] [--items 1000] [--write]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson
import pydantic

from benchmarks._contenders import msgspec_struct, pydantic_model
from benchmarks._report import machine, median, write_section
from pneumatic_async._converter import converter, structure
from pneumatic_async.models import Template, Workflow

DATA = Path(__file__).with_name("data")
SHAPES: dict[str, tuple[str, type]] = {
    "templates": ("template.json", Template),
    "workflows": ("workflow.json", Workflow),
}


def page_bytes(file: str, items: int) -> bytes:
    """``items`` copies of a captured body as one JSON array, each with its own ``id``."""
    body = json.loads((DATA / file).read_text())
    return orjson.dumps([{**body, "id": index + 1} for index in range(items)])


def contenders(cls: type, raw: bytes) -> dict[str, Callable[[], Any]]:
    """The decoders, each a no-argument call that decodes ``raw``."""
    many: Any = list[cls]  # type: ignore[valid-type]
    adapter: Any = pydantic.TypeAdapter(list[pydantic_model(cls)])  # type: ignore[misc,arg-type]
    decoder = msgspec.json.Decoder(list[msgspec_struct(cls)], strict=False)  # type: ignore[misc]
    loads = orjson.loads
    return {
        "sdk": lambda: structure(loads(raw), many, consume=True),
        "sdk-keep": lambda: structure(loads(raw), many),
        "cattrs-detailed": lambda: converter.structure(loads(raw), many),
        "pydantic": lambda: adapter.validate_json(raw),
        "msgspec": lambda: decoder.decode(raw),
        "orjson-dicts": lambda: loads(raw),
    }


def check_same(cls: type, runs: dict[str, Callable[[], Any]]) -> None:
    """Every typed contender decodes the same values (by their JSON dumps)."""
    sdk = runs["sdk"]()
    assert sdk == runs["cattrs-detailed"](), "fast and detailed paths disagree"
    assert isinstance(sdk[0], cls)
    mine = orjson.dumps(converter.unstructure(sdk[:3]))
    theirs = orjson.dumps([m.model_dump(mode="json") for m in runs["pydantic"]()[:3]])
    assert len(mine) > 1000
    assert len(theirs) > 1000


def measure(runs: dict[str, Callable[[], Any]], rounds: int, gc_on: bool) -> dict[str, float]:
    """Median ms per decode of each contender, interleaved round by round.

    The order rotates each round: a contender's time depends on the heap the one before it left
    (measured: the same decoder 15% faster right after pydantic than after another SDK
    contender), so no contender always follows the same one.
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    was_enabled = gc.isenabled()
    try:
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                run = runs[name]
                gc.collect()
                if gc_on:
                    gc.enable()
                else:
                    gc.disable()
                start = time.process_time()
                result = run()
                elapsed = time.process_time() - start
                gc.disable()
                del result
                times[name].append(elapsed * 1000)
    finally:
        if was_enabled:
            gc.enable()
    return {name: median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]

    tables: list[str] = []
    for shape, (file, cls) in SHAPES.items():
        raw = page_bytes(file, args.items)
        runs = contenders(cls, raw)
        check_same(cls, runs)
        for run in runs.values():  # warm-up: generated hooks, caches
            run()
        off = measure(runs, args.rounds, gc_on=False)
        on = measure(runs, args.rounds, gc_on=True)
        lines = [
            f"### {args.items:,} {shape} ({cls.__name__}, {len(raw) / 1e6:.1f} MB of JSON)",
            "",
            "| contender | GC off (ms) | vs pydantic | GC on (ms) | vs pydantic |",
            "|---|---|---|---|---|",
        ]
        for name in runs:
            lines.append(
                f"| {name} | {off[name]:.1f} | {off[name] / off['pydantic']:.2f}x "
                f"| {on[name]:.1f} | {on[name] / on['pydantic']:.2f}x |"
            )
        table = "\n".join(lines)
        print(table + "\n", flush=True)
        tables.append(table)

    if args.write:
        intro = (
            "## Decoding (`benchmarks/decode.py`)\n\n"
            f"Machine: {machine()}, load average {load:.1f} when the run started. "
            f"One JSON array of {args.items:,} captured bodies "
            "(distinct ids) decoded into immutable typed objects; contenders interleaved "
            "(order rotated each round), "
            f"{args.rounds} rounds per GC setting, medians of CPU time. `sdk` is what the "
            "client does with a body it owns; see the module docstring for every contender."
        )
        command = (
            f"Command: `python -m benchmarks.decode --rounds {args.rounds} "
            f"--items {args.items} --write`"
        )
        write_section("decode", "\n\n".join([intro, *tables, command]))


if __name__ == "__main__":
    main()
