"""The bulk launcher: many workflow launches, each exactly once, with bounded concurrency.

:func:`run_many` returns one :class:`~pneumatic_async.bulk.results.LaunchResult` per item, in
input order; :func:`stream_run` yields them as they complete. ``client.templates.run_many`` and
``client.templates.stream_run`` call these with the client and template id bound.

How a run goes:

1. **Validate before anything is sent.** Every item's run options
   are checked and, with ``validate=True``, its kickoff values are encoded against the template's
   kickoff specs (fetched once; user ids resolved to emails once for the whole batch). All
   problems of all items are raised as one
   :class:`~pneumatic_async.errors.InvalidValuesError` (``FieldProblem.item`` = the index), unless
   ``skip_invalid=True``: then the bad items get ``invalid`` results and the others launch.
   With ``check="as_it_goes"`` each item is checked instead when its turn comes (the source is
   read once: :mod:`pneumatic_async.bulk.as_it_goes`).
2. **Tokens.** Each item gets a launch token (:mod:`pneumatic_async.bulk.tokens`), stamped into
   the workflow name or into the ``token_field`` kickoff field, so the workflow can be found by
   ``GET /workflows?search=<token>``.
3. **Launch** with up to ``concurrency`` items at once (an anyio task group and a
   ``CapacityLimiter``); one item's failure never affects another. 429s and connection failures
   before sending are retried by the client itself, and its pacer makes a ``Retry-After`` pause
   the whole batch.
4. **Exactly once.** When a launch's outcome is unknown (a 5xx, a read timeout or dropped
   connection: :class:`~pneumatic_async.errors.AmbiguousOutcomeError`; a 2xx whose body does not
   decode: :class:`~pneumatic_async.errors.ResponseValidationError`; any other error that is not
   a clear rejection), the token is looked up first, and the launch is sent again only when the
   lookup confirms no workflow carries it. Clear rejections (4xx) fail the item at once; 429s that
   outlasted the client's retries are sent again after a backoff. Attempts per item are bounded by
   the client's retry policy (``max_attempts``, with its backoff).
5. **Journal** (optional): each item's state is committed before it is sent, so a crashed or
   cancelled run resumes where it stopped (see :mod:`pneumatic_async.bulk.journal`).

A real server answered concurrent launches with 500 *after* creating the workflow; without the
lookup a retry would launch a duplicate. One residual risk remains: a launch still being processed
by the server when its lookup runs (a request that outlived the client's read timeout plus the
backoff) is not found and is sent again. The backoff before the lookup makes this unlikely;
``observed.md`` measured about 250 ms per launch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import anyio

from pneumatic_async._ids import object_id
from pneumatic_async.bulk.items import LaunchItem
from pneumatic_async.bulk.journal import JournalError, JournalStore
from pneumatic_async.bulk.launcher import Launcher
from pneumatic_async.bulk.options import DEFAULT_OUTAGE_TIMEOUT, BatchOptions, CheckMode
from pneumatic_async.bulk.plan import ItemInput, Launch, prepared
from pneumatic_async.bulk.results import LaunchResult, Progress, ProgressTracker
from pneumatic_async.bulk.shared import run_shared
from pneumatic_async.bulk.shared_batch import SharedBatch
from pneumatic_async.errors import PneumaticError

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = ["run_many", "stream_run"]

logger = logging.getLogger("pneumatic_async.bulk")

#: How often the progress callback is called at most (seconds).
PROGRESS_INTERVAL = 0.1

Emit = Callable[[LaunchResult], Awaitable[None]]


async def execute(launcher: Launcher, emit: Emit) -> None:
    """Launch every item of the launcher's plan; ``emit`` receives each result as it is known."""
    plan = launcher.plan
    tracker = ProgressTracker(plan.count)
    stopped: Exception | None = None
    outage = launcher.outage
    tracker.waiting = lambda: outage.waiting_s
    on_progress = launcher.options.on_progress
    try:
        with _single_errors():
            async with anyio.create_task_group() as outer:
                if on_progress is not None:
                    outer.start_soon(_report_progress, tracker, on_progress)
                limiter = anyio.CapacityLimiter(launcher.options.concurrency)
                async with anyio.create_task_group() as tasks:
                    # Each launch is built when its turn comes: memory follows concurrency.
                    units = plan.launches()
                    try:
                        while True:
                            try:
                                unit = await units.__anext__()
                            except StopAsyncIteration:
                                break
                            except Exception as exc:
                                # The source or the journal's check of it failed: send nothing
                                # more, let the launches in flight finish, then raise it.
                                stopped = exc
                                break
                            tracker.total = plan.count  # grows when the items are read as they go
                            if isinstance(unit, LaunchResult):  # known now: resumed, invalid
                                tracker.count(unit)
                                await emit(unit)
                                continue
                            slot = _Slot(unit)
                            await limiter.acquire_on_behalf_of(slot)
                            tasks.start_soon(_run_item, launcher, slot, limiter, tracker, emit)
                    finally:
                        if isinstance(units, AsyncGenerator):
                            await units.aclose()
                outer.cancel_scope.cancel()  # stop the progress reporter
    except BaseException:
        if on_progress is not None:
            try:
                on_progress(tracker.snapshot())
            except Exception:
                logger.exception("the progress callback failed")
        raise
    if on_progress is not None:
        on_progress(tracker.snapshot())
    if stopped is not None:
        raise stopped


