"""``pneumatic bulk-run TEMPLATE_ID --from items.csv|items.jsonl``: launch many workflows at once.

Each row (CSV) or line (JSON Lines) is one workflow: kickoff values by field api_name, plus the
optional ``_name``, ``_is_urgent`` and ``_due_date`` columns (see
:mod:`pneumatic_async.bulk.sources`). Every row is checked against the template before the first
launch; bad rows are reported with their row number and field, and nothing is launched unless
``--skip-invalid`` is given. Launches run concurrently, each exactly once (launch tokens; see
:mod:`pneumatic_async.bulk`); ``--journal FILE`` makes the run resumable.

The items that did not launch are written to a JSON Lines file (``--failed-out``, default
``<items>.failed.jsonl``), one object per item: ``row``, ``index``, ``status``, ``error``,
``error_type``, ``token``, ``attempts`` and ``item`` (the row's values, with the reserved keys), so
``jq -c .item items.failed.jsonl > retry.jsonl`` gives a file to run again.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from pneumatic_async.bulk import LaunchItem, LaunchResult, read_items, run_many
from pneumatic_async.bulk.sources import ItemSource
from pneumatic_async.cli.errors import CliError, ExitCode, InputError
from pneumatic_async.cli.output import Column, one_line
from pneumatic_async.cli.parsing import Parser, object_id, positive_int
from pneumatic_async.cli.progress import BulkProgress
from pneumatic_async.errors import ConfigurationError, FieldProblem, InvalidValuesError

if TYPE_CHECKING:
    from pneumatic_async.cli.context import Context

__all__ = [
    "BulkSummary",
    "default_failed_path",
    "error_text",
    "failed_record",
    "item_values",
    "register",
]

STATUSES = ("launched", "reconciled", "resent", "resumed", "failed", "invalid")
#: How the summary table names each count.
LABELS = {
    "reconciled": "reconciled (found by lookup)",
    "resent": "re-sent after a negative lookup",
}


def register(commands: argparse._SubParsersAction[Parser], common: Parser) -> None:
    """Add the ``bulk-run`` command."""
    bulk = commands.add_parser(
        "bulk-run",
        parents=[common],
        help="launch one workflow per row of a CSV / JSON Lines file",
        description="Launch one workflow per item of a CSV or JSON Lines file, concurrently and "
        "exactly once. Every item is checked against the template first; bad rows are reported "
        "with row and field and nothing is launched (unless --skip-invalid).",
    )
    bulk.add_argument("template_id", type=object_id, metavar="TEMPLATE_ID")
    bulk.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="FILE",
        help="items: .csv/.tsv (header = field api_names) or .jsonl",
    )
    bulk.add_argument(
        "--concurrency",
        type=positive_int,
        default=20,
        metavar="N",
        help="launches in flight at once (default 20)",
    )
    bulk.add_argument(
        "--journal",
        metavar="FILE",
        help="SQLite file recording each item; run again with it to resume",
    )
    bulk.add_argument(
        "--failed-out",
        metavar="FILE",
        help="where to write failed items (default: next to the --from file, its extension "
        "replaced: items.csv -> items.failed.jsonl)",
    )
    bulk.add_argument(
        "--skip-invalid",
        action="store_true",
        help="launch the valid items and report the invalid ones as failed",
    )
    bulk.add_argument(
        "--token-field",
        metavar="API_NAME",
        help="a string/text kickoff field to carry the launch token (default: the workflow name)",
    )
    bulk.add_argument(
        "--rate-limit",
        type=float,
        metavar="PER_SECOND",
        help="at most this many launches per second",
    )
    bulk.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")
    bulk.set_defaults(handler=bulk_run)


@attrs.frozen(kw_only=True)
class BulkSummary:
    """What a bulk run did: counts per status, time, rate and where failures were written."""

    template_id: int
    source: str
    total: int
    launched: int
    reconciled: int
    resent: int
    resumed: int
    failed: int
    invalid: int
    elapsed_s: float
    launches_per_s: float
    failed_out: str | None
    journal: str | None

    @property
    def ok(self) -> bool:
        """True when every item's workflow exists."""
        return self.failed == 0 and self.invalid == 0


