"""The bulk launcher: many workflow launches, each exactly once, with bounded concurrency.

:func:`run_many` returns one :class:`~pneumatic_async.bulk.results.LaunchResult` per item, in
input order; :func:`stream_run` yields them as they complete. ``client.templates.run_many`` and
``client.templates.stream_run`` call these with the client and template id bound.

How a run goes:

1. **Validate before anything is sent.** The items are materialised; every item's run options
   are checked and, with ``validate=True``, its kickoff values are encoded against the template's
   kickoff specs (fetched once; user ids resolved to emails once for the whole batch). All
   problems of all items are raised as one
   :class:`~pneumatic_async.errors.InvalidValuesError` (``FieldProblem.item`` = the index), unless
   ``skip_invalid=True``: then the bad items get ``invalid`` results and the others launch.
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
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import attrs

from pneumatic_async._pacer import Pacer
from pneumatic_async._types import NOT_GIVEN
from pneumatic_async.bulk.items import LaunchItem, check_item, fingerprint, normalize_items
from pneumatic_async.bulk.journal import (
    Binding,
    ItemState,
    Journal,
    JournalEntry,
    JournalError,
    JournalUpdate,
    JournalWriter,
)
from pneumatic_async.bulk.results import (
    LaunchResult,
    LaunchStatus,
    Progress,
    ProgressTracker,
    UnresolvedLaunchError,
)
from pneumatic_async.bulk.tokens import (
    DEFAULT_NAME_TEMPLATE,
    has_token,
    index_width,
    make_token,
    new_run_id,
    stamp_name,
)
from pneumatic_async.errors import (
    APIStatusError,
    ConfigurationError,
    FieldProblem,
    InvalidValuesError,
    PermissionDeniedError,
    PneumaticError,
    RateLimitError,
)
from pneumatic_async.models.workflows import WorkflowListItem
from pneumatic_async.pagination import MAX_PAGE_SIZE
from pneumatic_async.retries import backoff_delay

if TYPE_CHECKING:
    from pneumatic_async._client import Pneumatic

__all__ = ["run_many", "stream_run"]

logger = logging.getLogger("pneumatic_async.bulk")

#: How often the progress callback is called at most (seconds).
PROGRESS_INTERVAL = 0.1
#: Workflows read per token lookup, at most (the token's own workflow ranks first).
LOOKUP_MAX_ITEMS = 100
#: Page size of a token lookup.
LOOKUP_PAGE_SIZE = 20
#: Kickoff field types that can carry a launch token.
TOKEN_FIELD_TYPES = frozenset({"string", "text"})

ItemInput = LaunchItem | Mapping[str, Any]
Emit = Callable[[LaunchResult], Awaitable[None]]


@attrs.frozen(kw_only=True)
class _Options:
    concurrency: int
    token_field: str | None
    journal: str | os.PathLike[str] | None
    skip_invalid: bool
    rate_limit: float | None
    on_progress: Callable[[Progress], None] | None
    validate: bool

    def check(self) -> None:
        if not isinstance(self.concurrency, int) or self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be an int >= 1, got {self.concurrency!r}")
        if self.rate_limit is not None and not (
            isinstance(self.rate_limit, int | float) and self.rate_limit > 0
        ):
            raise ConfigurationError(
                f"rate_limit must be a positive number of launches per second, got "
                f"{self.rate_limit!r}"
            )
        if self.token_field is not None and (
            not isinstance(self.token_field, str) or not self.token_field
        ):
            raise ConfigurationError(
                f"token_field must be a kickoff field api_name, got {self.token_field!r}"
            )


@attrs.define(kw_only=True)
class _Plan:
    """A validated batch, ready to launch."""

    items: list[LaunchItem]
    tokens: list[str]
    #: Keyword arguments for ``templates.run`` per item (``None``: invalid item).
    payloads: list[dict[str, Any] | None]
    #: Results known before launching (invalid items, items launched by a previous run).
    ready: list[LaunchResult]
    #: Indexes to launch, in input order.
    todo: list[int]
    #: Indexes a previous run may have sent: look them up before sending.
    reconcile_first: set[int]
    #: Launch attempts made by previous runs, per index.
    previous_attempts: dict[int, int]
    #: Items an earlier run may have sent that are invalid now: reported so unless found.
    invalid_after_lookup: dict[int, LaunchResult]
    writer: JournalWriter | None


class _Batch:
    """One bulk run: preparation, launching, reconciliation, journal and progress."""

    def __init__(self, client: Pneumatic, template_id: int, options: _Options) -> None:
        options.check()
        self.client = client
        self.template_id = template_id
        self.options = options
        self.pacer = Pacer(rate_limit=options.rate_limit)
        self.policy = client.retry_policy

    # -- preparation --------------------------------------------------------------------------

    @asynccontextmanager
    async def prepared(self, items: Iterable[ItemInput]) -> AsyncIterator[_Plan]:
        """Validate ``items``, open the journal, and yield the plan (closing the journal after)."""
        launch_items = normalize_items(items)
        options = self.options
        binding = Binding(
            template_id=self.template_id,
            item_count=len(launch_items),
            items_hash=fingerprint(launch_items),
            token_field=options.token_field,
        )
        path = options.journal
        journal: Journal | None = None
        entries: list[JournalEntry] | None = None
        if path is not None and _journal_exists(path):
            # Refuse a mismatching or locked journal before any validation request.
            journal = await anyio.to_thread.run_sync(
                lambda: Journal.open(path, binding, create=False)
            )
        try:
            if journal is not None:
                entries = await anyio.to_thread.run_sync(journal.entries)
            # Items an earlier run launched are not checked again (a due date may have passed).
            launched = {entry.index for entry in entries or () if entry.state is ItemState.LAUNCHED}
            attempted = {entry.index for entry in entries or () if entry.attempts > 0}
            problems, kickoffs = await self._validate(launch_items, skip=launched)
            # Problems of items an earlier run may have sent do not block the run: they are
            # looked up first and reported invalid only if the server does not have them.
            blocking = [p for i, found in problems.items() if i not in attempted for p in found]
            if blocking and not options.skip_invalid:
                raise InvalidValuesError(blocking)
            if journal is None and path is not None:
                journal = await anyio.to_thread.run_sync(
                    lambda: Journal.open(path, binding, create=True)
                )
            run_id = journal.run_id if journal is not None else new_run_id()
            width = index_width(len(launch_items))
            tokens = [make_token(run_id, index, width) for index in range(len(launch_items))]
            default_name = await self._default_name(launch_items)
            plan = self._plan(launch_items, tokens, problems, kickoffs, default_name, entries)
            plan.writer = JournalWriter(journal) if journal is not None else None
        except BaseException:
            if journal is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(journal.close)
            raise
        try:
            yield plan
        except BaseException:
            if plan.writer is not None:
                await plan.writer.aclose(quiet=True)  # never mask the error or cancellation
            raise
        if plan.writer is not None:
            await plan.writer.aclose()

    async def _validate(
        self, items: list[LaunchItem], *, skip: set[int]
    ) -> tuple[dict[int, list[FieldProblem]], list[dict[str, Any]]]:
        """Problems per bad item, and every item's kickoff as it will be sent (items in ``skip``
        are not checked)."""
        options = self.options
        token_field = options.token_field
        problems: dict[int, list[FieldProblem]] = {}
        for index, item in enumerate(items):
            if index in skip:
                continue
            found = check_item(item, index)
            if token_field is not None and token_field in item.kickoff:
                found.append(
                    FieldProblem(
                        field=token_field,
                        message="this field carries the launch token (token_field): leave it out",
                        item=index,
                    )
                )
            if found:
                problems[index] = found
        if not options.validate:
            return problems, [dict(item.kickoff) for item in items]

        from pneumatic_async import values

        specs = await self.client.templates.kickoff_specs(self.template_id)
        if token_field is not None:
            _check_token_field(specs, token_field)
        user_ids: set[int] = set()
        for index, item in enumerate(items):
            if index not in skip:
                user_ids.update(values.user_ids_in(specs, item.kickoff))
        user_emails = await values.resolve_user_emails(self.client, user_ids) if user_ids else {}
        kickoffs: list[dict[str, Any]] = []
        placeholder = make_token("b" * 8, 0)
        for index, item in enumerate(items):
            raw = dict(item.kickoff)
            if index in skip:
                kickoffs.append(raw)
                continue
            if token_field is not None:
                raw[token_field] = placeholder  # the real token replaces it after encoding
            try:
                encoded = values.encode_values(
                    specs, raw, check_required=True, user_emails=user_emails, item=index
                )
            except InvalidValuesError as exc:
                problems.setdefault(index, []).extend(exc.problems)
                encoded = {}
            kickoffs.append(dict(encoded))
        return problems, kickoffs

    async def _default_name(self, items: list[LaunchItem]) -> str | None:
        """The name to stamp for items without one (``None`` when no item needs it)."""
        if self.options.token_field is not None or all(item.name is not None for item in items):
            return None
        templates = self.client.templates
        try:
            name_template = (await templates.get(self.template_id)).wf_name_template
        except PermissionDeniedError:
            # The detail needs an admin template owner; starters find the template in the list.
            name_template = None
            async for listed in templates.list(page_size=MAX_PAGE_SIZE):
                if listed.id == self.template_id:
                    name_template = listed.wf_name_template
                    break
        return name_template or DEFAULT_NAME_TEMPLATE

    def _plan(
        self,
        items: list[LaunchItem],
        tokens: list[str],
        problems: dict[int, list[FieldProblem]],
        kickoffs: list[dict[str, Any]],
        default_name: str | None,
        entries: list[JournalEntry] | None,
    ) -> _Plan:
        token_field = self.options.token_field
        plan = _Plan(
            items=items,
            tokens=tokens,
            payloads=[None] * len(items),
            ready=[],
            todo=[],
            reconcile_first=set(),
            previous_attempts={},
            invalid_after_lookup={},
            writer=None,
        )
        for index, item in enumerate(items):
            token = tokens[index]
            entry = entries[index] if entries is not None else None
            if entry is not None and entry.state is ItemState.LAUNCHED:
                plan.ready.append(
                    LaunchResult(
                        index=index,
                        item=item,
                        status="resumed",
                        token=token,
                        workflow_id=entry.workflow_id,
                    )
                )
                continue
            attempted = entry is not None and entry.attempts > 0
            if attempted:
                assert entry is not None
                plan.reconcile_first.add(index)
                plan.previous_attempts[index] = entry.attempts
            if index in problems:
                invalid = LaunchResult(
                    index=index,
                    item=item,
                    status="invalid",
                    token=token,
                    error=InvalidValuesError(problems[index]),
                )
                if attempted:
                    plan.invalid_after_lookup[index] = invalid
                    plan.todo.append(index)
                else:
                    plan.ready.append(invalid)
                continue
            kickoff = kickoffs[index]
            name = item.name
            if token_field is not None:
                kickoff[token_field] = token
            else:
                name = stamp_name(name if name is not None else (default_name or ""), token)
            payload: dict[str, Any] = {
                "kickoff": kickoff,
                "name": name if name is not None else NOT_GIVEN,
                "is_urgent": item.is_urgent if item.is_urgent is not None else NOT_GIVEN,
                "due_date": item.due_date if item.due_date is not None else NOT_GIVEN,
            }
            plan.payloads[index] = payload
            plan.todo.append(index)
        return plan

    # -- launching ----------------------------------------------------------------------------

    async def execute(self, plan: _Plan, emit: Emit) -> None:
        """Launch every item of ``plan``; ``emit`` receives each result as it is known."""
        tracker = ProgressTracker(len(plan.items))
        on_progress = self.options.on_progress
        try:
            with _single_errors():
                async with anyio.create_task_group() as outer:
                    if on_progress is not None:
                        outer.start_soon(_report_progress, tracker, on_progress)
                    for result in plan.ready:
                        tracker.count(result.status)
                        await emit(result)
                    limiter = anyio.CapacityLimiter(self.options.concurrency)
                    async with anyio.create_task_group() as tasks:
                        for index in plan.todo:
                            slot = _Slot(index)
                            await limiter.acquire_on_behalf_of(slot)
                            tasks.start_soon(self._run_item, plan, slot, limiter, tracker, emit)
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

    async def _run_item(
        self,
        plan: _Plan,
        slot: _Slot,
        limiter: anyio.CapacityLimiter,
        tracker: ProgressTracker,
        emit: Emit,
    ) -> None:
        index = slot.index
        try:
            tracker.in_flight += 1
            tracker.changed = True
            try:
                result = await self._launch(plan, index)
            except JournalError:
                raise  # without its journal the run cannot promise anything: stop it
            except Exception as exc:  # an unexpected error stays this item's failure
                logger.exception("bulk launch of item %d failed unexpectedly", index)
                error = PneumaticError(f"unexpected error: {type(exc).__name__}: {exc}")
                error.__cause__ = exc
                result = self._result(plan, index, "failed", error=error)
            finally:
                tracker.in_flight -= 1
            tracker.count(result.status)
            await emit(result)  # holding the slot: a slow consumer slows the launches down
        finally:
            limiter.release_on_behalf_of(slot)

    def _result(
        self,
        plan: _Plan,
        index: int,
        status: LaunchStatus,
        *,
        workflow: Any = None,
        error: PneumaticError | None = None,
        attempts: int = 0,
    ) -> LaunchResult:
        return LaunchResult(
            index=index,
            item=plan.items[index],
            status=status,
            token=plan.tokens[index],
            workflow_id=workflow.id if workflow is not None else None,
            workflow=workflow,
            error=error,
            attempts=attempts,
        )

    async def _record(
        self,
        plan: _Plan,
        index: int,
        state: ItemState,
        *,
        attempts: int | None = None,
        workflow_id: int | None = None,
        error: BaseException | None = None,
    ) -> None:
        if plan.writer is None:
            return
        await plan.writer.record(
            JournalUpdate(
                index=index,
                state=state,
                attempts=attempts,
                workflow_id=workflow_id,
                error=f"{type(error).__name__}: {error}" if error is not None else None,
            )
        )

    async def _launch(self, plan: _Plan, index: int) -> LaunchResult:
        """Launch one item exactly once (a lookup before any re-send); API errors become results."""
        token = plan.tokens[index]
        previous = plan.previous_attempts.get(index, 0)
        if index in plan.reconcile_first:
            try:
                found = await self._lookup(token)
            except PneumaticError as exc:
                earlier = PneumaticError("sent by an earlier run of this journal; outcome unknown")
                error = UnresolvedLaunchError(token, launch_error=earlier, lookup_error=exc)
                return self._result(plan, index, "failed", error=error)
            if found is not None:
                await self._record(plan, index, ItemState.LAUNCHED, workflow_id=found.id)
                return self._result(plan, index, "reconciled", workflow=found)
        payload = plan.payloads[index]
        if payload is None:  # invalid now, and the lookup says it was never created
            await self._record(
                plan, index, ItemState.FAILED, error=plan.invalid_after_lookup[index].error
            )
            return plan.invalid_after_lookup[index]
        attempt = 0
        max_attempts = self.policy.max_attempts
        while True:
            attempt += 1
            await self._record(plan, index, ItemState.IN_FLIGHT, attempts=previous + attempt)
            await self.pacer.wait()
            try:
                workflow = await self.client.templates.run(
                    self.template_id, **payload, validate=False
                )
            except RateLimitError as exc:
                # 429: not applied. The client already waited (shared pause) and retried.
                if attempt >= max_attempts:
                    await self._record(plan, index, ItemState.FAILED, error=exc)
                    return self._result(plan, index, "failed", error=exc, attempts=attempt)
                await anyio.sleep(backoff_delay(self.policy, attempt))
                continue
            except APIStatusError as exc:
                if exc.status_code < 500:  # a clear rejection: nothing was created
                    await self._record(plan, index, ItemState.FAILED, error=exc)
                    return self._result(plan, index, "failed", error=exc, attempts=attempt)
                launch_error: PneumaticError = exc
            except PneumaticError as exc:
                # AmbiguousOutcomeError, ResponseValidationError (2xx, undecodable body), a
                # connection error: the server may have the workflow.
                launch_error = exc
            else:
                await self._record(plan, index, ItemState.LAUNCHED, workflow_id=workflow.id)
                return self._result(plan, index, "launched", workflow=workflow, attempts=attempt)

            # The outcome is unknown: look the token up before sending anything again.
            await anyio.sleep(backoff_delay(self.policy, attempt))
            try:
                found = await self._lookup(token)
            except PneumaticError as exc:
                await self._record(plan, index, ItemState.IN_FLIGHT, error=launch_error)
                error = UnresolvedLaunchError(token, launch_error=launch_error, lookup_error=exc)
                return self._result(plan, index, "failed", error=error, attempts=attempt)
            if found is not None:
                await self._record(plan, index, ItemState.LAUNCHED, workflow_id=found.id)
                return self._result(plan, index, "reconciled", workflow=found, attempts=attempt)
            if attempt >= max_attempts:
                await self._record(plan, index, ItemState.FAILED, error=launch_error)
                return self._result(plan, index, "failed", error=launch_error, attempts=attempt)
            logger.info("launch %s not found after %s; sending it again", token, launch_error)

    async def _lookup(self, token: str) -> WorkflowListItem | None:
        """The workflow carrying ``token`` (the oldest if several), or ``None``."""
        token_field = self.options.token_field
        await self.pacer.wait()
        listing = self.client.workflows.list(
            template_id=self.template_id,
            search=token,
            fields=[token_field] if token_field is not None else NOT_GIVEN,
            page_size=LOOKUP_PAGE_SIZE,
            max_items=LOOKUP_MAX_ITEMS,
        )
        matches: list[WorkflowListItem] = []
        async for workflow in listing:
            if token_field is None:
                carried = has_token(workflow.name, token)
            else:
                carried = any(
                    field.api_name == token_field and has_token(field.value, token)
                    for field in workflow.fields
                )
            if carried and (workflow.template is None or workflow.template.id == self.template_id):
                matches.append(workflow)
        if not matches:
            return None
        if len(matches) > 1:
            logger.warning(
                "launch token %s is carried by %d workflows: %s",
                token,
                len(matches),
                sorted(w.id for w in matches),
            )
        return min(matches, key=lambda w: w.id)


class _Slot:
    """A borrower of the batch's capacity limiter (one per item)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