async def _run_item(
    launcher: Launcher,
    slot: _Slot,
    limiter: anyio.CapacityLimiter,
    tracker: ProgressTracker,
    emit: Emit,
) -> None:
    unit = slot.unit
    index = unit.index
    try:
        tracker.in_flight += 1
        tracker.changed = True
        try:
            result = await launcher.launch(unit)
        except JournalError:
            raise  # without its journal the run cannot promise anything: stop it
        except Exception as exc:  # an unexpected error stays this item's failure
            logger.exception("bulk launch of item %d failed unexpectedly", index)
            error = PneumaticError(f"unexpected error: {type(exc).__name__}: {exc}")
            error.__cause__ = exc
            result = launcher.result(unit, "failed", error=error)
        finally:
            tracker.in_flight -= 1
        tracker.count(result)
        await emit(result)  # holding the slot: a slow consumer slows the launches down
    finally:
        limiter.release_on_behalf_of(slot)


class _Slot:
    """A borrower of the batch's capacity limiter (one per item)."""

    __slots__ = ("unit",)

    def __init__(self, unit: Launch) -> None:
        self.unit = unit


async def _report_progress(tracker: ProgressTracker, callback: Callable[[Progress], None]) -> None:
    while True:
        await anyio.sleep(PROGRESS_INTERVAL)
        if tracker.changed or tracker.waiting() is not None:
            callback(tracker.snapshot())


@contextmanager
def _single_errors() -> Iterator[None]:
    """Raise a task group's only error as itself instead of inside an exception group."""
    try:
        yield
    except BaseExceptionGroup as group:
        leaves = _leaves(group)
        cancelled = anyio.get_cancelled_exc_class()
        errors = [exc for exc in leaves if not isinstance(exc, cancelled)]
        if len(errors) == 1:
            raise errors[0] from None
        raise


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    leaves: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            leaves.extend(_leaves(exc))
        else:
            leaves.append(exc)
    return leaves


async def _run_shared_batch(
    client: BulkClient, template_id: int, options: BatchOptions, items: Iterable[ItemInput]
) -> list[LaunchResult]:
    """This worker's share of a shared batch, then every item's result, in input order."""
    results: dict[int, LaunchResult] = {}

    async def keep(result: LaunchResult) -> None:
        results[result.index] = result

    await run_shared(client, template_id, options, items, keep)
    return [results[index] for index in sorted(results)]


# --------------------------------------------------------------------------------------------
# Public API


