"""Approve a Flowdash task: find its "Approve" action, execute it, wait for the outcome.

Usage::

    python examples/flowdash_approval.py WORKFLOW_ID TASK_ID [--action Approve]
                                         [--performed-by EMAIL] [--timeout 60]

``FLOWDASH_API_KEY`` (and ``FLOWDASH_BASE_URL``) configure the client. The execution runs
asynchronously on Flowdash's side; ``actions.wait`` polls it (capped exponential backoff) until
``Success`` or ``Fail``. Exit code 1 on ``Fail`` or a timeout, 2 when the task offers no such
action.
"""

from __future__ import annotations

import argparse
import sys

import anyio

from pneumatic_async import ExecutionTimeoutError, Flowdash


async def approve(
    workflow_id: str, task_id: str, action_name: str, performed_by: str | None, timeout: float
) -> int:
    async with Flowdash() as flowdash:
        actions = await flowdash.actions.list(workflow_id, task_id)
        action = next((a for a in actions if a.name.lower() == action_name.lower()), None)
        if action is None:
            names = ", ".join(a.name for a in actions) or "none"
            print(f"task {task_id} offers no {action_name!r} action (it offers: {names})")
            return 2
        options = {} if performed_by is None else {"performed_by": performed_by}
        execution = await flowdash.actions.execute(workflow_id, task_id, action.id, **options)
        print(f"{action.name}: execution {execution.id} is {execution.status}")
        try:
            done = await flowdash.actions.wait(workflow_id, execution.id, timeout=timeout)
        except ExecutionTimeoutError as exc:
            last = exc.execution.status if exc.execution else "unknown"
            print(f"still {last} after {timeout} s")
            return 1
    print(f"{action.name}: {done.status}" + "".join(f"\n  {e}" for e in done.errors))
    return 0 if done.status == "Success" else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workflow_id")
    parser.add_argument("task_id")
    parser.add_argument("--action", default="Approve", help="the action's name (default Approve)")
    parser.add_argument("--performed-by", help="the email of the user acting")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at most")
    args = parser.parse_args()
    return anyio.run(
        approve, args.workflow_id, args.task_id, args.action, args.performed_by, args.timeout
    )


if __name__ == "__main__":
    sys.exit(main())
