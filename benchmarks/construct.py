"""Building one model instance: the ways the decoder could construct attrs classes, by cost.

One attrs class with ``--fields`` keyword-only fields, in its variants, built with the same
values by every candidate:

- ``frozen-slots __init__``: ``Cls(**values)`` (what cattrs' generated hooks do);
- ``mutable-slots __init__``: the same class not frozen;
- ``frozen-dict __init__``: the same class frozen, without slots;
- ``frozen-slots descriptors``: ``object.__new__`` and each slot's ``__set__`` (no ``__init__``);
- ``frozen-dict __dict__``: ``object.__new__`` and one ``__dict__`` assignment;
- ``frozen-slots twin``: ``object.__new__`` of a hidden subclass with ``object``'s
  ``__setattr__``, plain attribute stores, then ``__class__`` set to the frozen class;
- ``frozen-slots twin call`` (the SDK's choice): the same, the empty instance made by calling the
  twin, whose ``__init__`` is ``object``'s (no argument tuples to build and slice).

Figures: best of ``--repeat`` runs of ``--number`` constructions, CPU ns per instance; plus the
instance's size (the dict variant's ``__dict__`` included) and the garbage-collector-tracked
objects per instance.

Usage: ``python -m benchmarks.construct [--fields 12] [--write]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs

from benchmarks._report import machine, write_section


def candidates(fields: int) -> dict[str, Callable[[], Any]]:
    names = [f"f{i}" for i in range(fields)]
    spec = {name: attrs.field(default=None) for name in names}
    frozen_slots = attrs.make_class("Model", spec, kw_only=True, frozen=True, slots=True)
    mutable_slots = attrs.make_class("Model", spec, kw_only=True, frozen=False, slots=True)
    frozen_dict = attrs.make_class("Model", spec, kw_only=True, frozen=True, slots=False)
    twin = type(
        "Twin",
        (frozen_slots,),
        {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    callable_twin = type(
        "CallableTwin",
        (frozen_slots,),
        {
            "__slots__": (),
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__init__": object.__init__,
        },
    )
    values = {name: index for index, name in enumerate(names)}
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "osa": object.__setattr__,
        "FS": frozen_slots,
        "FD": frozen_dict,
        "TW": twin,
        "CT": callable_twin,
        **{f"s{i}": getattr(frozen_slots, name).__set__ for i, name in enumerate(names)},
    }
    exec(
        "def descriptors():\n    o = new(FS)\n"
        + "".join(f"    s{i}(o, {i})\n" for i in range(fields))
        + "    return o\n"
        + "def whole_dict():\n    o = new(FD)\n    osa(o, '__dict__', {"
        + ", ".join(f"'f{i}': {i}" for i in range(fields))
        + "})\n    return o\n"
        + "def via_twin():\n    o = new(TW)\n"
        + "".join(f"    o.f{i} = {i}\n" for i in range(fields))
        + "    o.__class__ = FS\n    return o\n"
        + "def via_twin_call():\n    o = CT()\n"
        + "".join(f"    o.f{i} = {i}\n" for i in range(fields))
        + "    o.__class__ = FS\n    return o\n",
        namespace,
    )
    return {
        "frozen-slots __init__": lambda: frozen_slots(**values),
        "mutable-slots __init__": lambda: mutable_slots(**values),
        "frozen-dict __init__": lambda: frozen_dict(**values),
        "frozen-slots descriptors": namespace["descriptors"],
        "frozen-dict __dict__": namespace["whole_dict"],
        "frozen-slots twin": namespace["via_twin"],
        "frozen-slots twin call": namespace["via_twin_call"],
    }


def cost_ns(build: Callable[[], Any], number: int, repeat: int) -> float:
    best = float("inf")
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.process_time()
            for _ in range(number):
                build()
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best / number * 1e9


def size(obj: Any) -> int:
    inner = getattr(obj, "__dict__", None)
    return sys.getsizeof(obj) + (sys.getsizeof(inner) if inner is not None else 0)


def tracked(obj: Any) -> int:
    inner = getattr(obj, "__dict__", None)
    return int(gc.is_tracked(obj)) + int(inner is not None and gc.is_tracked(inner))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=12)
    parser.add_argument("--number", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    builds = candidates(args.fields)
    reference = builds["frozen-slots __init__"]()
    lines = [
        "| construction | ns per instance | bytes | GC-tracked objects | immutable |",
        "|---|---|---|---|---|",
    ]
    for name, build in builds.items():
        obj = build()
        assert attrs.asdict(obj) == attrs.asdict(reference)
        frozen = attrs.has(type(obj)) and type(obj).__setattr__ is not object.__setattr__
        ns = cost_ns(build, args.number, args.repeat)
        lines.append(
            f"| {name} | {ns:,.0f} | {size(obj)} | {tracked(obj)} | {'yes' if frozen else 'no'} |"
        )
    table = "\n".join(lines)
    print(table, flush=True)
    if args.write:
        intro = (
            "## Building instances (`benchmarks/construct.py`)\n\n"
            f"Machine: {machine()}. One attrs class with {args.fields} fields; best of "
            f"{args.repeat} runs of {args.number:,} constructions, CPU time. The decoder uses "
            "the frozen-slots twin, made by a call (cheapest of the immutable ones, smallest, "
            "one GC object)."
        )
        command = f"Command: `python -m benchmarks.construct --fields {args.fields} --write`"
        write_section("construct", "\n\n".join([intro, table, command]))


if __name__ == "__main__":
    main()
