"""Pneumatic in FastAPI apps (the ``fastapi`` extra): one client per app process, SDK errors as
HTTP answers, and a typed webhook router that handles each delivery once.

.. code-block:: python

    hooks = WebhookRouter("/hooks/pneumatic", secret=os.environ["HOOK_SECRET"])

    @hooks.on(TaskCompletedEvent)
    async def task_completed(event: TaskCompletedEvent, client: Pneumatic) -> None:
        await client.workflows.comment(event.task.workflow.id, f"{event.task.name} done")

    app = FastAPI(lifespan=pneumatic_lifespan(webhooks=[hooks.subscription(PUBLIC_URL)]))
    install_error_handlers(app)
    app.include_router(hooks)

    @app.get("/workflows/{workflow_id}")
    async def workflow(workflow_id: int, client: PneumaticClient) -> dict[str, str]:
        return {"name": (await client.workflows.get(workflow_id)).name}

See ``docs/fastapi.md`` for the guarantees and what the server cannot give.
"""

from __future__ import annotations

from pneumatic_async.fastapi.dependencies import PneumaticEvent, pneumatic_event, require_token
from pneumatic_async.fastapi.errors import install_error_handlers
from pneumatic_async.fastapi.keys import delivery_key
from pneumatic_async.fastapi.lifespan import (
    BackgroundHandlers,
    Lifespan,
    PneumaticClient,
    app_client,
    get_client,
    pneumatic_lifespan,
)
from pneumatic_async.fastapi.router import DEFAULT_MAX_BODY, Handler, Mode, WebhookRouter
from pneumatic_async.fastapi.stores import (
    DeliveryStore,
    KeyStoreDeliveries,
    MemoryDeliveryStore,
    SQLiteDeliveryStore,
)
from pneumatic_async.fastapi.subscribe import ensure_subscribed

__all__ = [
    "DEFAULT_MAX_BODY",
    "BackgroundHandlers",
    "DeliveryStore",
    "Handler",
    "KeyStoreDeliveries",
    "Lifespan",
    "MemoryDeliveryStore",
    "Mode",
    "PneumaticClient",
    "PneumaticEvent",
    "SQLiteDeliveryStore",
    "WebhookRouter",
    "app_client",
    "delivery_key",
    "ensure_subscribed",
    "get_client",
    "install_error_handlers",
    "pneumatic_event",
    "pneumatic_lifespan",
    "require_token",
]
