"""Shared batches: several workers (processes, machines) run one bulk batch together.

``run_many(..., journal=SharedBatch(store=..., batch_id=...))`` in every worker:

1. Each worker validates the items as any run does, then opens the batch in the store
   (:meth:`~pneumatic_async.stores.BatchStore.open_batch`: the first creates it with a run id,
   so every worker derives the same launch tokens; a batch id used with other items is
   :class:`~pneumatic_async.stores.BatchMismatchError`).
2. It claims items (up to ``concurrency`` at a time) under a lease, renewed every third of the
   lease while it works on them, and launches each with the bulk launcher. Every ``in_flight``
   update is fenced: when the worker's lease has been lost (it stalled, another worker took the
   item over), nothing is sent and the item is left to its new holder.
3. Items claimed with ``attempts`` > 0 (a worker died or gave up after sending) are looked up by
   their token before anything is sent.
4. When no item is left to claim, it waits (``poll``) until every item is ``launched`` or
   ``failed``, then returns every item's result: its own as it made them, the others' from the
   store (``resumed``: launched by another worker; ``failed`` with the recorded error).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import anyio
import attrs

from pneumatic_async.bulk.items import as_item, fingerprint
from pneumatic_async.bulk.journal import (
    Binding,
    JournalEntry,
    JournalError,
    JournalUpdate,
    JournalWriter,
)
from pneumatic_async.bulk.launcher import Launcher
from pneumatic_async.bulk.options import BatchOptions
from pneumatic_async.bulk.plan import ItemInput, Launch, Plan, prepared
from pneumatic_async.bulk.results import LaunchResult, ProgressTracker, UnresolvedLaunchError
from pneumatic_async.bulk.shared_batch import SharedBatch
from pneumatic_async.errors import PneumaticError
from pneumatic_async.stores.base import ItemRecord, ItemState, ItemUpdate, StoreError, new_owner

if TYPE_CHECKING:
    from pneumatic_async.bulk.client import BulkClient

__all__ = ["LeaseLostError", "run_shared"]

logger = logging.getLogger("pneumatic_async.bulk")

_FINAL = (ItemState.LAUNCHED, ItemState.FAILED)
Emit = Callable[[LaunchResult], Awaitable[None]]


class LeaseLostError(JournalError):
    """This worker's lease on an item ended (another worker may hold it): nothing was sent."""


class _SharedJournal:
    """The :class:`~pneumatic_async.bulk.journal.JournalStore` face of a shared batch, for the
    launcher's :class:`JournalWriter`: writes are fenced by this worker's leases."""

    def __init__(self, batch: SharedBatch, owner: str) -> None:
        self.batch = batch
        self.owner = owner
        self.description = f"shared batch {batch.batch_id!r}"
        #: Indexes whose last update was refused (lease lost, or settled by another worker).
        self.refused: set[int] = set()

    async def open(self, binding: Binding, *, create: bool) -> str | None:
        raise NotImplementedError  # pragma: no cover - opened by run_shared

    @property
    def resumed(self) -> bool:
        return True

    async def recorded(self) -> AsyncIterator[JournalEntry]:  # pragma: no cover - not used
        return
        yield

    async def write(self, updates: Sequence[JournalUpdate]) -> None:
        items = [
            ItemUpdate(
                index=u.index,
                state=ItemState(u.state),
                attempts=u.attempts,
                workflow_id=u.workflow_id,
                error=u.error,
            )
            for u in updates
        ]
        try:
            applied = await self.batch.store.record_items(
                self.batch.batch_id, owner=self.owner, updates=items
            )
        except StoreError as exc:
            raise JournalError(f"cannot write to the {self.description}: {exc}") from exc
        for update, ok in zip(updates, applied, strict=True):
            if ok:
                self.refused.discard(update.index)
            else:
                self.refused.add(update.index)

    async def close(self) -> None:
        return None


class _FencedWriter(JournalWriter):
    """Group commits like :class:`JournalWriter`; a refused ``in_flight`` update raises
    :class:`LeaseLostError` in the task that wanted to send."""

    journal: _SharedJournal

    def __init__(self, journal: _SharedJournal) -> None:
        super().__init__(journal)
        self.journal = journal

    async def record(self, update: JournalUpdate) -> None:
        await super().record(update)
        if update.state == ItemState.IN_FLIGHT and update.index in self.journal.refused:
            raise LeaseLostError(f"lost the lease on item {update.index}; not sending it")


async def run_shared(
    client: BulkClient,
    template_id: int,
    options: BatchOptions,
    items: Iterable[ItemInput],
    emit: Emit,
) -> None:
    """Run this worker's share of the batch; ``emit`` gets every item's result once it is
    settled (own results as they come, then the other workers' from the store)."""
    batch = options.journal
    assert isinstance(batch, SharedBatch)
    # Checked like any run (every item, before anything is sent), without a local journal.
    async with prepared(client, template_id, attrs.evolve(options, journal=None), items) as plan:
        assert isinstance(plan, Plan)  # checked up front (as_it_goes is refused with a batch)
        binding = Binding(
            template_id=template_id,
            item_count=plan.count,
            items_hash=fingerprint(as_item(raw, i) for i, raw in enumerate(plan.source)),
            token_field=options.token_field,
        )
        info = await batch.store.open_batch(
            batch.batch_id, binding=binding.as_meta(), item_count=plan.count, run_id=plan.run_id
        )
        plan.run_id = info.run_id  # the first worker's: every worker stamps the same tokens
        owner = new_owner()
        journal = _SharedJournal(batch, owner)
        plan.writer = _FencedWriter(journal)
        launcher = Launcher(client, template_id, options, plan)
        worker = _Worker(launcher, batch, journal, emit)
        try:
            await worker.run()
        finally:
            if worker.held:  # stopped early: the others may take these at once
                with anyio.CancelScope(shield=True):
                    await plan.writer.flush()
                    await batch.store.release_items(
                        batch.batch_id, owner=owner, indexes=sorted(worker.held)
                    )
    if options.on_progress is not None:
        options.on_progress(worker.tracker.snapshot())


