"""Launching one item exactly once: send, trust only an answer that carries the item's token,
and when the outcome is unknown, look the token up (twice) before anything is sent again.

One launch attempt ends in one of these ways (the client sends it once: this loop is the only
one that retries, so attempts never multiply):

* **an answer carrying the item's token** (in the name, or in the ``token_field`` value):
  ``launched``. An answer for a workflow *without* the token is not trusted (a real server's ASGI
  layer once answered 200 for a launch that created nothing): the outcome is unknown;
* **a clear rejection** (4xx other than 429): nothing was created; the item fails;
* **not sent** (connection refused, connect timeout: an
  :class:`~pneumatic_async.errors.APIConnectionError` with ``may_have_been_sent`` false) or
  **429**: nothing was created; sent again after a backoff;
* **unknown** (5xx, a read timeout or dropped connection, an undecodable 2xx, an untrusted
  answer): the token is looked up. Found: ``reconciled``. Not found: looked up a second time, no
  earlier than ``lookup_delay`` seconds after the failure when the server may still have been
  working on it (no answer, 502, 504), then sent again only if still absent (``resent`` counts
  these re-sends).

Failures that mean the server is unreachable feed the batch's :class:`~.outage.Outage`: the
whole batch then waits (and one item probes) instead of burning its attempts.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from pneumatic_async._pacer import Pacer
from pneumatic_async._types import NOT_GIVEN
from pneumatic_async.bulk.journal import ItemState, JournalUpdate
from pneumatic_async.bulk.options import BatchOptions
from pneumatic_async.bulk.outage import Outage, ServerUnreachableError, is_outage_error
from pneumatic_async.bulk.results import (
    LaunchResult,
    LaunchStatus,
    NotLaunchedError,
    UnresolvedLaunchError,
)
from pneumatic_async.bulk.tokens import has_token
from pneumatic_async.bulk.units import Launch, PlanBase
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    PneumaticError,
    RateLimitError,
)
from pneumatic_async.models.workflows import Workflow, WorkflowListItem
from pneumatic_async.resources._idempotent import (
    LOOKUP_MAX_ITEMS,
    LOOKUP_PAGE_SIZE,
    oldest_carrier,
)
from pneumatic_async.retries import backoff_delay

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = [
    "DEFAULT_LOOKUP_DELAY",
    "LOOKUP_MAX_ITEMS",
    "LOOKUP_PAGE_SIZE",
    "Launcher",
    "UntrustedAnswerError",
]

logger = logging.getLogger("pneumatic_async.bulk")

#: ``lookup_delay`` when the client has no read timeout (seconds).
DEFAULT_LOOKUP_DELAY = 30.0
#: Answers after which the server may still be working on the request (a proxy gave up on it).
_STILL_WORKING_STATUSES = frozenset({502, 504})


class UntrustedAnswerError(PneumaticError):
    """The server answered a launch with a workflow that does not carry the item's token."""


@attrs.define(kw_only=True)
class _Item:
    """The counters of one item's launch."""

    unit: Launch
    index: int
    token: str
    attempts: int = 0
    lookups: int = 0
    resent: int = 0


class _Unresolved(Exception):
    """A lookup failed for good (internal: becomes an ``UnresolvedLaunchError`` result)."""

    def __init__(self, error: PneumaticError) -> None:
        super().__init__(str(error))
        self.error = error


