"""Bulk runs at 10k, 100k and 1M items against a minimal server: peak memory and CPU per item.

Each run is a fresh child process (so its peak RSS is its own): ``stream_run`` over a CSV file
read with :func:`~pneumatic_async.bulk.stream_items` (re-read from disk, never held), with
kickoff validation and a SQLite journal, at ``--concurrency`` launches at once, against
``_echo_server.py`` (answers each launch at once with a workflow carrying the launch's name).
Results are consumed and dropped as they come. Reported per size: wall time, launches/s, client
CPU (user + system) per item, and peak RSS (``ru_maxrss``). The goal: flat CPU per item, and
under 150 MB peak for 1,000,000 rows.

``--source generator`` gives the run a one-shot generator of the same rows instead of the CSV
file, with ``check="as_it_goes"`` (read once, each item checked when its turn comes) or, with
``--check upfront``, read into a list and checked up front (the default for one-shot iterators).

Usage: ``python -m benchmarks.bulk_scale [--sizes 10000,100000,1000000] [--concurrency 50]
[--mode stream|run_many] [--source csv|generator] [--check as_it_goes|upfront] [--write]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio

from benchmarks._report import free_port, machine, process, write_section

DATA = Path(__file__).with_name("data")


def write_csv(path: Path, n: int) -> None:
    with path.open("w") as out:
        out.write("client,amount,_name\n")
        for i in range(n):
            out.write(f"Client {i},{i % 1000},Launch {i}\n")


def generated(n: int) -> Iterator[Any]:
    """The rows of :func:`write_csv`, as a one-shot generator of launch items."""
    from pneumatic_async.bulk import LaunchItem

    for i in range(n):
        yield LaunchItem({"client": f"Client {i}", "amount": str(i % 1000)}, name=f"Launch {i}")


async def child(
    n: int, csv_path: str, url: str, journal: str, mode: str, concurrency: int, source: str
) -> None:
    from pneumatic_async import Pneumatic
    from pneumatic_async.bulk import stream_items

    check: Any = "upfront"
    items: Any = stream_items(csv_path)
    if source != "csv":
        items = generated(n)
        check = source.removeprefix("generator-")
    done = failed = 0
    async with Pneumatic(base_url=url, api_key="pn-bench" + "x" * 24) as client:
        started = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        if mode == "stream":
            stream = client.templates.stream_run(
                1, items, concurrency=concurrency, journal=journal, check=check
            )
            async with aclosing(stream) as results:
                async for result in results:
                    if result.ok:
                        done += 1
                    else:
                        failed += 1
        else:
            results_list = await client.templates.run_many(
                1, items, concurrency=concurrency, journal=journal, check=check
            )
            done = sum(1 for r in results_list if r.ok)
            failed = len(results_list) - done
        wall = time.perf_counter() - started
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "n": n,
                "done": done,
                "failed": failed,
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_mb": peak_mb,
            }
        ),
        flush=True,
    )


def measure(
    n: int, url: str, workdir: Path, mode: str, concurrency: int, source: str
) -> dict[str, float]:
    csv_path = workdir / f"items-{n}.csv"
    if source == "csv":
        write_csv(csv_path, n)
    journal = workdir / f"journal-{n}-{mode}-{source}.db"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bulk_scale",
            "--child",
            str(n),
            str(csv_path),
            url,
            str(journal),
            mode,
            str(concurrency),
            source,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    csv_path.unlink(missing_ok=True)
    return result


def report(rows: list[dict[str, float]], args: argparse.Namespace) -> str:
    if args.source == "csv":
        title = "Bulk runs at scale (`benchmarks/bulk_scale.py`)"
        what = "over a CSV file (`stream_items`"
    else:
        title = f"Bulk runs at scale over a generator, check={args.check!r}"
        what = f"over a one-shot generator (`check={args.check!r}`"
    lines = [
        f"## {title}",
        "",
        f"`{args.mode}` {what}, validation on, SQLite journal), "
        f"concurrency {args.concurrency}, against `_echo_server.py`; {machine()}.",
        "",
        "| items | wall s | launches/s | CPU µs/item | peak RSS MB | failed |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        n = row["n"]
        lines.append(
            f"| {int(n):,} | {row['wall_s']:.1f} | {n / row['wall_s']:,.0f} | "
            f"{row['cpu_s'] / n * 1e6:.0f} | {row['peak_mb']:.0f} | {int(row['failed'])} |"
        )
    lines += [
        "",
        f"Command: `python -m benchmarks.bulk_scale --sizes {args.sizes} "
        f"--concurrency {args.concurrency} --mode {args.mode} --source {args.source}"
        + (f" --check {args.check}`" if args.source != "csv" else "`"),
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        n, csv_path, url, journal, mode, concurrency, source = sys.argv[2:9]
        anyio.run(child, int(n), csv_path, url, journal, mode, int(concurrency), source)
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--mode", choices=["stream", "run_many"], default="stream")
    parser.add_argument("--source", choices=["csv", "generator"], default="csv")
    parser.add_argument("--check", choices=["as_it_goes", "upfront"], default="as_it_goes")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    port = free_port()
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        process(str(Path(__file__).with_name("_echo_server.py")), str(port), str(DATA)),
    ):
        for n in (int(s) for s in args.sizes.split(",")):
            source = "csv" if args.source == "csv" else f"generator-{args.check}"
            row = measure(
                n, f"http://127.0.0.1:{port}", Path(tmp), args.mode, args.concurrency, source
            )
            print(json.dumps(row), flush=True)
            rows.append(row)
    text = report(rows, args)
    print(text)
    if args.write:
        suffix = "" if args.source == "csv" else f"_generator_{args.check}"
        write_section(f"bulk_scale_{args.mode}{suffix}", text)


if __name__ == "__main__":
    main()