async def run_many(
    client: BulkClient,
    template_id: int,
    items: Iterable[LaunchItem | Mapping[str, Any]],
    *,
    concurrency: int = 20,
    token_field: str | None = None,
    journal: str | os.PathLike[str] | JournalStore | SharedBatch | None = None,
    skip_invalid: bool = False,
    rate_limit: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    validate: bool = True,
    lookup_delay: float | None = None,
    outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
    keep_workflows: bool = False,
    check: CheckMode = "upfront",
) -> list[LaunchResult]:
    """Launch one workflow of ``template_id`` per item, each exactly once; results in input order.

    ``items``: :class:`~pneumatic_async.bulk.items.LaunchItem` objects or mappings of kickoff
    values. Every item gets a result: ``launched``, ``reconciled`` (the outcome was unknown and
    the workflow was found by its token), ``resumed`` (launched by an earlier run of the
    ``journal``), ``failed`` (with its error) or ``invalid`` (with ``skip_invalid``).

    Options:

    * ``concurrency``: items being launched at once (the client's ``max_concurrency`` also caps
      requests).
    * ``token_field``: a string/text kickoff field to carry the launch token; default: the token
      is added to the workflow name (``"<name> [<token>]"``; see
      :mod:`pneumatic_async.bulk.tokens`).
    * ``journal``: path of a SQLite file recording every item's state (or any
      :class:`~pneumatic_async.bulk.journal.JournalStore`); run again with the same journal and
      the same items to resume after a crash or cancellation. A
      :class:`~pneumatic_async.bulk.SharedBatch` (a store and a batch id) lets several worker
      processes run one batch together (:mod:`pneumatic_async.bulk.shared`); each returns
      every item's result once the whole batch is settled.
    * ``skip_invalid``: launch the valid items and report the others as ``invalid`` instead of
      raising :class:`~pneumatic_async.errors.InvalidValuesError` for the whole batch.
    * ``rate_limit``: at most this many launches (and lookups) per second for this batch.
    * ``on_progress``: called with a :class:`~pneumatic_async.bulk.results.Progress` at most
      every 100 ms while something changes, and once at the end (also after a cancellation). It
      runs in the event loop: keep it quick; an exception from it aborts the run.
    * ``validate``: encode and check kickoff values against the template before launching
      (``False``: send the kickoff values as given; values JSON cannot carry are still refused).
    * ``lookup_delay``: when a launch got no answer (timeout, dropped connection, 502/504) and
      the first lookup of its token finds nothing, the second lookup waits until this many
      seconds after the failure (default: the client's read timeout), giving a server that was
      still working on it the time to commit; only then is it sent again.
    * ``outage_timeout``: when the server is unreachable (refused connections, 502/503/504,
      timeouts across the batch) the whole batch pauses and probes with capped backoff for up
      to this many seconds (default 300) before the waiting items fail.
    * ``keep_workflows``: keep the server's full ``Workflow`` in each result (``workflow``);
      by default results keep only what callers need (id, status, token, counts, error), which
      keeps a large run's memory small.
    * ``check``: when the items are checked. ``"upfront"`` (default): every item before anything
      is sent, so one invalid item refuses the whole batch (unless ``skip_invalid``); a
      one-shot iterator (a generator) is read into a list for that, holding every item in
      memory (sequences and :func:`~pneumatic_async.bulk.sources.stream_items` sources are
      re-read instead). ``"as_it_goes"``: the items are read once, one at a time, each checked
      when the launcher has room for it, in bounded memory whatever the source (with
      :func:`stream_run`; ``run_many`` keeps every result to return them); invalid items
      then cannot refuse the batch and get ``invalid`` results (as with ``skip_invalid``) while
      the others launch. Its journal records each item's fingerprint, and a resume refuses a
      different item at a recorded index (``JournalMismatchError``, naming it) when it reaches
      it; a journal is resumed only with the ``check`` it was written with. Not with a
      :class:`~pneumatic_async.bulk.SharedBatch`. See :mod:`pneumatic_async.bulk.as_it_goes`.

    Raises :class:`~pneumatic_async.errors.InvalidValuesError` (all bad items, before anything is
    sent), ``ConfigurationError`` for bad options, ``JournalMismatchError`` /
    ``JournalLockedError`` for a journal of another run, an empty or damaged one, or one in
    use. Cancelling the caller cancels the launches in flight (their outcome stays unknown; a
    journal resume settles them).
    """
    template_id = object_id(template_id, "template_id")
    options = BatchOptions(
        concurrency=concurrency,
        token_field=token_field,
        journal=journal,
        skip_invalid=skip_invalid,
        rate_limit=rate_limit,
        on_progress=on_progress,
        validate=validate,
        lookup_delay=lookup_delay,
        outage_timeout=outage_timeout,
        keep_workflows=keep_workflows,
        check_mode=check,
    )
    options.check()
    if isinstance(options.journal, SharedBatch):
        return await _run_shared_batch(client, template_id, options, items)
    async with prepared(client, template_id, options, items) as plan:
        launcher = Launcher(client, template_id, options, plan)
        results: dict[int, LaunchResult] = {}

        async def collect(result: LaunchResult) -> None:
            results[result.index] = result

        await execute(launcher, collect)
    missing = [index for index in range(plan.count) if index not in results]
    if missing:  # pragma: no cover - every path emits a result; guard against silent loss
        raise RuntimeError(f"bulk run lost the results of items {missing[:10]}")
    return [results[index] for index in range(plan.count)]