async def _report_progress(tracker: ProgressTracker, callback: Callable[[Progress], None]) -> None:
    while True:
        await anyio.sleep(PROGRESS_INTERVAL)
        if tracker.changed:
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


def _journal_exists(path: str | os.PathLike[str]) -> bool:
    fspath = os.fspath(path)
    return os.path.exists(fspath) and os.path.getsize(fspath) > 0


def _check_token_field(specs: Any, token_field: str) -> None:
    from pneumatic_async import values

    spec = values.find_spec(specs, token_field)
    if spec is None:
        raise ConfigurationError(
            f"token_field {token_field!r} is not a kickoff field of the template"
        )
    field_type = str(spec.type)
    if field_type not in TOKEN_FIELD_TYPES:
        raise ConfigurationError(
            f"token_field {token_field!r} is a {field_type!r} field; the launch token needs a "
            "string or text field"
        )


# --------------------------------------------------------------------------------------------
# Public API


async def run_many(
    client: Pneumatic,
    template_id: int,
    items: Iterable[LaunchItem | Mapping[str, Any]],
    *,
    concurrency: int = 20,
    token_field: str | None = None,
    journal: str | os.PathLike[str] | None = None,
    skip_invalid: bool = False,
    rate_limit: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    validate: bool = True,
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
    * ``journal``: path of a SQLite file recording every item's state; run again with the same
      path and the same items to resume after a crash or cancellation.
    * ``skip_invalid``: launch the valid items and report the others as ``invalid`` instead of
      raising :class:`~pneumatic_async.errors.InvalidValuesError` for the whole batch.
    * ``rate_limit``: at most this many launches (and lookups) per second for this batch.
    * ``on_progress``: called with a :class:`~pneumatic_async.bulk.results.Progress` at most
      every 100 ms while something changes, and once at the end (also after a cancellation). It
      runs in the event loop: keep it quick; an exception from it aborts the run.
    * ``validate``: encode and check kickoff values against the template before launching
      (``False``: send the kickoff values as given).

    Raises :class:`~pneumatic_async.errors.InvalidValuesError` (all bad items, before anything is
    sent), ``ConfigurationError`` for bad options, ``JournalMismatchError`` /
    ``JournalLockedError`` for a journal of another run or in use. Cancelling the caller cancels
    the launches in flight (their outcome stays unknown; a journal resume settles them).
    """
    batch = _Batch(
        client,
        template_id,
        _Options(
            concurrency=concurrency,
            token_field=token_field,
            journal=journal,
            skip_invalid=skip_invalid,
            rate_limit=rate_limit,
            on_progress=on_progress,
            validate=validate,
        ),
    )
    async with batch.prepared(items) as plan:
        results: list[LaunchResult | None] = [None] * len(plan.items)

        async def collect(result: LaunchResult) -> None:
            results[result.index] = result

        await batch.execute(plan, collect)
    missing = [index for index, result in enumerate(results) if result is None]
    if missing:  # pragma: no cover - every path emits a result; guard against silent loss
        raise RuntimeError(f"bulk run lost the results of items {missing[:10]}")
    return [result for result in results if result is not None]


async def stream_run(
    client: Pneumatic,
    template_id: int,
    items: Iterable[LaunchItem | Mapping[str, Any]],
    *,
    concurrency: int = 20,
    token_field: str | None = None,
    journal: str | os.PathLike[str] | None = None,
    skip_invalid: bool = False,
    rate_limit: float | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    validate: bool = True,
) -> AsyncGenerator[LaunchResult, None]:
    """Like :func:`run_many`, but yield each result as soon as it is known (completion order).

    Results known before launching (``invalid``, ``resumed``) come first. Validation happens when
    iteration starts (the first ``__anext__`` raises ``InvalidValuesError``). Use it with
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
    batch = _Batch(
        client,
        template_id,
        _Options(
            concurrency=concurrency,
            token_field=token_field,
            journal=journal,
            skip_invalid=skip_invalid,
            rate_limit=rate_limit,
            on_progress=on_progress,
            validate=validate,
        ),
    )
    async with batch.prepared(items) as plan:
        send, receive = anyio.create_memory_object_stream[LaunchResult](
            max_buffer_size=max(batch.options.concurrency, 1)
        )
        failure: list[BaseException] = []

        async def drive() -> None:
            async with send:
                try:
                    await batch.execute(plan, send.send)
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
