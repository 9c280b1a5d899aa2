"""The retry policy as a table: decisions per method, status and failure kind."""

from __future__ import annotations

import pytest

from pneumatic_async.retries import (
    Action,
    Outcome,
    OutcomeKind,
    RetryPolicy,
    backoff_delay,
    decide,
)

POLICY = RetryPolicy(max_attempts=4, initial_backoff=1.0, max_backoff=8.0, deadline=60.0)
NOT_SENT = Outcome(kind=OutcomeKind.NOT_SENT)
MAYBE_SENT = Outcome(kind=OutcomeKind.MAYBE_SENT)
FATAL = Outcome(kind=OutcomeKind.FATAL)


def _decide(idempotent: bool, outcome: Outcome, attempt: int = 1, elapsed: float = 0.0) -> Action:
    return decide(
        POLICY,
        idempotent=idempotent,
        outcome=outcome,
        attempt=attempt,
        elapsed=elapsed,
        rand=lambda: 0.5,
    ).action


@pytest.mark.parametrize(
    ("idempotent", "outcome", "expected"),
    [
        # idempotent (GET/PUT/DELETE): connection errors, timeouts, 429, 502-504 retry
        (True, NOT_SENT, Action.RETRY),
        (True, MAYBE_SENT, Action.RETRY),
        (True, Outcome.status(429), Action.RETRY),
        (True, Outcome.status(502), Action.RETRY),
        (True, Outcome.status(503), Action.RETRY),
        (True, Outcome.status(504), Action.RETRY),
        (True, Outcome.status(500), Action.RAISE),
        (True, Outcome.status(400), Action.RAISE),
        (True, Outcome.status(401), Action.RAISE),
        (True, Outcome.status(404), Action.RAISE),
        (True, FATAL, Action.RAISE),
        # POST: only provably-not-applied failures retry
        (False, NOT_SENT, Action.RETRY),
        (False, Outcome.status(429), Action.RETRY),
        (False, MAYBE_SENT, Action.AMBIGUOUS),
        (False, Outcome.status(500), Action.AMBIGUOUS),
        (False, Outcome.status(502), Action.AMBIGUOUS),
        (False, Outcome.status(503), Action.AMBIGUOUS),
        (False, Outcome.status(504), Action.AMBIGUOUS),
        (False, Outcome.status(400), Action.RAISE),
        (False, Outcome.status(403), Action.RAISE),
        (False, FATAL, Action.RAISE),
    ],
)
def test_decisions(idempotent: bool, outcome: Outcome, expected: Action) -> None:
    assert _decide(idempotent, outcome) is expected


def test_gives_up_after_max_attempts() -> None:
    assert _decide(True, NOT_SENT, attempt=3) is Action.RETRY
    assert _decide(True, NOT_SENT, attempt=4) is Action.RAISE


def test_ambiguous_even_on_the_last_attempt() -> None:
    # A POST that may have been applied is never reported as a plain failure.
    assert _decide(False, MAYBE_SENT, attempt=4) is Action.AMBIGUOUS


def test_deadline_stops_retries() -> None:
    assert _decide(True, NOT_SENT, elapsed=59.6) is Action.RAISE  # 59.6 + 0.5 > 60
    assert _decide(True, NOT_SENT, elapsed=59.4) is Action.RETRY
    assert _decide(True, NOT_SENT, elapsed=10.0) is Action.RETRY


def test_no_deadline() -> None:
    policy = RetryPolicy(deadline=None, max_attempts=2)
    decision = decide(policy, idempotent=True, outcome=NOT_SENT, attempt=1, elapsed=1e9)
    assert decision.action is Action.RETRY


@pytest.mark.parametrize(
    ("retry", "rand", "expected"),
    [
        (1, 1.0, 1.0),
        (2, 1.0, 2.0),
        (3, 1.0, 4.0),
        (4, 1.0, 8.0),
        (10, 1.0, 8.0),  # capped
        (3, 0.0, 0.0),  # full jitter reaches zero
        (3, 0.25, 1.0),
    ],
)
def test_backoff_full_jitter_bounds(retry: int, rand: float, expected: float) -> None:
    assert backoff_delay(POLICY, retry, lambda: rand) == pytest.approx(expected)


def test_retry_after_is_honoured_and_capped() -> None:
    policy = RetryPolicy(max_retry_after=30.0, deadline=None)
    honoured = decide(
        policy,
        idempotent=False,
        outcome=Outcome.status(429, retry_after=12.0),
        attempt=1,
        elapsed=0.0,
        rand=lambda: 0.0,
    )
    assert honoured.action is Action.RETRY
    assert honoured.delay == 12.0
    capped = decide(
        policy,
        idempotent=True,
        outcome=Outcome.status(503, retry_after=3600.0),
        attempt=1,
        elapsed=0.0,
        rand=lambda: 0.0,
    )
    assert capped.delay == 30.0


def test_retry_after_never_shortens_backoff() -> None:
    decision = decide(
        POLICY,
        idempotent=True,
        outcome=Outcome.status(503, retry_after=0.1),
        attempt=3,
        elapsed=0.0,
        rand=lambda: 1.0,
    )
    assert decision.delay == 4.0


def test_never_policy_sends_once() -> None:
    decision = decide(RetryPolicy.never(), idempotent=True, outcome=NOT_SENT, attempt=1, elapsed=0)
    assert decision.action is Action.RAISE


def test_429_not_retried_when_removed_from_statuses() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({503}))
    decision = decide(policy, idempotent=True, outcome=Outcome.status(429), attempt=1, elapsed=0)
    assert decision.action is Action.RAISE


def test_policy_validates_arguments() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
