"""Every Python block of README.md and docs/ runs as written against the fake server.

One test per page. The page's blocks run in order in one namespace, against a fake server
seeded with the demo data (:mod:`pneumatic_async.testing.demo`: the "Client onboarding"
template is id 1) and served on 127.0.0.1, in a scratch directory holding the sample files the
docs name (``contract.pdf``, ``clients.csv``). The namespace starts with ``client``: an open
async ``Pneumatic`` on that fake. A block with top-level ``await`` runs on the fake's event
loop; any other block (a script calling ``anyio.run``, the sync client) runs in the test's own
thread, with ``PNEUMATIC_BASE_URL`` and ``PNEUMATIC_API_KEY`` (and ``FLOWDASH_BASE_URL``,
``FLOWDASH_API_KEY``) naming the served fake.
Fragments (``<!-- fragment -->``, see ``tests/docs/blocks.py``) are compiled only.

asyncio only: the fake is served by uvicorn, which runs on asyncio.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.from_thread import BlockingPortal

from pneumatic_async import Pneumatic
from pneumatic_async.testing import FakePneumatic
from tests.docs.blocks import ROOT, Block, doc_files, read_blocks

PAGES = [path for path in doc_files() if read_blocks(path)]
#: Seconds a block may take.
BLOCK_DEADLINE = 60


def _compile(block: Block) -> Any:
    return compile(
        block.code, block.where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )


def test_every_page_with_python_has_blocks_that_compile() -> None:
    assert PAGES, "no Python blocks found in README.md and docs/"
    for page in PAGES:
        for block in read_blocks(page):
            _compile(block)  # fragments too: their syntax is checked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_runs_as_written(page: Path, served: tuple[BlockingPortal, FakePneumatic]) -> None:
    portal, fake = served

    async def open_client() -> Pneumatic:
        return Pneumatic(
            transport=fake.transport(),
            base_url=fake.base_url,
            api_key=fake.api_key,
            file_service_url=fake.file_service_url,
        )

    client = portal.call(open_client)
    namespace: dict[str, Any] = {"__name__": "__docs__", "client": client}
    try:
        for block in read_blocks(page):
            if block.fragment or block.include_only:
                continue
            code = _compile(block)
            if code.co_flags & inspect.CO_COROUTINE:

                async def run(code: Any = code) -> None:
                    with anyio.fail_after(BLOCK_DEADLINE):
                        await eval(code, namespace)

                portal.call(run)
            else:
                exec(code, namespace)
    finally:
        portal.call(client.aclose)
