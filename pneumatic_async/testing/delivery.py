"""Webhook delivery for the fake Pneumatic server, the way the real server's Celery worker does it.

Each delivery is ``POST <hook target>`` with ``Content-Type: application/json`` and the headers
python-requests sends, body ``json.dumps({"hook": {"id", "event", "target"}, **payload})`` (ASCII
escaped, separators ``", "`` / ``": "``), no signature. A target answering HTTP >= 500 or failing
to connect is retried (``retry_delays``: twice by default, so 3 attempts at most); any other status
(including 4xx) ends the delivery. Every finished delivery is appended to
:attr:`WebhookDispatcher.deliveries` as a :class:`DeliveryRecord`.

Targets are reached over a socket with httpx, unless a URL prefix was :meth:`mounted
<WebhookDispatcher.mount>` to an in-process ASGI app (the usual choice in tests).

Differences from the real server, on purpose: retries wait exactly ``retry_delays`` (no jitter;
tests pass ``(0, 0)``), each hook is retried on its own (the real worker re-runs the loop over all
hooks of the event, so other hooks may get duplicates), requests time out after ``timeout`` seconds
(the real server sets none), and deliveries go out one at a time in the order they were enqueued.

Use it by enqueueing from the engine (:meth:`~WebhookDispatcher.enqueue`, sync) and then either
``await dispatcher.flush()`` at a point of your choosing, or run it in the background::

    async with dispatcher:          # or: task_group.start_soon(dispatcher.run)
        ...                         # deliveries happen while this block runs
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self

import anyio
import httpx
from anyio.abc import TaskGroup, TaskStatus

__all__ = ["DELIVERY_HEADERS", "DeliveryRecord", "WebhookDispatcher", "encode_delivery"]

#: Headers of a real delivery (python-requests 2.22 defaults plus Content-Type), in wire order.
DELIVERY_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("User-Agent", "python-requests/2.22.0"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
    ("Content-Type", "application/json"),
)

ASGIApp = Callable[..., Any]


async def _sleep(seconds: float) -> None:
    """The retry wait (a module-level name so tests can replace it)."""
    await anyio.sleep(seconds)


def encode_delivery(hook: Mapping[str, Any], payload: Mapping[str, Any]) -> bytes:
    """The exact body the real server posts: ``{"hook": {id, event, target}, **payload}``."""
    envelope = {
        "hook": {"id": hook["id"], "event": hook["event"], "target": hook["target"]},
        **payload,
    }
    return json.dumps(envelope).encode("ascii")


@dataclass
class DeliveryRecord:
    """One finished delivery (after its last attempt).

    ``status`` is the final HTTP status (``None`` when the last attempt could not connect or the
    connection broke); ``statuses`` has one entry per attempt; ``ok`` means a 2xx answer.
    """

    event: str
    target: str
    hook_id: int | str | None
    body: bytes
    attempts: int = 0
    status: int | None = None
    statuses: list[int | None] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the target finally answered 2xx."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def payload(self) -> Any:
        """The decoded JSON body that was posted."""
        return json.loads(self.body)


class WebhookDispatcher:
    """Delivers enqueued webhooks like the real server (see the module docstring).

    ``retry_delays`` are the waits before the 2nd, 3rd, ... attempt (their count is the number of
    retries); ``timeout`` bounds each attempt; ``transport`` replaces the socket transport for
    unmounted targets (e.g. an ``httpx.MockTransport``).
    """

    def __init__(
        self,
        *,
        retry_delays: Sequence[float] = (1.0, 2.0),
        timeout: float | None = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.deliveries: list[DeliveryRecord] = []
        self._transport = transport
        self._mounts: dict[str, ASGIApp] = {}
        self._pending: deque[DeliveryRecord] = deque()
        self._lock = anyio.Lock()
        self._wakeup = anyio.Event()
        self._task_group: TaskGroup | None = None
        self._runners = 0

    # -- configuration -------------------------------------------------------------------------

    def mount(self, url_prefix: str, app: ASGIApp) -> None:
        """Deliver to targets starting with ``url_prefix`` through ``app`` in-process."""
        self._mounts[url_prefix] = app

    def unmount(self, url_prefix: str) -> None:
        """Undo :meth:`mount`."""
        self._mounts.pop(url_prefix, None)

    # -- producing -----------------------------------------------------------------------------

    def enqueue(self, hook: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
        """Queue one delivery to ``hook`` (``{"id", "event", "target", ...}``); never blocks."""
        record = DeliveryRecord(
            event=str(hook["event"]),
            target=str(hook["target"]),
            hook_id=hook.get("id"),
            body=encode_delivery(hook, payload),
        )
        self._pending.append(record)
        self._wakeup.set()

    @property
    def pending(self) -> int:
        """How many deliveries are waiting."""
        return len(self._pending)

    @property
    def running(self) -> bool:
        """True while :meth:`run` delivers in the background."""
        return self._runners > 0

    # -- consuming -----------------------------------------------------------------------------

    async def flush(self) -> list[DeliveryRecord]:
        """Deliver everything pending now (including retries); return the records made."""
        done: list[DeliveryRecord] = []
        while True:
            async with self._lock:
                if not self._pending:
                    return done
                record = self._pending.popleft()
                await self._deliver(record)
                done.append(record)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Deliver in the background until cancelled (``task_group.start(dispatcher.run)``)."""
        self._runners += 1
        task_status.started()
        try:
            while True:
                self._wakeup = anyio.Event()
                await self.flush()
                await self._wakeup.wait()
        finally:
            self._runners -= 1

    async def __aenter__(self) -> Self:
        """Start :meth:`run` in a task group."""
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        await task_group.start(self.run)
        self._task_group = task_group
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        """Deliver what is still pending (unless leaving on an error) and stop :meth:`run`."""
        task_group, self._task_group = self._task_group, None
        assert task_group is not None, "WebhookDispatcher exited without being entered"
        try:
            if exc_type is None:
                await self.flush()
        finally:
            task_group.cancel_scope.cancel()
            result = await task_group.__aexit__(exc_type, exc, tb)
        return result

    # -- one delivery ----------------------------------------------------------------------------

    async def _deliver(self, record: DeliveryRecord) -> None:
        max_attempts = 1 + len(self.retry_delays)
        for attempt in range(max_attempts):
            if attempt:
                await _sleep(self.retry_delays[attempt - 1])
            record.attempts += 1
            try:
                status = await self._post(record.target, record.body)
            except httpx.TransportError as exc:  # connection refused / dropped / timed out
                record.status = None
                record.error = f"{type(exc).__name__}: {exc}"
                record.statuses.append(None)
                continue
            record.status = status
            record.statuses.append(status)
            record.error = None if status < 400 else f"HTTP {status}"
            if status < 500:
                break
        self.deliveries.append(record)

    async def _post(self, target: str, body: bytes) -> int:
        transport = self._transport_for(target)
        async with httpx.AsyncClient(transport=transport, timeout=self.timeout) as client:
            request = httpx.Request("POST", target, headers=list(DELIVERY_HEADERS), content=body)
            response = await client.send(request, follow_redirects=True)
            await response.aclose()
            return response.status_code

    def _transport_for(self, target: str) -> httpx.AsyncBaseTransport | None:
        matches = [prefix for prefix in self._mounts if target.startswith(prefix)]
        if matches:
            app = self._mounts[max(matches, key=len)]
            return httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return self._transport
