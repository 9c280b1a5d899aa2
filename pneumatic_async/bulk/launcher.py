"""Launching one item exactly once: send, and when the outcome is unknown, look it up first.

When a launch's outcome is unknown (a 5xx, a read timeout or dropped connection:
:class:`~pneumatic_async.errors.AmbiguousOutcomeError`; a 2xx whose body does not decode:
:class:`~pneumatic_async.errors.ResponseValidationError`; any other error that is not a clear
rejection), the token is looked up first, and the launch is sent again only when the lookup
confirms no workflow carries it. Clear rejections (4xx) fail the item at once; 429s that outlasted
the client's retries are sent again after a backoff. Attempts per item are bounded by the
client's retry policy (``max_attempts``, with its backoff).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from pneumatic_async._pacer import Pacer
from pneumatic_async._types import NOT_GIVEN
from pneumatic_async.bulk.journal import ItemState, JournalUpdate
from pneumatic_async.bulk.options import BatchOptions
from pneumatic_async.bulk.plan import Plan
from pneumatic_async.bulk.results import LaunchResult, LaunchStatus, UnresolvedLaunchError
from pneumatic_async.bulk.tokens import has_token
from pneumatic_async.errors import APIStatusError, PneumaticError, RateLimitError
from pneumatic_async.models.workflows import WorkflowListItem
from pneumatic_async.retries import backoff_delay

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = ["LOOKUP_MAX_ITEMS", "LOOKUP_PAGE_SIZE", "Launcher"]

logger = logging.getLogger("pneumatic_async.bulk")

#: Workflows read per token lookup, at most (the token's own workflow ranks first).
LOOKUP_MAX_ITEMS = 100
#: Page size of a token lookup.
LOOKUP_PAGE_SIZE = 20


class Launcher:
    """Launches the items of one plan; API errors become results, journal errors propagate."""

    def __init__(
        self, client: BulkClient, template_id: int, options: BatchOptions, plan: Plan
    ) -> None:
        self.client = client
        self.template_id = template_id
        self.options = options
        self.plan = plan
        self.pacer = Pacer(rate_limit=options.rate_limit)
        self.policy = client.retry_policy
        # Each launch goes out once per attempt of this launcher's own loop: the client must not
        # retry it again underneath (a persisting 429 would multiply the attempts).
        self.launches = client.with_options(
            retry=attrs.evolve(client.retry_policy, max_attempts=1)
        ).templates

    def result(
        self,
        index: int,
        status: LaunchStatus,
        *,
        workflow: Any = None,
        error: PneumaticError | None = None,
        attempts: int = 0,
    ) -> LaunchResult:
        """The result of item ``index``."""
        plan = self.plan
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
        index: int,
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
                index=index,
                state=state,
                attempts=attempts,
                workflow_id=workflow_id,
                error=f"{type(error).__name__}: {error}" if error is not None else None,
            )
        )

    async def launch(self, index: int) -> LaunchResult:
        """Launch one item exactly once (a lookup before any re-send); API errors become results."""
        plan = self.plan
        token = plan.tokens[index]
        previous = plan.previous_attempts.get(index, 0)
        if index in plan.reconcile_first:
            try:
                found = await self.lookup(token)
            except PneumaticError as exc:
                earlier = PneumaticError("sent by an earlier run of this journal; outcome unknown")
                error = UnresolvedLaunchError(token, launch_error=earlier, lookup_error=exc)
                return self.result(index, "failed", error=error)
            if found is not None:
                await self._record(index, ItemState.LAUNCHED, workflow_id=found.id)
                return self.result(index, "reconciled", workflow=found)
        payload = plan.payloads[index]
        if payload is None:  # invalid now, and the lookup says it was never created
            await self._record(
                index, ItemState.FAILED, error=plan.invalid_after_lookup[index].error
            )
            return plan.invalid_after_lookup[index]
        attempt = 0
        max_attempts = self.policy.max_attempts
        while True:
            attempt += 1
            await self._record(index, ItemState.IN_FLIGHT, attempts=previous + attempt)
            await self.pacer.wait()
            try:
                workflow = await self.launches.run(self.template_id, **payload, validate=False)
            except RateLimitError as exc:
                # 429: not applied. The client paused every request (Retry-After) but did not
                # retry: this loop does.
                if attempt >= max_attempts:
                    await self._record(index, ItemState.FAILED, error=exc)
                    return self.result(index, "failed", error=exc, attempts=attempt)
                await anyio.sleep(backoff_delay(self.policy, attempt))
                continue
            except APIStatusError as exc:
                if exc.status_code < 500:  # a clear rejection: nothing was created
                    await self._record(index, ItemState.FAILED, error=exc)
                    return self.result(index, "failed", error=exc, attempts=attempt)
                launch_error: PneumaticError = exc
            except PneumaticError as exc:
                # AmbiguousOutcomeError, ResponseValidationError (2xx, undecodable body), a
                # connection error: the server may have the workflow.
                launch_error = exc
            else:
                await self._record(index, ItemState.LAUNCHED, workflow_id=workflow.id)
                return self.result(index, "launched", workflow=workflow, attempts=attempt)

            # The outcome is unknown: look the token up before sending anything again.
            await anyio.sleep(backoff_delay(self.policy, attempt))
            try:
                found = await self.lookup(token)
            except PneumaticError as exc:
                await self._record(index, ItemState.IN_FLIGHT, error=launch_error)
                error = UnresolvedLaunchError(token, launch_error=launch_error, lookup_error=exc)
                return self.result(index, "failed", error=error, attempts=attempt)
            if found is not None:
                await self._record(index, ItemState.LAUNCHED, workflow_id=found.id)
                return self.result(index, "reconciled", workflow=found, attempts=attempt)
            if attempt >= max_attempts:
                await self._record(index, ItemState.FAILED, error=launch_error)
                return self.result(index, "failed", error=launch_error, attempts=attempt)
            logger.info("launch %s not found after %s; sending it again", token, launch_error)

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
