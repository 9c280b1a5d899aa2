"""Retry policy, written as pure functions so every decision is table-tested without sleeping.

Rules (see :func:`decide`):

* Idempotent requests (GET, PUT, DELETE, HEAD, and POSTs a resource marks idempotent) are retried
  on connection errors, timeouts, 429, 502, 503 and 504.
* A POST is retried only when the server provably did not apply it: the connection was refused
  or timed out, or the pool timed out, before anything was sent; or the server answered 429.
* After a 5xx, a read timeout or a connection dropped after sending, a POST's outcome is unknown:
  the decision is :attr:`Action.AMBIGUOUS` and the client raises
  :class:`~pneumatic_async.errors.AmbiguousOutcomeError`. A second launch would launch a second
  workflow, so the core never guesses; the bulk launcher reconciles with launch tokens.
* Backoff is exponential with full jitter and a cap; ``Retry-After`` (seconds or HTTP date) is
  honoured up to ``max_retry_after``; attempts and an overall deadline bound the whole call.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable

import attrs

from pneumatic_async.errors import APIConnectionError, APIStatusError, RateLimitError

__all__ = [
    "IDEMPOTENT_METHODS",
    "Action",
    "Decision",
    "Outcome",
    "OutcomeKind",
    "RetryEvent",
    "RetryPolicy",
    "backoff_delay",
    "decide",
    "outcome_of",
]

#: Methods that may be sent twice without changing the result.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how patiently a request is retried.

    ``max_attempts`` counts every try (1 = never retry). ``deadline`` bounds the time across all
    attempts, including waits (``None``: no bound). Backoff before retry ``n`` (1-based) is a
    uniformly random delay in ``[0, min(max_backoff, initial_backoff * 2 ** (n - 1))]``.
    """

    max_attempts: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    initial_backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_backoff: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))
    deadline: float | None = 120.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that sends every request once."""
        return cls(max_attempts=1)


class OutcomeKind(enum.Enum):
    """What one attempt produced."""

    #: An error status from the server.
    STATUS = "status"
    #: No response, and the request provably never reached the server.
    NOT_SENT = "not_sent"
    #: No response, and the request may have reached the server.
    MAYBE_SENT = "maybe_sent"
    #: A local error no retry can fix.
    FATAL = "fatal"


@attrs.frozen(kw_only=True)
class Outcome:
    """The result of one failed attempt, as the policy sees it."""

    kind: OutcomeKind
    status_code: int | None = None
    retry_after: float | None = None

    @classmethod
    def status(cls, status_code: int, retry_after: float | None = None) -> Outcome:
        """An error status (with the server's ``Retry-After`` in seconds, if any)."""
        return cls(kind=OutcomeKind.STATUS, status_code=status_code, retry_after=retry_after)


class Action(enum.Enum):
    """What to do after a failed attempt."""

    RETRY = "retry"
    RAISE = "raise"
    #: Stop: the request may have been applied; raise ``AmbiguousOutcomeError``.
    AMBIGUOUS = "ambiguous"


@attrs.frozen(kw_only=True)
class Decision:
    """The policy's answer: an action and, for a retry, how long to wait first."""

    action: Action
    delay: float = 0.0
    reason: str = ""


@attrs.frozen(kw_only=True)
class RetryEvent:
    """Passed to the client's ``on_retry`` hook before each retry."""

    method: str
    path: str
    attempt: int
    delay: float
    reason: str


def backoff_delay(
    policy: RetryPolicy, retry_number: int, rand: Callable[[], float] = random.random
) -> float:
    """Full-jitter exponential backoff before retry ``retry_number`` (1-based)."""
    ceiling = min(policy.max_backoff, policy.initial_backoff * 2.0 ** max(0, retry_number - 1))
    return rand() * ceiling


def _may_have_applied(outcome: Outcome) -> bool:
    if outcome.kind is OutcomeKind.MAYBE_SENT:
        return True
    return outcome.kind is OutcomeKind.STATUS and (outcome.status_code or 0) >= 500


def _retryable(outcome: Outcome, policy: RetryPolicy, idempotent: bool) -> tuple[bool, str]:
    if outcome.kind is OutcomeKind.FATAL:
        return False, "local error"
    if outcome.kind is OutcomeKind.NOT_SENT:
        return True, "connection failed before the request was sent"
    if outcome.kind is OutcomeKind.MAYBE_SENT:
        return idempotent, "no response (timeout or dropped connection)"
    status = outcome.status_code or 0
    if status == 429 and 429 in policy.retry_statuses:
        return True, "429 rate limited"
    return idempotent and status in policy.retry_statuses, f"HTTP {status}"


def decide(
    policy: RetryPolicy,
    *,
    idempotent: bool,
    outcome: Outcome,
    attempt: int,
    elapsed: float,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """Decide what follows attempt number ``attempt`` (1-based) that ended with ``outcome``.

    ``elapsed`` is the time spent since the first attempt started. Pure: the same inputs (and the
    same ``rand``) always give the same decision.
    """
    if not idempotent and _may_have_applied(outcome):
        return Decision(action=Action.AMBIGUOUS, reason="the request may have been applied")
    retry, reason = _retryable(outcome, policy, idempotent)
    if not retry:
        return Decision(action=Action.RAISE, reason=f"not retryable: {reason}")
    if attempt >= policy.max_attempts:
        return Decision(action=Action.RAISE, reason=f"gave up after {attempt} attempts: {reason}")
    delay = backoff_delay(policy, attempt, rand)
    if outcome.retry_after is not None:
        delay = max(delay, min(outcome.retry_after, policy.max_retry_after))
    if policy.deadline is not None and elapsed + delay > policy.deadline:
        return Decision(action=Action.RAISE, reason=f"retry deadline exceeded: {reason}")
    return Decision(action=Action.RETRY, delay=delay, reason=reason)


def outcome_of(error: BaseException) -> Outcome:
    """What a failed attempt's error says about the request's fate (pure).

    A status error is its status (with ``Retry-After`` for a 429); a connection error is
    "not sent" or "maybe sent" as the transport reported it; anything else is a local error
    that no retry can fix.
    """
    if isinstance(error, RateLimitError):
        return Outcome.status(error.status_code, error.retry_after)
    if isinstance(error, APIStatusError):
        return Outcome.status(error.status_code)
    if isinstance(error, APIConnectionError):
        kind = OutcomeKind.MAYBE_SENT if error.may_have_been_sent else OutcomeKind.NOT_SENT
        return Outcome(kind=kind)
    return Outcome(kind=OutcomeKind.FATAL)