def default_failed_path(source: str) -> str:
    """``items.csv`` → ``items.failed.jsonl`` (next to the input file)."""
    path = Path(source)
    return str(path.with_name(f"{path.stem}.failed.jsonl"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if attrs.has(type(value)):
        from pneumatic_async._converter import unstructure

        return unstructure(value)
    return str(value)


def item_values(item: LaunchItem) -> dict[str, Any]:
    """An item as its row: kickoff values plus the reserved ``_name``/``_is_urgent``/
    ``_due_date`` keys that were given."""
    values = dict(item.kickoff)
    if item.name is not None:
        values["_name"] = item.name
    if item.is_urgent is not None:
        values["_is_urgent"] = item.is_urgent
    if item.due_date is not None:
        values["_due_date"] = item.due_date
    return values


def error_text(result: LaunchResult) -> str | None:
    """A result's error on one line; for invalid items, the fields and messages only."""
    error = result.error
    if error is None:
        return None
    if isinstance(error, InvalidValuesError):
        return "; ".join(f"field {p.field!r}: {one_line(p.message)}" for p in error.problems)
    return one_line(str(error))


def failed_record(result: LaunchResult, row: int | None) -> dict[str, Any]:
    """One line of the failed-items file for a result that did not launch."""
    error = result.error
    record: dict[str, Any] = {
        "row": row,
        "index": result.index,
        "status": result.status,
        "error": error_text(result),
        "error_type": type(error).__name__ if error is not None else None,
        "token": result.token,
        "attempts": result.attempts,
        "item": item_values(result.item),
    }
    if isinstance(error, InvalidValuesError):
        record["problems"] = [{"field": p.field, "message": p.message} for p in error.problems]
    return record


def _write_jsonl(path: str, records: Sequence[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=_jsonable) + "\n")


def _report_problems(ctx: Context, source: ItemSource, problems: Sequence[FieldProblem]) -> None:
    for problem in problems:
        ctx.output.error(source.describe(problem))


async def bulk_run(ctx: Context, args: argparse.Namespace) -> int:
    """Validate every item, launch them concurrently, print a summary, write the failures."""
    client = ctx.client
    out = ctx.output
    if not await anyio.Path(args.source).is_file():
        raise InputError(f"{args.source}: no such file")
    if args.rate_limit is not None and not args.rate_limit > 0:
        raise InputError(f"--rate-limit must be a positive number, got {args.rate_limit}")
    specs = await client.templates.kickoff_specs(args.template_id)
    source = await anyio.to_thread.run_sync(lambda: read_items(args.source, specs=specs))
    if not source.items:
        raise InputError(f"{args.source}: no items")

    # Rows whose reserved columns are unreadable: reported now, launched never.
    unreadable = {p.item for p in source.problems if p.item is not None}
    if source.problems and not args.skip_invalid:
        _report_problems(ctx, source, source.problems)
        raise InputError(
            f"{len(source.problems)} invalid value(s) in {args.source}; nothing was launched "
            "(fix them, or pass --skip-invalid to launch the valid rows)"
        )
    kept = [i for i in range(len(source.items)) if i not in unreadable]

    progress = BulkProgress(
        len(kept),
        console=out.err_console,
        enabled=out.interactive and not out.json_mode and not args.no_progress,
    )
    started = time.monotonic()
    try:
        with progress:
            results = await run_many(
                client,
                args.template_id,
                [source.items[i] for i in kept],
                concurrency=args.concurrency,
                journal=args.journal,
                skip_invalid=args.skip_invalid,
                token_field=args.token_field,
                rate_limit=args.rate_limit,
                on_progress=progress.update,
            )
    except InvalidValuesError as exc:
        problems = [
            attrs.evolve(p, item=kept[p.item]) if p.item is not None else p for p in exc.problems
        ]
        _report_problems(ctx, source, problems)
        rows = {p.item for p in problems}
        raise InputError(
            f"{len(problems)} invalid value(s) in {len(rows)} item(s) of {args.source}; nothing "
            "was launched (fix them, or pass --skip-invalid to launch the valid rows)"
        ) from None
    except ConfigurationError as exc:  # --token-field that cannot carry a token
        raise CliError(str(exc), ExitCode.USAGE) from None
    elapsed = time.monotonic() - started

    # Back to positions in the file; add the rows left out for unreadable reserved columns.
    by_index: dict[int, LaunchResult] = {
        kept[r.index]: attrs.evolve(r, index=kept[r.index]) for r in results
    }
    for index in sorted(unreadable):
        problems = [p for p in source.problems if p.item == index]
        by_index[index] = LaunchResult(
            index=index,
            item=source.items[index],
            status="invalid",
            token="",
            error=InvalidValuesError(problems),
        )
    ordered = [by_index[i] for i in sorted(by_index)]
    counts = Counter(r.status for r in ordered)
    failures = [r for r in ordered if not r.ok]
    failed_out: str | None = None
    if failures or args.failed_out:
        failed_out = args.failed_out or default_failed_path(args.source)
        records = [failed_record(r, source.row_of(r.index)) for r in failures]
        await anyio.to_thread.run_sync(lambda: _write_jsonl(failed_out, records))
    launched = counts["launched"] + counts["reconciled"]
    summary = BulkSummary(
        template_id=args.template_id,
        source=args.source,
        total=len(ordered),
        launched=counts["launched"],
        reconciled=counts["reconciled"],
        resent=sum(1 for r in ordered if r.resent),
        resumed=counts["resumed"],
        failed=counts["failed"],
        invalid=counts["invalid"],
        elapsed_s=round(elapsed, 3),
        launches_per_s=round(launched / elapsed, 1) if elapsed > 0 else 0.0,
        failed_out=failed_out,
        journal=args.journal,
    )
    if out.json_mode:
        out.json(
            {
                **attrs.asdict(summary),
                "results": [
                    {
                        "row": source.row_of(r.index),
                        "index": r.index,
                        "status": r.status,
                        "workflow_id": r.workflow_id,
                        "token": r.token,
                        "attempts": r.attempts,
                        "lookups": r.lookups,
                        "resent": r.resent,
                        "error": error_text(r),
                    }
                    for r in ordered
                ],
            }
        )
    else:
        _print_summary(ctx, summary, failures, source)
    return 0 if summary.ok else 1


def _print_summary(
    ctx: Context, summary: BulkSummary, failures: Sequence[LaunchResult], source: ItemSource
) -> None:
    out = ctx.output
    out.line(f"bulk-run of template {summary.template_id} from {summary.source}")
    out.table(
        ["status", Column("items", numeric=True)],
        [
            (LABELS.get(status, status), getattr(summary, status))
            for status in STATUSES
            if getattr(summary, status)
        ],
    )
    out.line(
        f"{summary.total} item(s) in {summary.elapsed_s:.2f} s "
        f"({summary.launches_per_s:.1f} launches/s)"
    )
    for result in failures[:10]:
        error = error_text(result) or "-"
        out.line(f"  {source.unit} {source.row_of(result.index)}: {result.status}: {error}")
    if len(failures) > 10:
        out.line(f"  ... and {len(failures) - 10} more")
    if summary.failed_out and failures:
        out.line(f"Failed items written to {summary.failed_out}")
