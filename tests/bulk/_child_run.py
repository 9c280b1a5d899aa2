"""A bulk run in a child process (killed by the crash test): ``python -m tests.bulk._child_run``.

Arguments: base URL, template id, item count, journal path; the API key comes in the environment
(``PNEUMATIC_API_KEY``) so it never shows in a process listing.
"""

from __future__ import annotations

import os
import sys

import anyio

from pneumatic_async import Pneumatic
from pneumatic_async.bulk import run_many
from pneumatic_async.retries import RetryPolicy


def rows(total: int) -> list[dict[str, object]]:
    return [{"client": f"Client {i}"} for i in range(total)]


async def main(base_url: str, template_id: int, total: int, journal: str) -> None:
    async with Pneumatic(
        base_url=base_url,
        api_key=os.environ["PNEUMATIC_API_KEY"],
        retry=RetryPolicy(initial_backoff=0.01, max_backoff=0.05),
    ) as client:
        await run_many(client, template_id, rows(total), concurrency=8, journal=journal)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
