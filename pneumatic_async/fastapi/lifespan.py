"""One :class:`~pneumatic_async.Pneumatic` client per app process: :func:`pneumatic_lifespan` and
the :data:`PneumaticClient` dependency.

The lifespan opens the client at startup and closes it at shutdown. Under uvicorn or gunicorn with
several workers every worker process runs the lifespan, so each process has its own client (a
client is bound to its process's event loop and connection pool). The same lifespan owns the task
group where background webhook handlers run, drained at shutdown::

    @contextlib.asynccontextmanager
    async def own_lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = app_client(app)      # already open here
        yield                         # the app serves

    app = FastAPI(lifespan=pneumatic_lifespan(own_lifespan, client=lambda: Pneumatic()))

    @app.get("/workflows/{workflow_id}")
    async def workflow(workflow_id: int, client: PneumaticClient) -> dict[str, str]:
        return {"name": (await client.workflows.get(workflow_id)).name}
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Annotated, Any, Final, TypeAlias

import anyio
from anyio.abc import TaskGroup
from fastapi import Depends, FastAPI, Request

from pneumatic_async.client import Pneumatic
from pneumatic_async.fastapi.subscribe import ensure_subscribed

__all__ = [
    "BackgroundHandlers",
    "Lifespan",
    "PneumaticClient",
    "app_background",
    "app_client",
    "get_client",
    "pneumatic_lifespan",
]

logger: Final = logging.getLogger("pneumatic_async.fastapi")

#: A FastAPI lifespan: ``app -> async context manager`` (its value becomes the lifespan state).
Lifespan: TypeAlias = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[Any]]

_CLIENT: Final = "pneumatic_client"
_BACKGROUND: Final = "pneumatic_background"


class BackgroundHandlers:
    """The task group of an app's lifespan where background webhook handlers run.

    :meth:`start` runs a coroutine function there; :meth:`drain` waits (bounded) for the running
    ones at shutdown.
    """

    def __init__(self, task_group: TaskGroup) -> None:
        self._task_group = task_group
        self._running = 0
        self._idle = anyio.Event()
        self._idle.set()
        self.closed = False

    @property
    def running(self) -> int:
        """How many handlers are running now."""
        return self._running

    def start(self, func: Callable[..., Awaitable[object]], *args: object) -> None:
        """Run ``func(*args)`` in the lifespan's task group (it must not raise)."""
        if self.closed:
            raise RuntimeError("the app is shutting down; no new background handler can start")
        if self._running == 0:
            self._idle = anyio.Event()
        self._running += 1
        self._task_group.start_soon(self._run, func, args)

    async def _run(self, func: Callable[..., Awaitable[object]], args: tuple[object, ...]) -> None:
        try:
            await func(*args)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def drain(self, timeout: float) -> int:
        """Refuse new handlers, wait up to ``timeout`` seconds for the running ones, cancel the
        rest; returns how many were cancelled."""
        self.closed = True
        with anyio.move_on_after(timeout):
            await self._idle.wait()
        left = self._running
        if left:
            self._task_group.cancel_scope.cancel()
        return left


def app_client(app: FastAPI) -> Pneumatic:
    """The client :func:`pneumatic_lifespan` opened for ``app`` in this process."""
    client = getattr(app.state, _CLIENT, None)
    if not isinstance(client, Pneumatic):
        raise RuntimeError(
            "no Pneumatic client for this app: create it with "
            "FastAPI(lifespan=pneumatic_lifespan(...)) and run it with its lifespan"
        )
    return client


def app_background(app: FastAPI) -> BackgroundHandlers | None:
    """The background handler task group of ``app``'s running lifespan, if any."""
    background = getattr(app.state, _BACKGROUND, None)
    return background if isinstance(background, BackgroundHandlers) else None


async def get_client(request: Request) -> Pneumatic:
    """FastAPI dependency: the app's client (see :data:`PneumaticClient`)."""
    return app_client(request.app)


#: Annotate an endpoint parameter with this to receive the app's :class:`Pneumatic` client.
PneumaticClient = Annotated[Pneumatic, Depends(get_client)]


def pneumatic_lifespan(
    lifespan: Lifespan | None = None,
    *,
    client: Callable[[], Pneumatic] = Pneumatic,
    webhooks: Sequence[tuple[str, Sequence[str]]] = (),
    drain_timeout: float = 10.0,
) -> Lifespan:
    """A FastAPI lifespan giving the app one open client per process.

    * ``lifespan``: the app's own lifespan, run inside this one (the client is open while it runs;
      get it with :func:`app_client`); whatever it yields stays the app's lifespan state.
    * ``client``: makes the client, called once per process at startup (default: ``Pneumatic()``,
      configured from ``PNEUMATIC_API_KEY``/``PNEUMATIC_BASE_URL``).
    * ``webhooks``: ``(url, events)`` pairs subscribed at startup with
      :func:`~pneumatic_async.fastapi.ensure_subscribed` (``WebhookRouter.subscription(...)``
      makes one).
    * ``drain_timeout``: at shutdown, how long running background handlers may finish before they
      are cancelled.
    """
    if drain_timeout < 0:
        raise ValueError(f"drain_timeout must be >= 0, got {drain_timeout!r}")

    @contextlib.asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[Any]:
        async with client() as opened, anyio.create_task_group() as task_group:
            background = BackgroundHandlers(task_group)
            setattr(app.state, _CLIENT, opened)
            setattr(app.state, _BACKGROUND, background)
            try:
                for url, events in webhooks:
                    await ensure_subscribed(opened, url, events)
                if lifespan is None:
                    yield None
                else:
                    async with lifespan(app) as state:
                        yield state
            finally:
                with anyio.CancelScope(shield=True):
                    cancelled = await background.drain(drain_timeout)
                if cancelled:
                    logger.warning(
                        "%d background webhook handler(s) still running after %.1f s at "
                        "shutdown were cancelled; their deliveries are not marked done",
                        cancelled,
                        drain_timeout,
                    )
                delattr(app.state, _BACKGROUND)
                delattr(app.state, _CLIENT)

    return run
