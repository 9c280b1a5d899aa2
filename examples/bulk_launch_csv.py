"""Launch one workflow per row of a CSV file, exactly once, and report what happened.

Usage::

    python examples/bulk_launch_csv.py clients.csv TEMPLATE_ID [--journal launch.sqlite]

The CSV's header names kickoff fields by api_name (``client,amount,plan``); every row is checked
against the template before the first launch. With ``--journal``, running the same command again
after an interruption launches only what is missing (nothing twice). ``PNEUMATIC_API_KEY`` (and
``PNEUMATIC_BASE_URL``) configure the client. Exit code 1 when a row did not launch, 2 when
rows are invalid (then nothing is launched).
"""

from __future__ import annotations

import argparse
import csv
import sys

import anyio

from pneumatic_async import InvalidValuesError, Pneumatic
from pneumatic_async.bulk import Progress


def show(progress: Progress) -> None:
    print(f"{progress.done}/{progress.total} done", file=sys.stderr)


def read_rows(path: str) -> list[dict[str, str]]:
    """The CSV's rows as kickoffs (empty cells left out)."""
    with open(path, newline="", encoding="utf-8") as file:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(file)]


async def launch(path: str, template_id: int, journal: str | None) -> int:
    rows = read_rows(path)
    async with Pneumatic() as client:
        try:
            results = await client.templates.run_many(
                template_id, rows, concurrency=10, journal=journal, on_progress=show
            )
        except InvalidValuesError as exc:  # checked before the first launch: nothing launched
            for problem in exc.problems:
                print(f"invalid: {problem}")
            return 2
    for result in results:
        outcome = f"workflow {result.workflow_id}" if result.ok else f"failed: {result.error}"
        print(f"row {result.index + 1}: {result.status} {outcome}")
    launched = sum(result.ok for result in results)
    print(f"{launched} of {len(rows)} launched")
    return 0 if launched == len(rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="the CSV file (a header row of kickoff api_names)")
    parser.add_argument("template_id", type=int)
    parser.add_argument("--journal", help="a SQLite file that makes the run resumable")
    args = parser.parse_args()
    return anyio.run(launch, args.csv, args.template_id, args.journal)


if __name__ == "__main__":
    sys.exit(main())
