"""A typed webhook router that handles each delivery once: :class:`WebhookRouter`.

::

    hooks = WebhookRouter("/hooks/pneumatic", secret=os.environ["HOOK_SECRET"])

    @hooks.on(TaskCompletedEvent)                                   # inline
    async def task_completed(event: TaskCompletedEvent, client: Pneumatic) -> None: ...

    @hooks.on(WorkflowStartedEvent, mode="background")
    async def workflow_started(event: WorkflowStartedEvent, client: Pneumatic) -> None: ...

    app = FastAPI(lifespan=pneumatic_lifespan())
    app.include_router(hooks)

A delivery is answered, in order: 403 when ``?token=`` is not the secret (checked in constant
time, before the body is read); 413 when the body is larger than ``max_body``; 400 when it is not
a Pneumatic event; 200 ``ignored`` when no handler is registered for its event; 200 ``duplicate``
when its :func:`~pneumatic_async.fastapi.keys.delivery_key` is already claimed or done in the
store. Otherwise the key is claimed (a lease of ``lease`` seconds) and:

* **inline**: the handler runs before the answer. Success: the key is marked done, 200
  ``handled``. Failure: the key is released, the error logged, 500, and the server retries the
  delivery (up to 3 attempts), which is then handled like a new one.
* **background**: 202 ``accepted`` at once; the handler runs in the task group of
  :func:`~pneumatic_async.fastapi.pneumatic_lifespan`. Success marks the key done; a failure is
  logged with the delivery and releases the key (the server will not retry a 2xx; a later
  duplicate may be handled). Shutdown waits ``drain_timeout`` seconds for running handlers.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, Literal, TypeVar
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from pneumatic_async import _json
from pneumatic_async.client import Pneumatic
from pneumatic_async.errors import InvalidWebhookPayloadError
from pneumatic_async.events import (
    TaskCompletedEvent,
    TaskReturnedEvent,
    UnknownEvent,
    WebhookEvent,
    WorkflowCompletedEvent,
    WorkflowStartedEvent,
    parse_event,
)
from pneumatic_async.fastapi import _openapi
from pneumatic_async.fastapi.keys import delivery_key
from pneumatic_async.fastapi.lifespan import app_background, app_client
from pneumatic_async.fastapi.stores import DeliveryStore, MemoryDeliveryStore, as_delivery_store
from pneumatic_async.stores import KeyStore

__all__ = ["DEFAULT_MAX_BODY", "Handler", "Mode", "WebhookRouter"]

logger: Final = logging.getLogger("pneumatic_async.fastapi")

#: Default body limit: 1 MiB (the largest captured real delivery is about 16 KB).
DEFAULT_MAX_BODY: Final = 1024 * 1024

E = TypeVar("E", bound=WebhookEvent)

#: A webhook handler: receives the event (typed by its class) and the app's client.
Handler = Callable[[E, Pneumatic], Awaitable[object]]

#: How a handler runs: before the answer (``"inline"``) or after it (``"background"``).
Mode = Literal["inline", "background"]

_EVENT_NAMES: Final[dict[type[Any], str]] = {
    WorkflowStartedEvent: "workflow_started",
    WorkflowCompletedEvent: "workflow_completed",
    TaskCompletedEvent: "task_completed",
    TaskReturnedEvent: "task_returned",
}


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (``_TooLarge``) more than ``limit`` bytes without reading them."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async with contextlib.aclosing(request.stream()) as stream:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
    return b"".join(chunks)


def _status(code: int, status: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"status": status, **extra}, status_code=code)


class WebhookRouter(APIRouter):
    """A FastAPI router with one ``POST path`` route receiving Pneumatic webhook deliveries.

    * ``secret``: the ``?token=`` value every delivery URL carries (deliveries are unsigned, so
      this is what authenticates them); ``token_param`` renames the query parameter.
    * ``store``: the :class:`~pneumatic_async.fastapi.stores.DeliveryStore` of handled keys
      (default: a :class:`~pneumatic_async.fastapi.stores.MemoryDeliveryStore` of this process;
      with several worker processes use a shared store: ``SQLiteDeliveryStore`` on one machine,
      or a :class:`pneumatic_async.stores.KeyStore` such as ``PostgresStore``/``RedisStore``).
    * ``lease``: seconds a claimed key stays claimed if its process dies mid-handler.
    * ``max_body``: the largest body accepted (413 above).

    Other keyword arguments go to :class:`fastapi.APIRouter` (``prefix``, ``tags``...).
    """

    def __init__(
        self,
        path: str = "/hooks/pneumatic",
        *,
        secret: str,
        token_param: str = "token",
        store: DeliveryStore | KeyStore | None = None,
        lease: float = 120.0,
        max_body: int = DEFAULT_MAX_BODY,
        include_in_schema: bool = True,
        **router_options: Any,
    ) -> None:
        if not secret:
            raise ValueError("WebhookRouter needs a non-empty secret")
        if not lease > 0:
            raise ValueError(f"lease must be a positive number of seconds, got {lease!r}")
        if max_body < 1:
            raise ValueError(f"max_body must be at least 1 byte, got {max_body!r}")
        router_options.setdefault("tags", ["webhooks"])
        super().__init__(**router_options)
        self.path = path
        self.token_param = token_param
        self.store = as_delivery_store(store) if store is not None else MemoryDeliveryStore()
        self.lease = float(lease)
        self.max_body = max_body
        self._secret = secret.encode()
        self._handlers: dict[type[Any], tuple[Callable[..., Awaitable[object]], Mode]] = {}
        self.add_api_route(
            path,
            self._endpoint(),
            methods=["POST"],
            name="pneumatic_webhook",
            summary="Receive a Pneumatic webhook delivery",
            description=_openapi.DESCRIPTION,
            status_code=200,
            responses=_openapi.responses(),
            openapi_extra=_openapi.operation_extra(max_body),
            include_in_schema=include_in_schema,
        )

    def __repr__(self) -> str:
        return f"WebhookRouter({self.path!r}, events={self.events!r})"

    # -- registration ---------------------------------------------------------------------------

    def on(self, event: type[E], *, mode: Mode = "inline") -> Callable[[Handler[E]], Handler[E]]:
        """Decorator registering the handler of ``event`` (an event class of
        :mod:`pneumatic_async.events`; ``UnknownEvent`` for events this SDK does not know)."""
        if event not in _EVENT_NAMES and event is not UnknownEvent:
            raise TypeError(f"{event!r} is not a webhook event class of pneumatic_async.events")
        if mode not in ("inline", "background"):
            raise ValueError(f"mode must be 'inline' or 'background', got {mode!r}")
        if event in self._handlers:
            raise ValueError(f"a handler for {event.__name__} is already registered")

        def register(handler: Handler[E]) -> Handler[E]:
            self._handlers[event] = (handler, mode)
            return handler

        return register

    @property
    def events(self) -> list[str]:
        """The server's names of the events that have a handler (what to subscribe)."""
        return [_EVENT_NAMES[cls] for cls in _EVENT_NAMES if cls in self._handlers]

    def target_url(self, url: str) -> str:
        """``url`` (the public URL of this route) with the secret as its query parameter."""
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}{self.token_param}={quote(self._secret.decode(), safe='')}"

    def subscription(self, url: str, events: Iterable[str] | None = None) -> tuple[str, list[str]]:
        """``(target URL, events)`` for ``pneumatic_lifespan(webhooks=[...])``: subscribe ``url``
        (this route's public URL, without the secret) to ``events`` (default: the handled ones)."""
        return self.target_url(url), list(self.events if events is None else events)

    # -- receiving ------------------------------------------------------------------------------

    def _endpoint(self) -> Callable[..., Awaitable[JSONResponse]]:
        async def receive_pneumatic_webhook(
            request: Request,
            token: str = Query(
                "",
                alias=self.token_param,
                description="The secret of the subscription URL (deliveries are unsigned).",
            ),
        ) -> JSONResponse:
            return await self._receive(request, token)

        return receive_pneumatic_webhook

    async def _receive(self, request: Request, token: str) -> JSONResponse:
        if not hmac.compare_digest(token.encode(), self._secret):
            return JSONResponse({"detail": "invalid webhook token"}, status_code=403)
        try:
            body = await _read_body(request, self.max_body)
        except _TooLarge:
            return JSONResponse(
                {"detail": f"webhook body larger than {self.max_body} bytes"}, status_code=413
            )
        try:
            payload = _json.loads(body)
            event = parse_event(payload if isinstance(payload, dict) else body)
        except (ValueError, TypeError, InvalidWebhookPayloadError) as exc:
            message = str(exc) if isinstance(exc, InvalidWebhookPayloadError) else "not JSON"
            return JSONResponse({"detail": message}, status_code=400)
        registered = self._handlers.get(type(event))
        name = event.event if isinstance(event, UnknownEvent) else _EVENT_NAMES[type(event)]
        if registered is None:
            return _status(200, "ignored", event=name)
        handler, mode = registered
        key = delivery_key(payload)
        if not await self.store.claim(key, self.lease):
            return _status(200, "duplicate", event=name, key=key)
        hook_id = event.hook.id
        if mode == "background":
            background = app_background(request.app)
            if background is None or background.closed:
                await self._release(key)
                logger.error(
                    "background webhook handler %s not started (delivery %s, hook %s): the app "
                    "has no running pneumatic_lifespan",
                    handler.__qualname__,
                    key,
                    hook_id,
                )
                return JSONResponse({"detail": "not ready for webhooks"}, status_code=503)
            background.start(self._run_background, handler, event, app_client(request.app), key)
            return _status(202, "accepted", event=name, key=key)
        try:
            await handler(event, app_client(request.app))
        except Exception:
            await self._release(key)
            logger.exception(
                "webhook handler %s failed (event %s, delivery %s, hook %s); answered 500 so the "
                "server retries",
                handler.__qualname__,
                name,
                key,
                hook_id,
            )
            return JSONResponse({"detail": "webhook handler failed"}, status_code=500)
        except BaseException:  # cancelled: give the key back for the retry
            await self._release(key)
            raise
        await self.store.done(key)
        return _status(200, "handled", event=name, key=key)

    async def _run_background(
        self,
        handler: Callable[..., Awaitable[object]],
        event: WebhookEvent,
        client: Pneumatic,
        key: str,
    ) -> None:
        try:
            await handler(event, client)
        except anyio.get_cancelled_exc_class():
            await self._release(key)
            logger.warning(
                "background webhook handler %s cancelled at shutdown (delivery %s, hook %s)",
                handler.__qualname__,
                key,
                event.hook.id,
            )
            raise
        except Exception:
            await self._release(key)
            logger.exception(
                "background webhook handler %s failed (delivery %s, hook %s)",
                handler.__qualname__,
                key,
                event.hook.id,
            )
            return
        try:
            await self.store.done(key)
        except Exception:
            logger.exception("could not mark webhook delivery %s done", key)

    async def _release(self, key: str) -> None:
        with anyio.CancelScope(shield=True):
            try:
                await self.store.release(key)
            except Exception:
                logger.exception("could not release webhook delivery %s", key)
