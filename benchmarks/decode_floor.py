"""How low can decoding from orjson's dicts go? The SDK's decoder against a variant with no checks.

Same inputs as ``benchmarks/decode.py`` (1,000 captured templates / workflows in one JSON array),
GC off, contenders interleaved with the order rotated each round, medians of CPU time:

- ``sdk``: ``orjson.loads`` then ``structure(..., consume=True)``, as the client decodes;
- ``no-checks``: the same generated functions (same walk, same frozen instances, nested classes
  inline) with every scalar check, enum lookup and datetime conversion removed: the least any
  decoder building these attrs instances from the dict tree can cost;
- ``loads-and-free``: ``orjson.loads`` and freeing the dict tree, nothing else;
- ``pydantic``: ``TypeAdapter(list[Model]).validate_json``.

Usage: ``python -m benchmarks.decode_floor [--rounds 15] [--write]``
"""

from __future__ import annotations

import argparse
import enum
import gc
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pydantic

from benchmarks._contenders import pydantic_model
from benchmarks._report import machine, median, write_section
from benchmarks.decode import SHAPES, page_bytes
from pneumatic_async._converter import converter, structure
from pneumatic_async._fast_structure import _MISSING, FastStructure, _enum_union, _optional_inner

_UNCHECKED = (str, int, bool, float, datetime, object)


class NoChecks(FastStructure):
    """The generated functions without any check or conversion of a scalar value."""

    def _convert(self, tp: Any, v: str, owner: str | None, stack: tuple[type, ...]) -> list[str]:
        inner = _optional_inner(tp)
        base = tp if inner is _MISSING else inner
        if base in _UNCHECKED or _enum_union(tp) is not None:
            return []
        if isinstance(base, type) and issubclass(base, enum.Enum):
            return []
        return super()._convert(tp, v, owner, stack)


def contenders(cls: type, raw: bytes) -> dict[str, Callable[[], Any]]:
    many: Any = list[cls]  # type: ignore[valid-type]
    adapter: Any = pydantic.TypeAdapter(list[pydantic_model(cls)])  # type: ignore[misc,arg-type]
    hook = NoChecks(converter.get_structure_hook).hook(cls)

    def no_checks() -> list[Any]:
        items: list[Any] = orjson.loads(raw)
        for index in range(len(items)):
            items[index] = hook(items[index])
        return items

    def loads_and_free() -> None:
        orjson.loads(raw)

    return {
        "sdk": lambda: structure(orjson.loads(raw), many, consume=True),
        "no-checks": no_checks,
        "loads-and-free": loads_and_free,
        "pydantic": lambda: adapter.validate_json(raw),
    }


def measure(runs: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    gc.disable()
    try:
        for index in range(rounds):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                gc.collect()
                start = time.process_time()
                result = runs[name]()
                times[name].append((time.process_time() - start) * 1000)
                del result
    finally:
        gc.enable()
    return {name: median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lines = [
        "| shape | contender | GC off (ms) | vs pydantic |",
        "|---|---|---|---|",
    ]
    for shape, (file, cls) in SHAPES.items():
        runs = contenders(cls, page_bytes(file, 1000))
        unchecked, checked = runs["no-checks"](), runs["sdk"]()
        assert [type(item) for item in unchecked] == [type(item) for item in checked]
        result = measure(runs, args.rounds)
        for name, ms in result.items():
            lines.append(f"| {shape} | {name} | {ms:.1f} | {ms / result['pydantic']:.2f}x |")
    table = "\n".join(lines)
    print(table, flush=True)
    if args.write:
        intro = (
            "## The floor of decoding from dicts (`benchmarks/decode_floor.py`)\n\n"
            f"Machine: {machine()}, load average {load:.1f} when the run started. 1,000 items "
            f"as in the decoding table, GC off, {args.rounds} rounds (order rotated), medians. "
            "`no-checks` is the SDK's generated code without any scalar check, enum lookup or "
            "datetime conversion: what building these instances from orjson's dicts costs at "
            "the least."
        )
        command = f"Command: `python -m benchmarks.decode_floor --rounds {args.rounds} --write`"
        write_section("decode_floor", "\n\n".join([intro, table, command]))


if __name__ == "__main__":
    main()