class Launcher:
    """Launches the items of one plan; API errors become results, journal errors propagate."""

    def __init__(
        self,
        client: BulkClient,
        template_id: int,
        options: BatchOptions,
        plan: PlanBase,
        *,
        clock: Any = time.monotonic,
    ) -> None:
        self.client = client
        self.template_id = template_id
        self.options = options
        self.plan = plan
        self.pacer = Pacer(rate_limit=options.rate_limit)
        self.policy = client.retry_policy
        # Each launch goes out once per attempt of this launcher's own loop: the client must not
        # retry it again underneath (a persisting 429 would multiply the attempts).
        single = client.with_options(retry=attrs.evolve(client.retry_policy, max_attempts=1))
        self.launches = single.templates
        self._probe_client = single
        self.lookup_delay = (
            options.lookup_delay if options.lookup_delay is not None else _read_timeout(client)
        )
        self.outage = Outage(self._probe, timeout=options.outage_timeout, clock=clock)
        self._clock = clock

    # -- results and journal ------------------------------------------------------------------

    def result(
        self,
        unit: Launch,
        status: LaunchStatus,
        *,
        workflow: Any = None,
        error: PneumaticError | None = None,
        item: _Item | None = None,
    ) -> LaunchResult:
        """The result of ``unit``."""
        return LaunchResult(
            index=unit.index,
            item=unit.item,
            status=status,
            token=unit.token,
            workflow_id=workflow.id if workflow is not None else None,
            workflow=workflow if self.options.keep_workflows else None,
            error=error,
            attempts=item.attempts if item is not None else 0,
            lookups=item.lookups if item is not None else 0,
            resent=item.resent if item is not None else 0,
        )

    async def _record(
        self,
        unit: Launch,
        state: ItemState,
        *,
        attempts: int | None = None,
        workflow_id: int | None = None,
        error: BaseException | None = None,
    ) -> None:
        writer = self.plan.writer
        if writer is None:
            return
        await writer.record(
            JournalUpdate(
                index=unit.index,
                state=state,
                attempts=attempts,
                workflow_id=workflow_id,
                error=f"{type(error).__name__}: {error}" if error is not None else None,
                fingerprint=unit.fingerprint,
            )
        )

    async def _found(self, item: _Item, workflow: Any) -> LaunchResult:
        await self._record(item.unit, ItemState.LAUNCHED, workflow_id=workflow.id)
        return self.result(item.unit, "reconciled", workflow=workflow, item=item)

    async def _failed(self, item: _Item, error: PneumaticError) -> LaunchResult:
        await self._record(item.unit, ItemState.FAILED, error=error)
        return self.result(item.unit, "failed", error=error, item=item)

    async def _unresolved(
        self, item: _Item, launch_error: PneumaticError, exc: _Unresolved
    ) -> LaunchResult:
        # Left in flight in the journal: a resume looks it up again before sending anything.
        await self._record(item.unit, ItemState.IN_FLIGHT, error=launch_error)
        error = UnresolvedLaunchError(item.token, launch_error=launch_error, lookup_error=exc.error)
        return self.result(item.unit, "failed", error=error, item=item)

    # -- one item -----------------------------------------------------------------------------

    async def launch(self, unit: Launch) -> LaunchResult:
        """Launch one item exactly once (lookups before any re-send); API errors become results."""
        index = unit.index
        item = _Item(unit=unit, index=index, token=unit.token)
        previous = unit.previous_attempts
        if unit.reconcile_first:
            earlier = PneumaticError("sent by an earlier run of this journal; outcome unknown")
            try:
                found = await self._settle(item, earlier, still_working=False)
            except _Unresolved as exc:
                return await self._unresolved(item, earlier, exc)
            if found is not None:
                return await self._found(item, found)
        payload = unit.payload
        if payload is None:  # invalid now, and the lookups say it was never created
            assert unit.invalid is not None
            await self._record(unit, ItemState.FAILED, error=unit.invalid.error)
            return unit.invalid
        max_attempts = self.policy.max_attempts
        not_sent = 0
        while True:
            try:
                await self.outage.wait()
            except ServerUnreachableError as exc:
                return await self._failed(
                    item, NotLaunchedError(f"not sent: {exc}", last_error=exc)
                )
            item.attempts += 1
            await self._record(unit, ItemState.IN_FLIGHT, attempts=previous + item.attempts)
            await self.pacer.wait()
            try:
                workflow = await self.launches.run(self.template_id, **payload, validate=False)
            except RateLimitError as exc:
                # 429: not applied. The client paused every request (Retry-After) but did not
                # retry: this loop does.
                self.outage.success()
                if item.attempts >= max_attempts:  # the 429 itself says "not applied"
                    return await self._failed(item, exc)
                await anyio.sleep(backoff_delay(self.policy, item.attempts))
                continue
            except APIConnectionError as exc:
                if exc.may_have_been_sent:
                    launch_error: PneumaticError = exc
                else:
                    # Never left: nothing to settle. During an outage it costs no attempt.
                    self.outage.failure(exc)
                    item.attempts -= 1
                    not_sent += 1
                    if self.outage.since is None and not_sent >= max_attempts:
                        return await self._failed(item, exc)  # may_have_been_sent is False
                    await anyio.sleep(backoff_delay(self.policy, not_sent))
                    continue
            except APIStatusError as exc:
                self.outage.failure(exc)
                if exc.status_code < 500:  # a clear rejection: nothing was created
                    return await self._failed(item, exc)
                launch_error = exc
            except PneumaticError as exc:
                # AmbiguousOutcomeError (5xx, timeout, dropped connection), an undecodable 2xx
                # (ResponseValidationError): the server may have the workflow.
                self.outage.failure(exc)
                launch_error = exc
            else:
                self.outage.success()
                if self._carries_token(workflow, item.token):
                    await self._record(unit, ItemState.LAUNCHED, workflow_id=workflow.id)
                    return self.result(unit, "launched", workflow=workflow, item=item)
                launch_error = UntrustedAnswerError(
                    f"the answer to launch {item.token} is workflow {workflow.id} "
                    f"({workflow.name!r}), which does not carry the launch token"
                )
                logger.warning("%s; looking the token up", launch_error)

            # The outcome is unknown: look the token up before sending anything again.
            still_working = _may_still_be_working(launch_error)
            try:
                found = await self._settle(
                    item, launch_error, still_working=still_working, failed_at=self._clock()
                )
            except _Unresolved as exc:
                return await self._unresolved(item, launch_error, exc)
            if found is not None:
                return await self._found(item, found)
            if item.attempts >= max_attempts:
                error = _not_launched(item, launch_error, "lookups found no workflow after")
                return await self._failed(item, error)
            item.resent += 1
            logger.info(
                "launch %s: %d lookups found no workflow after %s: %s; sending it again "
                "(attempt %d of %d)",
                item.token,
                item.lookups,
                type(launch_error).__name__,
                launch_error,
                item.attempts + 1,
                max_attempts,
            )

    async def _settle(
        self,
        item: _Item,
        launch_error: PneumaticError,
        *,
        still_working: bool,
        failed_at: float | None = None,
    ) -> Any:
        """The workflow carrying the item's token, by up to two lookups, or ``None``.

        The first lookup runs after a short backoff; the second, if the first found nothing, no
        earlier than ``lookup_delay`` after ``failed_at`` when the server may still have been
        working on the launch. Raises :class:`_Unresolved` when the lookups cannot be made.
        """
        await anyio.sleep(backoff_delay(self.policy, max(item.attempts, 1)))
        for number in (1, 2):
            if number == 2:
                if still_working:
                    since = self._clock() - (failed_at if failed_at is not None else self._clock())
                    await anyio.sleep(max(self.lookup_delay - since, 0.0))
                else:
                    await anyio.sleep(backoff_delay(self.policy, max(item.attempts, 1)))
            found = await self._lookup_through_outages(item)
            if found is not None:
                return found
        return None

    async def _lookup_through_outages(self, item: _Item) -> Any:
        failures = 0
        while True:
            try:
                await self.outage.wait()
            except ServerUnreachableError as exc:
                raise _Unresolved(exc) from None
            try:
                found = await self.lookup(item.token)
            except PneumaticError as exc:
                self.outage.failure(exc)
                failures += 1
                if not is_outage_error(exc) or (
                    self.outage.since is None and failures >= self.policy.max_attempts
                ):
                    raise _Unresolved(exc) from None
                await anyio.sleep(backoff_delay(self.policy, failures))
                continue
            self.outage.success()
            item.lookups += 1
            return found

    def _carries_token(self, workflow: Workflow, token: str) -> bool:
        token_field = self.options.token_field
        if token_field is None:
            return has_token(workflow.name, token)
        kickoff = workflow.kickoff
        if kickoff is None:
            return False
        return any(
            field.api_name == token_field and has_token(_text(field.value), token)
            for field in kickoff.output
        )

    async def _probe(self) -> None:
        """One request that succeeds when the server answers (any page of the workflow list)."""
        listing = self._probe_client.workflows.list(
            template_id=self.template_id, page_size=1, max_items=1
        )
        async for _ in listing:
            break

    async def lookup(self, token: str) -> WorkflowListItem | None:
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
        return await oldest_carrier(listing, token, token_field, self.template_id)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _read_timeout(client: Any) -> float:
    timeout = getattr(client, "timeout", None)
    read = getattr(timeout, "read", None)
    return float(read) if isinstance(read, int | float) and read >= 0 else DEFAULT_LOOKUP_DELAY


def _may_still_be_working(error: PneumaticError) -> bool:
    """Whether the server may still be processing the launch (no answer, or a proxy's 502/504)."""
    cause = error.cause if isinstance(error, AmbiguousOutcomeError) else error
    if isinstance(cause, APIConnectionError):
        return True
    return isinstance(cause, APIStatusError) and cause.status_code in _STILL_WORKING_STATUSES


def _not_launched(item: _Item, error: BaseException, what: str) -> NotLaunchedError:
    return NotLaunchedError(
        f"launch {item.token} not launched: {what} {type(error).__name__}: {error} "
        f"({item.attempts} attempt(s), {item.lookups} lookup(s), {item.resent} re-send(s))",
        last_error=error,
    )
