"""Import time of the package, each measured in a fresh interpreter.

For each statement, ``--runs`` fresh processes time it with ``time.perf_counter`` and
``time.process_time`` around the statement (interpreter start-up excluded); the table gives the
best and median wall time and the median CPU time (which other processes disturb least). The ``-X
importtime`` column sums the cumulative times CPython reports for the package's top-level imports
(the package, then what the statement loads from it) in one more fresh process.

Usage: ``python -m benchmarks.import_time [--runs 15] [--write]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from benchmarks._report import machine, median, write_section

STATEMENTS = [
    "import pneumatic_async",
    "from pneumatic_async import Pneumatic",
    "from pneumatic_async import Pneumatic, parse_event",
]


def wall_and_cpu_ms(statement: str) -> tuple[float, float]:
    """One fresh process timing ``statement``: wall clock and CPU time, in ms."""
    code = (
        "import time\nt, c = time.perf_counter(), time.process_time()\n"
        f"{statement}\nprint(time.perf_counter() - t, time.process_time() - c)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu = out.stdout.split()
    return float(wall) * 1000, float(cpu) * 1000


def importtime_ms(statement: str) -> float:
    """The ``-X importtime`` cumulative figures of the package's top-level imports, summed."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in out.stderr.splitlines():
        parts = line.split("|")
        # Top level: one space after the bar; nested imports are indented further.
        if len(parts) == 3 and parts[2].startswith(" pneumatic_async"):
            total += int(parts[1])
    return total / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lines = [
        "| statement | wall best (ms) | wall median (ms) | CPU median (ms) "
        "| `-X importtime` (ms) |",
        "|---|---|---|---|---|",
    ]
    for statement in STATEMENTS:
        runs = [wall_and_cpu_ms(statement) for _ in range(args.runs)]
        walls = [wall for wall, _ in runs]
        cpus = [cpu for _, cpu in runs]
        lines.append(
            f"| `{statement}` | {min(walls):.1f} | {median(walls):.1f} | {median(cpus):.1f} "
            f"| {importtime_ms(statement):.1f} |"
        )
    table = "\n".join(lines)
    print(table, flush=True)
    if args.write:
        intro = (
            "## Import time (`benchmarks/import_time.py`)\n\n"
            f"Machine: {machine()}, load average {load:.1f} when the run started (a shared "
            f"machine: wall times grow with it). {args.runs} fresh processes per statement, each "
            "timing only the statement; the dev environment (rich and click installed, which "
            "httpx's own command line would load)."
        )
        command = f"Command: `python -m benchmarks.import_time --runs {args.runs} --write`"
        write_section("import_time", "\n\n".join([intro, table, command]))


if __name__ == "__main__":
    main()