async def stream_run(
    client: BulkClient,
    template_id: int,
    items: Iterable[LaunchItem | Mapping[str, Any]],
    *,
    concurrency: int = 20,
    token_field: str | None = None,
    journal: str | os.PathLike[str] | JournalStore | SharedBatch | None = None,
    skip_invalid: bool = False,
    rate_limit: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    validate: bool = True,
    lookup_delay: float | None = None,
    outage_timeout: float = DEFAULT_OUTAGE_TIMEOUT,
    keep_workflows: bool = False,
    check: CheckMode = "upfront",
) -> AsyncGenerator[LaunchResult, None]:
    """Like :func:`run_many`, but yield each result as soon as it is known (completion order).

    Results known before launching (``invalid``, ``resumed``) come first. Validation happens when
    iteration starts (the first ``__anext__`` raises ``InvalidValuesError``); with
    ``check="as_it_goes"`` each item is checked when its turn comes (the way to run a
    generator of any length in bounded memory). Use it with
    ``contextlib.aclosing`` so that leaving the loop early (``break``, an exception) stops the
    launches in flight and closes the journal at once, in the right task::

        from contextlib import aclosing

        async with aclosing(client.templates.stream_run(template_id, rows)) as results:
            async for result in results:
                if not result.ok:
                    print(result.index, result.error)

    Stopping early leaves the unfinished items unlaunched or in flight (a journal resume settles
    them). The launcher runs in a task group inside this generator: while the consumer's loop
    body runs, launches go on in the background (up to ``concurrency`` finished results wait).
    """
    template_id = object_id(template_id, "template_id")
    options = BatchOptions(
        concurrency=concurrency,
        token_field=token_field,
        journal=journal,
        skip_invalid=skip_invalid,
        rate_limit=rate_limit,
        on_progress=on_progress,
        validate=validate,
        lookup_delay=lookup_delay,
        outage_timeout=outage_timeout,
        keep_workflows=keep_workflows,
        check_mode=check,
    )
    options.check()
    if isinstance(options.journal, SharedBatch):  # results once the whole batch is settled
        for result in await _run_shared_batch(client, template_id, options, items):
            yield result
        return
    async with prepared(client, template_id, options, items) as plan:
        launcher = Launcher(client, template_id, options, plan)
        send, receive = anyio.create_memory_object_stream[LaunchResult](
            max_buffer_size=max(options.concurrency, 1)
        )
        failure: list[BaseException] = []

        async def drive() -> None:
            async with send:
                try:
                    await execute(launcher, send.send)
                except anyio.get_cancelled_exc_class():
                    raise
                except Exception as exc:  # re-raised in the consumer's frame, below
                    failure.append(exc)

        with receive:
            async with anyio.create_task_group() as tg:
                tg.start_soon(drive)
                try:
                    async for result in receive:
                        try:
                            yield result
                        except GeneratorExit:  # aclose(): stop the launches, then return
                            break
                finally:
                    tg.cancel_scope.cancel()
        if failure:
            raise failure[0]
