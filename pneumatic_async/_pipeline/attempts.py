"""The retry loop, written once: an async iterator of attempts (stamina's ``retry_context`` idea).

::

    async for attempt in RetryLoop(policy, idempotent=False, method="POST", path=path):
        with attempt:
            return await send_once()

Each ``with attempt:`` block is one try. When it raises, :func:`~pneumatic_async.retries.decide`
(pure) says what follows: the loop swallows the error and sleeps the backoff before the next
attempt; or the error propagates with its ``attempts`` set; or, for a request that may have been
applied and must not be sent twice, :class:`~pneumatic_async.errors.AmbiguousOutcomeError` is
raised instead. A 429's ``Retry-After`` pauses the shared :class:`~pneumatic_async._pacer.Pacer`,
so every request of the client waits, not only this one.

Every call of the client goes through this loop. The bulk launcher, which must look a launch up
before it may send it again, keeps its own reconciliation loop (same backoff,
:func:`~pneumatic_async.retries.backoff_delay`) and calls the client with a single attempt, so
attempts never multiply: a layer that retries calls the layer below with a single attempt.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import TracebackType

import anyio

from pneumatic_async._logging import logger, redact
from pneumatic_async._pacer import Pacer
from pneumatic_async.errors import AmbiguousOutcomeError, PneumaticError
from pneumatic_async.retries import Action, RetryEvent, RetryPolicy, decide, outcome_of

__all__ = ["Attempt", "DeadlinePassed", "RetryLoop"]


class DeadlinePassed(Exception):
    """The call's deadline passed (or would pass while waiting): the send step turns this into
    the typed timeout error."""


class Attempt:
    """One try of a :class:`RetryLoop`; use it as a context manager around the try."""

    __slots__ = ("_loop", "number")

    def __init__(self, loop: RetryLoop, number: int) -> None:
        self._loop = loop
        #: 1 for the first try.
        self.number = number

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return self._loop._settle(self.number, exc)


class RetryLoop:
    """Attempts of one call under a :class:`~pneumatic_async.retries.RetryPolicy`.

    ``idempotent`` says whether the request may be sent again after it may have been applied.
    ``on_retry`` is called with a :class:`~pneumatic_async.retries.RetryEvent` before each retry.
    ``clock``, ``sleep`` and ``rand`` are injectable for tests.
    """

    __slots__ = (
        "_clock",
        "_delay",
        "_done",
        "_number",
        "_on_retry",
        "_pacer",
        "_rand",
        "_sleep",
        "_started",
        "idempotent",
        "method",
        "path",
        "policy",
    )

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        idempotent: bool,
        method: str,
        path: str,
        pacer: Pacer | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = anyio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.method = method
        self.path = path
        self._pacer = pacer
        self._on_retry = on_retry
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._number = 0
        self._delay = 0.0
        self._done = False
        self._started = 0.0

    @property
    def attempts(self) -> int:
        """How many attempts have started."""
        return self._number

    def remaining(self) -> float | None:
        """Seconds left before the policy's deadline (``None``: no deadline)."""
        deadline = self.policy.deadline
        if deadline is None:
            return None
        if self._number == 0:
            return deadline
        return deadline - (self._clock() - self._started)

    def __aiter__(self) -> RetryLoop:
        return self

    async def __anext__(self) -> Attempt:
        if self._done:
            raise StopAsyncIteration
        if self._number == 0:
            self._started = self._clock()
        elif self._delay > 0:
            await self._sleep(self._delay)  # type: ignore[misc]
        pacer = self._pacer
        if pacer is not None and not pacer.idle and not await pacer.wait(self.remaining()):
            self._done = True
            raise DeadlinePassed
        self._number += 1
        return Attempt(self, self._number)

    def _settle(self, number: int, exc: BaseException | None) -> bool:
        """Decide after attempt ``number``; True swallows ``exc`` (another attempt follows)."""
        if exc is None or not isinstance(exc, PneumaticError):
            self._done = True
            return False
        if hasattr(exc, "attempts"):
            exc.attempts = number
        outcome = outcome_of(exc)
        if outcome.retry_after is not None and self._pacer is not None:
            self._pacer.pause(min(outcome.retry_after, self.policy.max_retry_after))
        decision = decide(
            self.policy,
            idempotent=self.idempotent,
            outcome=outcome,
            attempt=number,
            elapsed=self._clock() - self._started,
            rand=self._rand,
        )
        if decision.action is Action.RETRY:
            self._delay = decision.delay
            logger.info(
                "retrying %s %s in %.2fs after attempt %d: %s",
                self.method,
                redact(self.path),
                decision.delay,
                number,
                decision.reason,
            )
            if self._on_retry is not None:
                self._on_retry(
                    RetryEvent(
                        method=self.method,
                        path=self.path,
                        attempt=number,
                        delay=decision.delay,
                        reason=decision.reason,
                    )
                )
            return True
        self._done = True
        if decision.action is Action.AMBIGUOUS:
            raise AmbiguousOutcomeError(
                "outcome unknown", method=self.method, path=self.path, attempts=number, cause=exc
            ) from exc
        return False
