"""Serving the fake over a real socket for bulk tests: request counting and a child process.

:class:`Watched` wraps a fake's ASGI app and counts the launches it has received and the requests
still being handled, so a test can wait for "K launches sent" or "nothing in flight" on events
instead of sleeping.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import anyio
import anyio.abc

from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing.faults import ConnectionDropped

LAUNCH = re.compile(r"^/templates/\d+/run$")


class Watched:
    """``fake.app`` behind a counter (an object ``serve()`` accepts: it has ``app``)."""

    def __init__(self, fake: FakePneumatic, *, launch_delay: float = 0.0) -> None:
        self.fake = fake
        #: Seconds a launch takes on the server after its body was received (it is applied even
        #: if the client is gone by then, like a real server's worker).
        self.launch_delay = launch_delay
        self.launches = 0
        self.in_flight = 0
        #: Launches to answer by dropping the connection at once and applying them this many
        #: seconds later (the lookup race); needs :meth:`start`.
        self.late_commits = 0
        self.commit_after = 0.0
        self._group: anyio.abc.TaskGroup | None = None
        self._waiters: list[tuple[int, anyio.Event]] = []
        self._idle: list[anyio.Event] = []

        async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            await self._handle(scope, receive, send)

        #: The ASGI app to serve (a plain function: uvicorn detects ASGI 3 from it).
        self.app = app

    async def _handle(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.fake.app(scope, receive, send)
            return
        launch = scope["method"] == "POST" and LAUNCH.match(scope["path"]) is not None
        self.in_flight += 1
        try:
            if launch:
                receive = await _buffered(receive)
                self.launches += 1
                for wanted, event in self._waiters:
                    if self.launches >= wanted:
                        event.set()
                if self.launch_delay:
                    await anyio.sleep(self.launch_delay)
                if self.late_commits and self._group is not None:
                    self.late_commits -= 1
                    self._group.start_soon(self._commit_later, scope, receive)
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": [(b"content-length", b"100")],
                        }
                    )
                    raise ConnectionDropped("dropped; the launch is committed later")
            await self.fake.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                for event in self._idle:
                    event.set()

    def start(self, group: anyio.abc.TaskGroup) -> None:
        """Where late commits run (a task group that outlives the requests)."""
        self._group = group

    async def _commit_later(self, scope: MutableMapping[str, Any], receive: Any) -> None:
        await anyio.sleep(self.commit_after)

        async def discard(message: Any) -> None:
            pass

        await self.fake.app(scope, receive, discard)

    async def wait_launches(self, count: int) -> None:
        """Return once ``count`` launches have been received."""
        if self.launches >= count:
            return
        event = anyio.Event()
        self._waiters.append((count, event))
        await event.wait()

    async def wait_idle(self) -> None:
        """Return once no request is being handled."""
        if self.in_flight == 0:
            return
        event = anyio.Event()
        self._idle.append(event)
        await event.wait()
        self._idle.remove(event)


async def _buffered(receive: Any) -> Any:
    """Read the whole request body now; return a ``receive`` that replays it."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    replayed = False

    async def replay() -> dict[str, Any]:
        nonlocal replayed
        if replayed:
            await anyio.sleep_forever()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
