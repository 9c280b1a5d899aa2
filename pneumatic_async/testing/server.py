"""Serve a :class:`~pneumatic_async.testing.FakePneumatic` over a real socket with uvicorn.

::

    async with serve(fake) as base_url:        # e.g. "http://127.0.0.1:53127"
        async with Pneumatic(base_url=base_url, api_key=fake.api_key) as client:
            ...

uvicorn runs in the **current event loop** (one worker, ``lifespan="off"``, no access log, no
signal handlers), bound to a free port on 127.0.0.1 unless ``port`` is given, and is stopped
cleanly when the block exits. While it serves, the fake's webhook dispatcher (``fake.dispatcher``,
if it has one and it is not already running) delivers in the background.

uvicorn only runs on asyncio: under trio :func:`serve` raises :class:`RuntimeError` (use the
in-process ``fake.transport()`` there, which needs no socket). Faults that drop the connection
(:class:`~pneumatic_async.testing.faults.ConnectionDropped`) really close the socket mid-response;
uvicorn's "Exception in ASGI application" log line for them is filtered out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Generator
from typing import Any

import anyio

from pneumatic_async.testing.faults import ConnectionDropped

__all__ = ["bind_socket", "serve"]


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening-ready TCP socket bound to ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP: asyncio then sets TCP_NODELAY on accepted connections (with proto 0
    # it does not, and Nagle plus delayed ACKs add ~40 ms to every response)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def socket_url(sock: socket.socket) -> str:
    """``http://host:port`` for a bound socket."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class _DropFilter(logging.Filter):
    """Hide uvicorn's error log for connections a fault dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_DROP_FILTER = _DropFilter()


def _make_server(app: Any) -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn's server without signal handlers, noticing a stop request at once."""

        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.stop_event = asyncio.Event()

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield  # Ctrl-C is the event loop's business (it cancels the serving task)

        async def main_loop(self) -> None:
            counter = 0
            while not await self.on_tick(counter):
                counter = (counter + 1) % 864000
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), 0.1)

    config = uvicorn.Config(
        app,
        lifespan="off",
        access_log=False,
        log_config=None,
        log_level="warning",
        workers=1,
        timeout_graceful_shutdown=2,
    )
    return _Server(config)


@contextlib.asynccontextmanager
async def serve(
    fake: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    sock: socket.socket | None = None,
) -> AsyncIterator[str]:
    """Serve ``fake.app`` with uvicorn on ``host:port`` and yield the base URL.

    ``sock`` serves on an already bound socket instead (see :func:`bind_socket`; ``host`` and
    ``port`` are then ignored). If uvicorn stops on its own, the body of the ``async with`` block
    is cancelled and the block ends.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "pneumatic_async.testing.serve() runs uvicorn, which needs asyncio; under trio use "
            "the in-process fake.transport() instead of a socket"
        ) from None
    sock = sock if sock is not None else bind_socket(host, port)
    base_url = socket_url(sock)
    server = _make_server(fake.app)
    error_logger = logging.getLogger("uvicorn.error")
    error_logger.addFilter(_DROP_FILTER)
    dispatcher = getattr(fake, "dispatcher", None)
    stopped = anyio.Event()
    try:
        async with anyio.create_task_group() as task_group:

            async def run_server() -> None:
                try:
                    await server.serve(sockets=[sock])
                finally:
                    stopped.set()
                    task_group.cancel_scope.cancel()  # the body and the dispatcher

            task_group.start_soon(run_server)
            while not server.started:
                if stopped.is_set():
                    raise RuntimeError(f"uvicorn could not start on {base_url}")
                await anyio.sleep(0.001)
            if dispatcher is not None and not dispatcher.running:
                await task_group.start(dispatcher.run)
            try:
                yield base_url
            finally:
                server.should_exit = True
                server.stop_event.set()
                with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                    await stopped.wait()
    finally:
        error_logger.removeFilter(_DROP_FILTER)
        sock.close()
