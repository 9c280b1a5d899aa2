"""Serving a FastAPI app with uvicorn (lifespan on) on a loopback socket, inside a test's loop."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import socket
from collections.abc import AsyncIterator, Callable, Generator
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import uvicorn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_names = itertools.count()


def load_example(name: str) -> ModuleType:
    """A fresh import of ``examples/<name>.py`` (it reads its settings from the environment)."""
    spec = importlib.util.spec_from_file_location(
        f"example_{name}_{next(_names)}", EXAMPLES / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Server(uvicorn.Server):
    """uvicorn without signal handlers (the test runner owns them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serve_app(app: Any, sock: socket.socket) -> AsyncIterator[_Server]:
    """Serve ``app`` on ``sock`` until the block ends, then shut down (lifespan included)."""
    config = uvicorn.Config(
        app,
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await until(lambda: server.started or task.done(), what="uvicorn to start")
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped during startup")
        yield server
    finally:
        server.should_exit = True
        with anyio.fail_after(20):
            await task


async def until(condition: Callable[[], bool], *, what: str, timeout: float = 15.0) -> None:
    """Wait (bounded) until ``condition()`` holds, checking every few milliseconds.

    Only for states that announce themselves with no event (uvicorn's ``started``, a lifespan
    beginning its shutdown).
    """
    with anyio.fail_after(timeout):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but the state itself
            await anyio.sleep(0.005)