class _Worker:
    def __init__(
        self, launcher: Launcher, batch: SharedBatch, journal: _SharedJournal, emit: Emit
    ) -> None:
        self.launcher = launcher
        self.plan = launcher.plan
        self.batch = batch
        self.store = batch.store
        self.journal = journal
        self.emit = emit
        self.owner = journal.owner
        self.held: set[int] = set()
        self.emitted: set[int] = set()
        self.unresolved: dict[int, int] = {}
        #: Every item: a result known before launching (invalid) or a :class:`Launch`. Kept
        #: whole (payloads included): any item may be claimed by this worker.
        plan = launcher.plan
        assert isinstance(plan, Plan)
        self.units: list[LaunchResult | Launch] = list(plan.units())
        self.tracker = ProgressTracker(self.plan.count)
        self._wake = anyio.Event()

    async def run(self) -> None:
        limit = self.launcher.options.concurrency
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._heartbeat)
            while True:
                room = limit - len(self.held)
                claims = []
                if room > 0:
                    claims = await self.store.claim_items(
                        self.batch.batch_id, owner=self.owner, limit=room, lease=self.batch.lease
                    )
                for claim in claims:
                    if claim.index in self.held:
                        continue  # still at work on it here (its lease had run out meanwhile)
                    if self.unresolved.get(claim.index, 0) >= self.launcher.policy.max_attempts:
                        continue  # this worker gave up on it: the lease runs out for others
                    self.held.add(claim.index)
                    tg.start_soon(self._work, claim.index, claim.attempts)
                if not claims and not self.held and await self._settled():
                    break
                if not claims or len(self.held) >= limit:
                    with anyio.move_on_after(self.batch.poll):
                        await self._wake.wait()
                    self._wake = anyio.Event()
            tg.cancel_scope.cancel()  # the heartbeat
        for record in await self.store.batch_items(self.batch.batch_id):
            if record.index not in self.emitted:
                await self.emit(self._from_record(record))

    async def _settled(self) -> bool:
        records = await self.store.batch_items(self.batch.batch_id)
        return all(
            r.state in _FINAL
            or self.unresolved.get(r.index, 0) >= self.launcher.policy.max_attempts
            for r in records
        )

    async def _heartbeat(self) -> None:
        while True:
            await anyio.sleep(self.batch.lease / 3)
            if not self.held:
                continue
            try:
                await self.store.renew_items(
                    self.batch.batch_id,
                    owner=self.owner,
                    indexes=sorted(self.held),
                    lease=self.batch.lease,
                )
            except StoreError:
                logger.warning("could not renew the leases of %s", self.journal.description)

    async def _work(self, index: int, attempts: int) -> None:
        try:
            result = await self._launch(index, attempts)
            if index in self.journal.refused:
                return  # settled by another worker: reported from the store at the end
            if isinstance(result.error, UnresolvedLaunchError):
                # Left in flight: its lease runs out, then a worker looks it up again.
                self.unresolved[index] = self.unresolved.get(index, 0) + 1
                if self.unresolved[index] < self.launcher.policy.max_attempts:
                    return
            self.tracker.count(result)
            self.emitted.add(index)
            await self.emit(result)
        except LeaseLostError:
            logger.info("item %d of %s was taken over", index, self.journal.description)
        finally:
            self.held.discard(index)
            self.journal.refused.discard(index)
            self._wake.set()

    async def _launch(self, index: int, attempts: int) -> LaunchResult:
        unit = self.units[index]
        if isinstance(unit, LaunchResult):  # invalid (skip_invalid)
            if attempts == 0:  # never sent: record it failed for every worker
                assert self.plan.writer is not None
                await self.plan.writer.record(
                    JournalUpdate(index=index, state=ItemState.FAILED, error=str(unit.error))
                )
                return unit
            # Invalid now, but a worker may have sent it: launched only if the lookups say no.
            unit = Launch(index=index, item=unit.item, token=unit.token, payload=None, invalid=unit)
        if attempts > 0:  # a worker sent it before (and died, or gave up): look it up first
            unit = attrs.evolve(unit, reconcile_first=True, previous_attempts=attempts)
        try:
            return await self.launcher.launch(unit)
        except JournalError:  # LeaseLostError included
            raise
        except Exception as exc:  # an unexpected error stays this item's failure
            logger.exception("bulk launch of item %d failed unexpectedly", index)
            error = PneumaticError(f"unexpected error: {type(exc).__name__}: {exc}")
            error.__cause__ = exc
            return self.launcher.result(unit, "failed", error=error)

    def _from_record(self, record: ItemRecord) -> LaunchResult:
        item, token = self.units[record.index].item, self.plan.token(record.index)
        if record.state is ItemState.LAUNCHED:
            return LaunchResult(
                index=record.index,
                item=item,
                status="resumed",
                token=token,
                workflow_id=record.workflow_id,
            )
        message = record.error or "still in flight in the shared batch: outcome unknown"
        return LaunchResult(
            index=record.index,
            item=item,
            status="failed",
            token=token,
            error=PneumaticError(message),
        )
