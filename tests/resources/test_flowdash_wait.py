"""``flowdash.actions.wait``: capped exponential backoff with jitter, a typed timeout."""

from __future__ import annotations

import pickle

import pytest

from pneumatic_async import ExecutionTimeoutError, Flowdash
from pneumatic_async.models.flowdash import ExecutionStatus
from pneumatic_async.resources import flowdash as flowdash_module
from pneumatic_async.resources.flowdash import poll_delay
from pneumatic_async.testing import FakeFlowdash


def test_delays_grow_exponentially_up_to_the_cap() -> None:
    steps = [poll_delay(n, interval=0.5, max_interval=4.0, rand=lambda: 1.0) for n in range(6)]
    assert steps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    lowest = [poll_delay(n, interval=0.5, max_interval=4.0, rand=lambda: 0.0) for n in range(6)]
    assert lowest == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert poll_delay(10_000, interval=1.0, max_interval=30.0, rand=lambda: 0.5) == 22.5


def test_jitter_spreads_delays_within_the_step() -> None:
    delays = {round(poll_delay(2, interval=1.0, max_interval=60.0), 6) for _ in range(50)}
    assert len(delays) > 1
    assert all(2.0 <= d <= 4.0 for d in delays)


@pytest.mark.parametrize(
    "kwargs", [{"interval": -1.0}, {"max_interval": -1.0}, {"multiplier": 0.5}]
)
def test_bad_backoff_settings_are_refused(kwargs: dict[str, float]) -> None:
    settings = {"interval": 1.0, "max_interval": 2.0, **kwargs}
    with pytest.raises(ValueError, match="interval"):
        poll_delay(0, **settings)


async def test_wait_sleeps_the_backoff_between_polls(
    flowdash_client: Flowdash, fake_flowdash: FakeFlowdash, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_flowdash.polls_pending = 4
    fake_flowdash.add_task("wf-1", "task-1", actions=["Approve"])
    [action] = await flowdash_client.actions.list("wf-1", "task-1")
    execution = await flowdash_client.actions.execute("wf-1", "task-1", action.id)
    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(flowdash_module.anyio, "sleep", record)
    monkeypatch.setattr(flowdash_module.random, "random", lambda: 1.0)
    done = await flowdash_client.actions.wait("wf-1", execution.id, interval=0.1, max_interval=0.3)
    assert done.status == ExecutionStatus.SUCCESS
    assert slept == pytest.approx([0.1, 0.2, 0.3, 0.3])


async def test_timeout_raises_with_the_last_execution(
    flowdash_client: Flowdash, fake_flowdash: FakeFlowdash
) -> None:
    fake_flowdash.polls_pending = 1_000_000
    fake_flowdash.add_task("wf-1", "task-1", actions=["Approve"])
    [action] = await flowdash_client.actions.list("wf-1", "task-1")
    execution = await flowdash_client.actions.execute("wf-1", "task-1", action.id)
    with pytest.raises(ExecutionTimeoutError) as caught:
        await flowdash_client.actions.wait(
            "wf-1", execution.id, interval=0.01, max_interval=0.02, timeout=0.2
        )
    error = caught.value
    assert isinstance(error, TimeoutError)
    assert error.execution is not None
    assert error.execution.id == execution.id
    assert error.execution.status == ExecutionStatus.PENDING
    assert error.polls >= 1
    assert (error.workflow_id, error.execution_id, error.timeout) == ("wf-1", execution.id, 0.2)
    assert "last status Pending" in str(error)
    assert pickle.loads(pickle.dumps(error)).execution == error.execution


async def test_a_non_positive_timeout_is_refused(flowdash_client: Flowdash) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await flowdash_client.actions.wait("wf-1", "x", timeout=0)
