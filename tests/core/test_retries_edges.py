"""The retry policy at its boundaries: documented defaults, exact reasons, the deadline edge."""

from __future__ import annotations

import pytest

from pneumatic_async.retries import (
    IDEMPOTENT_METHODS,
    Action,
    Decision,
    Outcome,
    OutcomeKind,
    RetryPolicy,
    backoff_delay,
    decide,
)

NOT_SENT = Outcome(kind=OutcomeKind.NOT_SENT)
MAYBE_SENT = Outcome(kind=OutcomeKind.MAYBE_SENT)
FATAL = Outcome(kind=OutcomeKind.FATAL)


def _decide(
    outcome: Outcome,
    *,
    idempotent: bool = True,
    attempt: int = 1,
    elapsed: float = 0.0,
    policy: RetryPolicy | None = None,
    rand: float = 0.5,
) -> Decision:
    return decide(
        policy or RetryPolicy(initial_backoff=1.0, deadline=60.0),
        idempotent=idempotent,
        outcome=outcome,
        attempt=attempt,
        elapsed=elapsed,
        rand=lambda: rand,
    )


def test_documented_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == 4
    assert policy.initial_backoff == 0.5
    assert policy.max_backoff == 8.0
    assert policy.max_retry_after == 60.0
    assert policy.deadline == 120.0
    assert policy.retry_statuses == frozenset({429, 502, 503, 504})
    assert RetryPolicy.never().max_attempts == 1
    assert frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}) == IDEMPOTENT_METHODS


@pytest.mark.parametrize(
    ("name", "bad", "edge"),
    [
        ("max_attempts", 0, 1),
        ("initial_backoff", -0.01, 0.0),
        ("max_backoff", -0.01, 0.0),
        ("max_retry_after", -0.01, 0.0),
    ],
)
def test_policy_bounds(name: str, bad: float, edge: float) -> None:
    with pytest.raises(ValueError, match=name):
        RetryPolicy(**{name: bad})  # type: ignore[arg-type]
    assert getattr(RetryPolicy(**{name: edge}), name) == edge  # type: ignore[arg-type]


def test_outcome_status_constructor() -> None:
    outcome = Outcome.status(503, retry_after=2.5)
    assert outcome == Outcome(kind=OutcomeKind.STATUS, status_code=503, retry_after=2.5)
    assert Outcome.status(404).retry_after is None
    assert Outcome(kind=OutcomeKind.FATAL).status_code is None


@pytest.mark.parametrize(
    ("outcome", "idempotent", "action", "reason"),
    [
        (FATAL, True, Action.RAISE, "not retryable: local error"),
        (FATAL, False, Action.RAISE, "not retryable: local error"),
        (NOT_SENT, True, Action.RETRY, "connection failed before the request was sent"),
        (NOT_SENT, False, Action.RETRY, "connection failed before the request was sent"),
        (MAYBE_SENT, True, Action.RETRY, "no response (timeout or dropped connection)"),
        (MAYBE_SENT, False, Action.AMBIGUOUS, "the request may have been applied"),
        (Outcome.status(429), True, Action.RETRY, "429 rate limited"),
        (Outcome.status(429), False, Action.RETRY, "429 rate limited"),
        (Outcome.status(503), True, Action.RETRY, "HTTP 503"),
        (Outcome.status(500), True, Action.RAISE, "not retryable: HTTP 500"),
        (Outcome.status(500), False, Action.AMBIGUOUS, "the request may have been applied"),
        (Outcome.status(499), False, Action.RAISE, "not retryable: HTTP 499"),
        (Outcome(kind=OutcomeKind.STATUS), True, Action.RAISE, "not retryable: HTTP 0"),
        (Outcome(kind=OutcomeKind.STATUS), False, Action.RAISE, "not retryable: HTTP 0"),
    ],
)
def test_decision_reasons(outcome: Outcome, idempotent: bool, action: Action, reason: str) -> None:
    decision = _decide(outcome, idempotent=idempotent)
    assert decision.action is action
    assert decision.reason == reason
    if action is not Action.RETRY:
        assert decision.delay == 0.0


def test_status_zero_is_listed_like_any_other_status() -> None:
    # A status missing from the outcome is treated as 0: retried only if the policy lists 0.
    policy = RetryPolicy(retry_statuses=frozenset({0}), deadline=None)
    assert _decide(Outcome(kind=OutcomeKind.STATUS), policy=policy).action is Action.RETRY
    policy = RetryPolicy(retry_statuses=frozenset({1}), deadline=None)
    assert _decide(Outcome(kind=OutcomeKind.STATUS), policy=policy).action is Action.RAISE


def test_gave_up_reason_names_the_attempts() -> None:
    decision = _decide(Outcome.status(503), attempt=4)
    assert decision == Decision(action=Action.RAISE, reason="gave up after 4 attempts: HTTP 503")
    assert _decide(Outcome.status(503), attempt=5).action is Action.RAISE
    assert _decide(Outcome.status(503), attempt=3).action is Action.RETRY


def test_deadline_boundary_is_inclusive() -> None:
    # rand 0.5, first retry: delay 0.5 s. elapsed + delay == deadline still retries.
    at_edge = _decide(NOT_SENT, elapsed=59.5)
    assert at_edge.action is Action.RETRY
    assert at_edge.delay == 0.5
    over = _decide(Outcome.status(503), elapsed=59.5 + 1e-9)
    assert over == Decision(action=Action.RAISE, reason="retry deadline exceeded: HTTP 503")


def test_deadline_counts_the_retry_after_wait() -> None:
    policy = RetryPolicy(deadline=10.0, max_retry_after=60.0)
    outcome = Outcome.status(429, retry_after=8.0)
    assert _decide(outcome, policy=policy, elapsed=2.0, rand=0.0).action is Action.RETRY
    late = _decide(outcome, policy=policy, elapsed=2.5, rand=0.0)
    assert late.action is Action.RAISE
    assert late.reason == "retry deadline exceeded: 429 rate limited"


def test_retry_after_equal_to_the_cap_and_zero() -> None:
    policy = RetryPolicy(max_retry_after=5.0, deadline=None)
    assert _decide(Outcome.status(429, retry_after=5.0), policy=policy, rand=0.0).delay == 5.0
    assert _decide(Outcome.status(429, retry_after=7.0), policy=policy, rand=0.0).delay == 5.0
    # Retry-After 0 keeps the jittered backoff (0.5 * 0.5 s on the first retry).
    zero = _decide(Outcome.status(429, retry_after=0.0), policy=policy, rand=0.5)
    assert zero.delay == 0.25


def test_retry_decision_carries_delay_and_reason() -> None:
    decision = _decide(Outcome.status(502), attempt=2, rand=0.5)
    # attempt 2 -> backoff ceiling 1.0 * 2 ** 1 = 2.0; half of it.
    assert decision == Decision(action=Action.RETRY, delay=1.0, reason="HTTP 502")


@pytest.mark.parametrize(
    ("retry_number", "expected"),
    [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0)],
)
def test_backoff_ceiling(retry_number: int, expected: float) -> None:
    policy = RetryPolicy()  # 0.5 s doubling, capped at 8 s
    assert backoff_delay(policy, retry_number, lambda: 1.0) == expected
    assert backoff_delay(policy, retry_number, lambda: 0.5) == expected / 2


def test_backoff_default_randomness_stays_in_bounds() -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=1.0)
    delays = {backoff_delay(policy, 3) for _ in range(50)}
    assert all(0.0 <= delay <= 1.0 for delay in delays)
    assert len(delays) > 1  # jittered, not constant
    decision = decide(policy, idempotent=True, outcome=NOT_SENT, attempt=1, elapsed=0.0)
    assert 0.0 <= decision.delay <= 1.0


def test_outcome_of_errors() -> None:
    from pneumatic_async.errors import APIConnectionError, InternalServerError, RateLimitError
    from pneumatic_async.retries import outcome_of

    assert outcome_of(ValueError("local")) == Outcome(kind=OutcomeKind.FATAL)
    assert outcome_of(
        RateLimitError("slow", retry_after=3.0, status_code=429, method="GET", path="/")
    ) == Outcome.status(429, 3.0)
    assert outcome_of(
        InternalServerError("x", status_code=503, method="GET", path="/")
    ) == Outcome.status(503)
    dropped = APIConnectionError("dropped", method="POST", path="/")
    assert outcome_of(dropped) == Outcome(kind=OutcomeKind.MAYBE_SENT)
    refused = APIConnectionError("refused", method="POST", path="/", may_have_been_sent=False)
    assert outcome_of(refused) == Outcome(kind=OutcomeKind.NOT_SENT)
